"""Streaming csv: every cell is text; the encoding is decided from the bytes (`text_encoding`) and the delimiter
sniffed among comma, semicolon and tab, unless the options name them. Bytes the encoding cannot decode are
never dropped or guessed at: they stand as U+FFFD in a cell validation reports (R018)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import InputFormat, IssueSink, ReadLimits, ReadOptions
from crfmap.readers.sheet_names import identify_sheets
from crfmap.readers.text_encoding import REPLACEMENT, Decision, decide_encodings, describe_encoding
from crfmap.sources import UNDECODABLE, FlawedText, RawValue, Row, SheetInfo

SNIFF_CHARS = 64 * 1024
DELIMITERS = (",", ";", "\t")
FIELD_LIMIT_MESSAGE = "field larger than field limit"  # csv.Error's text, stable since Python 2.5


class CsvWorkbook:
    """One csv file as one sheet, or a folder of csv files as one sheet each (EDC exports)."""

    format = "csv"
    typed_cells = False  # every cell is text; validation reads numbers and dates from it

    def __init__(self, path: Path, options: ReadOptions, sink: IssueSink) -> None:
        self.path = path
        self.options = options
        self.sink = sink
        files = list_csv_files(path) if path.is_dir() else [path]
        # A sheet per file, named by its stem; DM.csv beside DM.CSV keep their own identities (R017).
        names, collisions = identify_sheets([file.stem for file in files], path.name,
                                            lambda index: files[index].name)
        self.files = {name.name: file for name, file in zip(names, files)}
        self.written_names = {name.name: name.written for name in names}
        for issue in collisions:
            sink(issue)
        self.decisions: dict[Path, Decision] | None = None
        self.noted: set[str] = set()

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(name=name, index=index, written_name=self.written_names[name])
                for index, name in enumerate(self.files)]

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        file = self.files[sheet]
        encoding = self.encoding_of(sheet)
        with file.open(encoding=encoding, errors="replace", newline="") as text:
            delimiter = self.options.delimiter or sniff_delimiter(text.read(SNIFF_CHARS))
            text.seek(0)
            records = csv.reader(text, delimiter=delimiter)
            yield from read_records(records, file.name, sheet, self.options.limits, describe_encoding(encoding))

    def encoding_of(self, sheet: str) -> str:
        if self.decisions is None:  # the files of one export are decided together, once
            self.decisions = decide_encodings(list(self.files.values()), self.options.encoding)
        decision = self.decisions[self.files[sheet]]
        if decision.note is not None and sheet not in self.noted:
            self.noted.add(sheet)
            self.sink(make_issue("R014", file=self.files[sheet].name, sheet=sheet, detail=decision.note))
        return decision.encoding

    def close(self) -> None:
        """Files are opened per iteration and closed by it."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def list_csv_files(folder: Path) -> list[Path]:
    """The .csv files of a folder (any case of the extension), in name order."""
    return sorted(file for file in folder.iterdir() if file.suffix.lower() == ".csv" and file.is_file())


def read_records(records: Iterator[list[str]], file_name: str, sheet: str, limits: ReadLimits,
                 encoding: str = "UTF-8") -> Iterator[Row]:
    """Rows of a csv, held to the same limits as a workbook's sheets (Excel's own row and column counts).
    A cell holding U+FFFD (bytes `encoding` could not decode) is handed on flagged, never as data."""
    number = 0
    max_chars = limits.max_cell_chars
    try:
        for number, record in enumerate(records, start=1):
            if number > limits.max_rows or len(record) > limits.max_columns:
                what = (f"more than {limits.max_rows:,} rows" if number > limits.max_rows
                        else f"{len(record):,} columns in row {number}, more than the limit of {limits.max_columns:,}")
                raise FatalIssue(make_issue("R010", file=file_name, sheet=sheet, row=number,
                                            detail=f"the csv has {what}"))
            cells: dict[int, RawValue] = {column: value if REPLACEMENT not in value
                                          else FlawedText(value, UNDECODABLE, encoding)
                                          for column, value in enumerate(record, start=1) if value != ""}
            if record and max(map(len, record)) > max_chars:  # checked as one call: most rows are within it
                column, value = next((column, value) for column, value in enumerate(record, start=1)
                                     if len(value) > max_chars)
                raise cell_too_large(file_name, sheet, number, f"row {number}, column {column} holds "
                                     f"{len(value):,} characters, more than the limit of {max_chars:,}")
            if cells:
                yield Row(number=number, cells=cells)
    except csv.Error as problem:
        if FIELD_LIMIT_MESSAGE in str(problem):  # the csv module's own guard, above Excel's cell limit
            raise cell_too_large(file_name, sheet, number + 1, f"row {number + 1} holds a cell of more than "
                                 f"{csv.field_size_limit():,} characters, more than the limit of "
                                 f"{max_chars:,}") from None
        raise FatalIssue(make_issue("R003", file=file_name, sheet=sheet, row=number + 1,
                                    detail=f"row {number + 1} cannot be read as csv ({problem})")) from None


def detect_encoding(file: Path) -> str:
    """The encoding one text file on its own is read in (text_encoding.decide_encodings), for side files such
    as a REDCap data dictionary."""
    return decide_encodings([file], None)[file].encoding


def cell_too_large(file_name: str, sheet: str, number: int, detail: str) -> FatalIssue:
    return FatalIssue(make_issue("R016", file=file_name, sheet=sheet, row=number, detail=detail))


def sniff_delimiter(sample: str) -> str:
    """The candidate that appears the same non-zero number of times on the most leading lines.

    Title lines above the table (an export's heading, with no delimiter) do not count against a candidate:
    its count is the most common non-zero count over the lines, not the first line's. When two candidates are
    equally consistent, a visible separator (`,` `;`) wins over tab, which sites also type as padding in cells.
    """
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if len(lines) > 1 and len(sample) >= SNIFF_CHARS:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    best, best_score = ",", (0, False, 0)
    for delimiter in DELIMITERS:
        counts = [count_outside_quotes(line, delimiter) for line in lines]
        nonzero = [count for count in counts if count]
        if not nonzero:
            continue
        typical = max(sorted(set(nonzero)), key=nonzero.count)
        score = (nonzero.count(typical), delimiter != "\t", typical)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def count_outside_quotes(line: str, delimiter: str) -> int:
    count = 0
    quoted = False
    for character in line:
        if character == '"':
            quoted = not quoted
        elif character == delimiter and not quoted:
            count += 1
    return count


def open_csv(path: Path, options: ReadOptions, sink: IssueSink) -> CsvWorkbook:
    return CsvWorkbook(path, options, sink)


TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")


def sniff_csv(path: Path, head: bytes | None) -> bool:
    """A folder holding csv files, or text under a text file's name (text named .xlsx is refused instead)."""
    if head is None:
        return bool(list_csv_files(path))
    return path.suffix.lower() in TEXT_EXTENSIONS and looks_like_text(head)


def looks_like_text(head: bytes) -> bool:
    """No NUL bytes (unless UTF-16 with a BOM) and few control characters."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13, 12))
    return controls <= len(head) // 100


CSV = InputFormat("csv", "text with comma, semicolon or tab delimiters (.csv, .txt, .tsv), or a folder of .csv "
                  "files", TEXT_EXTENSIONS, sniff_csv, open_csv)
