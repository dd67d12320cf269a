"""ClinicalData, streamed: SubjectData › StudyEventData › FormData › ItemGroupData › ItemData as flat rows.

One pass over the file yields `OdmRow`s: a generic ODM file gives one row per ItemGroupData, a REDCap file one
row per FormData (REDCap's item groups are only sections of a form). Every value keeps its ODM path
(SubjectKey / StudyEventOID[repeat] / FormOID[repeat] / ItemGroupOID[repeat] / ItemOID) and its line. Elements
are released as soon as their row is out, so memory stays flat however long the file.

TransactionType="Remove" takes a value (or a whole subtree) out, with a warning (R026); an ItemOID given twice
in one row is an error (R027); ItemData outside an ItemGroupData, or an element without its OID, is R028.
Dataset-XML (ItemGroupData straight under ClinicalData) reads as rows without a subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from crfmap.issues import Issue, make_issue
from crfmap.readers.odm_file import attribute, stream_odm
from crfmap.readers.safe_xml import local_name, release

ITEM_DATA_PREFIX = "ItemData"
BINARY_TYPES = frozenset({"ItemDataBase64Binary", "ItemDataHexBinary"})
LEVELS = ("SubjectData", "StudyEventData", "FormData", "ItemGroupData")


@dataclass(frozen=True, slots=True)
class ItemValue:
    oid: str
    value: str
    line: int
    path: tuple[str, ...]  # the ODM path down to and including "ItemOID …"
    unit: str | None = None  # MeasurementUnitOID given with the value


@dataclass
class OdmRow:
    """One row: the keys of the levels above it, and its items in document order."""

    table: str
    keys: dict[str, tuple[str, int, tuple[str, ...]]]  # key name → (value, line, path)
    items: list[ItemValue] = field(default_factory=list)
    line: int = 0


@dataclass
class Level:
    """One open element of the nesting, with its OID, repeat key and position."""

    name: str
    oid: str
    repeat: str | None
    line: int
    path: str  # this level's part of the ODM path, e.g. "StudyEventOID SE.VISIT[2]"
    attributes: dict[str, str]
    removed: bool = False


TableSink = Callable[[Issue, str | None], None]  # an issue and the table (row OID) it belongs to, if any


class ClinicalWalker:
    """Walks a file's ClinicalData; `redcap` makes rows per FormData instead of per ItemGroupData.

    Each issue goes to `sink` with the table of the row it was found in (None outside any row), so that a
    reader making one pass per table reports each issue once."""

    def __init__(self, path: Path, sink: TableSink, redcap: bool) -> None:
        self.path = path
        self.sink = sink
        self.redcap = redcap
        self.levels: dict[str, Level] = {}
        self.row: OdmRow | None = None
        self.seen_items: set[str] = set()
        self.site: str | None = None

    def rows(self) -> Iterator[OdmRow]:
        in_clinical = False
        with stream_odm(self.path) as context:
            for event, element in context:
                name = local_name(element.tag)
                if name == "ClinicalData":
                    in_clinical = event == "start"
                    if not in_clinical:
                        release(element)
                    continue
                if not in_clinical:
                    if event == "end" and name in ("Study", "AdminData", "ReferenceData"):
                        release(element)
                    continue
                if event == "start":
                    self.open(name, element)
                else:
                    row = self.close(name, element)
                    if row is not None:
                        yield row

    # ── opening levels ────────────────────────────────────────────────────────────────────────────────
    def open(self, name: str, element: etree._Element) -> None:
        if name == "SiteRef" and "SubjectData" in self.levels:
            self.site = element.get("LocationOID")
            return
        if name not in LEVELS:
            return
        oid_attribute = {"SubjectData": "SubjectKey", "StudyEventData": "StudyEventOID", "FormData": "FormOID",
                         "ItemGroupData": "ItemGroupOID"}[name]
        repeat_attribute = {"StudyEventData": "StudyEventRepeatKey", "FormData": "FormRepeatKey",
                            "ItemGroupData": "ItemGroupRepeatKey"}.get(name)
        oid = element.get(oid_attribute, "")
        repeat = element.get(repeat_attribute) if repeat_attribute else None
        path = f"{oid_attribute} {oid}" + (f"[{repeat}]" if repeat else "")
        parent_removed = any(level.removed for level in self.levels.values())
        level = Level(name, oid, repeat, element.sourceline or 0, path, dict(element.attrib), removed=parent_removed)
        if name == "SubjectData":
            self.levels.clear()
            self.site = None
        self.levels[name] = level
        if not oid and not (self.redcap and name == "ItemGroupData"):  # REDCap may leave a section's OID empty
            self.report("R028", level, f"{name} at line {level.line} has no {oid_attribute}; its values were not "
                                       "read")
            level.removed = True
        elif element.get("TransactionType") == "Remove" and not parent_removed:
            level.removed = True
            self.report("R026", level, f"{level.path} is marked TransactionType=\"Remove\"; its values were not "
                                       "read")
        if self.starts_row(name):
            self.row = OdmRow(table=self.table_of(name), keys=self.keys(), line=level.line)
            self.seen_items = set()

    def starts_row(self, name: str) -> bool:
        return name == ("FormData" if self.redcap else "ItemGroupData")

    def table_of(self, name: str) -> str:
        return self.levels[name].oid

    def keys(self) -> dict[str, tuple[str, int, tuple[str, ...]]]:
        keys: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        path: tuple[str, ...] = ()
        for name in LEVELS:
            level = self.levels.get(name)
            if level is None:
                continue
            path = (*path, level.path)
            if name == "SubjectData":
                keys["SubjectKey"] = (level.oid, level.line, path)
                if self.site:
                    keys["SiteRef"] = (self.site, level.line, path)
                continue
            keys[{"StudyEventData": "StudyEventOID", "FormData": "FormOID",
                  "ItemGroupData": "ItemGroupOID"}[name]] = (level.oid, level.line, path)
            if level.repeat:
                keys[{"StudyEventData": "StudyEventRepeatKey", "FormData": "FormRepeatKey",
                      "ItemGroupData": "ItemGroupRepeatKey"}[name]] = (level.repeat, level.line, path)
            unique_event = attribute_of(level, "UniqueEventName")
            if unique_event:
                keys["redcap_event_name"] = (unique_event, level.line, path)
        return keys

    # ── closing elements ──────────────────────────────────────────────────────────────────────────────
    def close(self, name: str, element: etree._Element) -> OdmRow | None:
        if name.startswith(ITEM_DATA_PREFIX):
            self.take_item(name, element)
            return None
        if name not in LEVELS:
            return None
        row = None
        if self.starts_row(name):
            row, self.row = self.row, None
            if row is not None and not row.items:
                row = None
        level = self.levels.pop(name, None)
        release(element)
        if level is not None and level.removed:
            return None
        return row

    def take_item(self, name: str, element: etree._Element) -> None:
        group = self.levels.get("ItemGroupData")
        oid = element.get("ItemOID", "")
        line = element.sourceline or 0
        if group is None or self.row is None:
            self.emit(make_issue("R028", file=self.path.name, line=line, detail=(
                f"{name} {oid or '(no ItemOID)'} at line {line} is not inside an ItemGroupData; it was not read")))
            return
        path = (*(level.path for level in self.levels.values()), f"ItemOID {oid}")
        if group.removed or any(level.removed for level in self.levels.values()):
            return
        if not oid:
            self.emit(make_issue("R028", file=self.path.name, line=line, detail=(
                f"{name} at line {line} has no ItemOID; it was not read")))
            return
        if element.get("TransactionType") == "Remove":
            self.emit(make_issue("R026", file=self.path.name, line=line, detail=(
                f"ItemOID {oid} is marked TransactionType=\"Remove\"; its value was not read")))
            return
        value = item_value(name, element)
        if value is None:
            return
        if oid in self.seen_items:
            self.emit(make_issue("R027", file=self.path.name, line=line, value=value, detail=(
                f"ItemOID {oid} is given a second time in the same {'FormData' if self.redcap else 'ItemGroupData'} "
                f"(line {line}); only the first value was read")))
            return
        self.seen_items.add(oid)
        unit = next((ref.get("MeasurementUnitOID") for ref in element if local_name(ref.tag) == "MeasurementUnitRef"),
                    None)
        self.row.items.append(ItemValue(oid, value, line, path, unit))

    def report(self, code: str, level: Level, detail: str) -> None:
        self.emit(make_issue(code, file=self.path.name, line=level.line, detail=detail))

    def emit(self, issue: Issue) -> None:
        self.sink(issue, self.row.table if self.row is not None else None)


def item_value(name: str, element: etree._Element) -> str | None:
    """The value of an ItemData (its Value attribute) or a typed ItemDataString … (its text); None when null.
    A binary value (a REDCap file upload) is named, not carried: its document name (as REDCap's csv export
    names it) or its size."""
    if element.get("IsNull") == "Yes":
        return None
    if name in BINARY_TYPES:
        document = attribute(element, "DocName")
        size = len((element.text or "").strip())
        return document or f"[binary value, {size:,} characters]"
    if name == ITEM_DATA_PREFIX:
        return element.get("Value")
    text = element.text
    return text if text is None or text.strip() else None


def attribute_of(level: Level, name: str) -> str | None:
    return level.attributes.get(name) or level.attributes.get(f"{{https://projectredcap.org}}{name}")
