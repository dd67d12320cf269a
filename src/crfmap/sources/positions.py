"""Where input values come from: positions, raw rows, and the table interface every reader provides.

A position is a spreadsheet cell (file, sheet, 1-based row and column) and, for exports that are not grids
(CDISC ODM, REDCap), also the format's own path to the value and its line, so that every report, annotation
and provenance can name it the way a user of that format does. Nothing here imports the rest of crfmap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Self, TypeVar

from crfmap.sources.slots import slot_setters

KeptValue = TypeVar("KeptValue")


class FlawedText(str):
    """A cell's text that a reader hands on but that is not data: `flaw` says why.

    "excel-error": an Excel error value (`#DIV/0!`, `#N/A`, `#REF!`: a formula that failed), stored by Excel as
    a cell of type error. "undecodable": text in which bytes the file's encoding cannot decode stand as U+FFFD.
    Everything that only shows or counts cells (coverage, the annotated copy, S301) sees the text as it is;
    validation reports the cell (S150, R018) and never takes it as a value, so it reaches no output.
    """

    flaw: str
    detail: str  # e.g. the encoding the bytes were not valid in

    def __new__(cls, text: str, flaw: str, detail: str = "") -> Self:
        instance = super().__new__(cls, text)
        instance.flaw = flaw
        instance.detail = detail
        return instance

    def __reduce__(self) -> tuple[type[FlawedText], tuple[str, str, str]]:
        # pickled by value with its flaw (a partition's rows travel between processes: api.partitions)
        return (FlawedText, (str(self), self.flaw, self.detail))


EXCEL_ERROR = "excel-error"
UNDECODABLE = "undecodable"

# What a raw cell may hold. Numbers stay numbers (int for integral values where the format knows it);
# xlsx readers convert date-formatted numbers to date/datetime; text formats give str only.
RawValue = str | int | float | bool | date | datetime | time


@lru_cache(maxsize=4096)  # every position written (issues, FHIR source cells) asks
def column_letters(column: int) -> str:
    """1-based column number to Excel letters: 1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True, order=True)
class SourceCell:
    """One input value's position: file name (no directories), table (sheet), 1-based row and column.

    `item` is the format's own path to the value, outermost first, for exports whose users do not think in
    cells: ("SubjectKey 01-001", "StudyEventOID SE.BASE[1]", "FormOID F.AE", "ItemGroupOID IG.AE[2]",
    "ItemOID I.AETERM") for ODM, ("record 7", "event baseline_arm_1", "instrument ae", "instance 2",
    "field aeterm") for REDCap. `line` is the 1-based line of a text source (XML) when known.
    """

    file: str
    sheet: str
    row: int
    column: int
    item: tuple[str, ...] = ()
    line: int | None = None

    @property
    def a1(self) -> str:
        return f"{column_letters(self.column)}{self.row}"

    @property
    def item_path(self) -> str | None:
        """The format's own name for the position ('record 7 › field aeterm'), if it has one."""
        return " › ".join(self.item) if self.item else None

    def __str__(self) -> str:
        return self.item_path or f"{self.sheet}!{self.a1}"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table: its 1-based number and its non-empty cells by 1-based column number.

    Empty cells (None, '') are absent from `cells`; whitespace-only strings are kept: whitespace is a value
    the validator reports. Rows with no cells are not yielded at all. `items` gives a non-grid reader's own
    path per column (see SourceCell.item) and `line` the row's line in a text source; `lines` gives a cell's
    own line where the cells of one row stand on different lines (ODM: one ItemData per line).
    """

    number: int
    cells: dict[int, RawValue]
    items: dict[int, tuple[str, ...]] | None = None
    line: int | None = None
    lines: dict[int, int] | None = None

    def source(self, file: str, sheet: str, column: int) -> SourceCell:
        """The position of the cell in `column`, with the format's own path and line when it has them."""
        if self.items is None and self.lines is None:  # a grid's cell (xlsx, csv): the usual case, asked per cell
            return grid_cell(file, sheet, self.number, column, self.line)
        item = self.items.get(column, ()) if self.items else ()
        line = self.lines.get(column, self.line) if self.lines else self.line
        return SourceCell(file, sheet, self.number, column, item, line)


