"""The HTML report: one self-contained page a data manager works through in a browser.

A run header (crfmap, mapping and input with their digests; the time only when asked), the counts by severity,
sheet (tab order) and code with each sheet's coverage, then every issue in one table that can be sorted by any
column and filtered by sheet (per-sheet views, linkable as #sheet=<name>), severity, code and text. The page
works without its script (all issues shown, in reading order) and prints without its controls. Nothing is
fetched: the Content-Security-Policy admits only the page's own style and script, by digest. Every text from
the workbook is escaped. Same report → same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import Path

from crfmap.issues import Issue, Report, Severity
from crfmap.writers.atomic import atomic_file
from crfmap.writers.report.html_assets import SCRIPT, STYLE

_RANK = {"error": 0, "warning": 1, "info": 2, "waived": 3}
COLUMNS = ("Sheet", "Cell", "Severity", "Code", "Column", "Subject", "Value", "Expected", "Issue")


def write_html_report(report: Report, target: Path, *, redact: bool = False,
                      downloads: Sequence[tuple[str, str]] = ()) -> None:
    with atomic_file(target) as stream:
        stream.write(render_html_report(report, redact=redact, downloads=downloads).encode("utf-8"))


def render_html_report(report: Report, *, redact: bool = False, downloads: Sequence[tuple[str, str]] = ()) -> str:
    """The page as text. `downloads` are (label, relative link) pairs shown under the title (crfmap serve)."""
    issues = report.presented(redact=redact)
    name = report.run.input_name if report.run is not None else "workbook"
    policy = content_policy(STYLE, SCRIPT)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>crfmap report: {_e(name)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        '<a class="skip" href="#issues">Skip to the issues</a>',
        "<header>",
        f"<h1>crfmap report: {_e(name)}</h1>",
        f'<p class="totals">{_e(_totals(report))}</p>',
        *_downloads(downloads),
        *_run_table(report),
        "</header>",
        "<main>",
        *_summary(report),
        *_issue_section(report, issues),
        "</main>",
        ("<footer>Made by crfmap. Cell values are the site's own data: share this report as you would the "
         "workbook.</footer>"),
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def content_policy(style: str, script: str, *, form_action: str = "'none'") -> str:
    """Nothing may load but this style and this script (by digest): no network, no injected code."""
    return (f"default-src 'none'; style-src '{_digest(style)}'; script-src '{_digest(script)}'; img-src data:; "
            f"base-uri 'none'; form-action {form_action}")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _totals(report: Report) -> str:
    summary = report.summary()
    text = f"{summary['errors']} errors, {summary['warnings']} warnings, {summary['infos']} notes"
    if "rows_read" in summary:
        text += f" in {summary['rows_read']} rows"
    if summary["waived"]:
        text += f"; {summary['waived']} waived (counted as notes)"
    return text


def _downloads(downloads: Sequence[tuple[str, str]]) -> list[str]:
    if not downloads:
        return []
    items = "".join(f'<li><a href="{_e(link)}"' + (" download" if "." in link.rsplit("/", 1)[-1] else "")
                    + f">{_e(label)}</a></li>" for label, link in downloads)
    return [f'<nav class="downloads" aria-label="Downloads"><ul>{items}</ul></nav>']


def _run_table(report: Report) -> list[str]:
    if report.run is None:
        return []
    rows = "".join(f'<tr><th scope="row">{_e(label)}</th><td>{_e(text)}</td></tr>'
                   for label, text in report.run.rows())
    return [f'<table class="run" aria-label="Run">{rows}</table>']


def _summary(report: Report) -> list[str]:
    summary = report.summary()
    cards = [("errors", summary["errors"]), ("warnings", summary["warnings"]), ("notes", summary["infos"]),
             ("waived", summary["waived"])]
    if "rows_read" in summary:
        cards.append(("rows read", summary["rows_read"]))
    card_items = "".join(f"<li><strong>{count:,}</strong>{_e(label)}</li>" for label, count in cards)
    return ['<section aria-labelledby="summary-title">', '<h2 id="summary-title">Summary</h2>',
            f'<ul class="cards">{card_items}</ul>', '<div class="summary-tables">', *_sheet_table(report),
            *_code_table(report), "</div>", "</section>"]


def _sheet_table(report: Report) -> list[str]:
    counts = {sheet: Counter(found) for sheet, found in report.summary()["by_sheet"].items()}
    coverage = {line.sheet: line for line in report.coverage}
    forms = {layout.name: layout.form for layout in report.sheets}
    rows = []
    for sheet in report.sheet_order():
        found, cells = counts.get(sheet, Counter()), coverage.get(sheet)
        figures = ("".join(f'<td class="n">{value:,}</td>' for value in
                           (cells.non_empty, cells.mapped, cells.ignored, cells.unmapped))
                   if cells is not None else '<td class="n">–</td>' * 4)
        link = f'<a href="#sheet={_e(_fragment(sheet))}">{_e(sheet)}</a>' if sheet in counts else _e(sheet)
        form = forms.get(sheet) or (cells.form if cells is not None else None)
        rows.append(f'<tr><th scope="row">{link}</th><td>{_e(form or "")}</td>'
                    f'<td class="n">{found["error"]}</td><td class="n">{found["warning"]}</td>'
                    f'<td class="n">{found["info"]}</td>{figures}</tr>')
    head = ("<tr><th scope=\"col\">Sheet (tab order)</th><th scope=\"col\">Form</th>"
            + "".join(f'<th scope="col" class="n">{label}</th>' for label in
                      ("Errors", "Warnings", "Notes", "Cells", "Read", "Ignored", "Read by no form")) + "</tr>")
    return [('<div class="table-wrap"><table class="grid"><caption>By sheet, with where every non-empty cell went'
             f"</caption><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>")]


def _code_table(report: Report) -> list[str]:
    by_code: dict[str, list[Issue]] = {}
    for issue in report.issues:
        by_code.setdefault(issue.code, []).append(issue)
    rows = []
    for code in sorted(by_code):
        found = by_code[code]
        severities = ", ".join(sorted({_state(issue) for issue in found}, key=_RANK.__getitem__))
        rows.append(f"<tr><td><code>{_e(code)}</code></td><td>{_e(found[0].slug)}</td><td>{_e(severities)}</td>"
                    f'<td class="n">{len(found)}</td></tr>')
    head = ('<tr><th scope="col">Code</th><th scope="col">Issue</th><th scope="col">Severity</th>'
            '<th scope="col" class="n">Count</th></tr>')
    return ['<div class="table-wrap"><table class="grid"><caption>By issue code</caption>',
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"]


def _issue_section(report: Report, issues: list[Issue]) -> list[str]:
    sheets = [sheet for sheet in report.sheet_order() if any(issue.sheet == sheet for issue in issues)]
    views = [f'<button type="button" data-view="" aria-pressed="true">All sheets ({len(issues)})</button>']
    views += [f'<button type="button" data-view="{_e(sheet)}" aria-pressed="false">{_e(sheet)} '
              f"({sum(issue.sheet == sheet for issue in issues)})</button>" for sheet in sheets]
    codes = sorted({issue.code for issue in issues})
    controls = [
        '<div class="controls" role="search" aria-label="Filter the issues">',
        '<label for="f-severity">Severity<select id="f-severity"><option value="">All</option>'
        + "".join(f'<option value="{value}">{label}</option>' for value, label in
                  (("error", "errors"), ("warning", "warnings"), ("info", "notes"), ("waived", "waived")))
        + "</select></label>",
        '<label for="f-code">Code<select id="f-code"><option value="">All</option>'
        + "".join(f'<option value="{_e(code)}">{_e(code)}</option>' for code in codes) + "</select></label>",
        '<label for="f-text">Search<input id="f-text" type="search" autocomplete="off"></label>',
        '<button type="button" id="f-reset">Clear filters</button>',
        "</div>",
    ]
    head = "".join(f'<th scope="col" aria-sort="none"><button type="button">{label}</button></th>'
                   for label in COLUMNS)
    tabs = {name: index for index, name in enumerate(report.sheet_order())}
    body = [_issue_row(issue, number, tabs) for number, issue in enumerate(issues)]
    if not body:
        body = [f'<tr><td colspan="{len(COLUMNS)}">No issues.</td></tr>']
    return ['<section id="issues" aria-labelledby="issues-title">', '<h2 id="issues-title">Issues</h2>',
            '<nav class="views" aria-label="Sheet views">', *views, "</nav>", *controls,
            f'<p id="shown" role="status" aria-live="polite">{len(issues)} of {len(issues)} issues shown</p>',
            '<div class="table-wrap">',
            ('<table class="grid issues" id="issue-table"><caption>Issues in reading order: by sheet in tab order, '
             "then by row. Select a column title to sort.</caption>"),
            f"<thead><tr>{head}</tr></thead>", "<tbody>", *body, "</tbody></table></div>", "</section>"]


def _issue_row(issue: Issue, number: int, tabs: dict[str, int]) -> str:
    state = _state(issue)
    where = issue.sheet if issue.sheet is not None else (issue.file or "")
    position = issue.cell or (f"line {issue.line}" if issue.line is not None else issue.item or "")
    sheet_key = f"{tabs.get(issue.sheet or '', -1) + 1:04d}.{number:06d}"
    cell_key = f"{issue.row or 0:08d}.{number:06d}"
    message = f'<span class="msg-text">{_e(issue.message)}</span>'
    if issue.hint:
        message += f'<span class="hint">Hint: {_e(issue.hint)}</span>'
    if issue.waived is not None:
        note = issue.waived
        message += (f'<span class="waiver">Waived ({_e(note.severity.value)}) by {_e(note.by)} on '
                    f"{_e(note.date)}: {_e(note.reason)}</span>")
    cells = [
        ("Sheet", _e(where), sheet_key),
        ("Cell", _e(position), cell_key),
        ("Severity", f'<span class="sev sev-{state}">{_e(_label(issue))}</span>', f"{_RANK[state]}.{number:06d}"),
        ("Code", f"<code>{_e(issue.code)}</code> {_e(issue.slug)}", None),
        ("Column", _e(issue.header or issue.column or ""), None),
        ("Subject", _e(issue.subject or ""), None),
        ("Value", f'<span class="value">{_e(issue.value)}</span>' if issue.value else "", None),
        ("Expected", _e(issue.expected or ""), None),
    ]
    rendered = "".join(f'<td data-label="{label}"' + (f' data-key="{key}"' if key else "") + f">{content}</td>"
                       for label, content, key in cells)
    rendered += f'<td data-label="Issue" class="msg">{message}</td>'
    return (f'<tr data-sheet="{_e(issue.sheet or "")}" data-severity="{state}" data-code="{_e(issue.code)}">'
            f"{rendered}</tr>")


def _state(issue: Issue) -> str:
    return "waived" if issue.waived is not None else issue.severity.value


def _label(issue: Issue) -> str:
    if issue.waived is not None:
        return f"waived {issue.waived.severity.value}"
    return {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}[issue.severity]


def _fragment(sheet: str) -> str:
    from urllib.parse import quote

    return quote(sheet, safe="")
