"""A REDCap records export (csv, raw codes or labels) read with its data dictionary, one table per instrument.

REDCap exports one row per record (per event, per repeat instance) holding every instrument's fields side by
side. Cut by the dictionary, each instrument becomes a table of its own whose header is the instrument's
fields, so that a form per instrument validates it like any sheet:

- every table starts with the record id and, when the export has them, `redcap_event_name` and
  `redcap_repeat_instance`; the data access group and survey identifier join the first instrument's table;
- a row of the export joins an instrument's table when it holds a value of one of that instrument's fields
  (status `_complete` and survey `_timestamp` included);
- a checkbox field's choice columns (`race___1` … `race___6`) become one multi-valued cell named by the field,
  holding the checked codes joined by " | " in the dictionary's order; an unchecked box (0, Unchecked) is the
  absence of its code;
- `redcap_repeat_instrument` only says which instrument a row repeats: it is not a column of any table;
- columns the dictionary does not know go to a table of their own, "not in the data dictionary" (R023), so
  nothing is dropped without a word.

Cells keep the export's own row and column (as Excel shows the csv), and a REDCap path:
record › event › instrument › instance › field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import InputFormat, IssueSink, ReadOptions
from crfmap.readers.csv import CsvWorkbook, list_csv_files, looks_like_text
from crfmap.readers.redcap_columns import IDENTITY_KINDS, ExportColumn, plan_columns
from crfmap.readers.redcap_dictionary import find_dictionaries_beside, read_redcap_dictionary
from crfmap.sources import RawValue, Row, SheetInfo, column_letters
from crfmap.sources.text import normalize_name, normalize_text, strip_text

UNASSIGNED = "not in the data dictionary"
CHECKED = frozenset({"1", "checked"})
UNCHECKED = frozenset({"0", "unchecked"})
CHOICE_SEPARATOR = " | "
TABLE_KINDS = frozenset({"field", "choice", "complete", "timestamp", "group", "survey"})


@dataclass
class Table:
    """One instrument's table: its columns in export order (a checkbox once, at its first choice column)."""

    name: str
    columns: list[ExportColumn] = field(default_factory=list)
    choices: dict[str, list[ExportColumn]] = field(default_factory=dict)  # checkbox field → its choice columns

    def header_cells(self) -> dict[int, RawValue]:
        return {column.number: column.name for column in self.columns}