# The position of every cell read is made by setting SourceCell's slots directly (sources/slots.py).
_GRID_SLOTS = slot_setters(SourceCell)  # file, sheet, row, column, item, line


def grid_cell(file: str, sheet: str, row: int, column: int, line: int | None = None) -> SourceCell:
    """SourceCell(file, sheet, row, column, (), line), made directly."""
    cell = object.__new__(SourceCell)
    set_file, set_sheet, set_row, set_column, set_item, set_line = _GRID_SLOTS
    set_file(cell, file)
    set_sheet(cell, sheet)
    set_row(cell, row)
    set_column(cell, column)
    set_item(cell, ())
    set_line(cell, line)
    return cell


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    index: int  # 0-based position in the workbook (its tab order)
    hidden: bool = False
    hidden_columns: frozenset[int] = frozenset()  # 1-based
    merged: tuple[str, ...] = ()  # A1 ranges, e.g. "B1:C1"
    dimension: str | None = None  # as declared by the file, e.g. "A1:K15"
    # The name as the file writes it, when another sheet has the same one and `name` (the sheet's identity,
    # unique in the workbook) had to differ from it; forms match sheets by this name.
    written_name: str | None = None

    @property
    def name_in_file(self) -> str:
        return self.written_name if self.written_name is not None else self.name


class Workbook(Protocol):
    """An open input: tables ("sheets") of rows of raw cells. Use as a context manager."""

    path: Path
    format: str  # the registry name of the format that opened it: "xlsx", "csv", …
    typed_cells: bool  # cells carry numbers and dates as such (xlsx); False: every cell is text (csv)

    def sheets(self) -> list[SheetInfo]: ...

    def iter_rows(self, sheet: str) -> Iterator[Row]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


class KeptRowMap(MutableMapping[str, KeptValue]):
    """A map of a row kept for the whole run (its cells, its values), typed as the row's own mutable field but
    refusing change: nothing changes a kept row, and a change would not reach the row the mapping reads."""

    __slots__ = ()
    held = "values"  # what the map holds, for the refusal

    def __setitem__(self, name: str, value: KeptValue) -> None:
        raise TypeError(f"a kept row's {self.held} are read-only")

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"a kept row's {self.held} are read-only")


class RowCells(KeptRowMap[SourceCell]):
    """The cells of one grid row by column name, each made when asked: what a row kept for the whole run (a
    one-row-per-subject form's, for cross-form lookups) holds instead of a SourceCell per value. The map of column
    names to numbers is shared by the kept rows of a sheet (`of`). Read-only."""

    __slots__ = ("columns", "file", "line", "row", "sheet")
    held = "cells"

    def __init__(self, file: str, sheet: str, row: int, line: int | None, columns: Mapping[str, int]) -> None:
        self.file, self.sheet, self.row, self.line, self.columns = file, sheet, row, line, columns

    @classmethod
    def of(cls, cells: MutableMapping[str, SourceCell],
           shared: dict[tuple[tuple[str, int], ...], Mapping[str, int]]) -> MutableMapping[str, SourceCell]:
        """`cells` as RowCells when they are one grid row's (same file, sheet, row and line, no item path);
        else `cells` themselves. `shared` keeps each distinct map of columns once."""
        first = next(iter(cells.values()), None)
        if first is None:
            return cells
        for cell in cells.values():
            if (cell.item or cell.row != first.row or cell.line != first.line or cell.sheet != first.sheet
                    or cell.file != first.file):
                return cells
        columns = tuple((name, cell.column) for name, cell in cells.items())
        return cls(first.file, first.sheet, first.row, first.line, shared.setdefault(columns, dict(columns)))

    def __getitem__(self, name: str) -> SourceCell:
        return grid_cell(self.file, self.sheet, self.row, self.columns[name], self.line)

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)
