"""The annotated copy: the cells crfmap read, with every cell that has an issue coloured and commented.

The copy is built from what crfmap's own reader read (never by opening the input with another library, which
would bypass the reader's safety checks), sheet by sheet in the workbook's tab order. Text is written as text,
so a cell that starts like a formula stays inert and exactly as the site typed it. An index sheet comes first,
"crfmap issues": every issue in reading order, each flagged cell a hyperlink to it, and the issues without a
cell (mapping, whole-sheet) too, so none is lost. Each tab is coloured by its worst issue. The input is never
touched; the copy is written atomically and byte-identically for the same input and issues.
"""

from __future__ import annotations

import errno
import gc
import io
import os
import re
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from crfmap.issues import Issue
from crfmap.issues.catalogue.entries import Severity
from crfmap.sources import RawValue, SheetInfo
from crfmap.writers.atomic import atomic_file
from crfmap.writers.cells import neutralise_formula

FILLS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C", Severity.INFO: "DDEBF7"}
TABS = {Severity.ERROR: "C00000", Severity.WARNING: "FFC000", Severity.INFO: "5B9BD5"}
INDEX_COLUMNS = ("cell", "severity", "code", "issue", "column", "subject", "message", "hint", "waived")
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
ISSUES_SHEET = "crfmap issues"
_NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")  # characters Excel refuses in a sheet name
_FORMATS = {datetime: "yyyy-mm-dd hh:mm:ss", date: "yyyy-mm-dd", time: "hh:mm:ss"}
FIXED_TIME = datetime(2000, 1, 1)  # document properties must not carry the wall clock
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def write_annotated_copy(sheets: list[SheetInfo], cells: Mapping[str, Mapping[tuple[int, int], RawValue]],
                         target: Path, issues: Iterable[Issue]) -> int:
    """Write `target` from the cells read and the issues (as the report presents them: in reading order, in the
    site's words, redacted if asked); returns how many cells were annotated."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = Workbook()
    index = book.active
    titles = sheet_titles([info.name for info in sheets])
    index.title = _unique(ISSUES_SHEET, set(titles.values()))
    for info in sheets:
        sheet = book.create_sheet(titles[info.name])
        if info.hidden:
            sheet.sheet_state = "hidden"
        for (row, column), value in sorted(cells.get(info.name, {}).items()):
            cell = sheet.cell(row=row, column=column)
            cell.value = escape_text(value) if isinstance(value, str) else value
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even "=…": nothing the site typed becomes a formula
            elif type(value) in _FORMATS:
                cell.number_format = _FORMATS[type(value)]
    listed = list(issues)
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for issue in listed:
        if issue.sheet is not None and issue.sheet in titles and issue.cell:
            by_cell[(titles[issue.sheet], issue.cell)].append(issue)
    worst_of_sheet: dict[str, Severity] = {}
    for (title, cell_name), found in by_cell.items():
        worst = min(found, key=lambda issue: _RANK[issue.severity]).severity
        current = worst_of_sheet.get(title)
        if current is None or _RANK[worst] < _RANK[current]:
            worst_of_sheet[title] = worst
        cell = book[title][cell_name]
        cell.fill = PatternFill("solid", start_color=FILLS[worst], end_color=FILLS[worst])
        text = "\n".join(_comment_line(issue) for issue in found)
        cell.comment = Comment(escape_text(text[:30000]), "crfmap", width=420, height=160)
    for title, worst in worst_of_sheet.items():
        book[title].sheet_properties.tabColor = TABS[worst]
    _fill_index(index, listed, titles)
    book.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    save_workbook(book, buffer)
    with atomic_file(target) as stream:
        stream.write(reproducible_package(buffer.getvalue()))
    return len(by_cell)


_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")


def escape_text(text: str) -> str:
    """Text as an xlsx stores what XML cannot hold (ECMA-376 Part 1, 22.9.2.19 ST_Xstring): a control character
    as `_x0007_`, a carriage return as `_x000D_`, and a literal `_x0041_` with its underscore escaped, so that
    Excel shows the cell exactly as crfmap read it (openpyxl refuses control characters as they are)."""
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    return _NOT_IN_XML.sub(lambda match: f"_x{ord(match[0]):04X}_", text)


def save_workbook(book: object, buffer: io.BytesIO) -> None:
    """openpyxl's save, with its disk failures as OSError: it writes each sheet to a temporary file first, and
    lxml reports a full disk or a file-size limit there as SerialisationError('IO_ENOSPC'), then once more from
    a generator being finalised (which Python would print as a traceback: it is the same failure)."""
    from lxml.etree import SerialisationError

    swallowed: list[object] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = swallowed.append
    failure = None
    try:
        book.save(buffer)  # type: ignore[attr-defined]
    except SerialisationError as problem:
        failure = str(problem)  # leaving this block frees the traceback that keeps the sheet streams alive
    finally:
        gc.collect()  # finalise openpyxl's half-written sheet streams while their noise is swallowed
        sys.unraisablehook = previous_hook
    if failure is not None:
        number = getattr(errno, failure.removeprefix("IO_"), errno.EIO)
        raise OSError(number, os.strerror(number))


def _comment_line(issue: Issue) -> str:
    state = "waived" if issue.waived is not None else issue.severity.value
    return f"{state} {issue.code} {issue.slug}: {issue.message}" + (f" Hint: {issue.hint}" if issue.hint else "")


def _fill_index(index: Any, issues: list[Issue], titles: Mapping[str, str]) -> None:
    """The first sheet: every issue in reading order, its cell a hyperlink into the copy."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    index.append(list(INDEX_COLUMNS))
    for cell in index[1]:
        cell.font = Font(bold=True)
    for row, issue in enumerate(issues, start=2):  # not index.max_row: openpyxl counts every cell to answer it
        linked = issue.sheet is not None and issue.sheet in titles and bool(issue.cell)
        place = f"{issue.sheet}!{issue.cell}" if linked else issue.where
        waived = (f"{issue.waived.severity.value}; {issue.waived.by} {issue.waived.date}: {issue.waived.reason}"
                  if issue.waived is not None else "")
        index.append([escape_text(neutralise_formula(value)) for value in
                      (place, "waived" if issue.waived is not None else issue.severity.value, issue.code,
                       issue.slug, issue.header or issue.column or "", issue.subject or "", issue.message,
                       issue.hint, waived)])
        if linked:
            cell = index.cell(row=row, column=1)
            location = f"{quote_sheet(titles[issue.sheet or ''])}!{issue.cell}"
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location)
            cell.font = Font(color="0563C1", underline="single")
    if len(issues) == 0:
        index.append(["no issues"])
    index.freeze_panes = "A2"
    index.auto_filter.ref = f"A1:{chr(64 + len(INDEX_COLUMNS))}{max(2, index.max_row)}"
    for letter, width in zip("ABCDEFGHI", (22, 9, 7, 26, 22, 10, 70, 50, 30), strict=True):
        index.column_dimensions[letter].width = width


def quote_sheet(title: str) -> str:
    """A sheet title as a formula or link reference names it: 'Терапия', 'Bone marrow' → quoted."""
    return "'" + title.replace("'", "''") + "'"


def reproducible_package(data: bytes) -> bytes:
    """The same xlsx with no wall clock in it: fixed zip entry times and a fixed modification time (openpyxl
    stamps both with the time of saving), so the same input and issues give the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + FIXED_TIME.isoformat().encode() + rb"Z\g<2>", content)
            entry = zipfile.ZipInfo(member.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            package.writestr(entry, content)
    return output.getvalue()


def sheet_titles(names: list[str]) -> dict[str, str]:
    """A valid, unique Excel sheet title for every sheet name (csv file names may hold anything)."""
    titles: dict[str, str] = {}
    for name in names:
        title = _NOT_IN_TITLES.sub("_", name).strip("'")[:31] or "Sheet"
        titles[name] = _unique(title, set(titles.values()))
    return titles


def _unique(title: str, taken: set[str]) -> str:
    lowered = {other.lower() for other in taken}
    candidate, number = title, 1
    while candidate.lower() in lowered:
        number += 1
        suffix = f" ({number})"
        candidate = title[:31 - len(suffix)] + suffix
    return candidate
