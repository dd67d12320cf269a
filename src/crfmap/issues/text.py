"""The text report, for people at a terminal: the counts first (per sheet in the workbook's tab order, per issue
code), then the issues grouped by sheet and ordered by row, each wrapped to the width given, in the site's
words (tab names and header texts; mapping ids only when verbose). `render_issue` is the one-line form used
for errors that stop a run and for mapping checks.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue
from crfmap.issues.packed import IssueKind
from crfmap.issues.report import Report

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_NOUNS = {Severity.ERROR: "error(s)", Severity.WARNING: "warning(s)", Severity.INFO: "note(s)"}
INDENT = "    "


def render_issue(issue: Issue, *, colour: bool = False) -> str:
    """`file.xlsx › AE!D14: error S104 value-not-in-codelist: … (column "AE term", subject 01-007). Hint: …`"""
    severity = _severity(issue, colour)
    column = issue.header or issue.column
    context = [f'column "{column}"'] if column and column not in issue.message else []
    if issue.subject and issue.subject not in issue.message:
        context.append(f"subject {issue.subject}")
    text = f"{severity} {issue.code} {issue.slug}: {issue.message}"
    if issue.where:  # a run's refusal (an unreachable cluster) has no place in a file to start from
        text = f"{issue.where}: {text}"
    if context:
        text += f" ({', '.join(context)})"
    if issue.hint:
        text += f". Hint: {issue.hint}"
    return text


def render_report(report: Report, *, redact: bool = False, colour: bool = False, width: int = 100,
                  verbose: bool = False, quiet: bool = False, show_info: bool = True) -> Iterator[str]:
    """The whole text report. `quiet`: the counts only. `verbose`: also the run header, the mapping's form and
    column names, and other cells involved."""
    if verbose and report.run is not None:
        for label, text in report.run.rows():
            yield f"{label + ':':<17}{text}"
        yield ""
    yield from render_summary(report, colour=colour)
    if quiet:  # the counts come from the tally: no issue is read back, sorted or worded
        return
    shown = [issue for issue in report.presented(redact=redact) if show_info or issue.severity is not Severity.INFO]
    for title, group in _groups(report, shown):
        yield ""
        yield _rule(title, group, width, colour)
        for issue in group:
            yield from _render_entry(issue, width, colour, verbose)
    if shown:
        yield ""
        yield _totals(report)


def render_concise(report: Report, *, redact: bool = False, colour: bool = False) -> Iterator[str]:
    """One line per issue, unwrapped, for logs and grep (`file › Sheet!D14: error S104 slug: message …`), then
    the totals and the counts per sheet."""
    for issue in report.presented(redact=redact):
        yield render_issue(issue, colour=colour)
    yield ""
    yield _totals(report).split(": ", 1)[-1] if report.run is not None else _totals(report)
    counts: dict[str, Counter[str]] = {}
    for kind, count in report.tally().items():
        counts.setdefault(kind.sheet or _outside(kind), Counter())[kind.severity.value] += count
    for name in [*_outside_names(report), *report.sheet_order()]:
        if name in counts:
            yield f"  {name}: " + ", ".join(f"{count} {severity}" for severity, count in sorted(counts[name].items()))


def render_summary(report: Report, *, colour: bool = False) -> Iterator[str]:
    """The counts: the whole run, then per sheet (tab order) and per issue code."""
    yield _totals(report)
    tally = report.tally()
    by_sheet: dict[str, Counter[Severity]] = {}
    for kind, count in tally.items():
        by_sheet.setdefault(kind.sheet or _outside(kind), Counter())[kind.severity] += count
    if not by_sheet:
        return
    order = [name for name in [*_outside_names(report), *report.sheet_order()] if name in by_sheet]
    name_width = max(12, *(len(name) for name in order))
    yield ""
    yield f"  {'sheet':<{name_width}}  errors  warnings  notes"
    for name in order:
        counts = by_sheet[name]
        yield (f"  {name:<{name_width}}  {counts[Severity.ERROR]:>6}  {counts[Severity.WARNING]:>8}  "
               f"{counts[Severity.INFO]:>5}")
    by_code: dict[str, tuple[str, int, set[str]]] = {}  # code → the slug of its first issue, count, severities
    for kind, count in tally.items():  # in the order each kind was first found
        slug, total, severities = by_code.get(kind.code, (kind.slug, 0, set()))
        by_code[kind.code] = (slug, total + count, severities | {kind.severity.value})
    code_width = max(len(f"{code} {slug}") for code, (slug, _, _) in by_code.items())
    yield ""
    yield f"  {'issue':<{code_width}}  count  severity"
    for code in sorted(by_code):
        slug, count, severities = by_code[code]
        label = f"{code} {slug}"
        yield f"  {label:<{code_width}}  {count:>5}  {', '.join(sorted(severities))}"


def render_coverage(accounts: Iterable) -> Iterator[str]:
    """Where every non-empty cell went, per sheet."""
    yield "Coverage (non-empty cells): sheet › form: total = header + mapped + ignored + unmapped"
    for account in accounts:
        line = (f"  {account.sheet} › {account.form or '(no form)'}: {account.non_empty} = {account.header} + "
                f"{account.mapped} + {account.ignored} + {account.unmapped}")
        if account.unaccounted:
            line += f"  ({account.unaccounted} unaccounted)"
        yield line


# ── pieces ────────────────────────────────────────────────────────────────────────────────────────────

def _totals(report: Report) -> str:
    summary = report.summary()
    name = f"{report.run.input_name}: " if report.run is not None else ""
    text = (f"{name}{summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} note(s)"
            + (f" in {summary['rows_read']} row(s)" if "rows_read" in summary else ""))
    if summary["waived"]:
        text += f"; {summary['waived']} waived (shown as notes)"
    return text


def _outside(issue: Issue | IssueKind) -> str:
    """The group of an issue that has no sheet: the mapping or waivers file, or the input as a whole."""
    return issue.file or "(run)"


def _outside_names(report: Report) -> list[str]:
    return sorted({_outside(kind) for kind in report.tally() if kind.sheet is None})


def _groups(report: Report, issues: list[Issue]) -> Iterator[tuple[str, list[Issue]]]:
    grouped: dict[str, list[Issue]] = {}
    for issue in issues:
        grouped.setdefault(issue.sheet or _outside(issue), []).append(issue)
    order = [*_outside_names(report), *report.sheet_order()]
    for name in dict.fromkeys(order):
        if name in grouped:
            yield name, grouped[name]


def _rule(title: str, group: list[Issue], width: int, colour: bool) -> str:
    counts = Counter(issue.severity for issue in group)
    parts = ", ".join(f"{counts[severity]} {_NOUNS[severity]}" for severity in _NOUNS if counts[severity])
    text = f"── {title} · {parts} "
    text += "─" * max(3, width - len(text))
    if colour:
        import click

        return click.style(text, bold=True)
    return text


def _render_entry(issue: Issue, width: int, colour: bool, verbose: bool) -> Iterator[str]:
    place = issue.where.split(" › ")[-1] if issue.sheet is not None or issue.item is not None else issue.where
    context = [issue.header or (issue.column if verbose else None),
               f"subject {issue.subject}" if issue.subject and issue.subject not in issue.message else None]
    plain = f"{place}  {_severity(issue, False)} {issue.code}"
    extra = " · ".join(part for part in context if part)
    heading = _wrap(f"{plain} {issue.slug}" + (f" · {extra}" if extra else ""), width, "", INDENT)
    if colour:  # coloured after wrapping: escape codes take no room on screen
        heading[0] = heading[0].replace(plain, f"{place}  {_severity(issue, True)} {issue.code}", 1)
    yield from heading
    yield from _wrap(_sentence(issue.message), width, INDENT, INDENT)
    if issue.hint:
        yield from _wrap(f"Hint: {issue.hint}", width, INDENT, INDENT)
    if issue.waived is not None:
        note = issue.waived
        where = f"{note.file}:{note.line}" if note.line is not None else note.file
        yield from _wrap(f"Waived ({note.severity.value}) by {note.by} on {note.date}: {note.reason} [{where}]",
                         width, INDENT, INDENT)
    if verbose:
        ids = [f"form {issue.form}" if issue.form else "", f"column {issue.column}" if issue.column else "",
               f"also {', '.join(issue.related)}" if issue.related else ""]
        if any(ids):
            yield from _wrap("; ".join(part for part in ids if part), width, INDENT, INDENT)


def _severity(issue: Issue, colour: bool) -> str:
    text = "waived" if issue.waived is not None else issue.severity.value
    if not colour:
        return text
    import click

    return click.style(text, fg=_COLOURS[issue.severity], bold=issue.severity is Severity.ERROR)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    width = max(40, width)
    # A printable text has no whitespace but the plain space: if it fits on one line, that line is what textwrap
    # would give (trailing spaces dropped), without its chunking on each of the thousands of short report lines.
    line = text.rstrip(" ")
    if line.strip(" ") and len(first) + len(line) <= width and text.isprintable():
        return [first + line]
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]
