"""CDISC ODM 1.3 XML (generic ClinicalData, with or without MetaDataVersion; REDCap's "CDISC ODM (XML) project +
data" export) as tables of rows, like a workbook's sheets.

- Generic ODM: one table per ItemGroupOID, one row per ItemGroupData. Its columns: SubjectKey, SiteRef,
  StudyEventOID, StudyEventRepeatKey, FormOID, FormRepeatKey, ItemGroupRepeatKey (those the data uses), then
  the group's ItemOIDs in MetaDataVersion order (items the metadata does not declare follow, in order of first
  appearance), and `<ItemOID> unit` beside an item whose values carry a MeasurementUnitRef (its symbol).
- REDCap's ODM: the same tables as its csv export read with its dictionary (readers/redcap.py): one per
  instrument, named by the instrument, with the record id field, `redcap_event_name`, `redcap_repeat_instance`
  and the fields by name, checkbox choices (`race___1` …) joined into one multi-valued cell. So one mapping reads
  a REDCap project from either export, and both give the same records.

Positions: the ODM path (SubjectKey / StudyEventOID[repeat] / FormOID[repeat] / ItemGroupOID[repeat] / ItemOID)
and the line of the value; row and column are the table's own (row 1 the header). The file is scanned once for
the tables' columns, then once per table read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from crfmap.issues import Issue
from crfmap.readers.base import InputFormat, IssueSink, ReadOptions
from crfmap.readers.odm_clinical import ClinicalWalker, ItemValue, OdmRow
from crfmap.readers.odm_file import check_odm_file
from crfmap.readers.odm_metadata import OdmMetadata, read_odm_metadata
from crfmap.readers.redcap_dictionary import choice_column_name, parse_choices
from crfmap.sources import RawValue, Row, SheetInfo

GENERIC_KEYS = ("SubjectKey", "SiteRef", "StudyEventOID", "StudyEventRepeatKey", "FormOID", "FormRepeatKey",
                "ItemGroupRepeatKey")
REDCAP_EVENT = "redcap_event_name"
REDCAP_INSTANCE = "redcap_repeat_instance"
UNIT_SUFFIX = " unit"
CHOICE_SEPARATOR = " | "


@dataclass
class OdmTable:
    """A table's columns: key columns, then item columns; `checkboxes` maps a REDCap choice item to its field."""

    name: str
    keys: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return self.keys + self.items

    def add_item(self, name: str) -> None:
        if name not in self.items:
            self.items.append(name)


