"""What every reader shares: the options and limits it is opened with, and where its cell issues go.

Readers know nothing of forms or schemas. They stream: a table's rows are produced one at a time and never
held as a whole. A problem that makes the file unreadable raises `FatalIssue` (exit 2); a problem with one
cell (a formula without a cached value) goes to the issue sink and reading goes on. The table interface
itself (Workbook, SheetInfo, Row) lives in `crfmap.sources`, so that validation needs no reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.issues import Issue
from crfmap.sources import Workbook


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


@dataclass(frozen=True, slots=True)
class ReadOptions:
    limits: ReadLimits = field(default_factory=ReadLimits)
    encoding: str | None = None  # text formats: None = detect
    delimiter: str | None = None  # csv: None = sniff among ',', ';', '\t'
    dictionary: Path | None = None  # REDCap: the data dictionary of a records export (else found beside it)


OpenWorkbook = Callable[[Path, ReadOptions, IssueSink], Workbook]


@dataclass(frozen=True, slots=True)
class InputFormat:
    """One entry of the input registry (`crfmap.readers.FORMATS`): how to recognise a format, how to open it.

    `sniff(path, head)` says whether the content is this format: `head` is the file's first bytes, or None
    when `path` is a folder. It runs only after the safety checks every input gets (a regular file, not
    empty, not a password-protected or legacy Office file), and must not read more than it is given.
    """

    name: str  # the registry key, shown in messages and in `--format`
    description: str  # one line for help texts, e.g. "Excel workbook (.xlsx, .xlsm)"
    extensions: tuple[str, ...]  # the usual file name endings, lower case with the dot
    sniff: Callable[[Path, bytes | None], bool]
    open: OpenWorkbook
