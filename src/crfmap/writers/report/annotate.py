"""The annotated copy: the site's workbook with every cell that has an issue coloured and commented.

The input is never modified; the copy is written atomically. Comments quote crfmap's message, never a
formula: nothing here writes cell values except when a csv is turned into a workbook, and then text that
starts like a formula is neutralised.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from crfmap.issues import Issue, Report, redact_issue
from crfmap.issues.catalogue.entries import Severity
from crfmap.writers.atomic import atomic_file
from crfmap.writers.cells import neutralise_formula

FILLS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C", Severity.INFO: "DDEBF7"}
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def write_annotated_copy(source: Path, target: Path, report: Report, *, redact: bool = False,
                         rows: dict[str, list[list[object]]] | None = None) -> int:
    """Write `target`, a copy of `source` (or of `rows`, for csv input) with the issues marked.

    Returns how many cells were annotated. Issues without a cell (mapping, whole-sheet) are listed on an
    added sheet "crfmap issues" so none is lost.
    """
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if rows is None:
        book = load_workbook(source)
    else:
        book = Workbook()
        book.remove(book.active)
        for name, sheet_rows in rows.items():
            sheet = book.create_sheet(name[:31])
            for row in sheet_rows:
                sheet.append([neutralise_formula(value) for value in row])
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    loose: list[Issue] = []
    for issue in report.sorted():
        issue = redact_issue(issue) if redact else issue
        if issue.sheet is not None and issue.sheet in book.sheetnames and issue.cell:
            by_cell[(issue.sheet, issue.cell)].append(issue)
        else:
            loose.append(issue)
    for (sheet_name, cell_name), issues in by_cell.items():
        worst = min(issues, key=lambda issue: _RANK[issue.severity]).severity
        cell = book[sheet_name][cell_name]
        cell.fill = PatternFill("solid", start_color=FILLS[worst], end_color=FILLS[worst])
        text = "\n".join(f"{issue.severity.value} {issue.code} {issue.slug}: {issue.message}"
                         + (f" Hint: {issue.hint}" if issue.hint else "") for issue in issues)
        cell.comment = Comment(text[:30000], "crfmap", width=420, height=160)
    if loose:
        sheet = book.create_sheet("crfmap issues")
        sheet.append(["severity", "code", "slug", "where", "message", "hint"])
        for issue in loose:
            sheet.append([neutralise_formula(value) for value in
                          (issue.severity.value, issue.code, issue.slug, issue.where, issue.message, issue.hint)])
    with atomic_file(target) as stream:
        book.save(stream)
    return len(by_cell)