class RedcapWorkbook:
    """A REDCap records export (one csv) cut into one table per instrument by its data dictionary."""

    format = "redcap"
    typed_cells = False  # REDCap exports text; validation reads dates and numbers from it

    def __init__(self, path: Path, options: ReadOptions, sink: IssueSink) -> None:
        self.path = path
        self.sink = sink
        self.data, dictionary_path, found_beside = locate_files(path, options)
        self.dictionary = read_redcap_dictionary(dictionary_path)
        if found_beside:
            sink(make_issue("R022", file=self.data.name, detail=dictionary_path.name))
        self.export = CsvWorkbook(self.data, options, sink)
        self.export_sheet = self.export.sheets()[0].name
        self.header_row, self.columns, self.labels = self.read_header()
        self.tables = self.build_tables()

    # ── layout ────────────────────────────────────────────────────────────────────────────────────────
    def read_header(self) -> tuple[int, list[ExportColumn], bool]:
        first = next(iter(self.export.iter_rows(self.export_sheet)), None)
        if first is None:
            raise FatalIssue(make_issue("R003", file=self.data.name, detail="the export holds no header row"))
        header = {number: strip_text(str(value)) for number, value in first.cells.items()}
        columns, labels = plan_columns(header, self.dictionary)
        if not any(column.kind == "record" for column in columns):
            record = self.dictionary.record_id
            raise FatalIssue(make_issue(
                "R021", file=self.data.name,
                detail=f"the export has no column for the record id field {record.name!r} (the first field of "
                       f"{self.dictionary.file}); is the dictionary from another project?"))
        unknown = [column for column in columns if column.kind == "unknown"]
        if unknown:
            names = ", ".join(repr(column.text) for column in unknown[:8]) + (" …" if len(unknown) > 8 else "")
            self.sink(make_issue("R023", file=self.data.name, sheet=UNASSIGNED, row=first.number,
                                 cell=f"{column_letters(unknown[0].number)}{first.number}",
                                 detail=f"{len(unknown)} column(s) {names}; the dictionary "
                                        f"{self.dictionary.file} may be older than the export"))
        return first.number, columns, labels

    def build_tables(self) -> dict[str, Table]:
        identity = [column for column in self.columns if column.kind in ("record", "event", "repeat_instance")]
        first_instrument = self.dictionary.instruments[0]
        tables: dict[str, Table] = {}
        for column in self.columns:
            if column.kind not in TABLE_KINDS:
                continue
            instrument = column.instrument or first_instrument  # data access group, survey identifier
            table = tables.setdefault(instrument, Table(instrument, list(identity)))
            if column.kind == "choice":
                siblings = table.choices.setdefault(column.name, [])
                if not siblings:
                    table.columns.append(column)
                siblings.append(column)
            else:
                table.columns.append(column)
        unknown = [column for column in self.columns if column.kind == "unknown"]
        if unknown:
            tables[UNASSIGNED] = Table(UNASSIGNED, list(identity) + unknown)
        order = {name: index for index, name in enumerate([*self.dictionary.instruments, UNASSIGNED])}
        return dict(sorted(tables.items(), key=lambda item: order[item[0]]))

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(name=name, index=index) for index, name in enumerate(self.tables)]

    # ── rows ──────────────────────────────────────────────────────────────────────────────────────────
    def iter_rows(self, sheet: str) -> Iterator[Row]:
        table = self.tables[sheet]
        yield Row(number=self.header_row, cells=table.header_cells())
        instruments = {column.instrument for column in self.columns if column.instrument}
        for row in self.export.iter_rows(self.export_sheet):
            if row.number <= self.header_row:
                continue
            context = self.row_context(row, instruments)
            cells, items = self.table_cells(table, row, context)
            if cells:
                yield Row(number=row.number, cells=cells, items=items)

    def row_context(self, row: Row, instruments: set[str]) -> RowContext:
        values: dict[str, str] = {}
        for column in self.columns:
            if column.kind in IDENTITY_KINDS and column.number in row.cells:
                values[column.kind] = strip_text(str(row.cells[column.number]))
        repeated = values.get("repeat_instrument")
        instrument = None
        if repeated:
            instrument = next((name for name in instruments
                               if normalize_name(name) == normalize_name(repeated)), None)
        return RowContext(record=values.get("record", ""), event=values.get("event"),
                          repeated=repeated, instrument=instrument, instance=values.get("repeat_instance"))

    def table_cells(self, table: Table, row: Row,
                    context: RowContext) -> tuple[dict[int, RawValue], dict[int, tuple[str, ...]]]:
        """The row's cells in this table, or nothing when none of the instrument's own cells has a value."""
        cells: dict[int, RawValue] = {}
        own = False
        for column in table.columns:
            value: RawValue | None
            if column.kind == "choice":
                value = self.checked_codes(table.choices[column.name], row, context)
            else:
                value = row.cells.get(column.number)
            if value is None or value == "":
                continue
            cells[column.number] = value
            own = own or column.kind not in IDENTITY_KINDS
        if not own:
            return {}, {}
        if context.repeated and context.instrument != table.name and table.name != UNASSIGNED:
            self.report_mixed_row(table, row, context)
        prefix = context.path(table.name)
        names = {column.number: column.name for column in table.columns}
        return cells, {number: (*prefix, f"field {names[number]}") for number in cells}

    def checked_codes(self, choices: list[ExportColumn], row: Row, context: RowContext) -> str | None:
        codes = []
        for column in choices:
            raw = row.cells.get(column.number)
            if raw is None:
                continue
            text = normalize_text(str(raw))
            choice_label = normalize_text(column.text.partition("(choice=")[2].rstrip(")"))
            if text in CHECKED or (choice_label and text == choice_label):
                codes.append(column.code or "")
            elif text and text not in UNCHECKED:
                self.sink(make_issue("R024", file=self.data.name, sheet=column.instrument, row=row.number,
                                     cell=f"{column_letters(column.number)}{row.number}", column=column.name,
                                     value=str(raw), detail=column.text or column.name,
                                     subject=context.record or None))
        return CHOICE_SEPARATOR.join(codes) if codes else None

    def report_mixed_row(self, table: Table, row: Row, context: RowContext) -> None:
        what = (f"repeats instrument {context.repeated!r}" if context.instrument
                else f"names {context.repeated!r} as its repeating instrument, which the dictionary does not have")
        self.sink(make_issue("R025", file=self.data.name, sheet=table.name, row=row.number,
                             subject=context.record or None,
                             detail=f"row {row.number} {what} but holds values of instrument {table.name!r}; they "
                                    f"are read in that instrument's table"))

    def close(self) -> None:
        self.export.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class RowContext:
    record: str
    event: str | None
    repeated: str | None
    instrument: str | None
    instance: str | None

    def path(self, instrument: str) -> tuple[str, ...]:
        parts = [f"record {self.record}"]
        if self.event:
            parts.append(f"event {self.event}")
        parts.append(f"instrument {instrument}")
        if self.instance:
            parts.append(f"instance {self.instance}")
        return tuple(parts)


