"""The spreadsheet report, laid out the way data managers know from Pinnacle 21's validation reports:

- Summary: the run (crfmap, mapping, input with digests), the counts, and each sheet in tab order with its
  issues and where its cells went;
- Issue summary: one row per issue code (code, issue, severity, message, found);
- Details: one row per issue in reading order, its cell a hyperlink into the annotated copy (or the input);
- Rules: the whole catalogue of issue codes, so a reader can look up what a code means.

Every text from the workbook is written as inert text (never a formula); the same report gives the same bytes.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from crfmap.issues import CATALOGUE, Issue, Report
from crfmap.writers.atomic import atomic_file
from crfmap.writers.cells import neutralise_formula
from crfmap.writers.report.annotate import FIXED_TIME, quote_sheet, reproducible_package, sheet_titles

STAGES = {"P": "mapping folder", "R": "reading", "S": "validation", "M": "mapping", "W": "writing"}
DETAIL_COLUMNS = ("Sheet", "Cell", "Row", "Column", "Subject", "Severity", "Code", "Issue", "Message", "Value",
                  "Expected", "Hint", "Waived")


def write_spreadsheet_report(report: Report, target: Path, *, redact: bool = False,
                             linked_workbook: str | None = None) -> None:
    """Write the report to `target`. `linked_workbook` is the annotated copy (or the input) as a path relative
    to the report's folder: each issue's cell links to it."""
    from openpyxl import Workbook

    book = Workbook()
    issues = report.presented(redact=redact)
    _summary_sheet(book.active, report)
    _issue_summary_sheet(book.create_sheet("Issue summary"), issues)
    _details_sheet(book.create_sheet("Details"), issues, report, linked_workbook)
    _rules_sheet(book.create_sheet("Rules"))
    book.properties.created = FIXED_TIME
    book.properties.creator = "crfmap"
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_file(target) as stream:
        stream.write(reproducible_package(buffer.getvalue()))


def _bold_row(sheet: Any, row: int) -> None:
    from openpyxl.styles import Font

    for cell in sheet[row]:
        cell.font = Font(bold=True)


def _append(sheet: Any, values: tuple[Any, ...] | list[Any]) -> None:
    sheet.append([neutralise_formula(value) for value in values])


def _summary_sheet(sheet: Any, report: Report) -> None:
    sheet.title = "Summary"
    _append(sheet, ["crfmap validation report"])
    _bold_row(sheet, 1)
    if report.run is not None:
        for label, text in report.run.rows():
            _append(sheet, [label, text])
    summary = report.summary()
    sheet.append([])
    for label, key in (("errors", "errors"), ("warnings", "warnings"), ("notes", "infos"), ("waived", "waived"),
                       ("rows read", "rows_read")):
        if key in summary:
            sheet.append([label, summary[key]])
    sheet.append([])
    sheet.append(["Sheet (tab order)", "Form", "Errors", "Warnings", "Notes", "Cells", "Read", "Ignored",
                  "Read by no form"])
    _bold_row(sheet, sheet.max_row)
    counts = {name: Counter(found) for name, found in summary["by_sheet"].items()}
    coverage = {line.sheet: line for line in report.coverage}
    forms = {layout.name: layout.form for layout in report.sheets}
    for name in report.sheet_order():
        found, cells = counts.get(name, Counter()), coverage.get(name)
        figures = ([cells.non_empty, cells.mapped, cells.ignored, cells.unmapped] if cells is not None
                   else [None] * 4)
        _append(sheet, [name, forms.get(name) or (cells.form if cells is not None else None), found["error"],
                        found["warning"], found["info"], *figures])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 70


def _issue_summary_sheet(sheet: Any, issues: list[Issue]) -> None:
    sheet.append(["Code", "Issue", "Severity", "Message", "Found"])
    _bold_row(sheet, 1)
    by_code: dict[str, list[Issue]] = {}
    for issue in issues:
        by_code.setdefault(issue.code, []).append(issue)
    for code in sorted(by_code):
        found = by_code[code]
        entry = CATALOGUE[code]
        severities = ", ".join(sorted({_state(issue) for issue in found}))
        _append(sheet, [code, entry.slug, severities, entry.title, len(found)])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (8, 28, 16, 60, 8), strict=True):
        sheet.column_dimensions[letter].width = width


def _details_sheet(sheet: Any, issues: list[Issue], report: Report, linked_workbook: str | None) -> None:
    from openpyxl.styles import Font

    sheet.append(list(DETAIL_COLUMNS))
    _bold_row(sheet, 1)
    titles = sheet_titles([layout.name for layout in sorted(report.sheets, key=lambda layout: layout.index)])
    for row, issue in enumerate(issues, start=2):  # not sheet.max_row: openpyxl counts every cell to answer it
        waived = (f"{issue.waived.severity.value}; {issue.waived.by} {issue.waived.date}: {issue.waived.reason}"
                  if issue.waived is not None else None)
        _append(sheet, [issue.sheet if issue.sheet is not None else issue.where, issue.cell, issue.row,
                        issue.header or issue.column, issue.subject, _state(issue), issue.code, issue.slug,
                        issue.message, issue.value, issue.expected, issue.hint, waived])
        if linked_workbook and issue.sheet in titles and issue.cell:
            cell = sheet.cell(row=row, column=2)
            cell.hyperlink = f"{linked_workbook}#{quote_sheet(titles[issue.sheet or ''])}!{issue.cell}"
            cell.font = Font(color="0563C1", underline="single")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{chr(64 + len(DETAIL_COLUMNS))}{max(2, sheet.max_row)}"
    for letter, width in zip("ABCDEFGHIJKLM", (18, 8, 6, 22, 10, 10, 7, 24, 60, 24, 20, 50, 30), strict=True):
        sheet.column_dimensions[letter].width = width


def _rules_sheet(sheet: Any) -> None:
    sheet.append(["Code", "Issue", "Severity", "Stage", "Title", "Message", "Hint"])
    _bold_row(sheet, 1)
    for code in sorted(CATALOGUE):
        entry = CATALOGUE[code]
        _append(sheet, [entry.code, entry.slug, entry.severity.value, STAGES.get(code[0], ""), entry.title,
                        entry.template, entry.hint])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (8, 28, 9, 16, 40, 60, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def _state(issue: Issue) -> str:
    return f"waived {issue.waived.severity.value}" if issue.waived is not None else issue.severity.value
