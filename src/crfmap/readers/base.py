"""The one reader interface: a workbook is sheets of rows of raw cells, each with its position.

Readers know nothing of forms or schemas. They stream: a sheet's rows are produced one at a time and never
held as a whole. A problem that makes the file unreadable raises `FatalIssue` (exit 2); a problem with one
cell (a formula without a cached value) goes to the `report` sink and reading goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol, Self

from crfmap.issues import Issue

# What a raw cell may hold. Numbers stay numbers (int for integral values where the format knows it);
# xlsx readers convert date-formatted numbers to date/datetime; csv cells are always str.
RawValue = str | int | float | bool | date | datetime | time


@dataclass(frozen=True, slots=True)
class Row:
    """One spreadsheet row: its 1-based number and its non-empty cells by 1-based column number.

    Empty cells (None, '', whitespace-only strings are kept: whitespace is a value the validator reports)
    are absent from `cells`. Rows with no cells are not yielded at all.
    """

    number: int
    cells: dict[int, RawValue]


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    index: int  # 0-based position in the workbook, for ordering
    hidden: bool = False
    hidden_columns: frozenset[int] = frozenset()  # 1-based
    merged: tuple[str, ...] = ()  # A1 ranges, e.g. "B1:C1"
    dimension: str | None = None  # as declared by the file, e.g. "A1:K15"


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Guards against hostile or absurd files. All configurable from the CLI."""

    max_unzipped_bytes: int = 512 * 1024 * 1024  # sum of a workbook's parts, declared and actual
    max_part_bytes: int = 256 * 1024 * 1024  # one part (a sheet's XML)
    max_compression_ratio: float = 200.0  # per part; real sheets stay far below
    max_rows: int = 1_048_576  # Excel's own limit
    max_columns: int = 16_384  # Excel's own limit (XFD)
    max_cell_chars: int = 32_767  # Excel's own limit


IssueSink = Callable[[Issue], None]


class Workbook(Protocol):
    """An open workbook. Use as a context manager; `close()` releases the file."""

    path: Path
    format: str  # "xlsx", "csv", …

    def sheets(self) -> list[SheetInfo]: ...

    def iter_rows(self, sheet: str) -> Iterator[Row]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


@dataclass(frozen=True, slots=True)
class ReadOptions:
    limits: ReadLimits = field(default_factory=ReadLimits)
    encoding: str | None = None  # csv: None = detect
    delimiter: str | None = None  # csv: None = sniff among ',', ';', '\t'


OpenWorkbook = Callable[[Path, ReadOptions, IssueSink], Workbook]