def locate_files(path: Path, options: ReadOptions) -> tuple[Path, Path, bool]:
    """(records export, data dictionary, whether the dictionary was found beside the export)."""
    data = path
    if path.is_dir():
        dictionaries = find_dictionaries_beside(path)
        candidates = [file for file in list_csv_files(path) if file not in dictionaries]
        if len(candidates) != 1:
            raise FatalIssue(make_issue("R015", file=path.name, detail=(
                f"the folder {path.name} holds {len(candidates)} csv files besides the data dictionary; "
                "a REDCap export folder holds one records export and its dictionary")))
        data = candidates[0]
    if options.dictionary is not None:
        return data, Path(options.dictionary), False
    found = find_dictionaries_beside(data)
    if len(found) != 1:
        beside = (f"{len(found)} data dictionaries are beside it ({', '.join(file.name for file in found)}): pass "
                  "the one to use with --dictionary" if found else "no data dictionary was given or found beside it")
        raise FatalIssue(make_issue("R020", file=data.name, detail=f"{data.name} is a REDCap export, but {beside}"))
    return data, found[0], True


def open_redcap(path: Path, options: ReadOptions, sink: IssueSink) -> RedcapWorkbook:
    return RedcapWorkbook(path, options, sink)


REDCAP_MARKS = (b"redcap_event_name", b"redcap_repeat_instrument", b"redcap_repeat_instance",
                b"redcap_data_access_group")


def sniff_redcap(path: Path, head: bytes | None) -> bool:
    """A csv whose header has REDCap's own columns, or a csv (or a folder) beside a REDCap data dictionary."""
    if head is None:
        dictionaries = find_dictionaries_beside(path)
        return bool(dictionaries) and len([file for file in list_csv_files(path) if file not in dictionaries]) == 1
    if path.suffix.lower() not in (".csv", ".txt") or not looks_like_text(head):
        return False
    first_line = head.split(b"\n", 1)[0].lower()
    if any(mark in first_line for mark in REDCAP_MARKS):
        return True
    return b"_complete" in first_line and bool(find_dictionaries_beside(path))


REDCAP = InputFormat("redcap", "REDCap records export (csv, raw or labels) with its data dictionary (--dictionary, "
                     "or the dictionary csv beside it)", (".csv",), sniff_redcap, open_redcap)
