"""A streaming xlsx reader: zipfile + lxml iterparse over each sheet's XML, one row in memory at a time.

Merged ranges are stored after the cell data in a sheet's XML, so merged-cell warnings (R013) are emitted
when a sheet's iteration ends, and `sheets()` lists a sheet's merged ranges once it has been read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Self

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.archive import GuardedArchive
from crfmap.readers.base import InputFormat, IssueSink, ReadOptions
from crfmap.readers.excel_dates import DateKind, convert_serial
from crfmap.readers.row_guard import CellsPerRow
from crfmap.readers.safe_xml import iterate_part, local_name, open_part, release_before
from crfmap.readers.sheet_names import identify_sheets
from crfmap.readers.xlsx_parts import (
    SheetEntry,
    decode_escapes,
    join_text,
    parse_int,
    read_date_styles,
    read_layout,
    read_shared_strings,
)
from crfmap.sources import EXCEL_ERROR, FlawedText, RawValue, Row, SheetInfo, column_letters

DIGITS = "0123456789"
RELEASE_EVERY = 512  # rows cleared one by one, their emptied elements removed in batches
RANGE_REFERENCE = re.compile(r"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?$")


class XlsxWorkbook:
    format = "xlsx"
    typed_cells = True  # numbers, booleans and dates arrive typed, as Excel stored them

    def __init__(self, path: Path, options: ReadOptions, sink: IssueSink) -> None:
        self.path = path
        self.name = path.name
        self.options = options
        self.sink = sink
        self.archive = GuardedArchive(path, options.limits)
        try:
            layout = read_layout(self.archive)
            self.date1904 = layout.date1904
            names, collisions = identify_sheets([entry.name for entry in layout.sheets], self.name,
                                                lambda index: f"sheet {index + 1}")
            self.entries = {name.name: replace(entry, name=name.name) for name, entry in zip(names, layout.sheets)}
            self.written_names = {name.name: name.written for name in names}
            self.strings = read_shared_strings(self.archive, layout.shared_strings)
            self.date_kinds = read_date_styles(self.archive, layout.styles)
        except FatalIssue:
            self.archive.close()
            raise
        except MemoryError:
            self.archive.close()
            raise self.out_of_memory("its shared texts or styles need more memory than is available") from None
        self.infos: dict[str, SheetInfo] = {}
        for issue in collisions:
            sink(issue)

    def sheets(self) -> list[SheetInfo]:
        return [self.sheet_info(name) for name in self.entries]

    def sheet_info(self, name: str) -> SheetInfo:
        if name not in self.infos:
            try:
                self.infos[name] = self.scan_sheet_head(self.entries[name])
            except MemoryError:
                raise self.out_of_memory(f"sheet {name!r} needs more memory than is available") from None
        return self.infos[name]

    def out_of_memory(self, detail: str) -> FatalIssue:
        """lxml keeps elements the reader does not stream (anything outside rows): junk can exhaust memory."""
        return FatalIssue(make_issue("R007", file=self.name, detail=detail))

    def scan_sheet_head(self, entry: SheetEntry) -> SheetInfo:
        """Dimension and hidden columns come before the cell data: read only that far."""
        dimension = None
        hidden: set[int] = set()
        for _event, element in iterate_part(self.archive, entry.member, events=("start",)):
            name = local_name(element.tag)
            if name == "sheetData":
                break
            if name == "dimension":
                dimension = element.get("ref")
            elif name == "col" and element.get("hidden", "0").lower() in ("1", "true"):
                first, last = parse_int(element.get("min"), 0), parse_int(element.get("max"), 0)
                # Whole-sheet spans (min=1 max=16384) are common; keep only what fits the limit.
                hidden.update(range(max(first, 1), min(last, self.options.limits.max_columns) + 1))
        return SheetInfo(name=entry.name, index=entry.index, hidden=entry.hidden,
                         hidden_columns=frozenset(hidden), dimension=dimension,
                         written_name=self.written_names.get(entry.name))

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        if sheet not in self.entries:
            raise KeyError(sheet)
        info = self.sheet_info(sheet)
        if info.hidden:
            self.sink(make_issue("R011", file=self.name, sheet=sheet))
        reader = SheetReader(self, info)
        try:
            yield from reader.read_rows(self.entries[sheet].member)
        except MemoryError:
            raise self.out_of_memory(f"sheet {sheet!r} needs more memory than is available") from None
        merged = tuple(reader.merged)
        self.infos[sheet] = replace(info, merged=merged)
        reader.report_merged(merged)

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SheetReader:
    """The state of one pass over a sheet: positions, bounds of the data, issues already raised."""

    def __init__(self, workbook: XlsxWorkbook, info: SheetInfo) -> None:
        self.workbook = workbook
        self.info = info
        self.limits = workbook.options.limits
        self.merged: list[str] = []
        self.hidden_reported: set[int] = set()
        self.bounds: list[int] | None = None  # first row, last row, first column, last column with data

    def read_rows(self, member: str) -> Iterator[Row]:
        """Rows with values; empty rows (a million formatted ones, say) cost one check each."""
        number = 0
        handled = 0
        guard = CellsPerRow(self.limits.max_columns, self.row_too_wide)
        with open_part(self.workbook.archive, member, tag=("{*}row", "{*}mergeCell"), watch=guard) as context:
            for _event, element in context:
                cells = None
                if element.tag[-3:] == "row":
                    reference = element.get("r")
                    previous = number
                    number = parse_row_number(reference, number) if reference else number + 1
                    if number <= previous:
                        self.refuse_row_order(number, previous)
                    cells = self.read_cells(element, number) if len(element) else None
                else:
                    self.merged.append(element.get("ref", ""))
                element.clear()
                handled += 1
                if handled % RELEASE_EVERY == 0:
                    release_before(element)
                if cells:
                    yield Row(number=number, cells=cells)

    def refuse_row_order(self, number: int, previous: int) -> None:
        """Excel writes each row once, in ascending order: a row given again, out of order or numbered below 1
        would put two values in one cell or a value nowhere, so the sheet is refused as damaged."""
        what = f"row number {number}" if number < 1 else f"row {number} after row {previous}"
        raise FatalIssue(make_issue("R006", file=self.workbook.name, sheet=self.info.name, detail=(
            f"sheet {self.info.name!r} gives {what}: its rows repeat, go backwards or are misnumbered")))

    def refuse_cell_outside_row(self, reference: str, number: int) -> None:
        raise FatalIssue(make_issue("R006", file=self.workbook.name, sheet=self.info.name, row=number, detail=(
            f"sheet {self.info.name!r} holds cell {reference!r} inside row {number}: a cell of another row")))

    def row_too_wide(self, rows_before: int) -> FatalIssue:
        limit = self.limits.max_columns
        return FatalIssue(make_issue("R007", file=self.workbook.name, sheet=self.info.name, detail=(
            f"a row of sheet {self.info.name!r} (about row {rows_before + 1:,}) holds more than {limit:,} cells, "
            f"Excel's most; it was not read, so that it cannot exhaust the memory")))

    def read_cells(self, row: object, number: int) -> dict[int, RawValue]:
        """The hot loop: C-level lookups (findtext) and a column cache keep the cost per cell small."""
        if number > self.limits.max_rows:
            self.raise_too_large(number, 1, f"sheet {self.info.name!r} has data in row {number:,}, beyond "
                                 f"the limit of {self.limits.max_rows:,} rows")
        namespace = row.tag[:-3]  # type: ignore[attr-defined]  # "{…main}row" → "{…main}"
        value_tag = namespace + "v"
        inline_tag, inline_text_tag = namespace + "is", namespace + "t"
        cells: dict[int, RawValue] = {}
        column = 0
        columns = COLUMNS_BY_LETTERS
        strings = self.workbook.strings
        row_text = str(number)
        for cell in row:  # type: ignore[attr-defined]
            reference = cell.get("r")
            if reference:
                letters = reference.rstrip(DIGITS)
                column = columns.get(letters) or column_of(reference)
                if reference[len(letters):] != row_text:  # a cell of another row inside this one
                    self.refuse_cell_outside_row(reference, number)
            else:
                column += 1
            kind = cell.get("t")
            if kind == "inlineStr" and len(cell) == 1:  # openpyxl's strings: <is><t>text</t></is>, read directly
                inline = cell[0]
                if inline.tag == inline_tag and len(inline) == 1 and inline[0].tag == inline_text_tag:
                    inline_text = decode_escapes(inline[0].text or "")
                    if inline_text:
                        self.add_cell(cells, column, inline_text, number)
                    continue
            # cell[0] is the <v> of nearly every cell; findtext() costs five times more.
            if len(cell):
                first = cell[0]
                text = first.text if first.tag == value_tag else find_value_text(cell, value_tag)
            else:
                text = None
            if kind == "s" and text:
                try:
                    value: RawValue | None = strings[int(text)]
                except (ValueError, IndexError):
                    value = self.shared_string(text, number, column)
            elif not text:
                value = self.read_without_value(cell, kind, namespace, number, column)
            elif kind is None or kind == "n":
                value = self.convert_number(text, cell.get("s"))
            else:
                value = self.convert(kind, text)
            if value is None or value == "":
                continue
            self.add_cell(cells, column, value, number)
        if cells:
            self.check_columns(cells, number)
        return cells

    def add_cell(self, cells: dict[int, RawValue], column: int, value: RawValue, number: int) -> None:
        if column in cells:  # Excel never writes this; keeping either value would lose the other
            raise FatalIssue(make_issue(
                "R006", file=self.workbook.name, sheet=self.info.name, row=number,
                cell=f"{column_letters(column)}{number}",
                detail=f"sheet {self.info.name!r} gives cell {column_letters(column)}{number} twice"))
        cells[column] = value
        if isinstance(value, str) and len(value) > self.limits.max_cell_chars:
            self.raise_too_large(number, column, f"cell {column_letters(column)}{number} of sheet "
                                 f"{self.info.name!r} holds {len(value):,} characters, more than the "
                                 f"limit of {self.limits.max_cell_chars:,}", code="R016")

    def read_without_value(self, cell: object, kind: str | None, namespace: str, number: int,
                           column: int) -> RawValue | None:
        """Inline strings, empty values, and formulas whose result was never calculated (R009)."""
        if kind == "inlineStr":
            inline = cell.find(namespace + "is")  # type: ignore[attr-defined]
            return join_text(inline) if inline is not None else None
        formula = cell.find(namespace + "f")  # type: ignore[attr-defined]
        has_value = cell.find(namespace + "v") is not None  # type: ignore[attr-defined]
        # An empty <v/> after a formula (as openpyxl writes) is no cached value either, except for a
        # text formula whose result is the empty string.
        if formula is not None and (not has_value or kind != "str"):
            self.report_formula(formula.text or "(shared formula)", number, column)
        return None

    def check_columns(self, cells: dict[int, RawValue], number: int) -> None:
        last_column = max(cells)
        if last_column > self.limits.max_columns:
            self.raise_too_large(number, last_column, f"sheet {self.info.name!r} has data in column "
                                 f"{column_letters(last_column)}, beyond the limit of "
                                 f"{self.limits.max_columns:,} columns")
        self.extend_bounds(number, min(cells), last_column)
        hidden = self.info.hidden_columns
        if hidden:
            for column in hidden.intersection(cells).difference(self.hidden_reported):
                self.hidden_reported.add(column)
                self.workbook.sink(make_issue(
                    "R012", file=self.workbook.name, sheet=self.info.name, row=number,
                    cell=f"{column_letters(column)}{number}", column=column_letters(column)))

    def convert_number(self, text: str, style: str | None) -> RawValue:
        value = parse_number(text)
        if style is None or isinstance(value, str):
            return value
        date_kind = self.style_date_kind(style)
        if date_kind == DateKind.NONE:
            return value
        return convert_serial(value, date_kind, self.workbook.date1904)

    def convert(self, kind: str, text: str) -> RawValue:
        if kind == "str":
            return decode_escapes(text)  # a formula's text result
        if kind == "e":
            return FlawedText(text, EXCEL_ERROR)  # #N/A, #DIV/0!: shown as written, never taken as data
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            return parse_iso_date(text)
        return parse_number(text)

    def style_date_kind(self, style: str) -> int:
        kinds = self.workbook.date_kinds
        try:
            return kinds[int(style)]
        except (ValueError, IndexError):
            return DateKind.NONE

    def shared_string(self, text: str, number: int, column: int) -> str:
        strings = self.workbook.strings
        try:
            return strings[int(text)]
        except (ValueError, IndexError):
            raise FatalIssue(make_issue(
                "R006", file=self.workbook.name, sheet=self.info.name, row=number,
                cell=f"{column_letters(column)}{number}",
                detail=f"cell {column_letters(column)}{number} refers to shared text number {text}, "
                       f"which the workbook does not have")) from None

    def raise_too_large(self, number: int, column: int, detail: str, code: str = "R010") -> None:
        raise FatalIssue(make_issue(code, file=self.workbook.name, sheet=self.info.name, row=number,
                                    cell=f"{column_letters(column)}{number}", detail=detail))

    def extend_bounds(self, number: int, first_column: int, last_column: int) -> None:
        bounds = self.bounds
        if bounds is None:
            self.bounds = [number, number, first_column, last_column]
            return
        bounds[1] = number  # rows arrive in order
        bounds[2] = min(bounds[2], first_column)
        bounds[3] = max(bounds[3], last_column)

    def report_formula(self, formula: str, number: int, column: int) -> None:
        self.workbook.sink(make_issue("R009", file=self.workbook.name, sheet=self.info.name, row=number,
                                      cell=f"{column_letters(column)}{number}", detail=formula))

    def report_merged(self, merged: tuple[str, ...]) -> None:
        """One R013 per merged range that overlaps the area holding data."""
        if self.bounds is None:
            return
        first_row, last_row, first_column, last_column = self.bounds
        for reference in merged:
            corners = parse_range(reference)
            if corners is None:
                continue
            top, left, bottom, right = corners
            if top <= last_row and bottom >= first_row and left <= last_column and right >= first_column:
                self.workbook.sink(make_issue(
                    "R013", file=self.workbook.name, sheet=self.info.name, row=top,
                    cell=f"{column_letters(left)}{top}", detail=reference))


def parse_row_number(text: str | None, previous: int) -> int:
    if text is None:
        return previous + 1
    try:
        return int(text)
    except ValueError:
        return previous + 1


def find_value_text(cell: object, value_tag: str) -> str | None:
    """The <v> text of a cell whose first child is something else (a formula <f>, an inline <is>)."""
    for child in cell:  # type: ignore[attr-defined]
        if child.tag == value_tag:
            return child.text
    return None


COLUMNS_BY_LETTERS: dict[str, int] = {}


def column_of(reference: str) -> int:
    """The 1-based column of 'AB12'; cached by letters, since a sheet reuses a few columns."""
    letters = reference.rstrip(DIGITS)
    column = COLUMNS_BY_LETTERS.get(letters)
    if column is None:
        column = parse_column(letters, 0)
        if len(COLUMNS_BY_LETTERS) < 20_000:
            COLUMNS_BY_LETTERS[letters] = column
    return column


def parse_column(reference: str | None, previous: int) -> int:
    """The 1-based column of a cell reference like 'AB12'; the next column when there is none."""
    if not reference:
        return previous + 1
    column = 0
    for character in reference:
        if "A" <= character <= "Z":
            column = column * 26 + ord(character) - 64
        else:
            break
    return column or previous + 1


def parse_range(reference: str) -> tuple[int, int, int, int] | None:
    match = RANGE_REFERENCE.match(reference.replace("$", "").upper())
    if match is None:
        return None
    left, top = parse_column(match[1], 0), int(match[2])
    right = parse_column(match[3], 0) if match[3] else left
    bottom = int(match[4]) if match[4] else top
    return top, left, bottom, right


def parse_number(text: str) -> int | float | str:
    """Integral values become int; anything that is not a number is kept as its text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def parse_iso_date(text: str) -> date | datetime | str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.date() if "T" not in text and " " not in text else moment


def open_xlsx(path: Path, options: ReadOptions, sink: IssueSink) -> XlsxWorkbook:
    return XlsxWorkbook(path, options, sink)


ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive's end record


def sniff_xlsx(path: Path, head: bytes | None) -> bool:
    """Any zip archive: the reader itself refuses one that holds no workbook (R003), whatever its name."""
    return head is not None and head.startswith(ZIP_SIGNATURES)


XLSX = InputFormat("xlsx", "Excel workbook (.xlsx, .xlsm)", (".xlsx", ".xlsm"), sniff_xlsx, open_xlsx)