class OdmWorkbook:
    format = "odm"
    typed_cells = False  # ODM values are text; validation reads them by the form's column types

    def __init__(self, path: Path, options: ReadOptions, sink: IssueSink) -> None:
        self.path = path
        self.sink = sink
        check_odm_file(path, options.limits)
        self.metadata = read_odm_metadata(path)
        self.redcap = self.metadata.is_redcap
        self.checkboxes = redcap_checkboxes(self.metadata) if self.redcap else {}
        self.tables = self.scan_tables()

    # ── layout ────────────────────────────────────────────────────────────────────────────────────────
    def scan_tables(self) -> dict[str, OdmTable]:
        """One pass: which tables hold data, and the columns each needs (reader issues are kept for the
        reading passes, which report them)."""
        tables: dict[str, OdmTable] = {}
        keys_used: dict[str, set[str]] = {}
        for row in ClinicalWalker(self.path, self.report_outside_rows, self.redcap).rows():
            name = self.table_name(row)
            table = tables.get(name)
            if table is None:
                table = tables[name] = OdmTable(name, items=self.declared_items(row))
            keys_used.setdefault(name, set()).update(self.row_keys(row))
            for item in row.items:
                column = self.item_column(item)
                if column is not None:
                    table.add_item(column)
                if item.unit and not self.redcap:
                    table.add_item(item.oid + UNIT_SUFFIX)
        if self.redcap:  # as the csv export: the same identifier columns in every instrument's table
            shared = set().union(*keys_used.values()) if keys_used else set()
            if self.metadata.repeating_instruments or self.metadata.repeating_events:
                shared.add(REDCAP_INSTANCE)
            keys_used = dict.fromkeys(keys_used, shared)
            order = {self.metadata.redcap_form_name(oid): index for index, oid in enumerate(self.metadata.forms)}
            tables = dict(sorted(tables.items(), key=lambda item: order.get(item[0], len(order))))
        for name, table in tables.items():
            table.keys = [key for key in self.key_order() if key in keys_used[name]]
            table.items = self.ordered_items(table)
        return tables

    def report_outside_rows(self, issue: Issue, table: str | None) -> None:
        """The scan reports what belongs to no table; each table's pass reports its own rows' issues."""
        if table is None:
            self.sink(issue)

    def key_order(self) -> tuple[str, ...]:
        if self.redcap:
            return (self.metadata.redcap_record_id or "record_id", REDCAP_EVENT, REDCAP_INSTANCE)
        return GENERIC_KEYS

    def table_name(self, row: OdmRow) -> str:
        return self.table_name_of(row.table)

    def table_name_of(self, oid: str) -> str:
        return self.metadata.redcap_form_name(oid) if self.redcap else oid

    def declared_items(self, row: OdmRow) -> list[str]:
        if self.redcap:
            names = [self.checkboxes.get(item.oid, (item.oid, ""))[0] for item in self.metadata.form_items(row.table)]
            record = self.metadata.redcap_record_id
            return [name for name in dict.fromkeys(names) if name != record]
        group = self.metadata.groups.get(row.table)
        return [oid for oid, _mandatory in group.items] if group else []

    def ordered_items(self, table: OdmTable) -> list[str]:
        """Declared items first (those with data or declared), each unit column right after its item."""
        ordered: list[str] = []
        for name in table.items:
            if name.endswith(UNIT_SUFFIX):
                continue
            ordered.append(name)
            if name + UNIT_SUFFIX in table.items:
                ordered.append(name + UNIT_SUFFIX)
        return ordered

    def row_keys(self, row: OdmRow) -> dict[str, tuple[str, int, tuple[str, ...]]]:
        if not self.redcap:
            return {key: value for key, value in row.keys.items() if key in GENERIC_KEYS}
        keys = {}
        if "SubjectKey" in row.keys:
            keys[self.metadata.redcap_record_id or "record_id"] = row.keys["SubjectKey"]
        if REDCAP_EVENT in row.keys:
            keys[REDCAP_EVENT] = row.keys[REDCAP_EVENT]
        elif "StudyEventOID" in row.keys:
            value, line, path = row.keys["StudyEventOID"]
            keys[REDCAP_EVENT] = (value.removeprefix("Event."), line, path)
        instance = self.redcap_instance(row)
        if instance is not None:
            keys[REDCAP_INSTANCE] = instance
        return keys

    def redcap_instance(self, row: OdmRow) -> tuple[str, int, tuple[str, ...]] | None:
        form = self.metadata.redcap_form_name(row.table)
        if form in self.metadata.repeating_instruments and "FormRepeatKey" in row.keys:
            return row.keys["FormRepeatKey"]
        event = row.keys.get(REDCAP_EVENT, ("", 0, ()))[0]
        if event in self.metadata.repeating_events and "StudyEventRepeatKey" in row.keys:
            return row.keys["StudyEventRepeatKey"]
        return None

    def item_column(self, item: ItemValue) -> str | None:
        """The table column of an item: a REDCap checkbox choice belongs to its field; the record id item is
        the record column itself."""
        if self.redcap:
            if item.oid == self.metadata.redcap_record_id:
                return None
            return self.checkboxes.get(item.oid, (item.oid, ""))[0]
        return item.oid

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(name=name, index=index) for index, name in enumerate(self.tables)]

    # ── rows ──────────────────────────────────────────────────────────────────────────────────────────
    def iter_rows(self, sheet: str) -> Iterator[Row]:
        table = self.tables[sheet]
        numbers = {name: number for number, name in enumerate(table.columns, start=1)}
        yield Row(number=1, cells={number: name for name, number in numbers.items()})
        row_number = 1
        def report_own(issue: Issue, table: str | None) -> None:
            if table is not None and self.table_name_of(table) == sheet:
                self.sink(issue)

        for row in ClinicalWalker(self.path, report_own, self.redcap).rows():
            if self.table_name(row) != sheet:
                continue
            cells: dict[int, RawValue] = {}
            items: dict[int, tuple[str, ...]] = {}
            lines: dict[int, int] = {}
            self.place_items(row, numbers, cells, items, lines)
            if not cells:  # only unchecked boxes: as in the csv export, no row
                continue
            for key, (value, line, path) in self.row_keys(row).items():
                if key in numbers and value:
                    cells[numbers[key]], items[numbers[key]], lines[numbers[key]] = value, path, line
            row_number += 1
            yield Row(number=row_number, cells=dict(sorted(cells.items())), items=items, line=row.line, lines=lines)

    def place_items(self, row: OdmRow, numbers: dict[str, int], cells: dict[int, RawValue],
                    items: dict[int, tuple[str, ...]], lines: dict[int, int]) -> None:
        checked: dict[str, list[ItemValue]] = {}
        for item in row.items:
            column = self.item_column(item)
            if column is None:
                continue
            if item.oid in self.checkboxes:
                checked.setdefault(column, [])
                if item.value.strip() in ("1", "Checked"):
                    checked[column].append(item)
                continue
            number = numbers[column]
            cells[number], items[number], lines[number] = item.value, item.path, item.line
            if item.unit:
                unit_number = numbers[item.oid + UNIT_SUFFIX]
                symbol = self.metadata.units.get(item.unit, item.unit)
                cells[unit_number], items[unit_number], lines[unit_number] = symbol, item.path, item.line
        for column, chosen in checked.items():
            if chosen:
                number = numbers[column]
                cells[number] = CHOICE_SEPARATOR.join(self.checkboxes[item.oid][1] for item in chosen)
                items[number], lines[number] = chosen[0].path, chosen[0].line

    def close(self) -> None:
        """Each pass opens and closes the file itself."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def redcap_checkboxes(metadata: OdmMetadata) -> dict[str, tuple[str, str]]:
    """REDCap checkbox choice ItemOID → (its field, its choice code as the dictionary writes it)."""
    found: dict[str, tuple[str, str]] = {}
    for item in metadata.items.values():
        if item.redcap.get("FieldType") != "checkbox":
            continue
        variable = item.redcap.get("Variable") or item.name.rsplit("___", 1)[0]
        codelist = metadata.codelists.get(item.codelist or "")
        choices = parse_choices(codelist.redcap.get("CheckboxChoices", "")) if codelist else ()
        code = next((code for code, _label in choices if choice_column_name(variable, code) == item.oid.lower()),
                    item.oid.rsplit("___", 1)[-1])
        found[item.oid] = (variable, code)
    return found


def open_odm(path: Path, options: ReadOptions, sink: IssueSink) -> OdmWorkbook:
    return OdmWorkbook(path, options, sink)


ODM_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ODM[\s>/]")


def sniff_odm(path: Path, head: bytes | None) -> bool:
    """XML whose root is <ODM> or that names ODM's namespace in its first bytes (a DOCTYPE before it is
    still ODM, and is then refused by the reader)."""
    if head is None:
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return False
    return b"cdisc.org/ns/odm" in head or ODM_ROOT.search(head) is not None


ODM = InputFormat("odm", "CDISC ODM 1.3 XML (ClinicalData, with or without MetaDataVersion; REDCap's ODM export)",
                  (".xml", ".odm"), sniff_odm, open_odm)
