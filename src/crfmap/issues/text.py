"""The text report: one line per issue (where, severity, code, message, hint), then counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue
from crfmap.issues.report import Report

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_issue(issue: Issue, *, colour: bool = False) -> str:
    """`file.xlsx › AE!D14: error S104 value-not-in-codelist: … (column "AE term", subject 01-007). Hint: …`"""
    severity = issue.severity.value
    if colour:
        import click

        severity = click.style(severity, fg=_COLOURS[issue.severity], bold=issue.severity is Severity.ERROR)
    context = [f'column "{issue.column}"'] if issue.column and issue.column not in issue.message else []
    if issue.subject and issue.subject not in issue.message:
        context.append(f"subject {issue.subject}")
    text = f"{issue.where}: {severity} {issue.code} {issue.slug}: {issue.message}"
    if context:
        text += f" ({', '.join(context)})"
    if issue.hint:
        text += f". Hint: {issue.hint}"
    return text


def render_report(report: Report, *, redact: bool = False, colour: bool = False,
                  show_info: bool = True) -> Iterator[str]:
    for issue in report.presented(redact=redact):
        if issue.severity is Severity.INFO and not show_info:
            continue
        yield render_issue(issue, colour=colour)
    yield from render_summary(report)


def render_summary(report: Report) -> Iterator[str]:
    summary = report.summary()
    yield ""
    yield (f"{summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} note(s)"
           + (f" in {summary['rows_read']} row(s)" if "rows_read" in summary else ""))
    for form, counts in summary["by_form"].items():
        parts = ", ".join(f"{count} {severity}" for severity, count in counts.items())
        yield f"  {form}: {parts}"


def render_coverage(accounts: Iterable) -> Iterator[str]:
    """Where every non-empty cell went, per sheet."""
    yield "Coverage (non-empty cells): sheet › form: total = header + mapped + ignored + unmapped"
    for account in accounts:
        line = (f"  {account.sheet} › {account.form or '(no form)'}: {account.non_empty} = {account.header} + "
                f"{account.mapped} + {account.ignored} + {account.unmapped}")
        if account.unaccounted:
            line += f"  ({account.unaccounted} unaccounted)"
        yield line
