"""The study definition of a CDISC ODM file: GlobalVariables, BasicDefinitions and MetaDataVersion, with
REDCap's extensions (field types, checkbox variables, repeating instruments) when REDCap wrote the file.

Read in a first streaming pass that stops where ClinicalData begins; each definition is taken when its element
ends and then released, so a large metadata section stays in bounded memory. Used by the ODM reader (table
headers, REDCap checkboxes) and by `crfmap init --from-odm` (forms, items, code lists, units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from crfmap.readers.odm_file import attribute, child, children, stream_odm, translated_text
from crfmap.readers.safe_xml import local_name

ODM_NAMESPACE_MARK = "cdisc.org/ns/odm"


@dataclass(frozen=True, slots=True)
class ItemDef:
    oid: str
    name: str
    data_type: str
    length: str = ""
    question: str = ""
    codelist: str | None = None
    units: tuple[str, ...] = ()  # MeasurementUnit OIDs
    range_checks: tuple[tuple[str, str, str], ...] = ()  # (comparator, value, SoftHard)
    redcap: dict[str, str] = field(default_factory=dict)  # redcap:Variable, FieldType, TextValidationType …
    line: int = 0


@dataclass(frozen=True, slots=True)
class ItemGroupDef:
    oid: str
    name: str
    repeating: bool
    items: tuple[tuple[str, bool], ...]  # (ItemOID, mandatory)


@dataclass(frozen=True, slots=True)
class FormDef:
    oid: str
    name: str
    repeating: bool
    groups: tuple[str, ...]  # ItemGroupOIDs in order
    redcap_name: str | None = None


@dataclass(frozen=True, slots=True)
class StudyEventDef:
    oid: str
    name: str
    repeating: bool
    forms: tuple[str, ...]
    redcap: dict[str, str] = field(default_factory=dict)  # UniqueEventName, ArmNum, ArmName, EventName


@dataclass(frozen=True, slots=True)
class CodeListDef:
    oid: str
    name: str
    data_type: str
    items: tuple[tuple[str, str], ...]  # (CodedValue, Decode)
    redcap: dict[str, str] = field(default_factory=dict)  # Variable, CheckboxChoices


@dataclass
class OdmMetadata:
    """What the file says about the study; empty dictionaries when it has no MetaDataVersion."""

    study_oid: str = ""
    study_name: str = ""
    protocol_name: str = ""
    description: str = ""
    source_system: str = ""
    odm_version: str = ""
    metadata_oid: str = ""
    redcap_record_id: str | None = None
    units: dict[str, str] = field(default_factory=dict)  # MeasurementUnit OID → its symbol (or name)
    events: dict[str, StudyEventDef] = field(default_factory=dict)
    forms: dict[str, FormDef] = field(default_factory=dict)
    groups: dict[str, ItemGroupDef] = field(default_factory=dict)
    items: dict[str, ItemDef] = field(default_factory=dict)
    codelists: dict[str, CodeListDef] = field(default_factory=dict)
    repeating_instruments: set[str] = field(default_factory=set)  # REDCap form names
    repeating_events: set[str] = field(default_factory=set)  # REDCap unique event names

    @property
    def is_redcap(self) -> bool:
        return self.source_system.lower() == "redcap" or self.redcap_record_id is not None

    def form_items(self, form_oid: str) -> list[ItemDef]:
        """The items of a form in its groups' order (a group used twice counts once)."""
        form = self.forms.get(form_oid)
        if form is None:
            return []
        seen: dict[str, ItemDef] = {}
        for group_oid in form.groups:
            group = self.groups.get(group_oid)
            for item_oid, _mandatory in group.items if group else ():
                if item_oid in self.items and item_oid not in seen:
                    seen[item_oid] = self.items[item_oid]
        return list(seen.values())

    def redcap_form_name(self, form_oid: str) -> str:
        form = self.forms.get(form_oid)
        if form is not None and form.redcap_name:
            return form.redcap_name
        return form_oid.removeprefix("Form.")


def read_odm_metadata(path: Path) -> OdmMetadata:
    """The definitions before the first ClinicalData (the file has passed `check_odm_file`)."""
    metadata = OdmMetadata()
    with stream_odm(path) as context:
        for event, element in context:
            name = local_name(element.tag)
            if event == "start":
                if name == "ClinicalData":
                    break
                take_start(metadata, name, element)
                continue
            if take_definition(metadata, name, element):
                element.clear(keep_tail=False)
    return metadata


def take_start(metadata: OdmMetadata, name: str, element: etree._Element) -> None:
    if name == "ODM":
        metadata.source_system = element.get("SourceSystem", "")
        metadata.odm_version = element.get("ODMVersion", "")
    elif name == "Study" and not metadata.study_oid:
        metadata.study_oid = element.get("OID", "")
    elif name == "MetaDataVersion" and not metadata.metadata_oid:
        metadata.metadata_oid = element.get("OID", "")
        metadata.redcap_record_id = attribute(element, "RecordIdField")


def take_definition(metadata: OdmMetadata, name: str, element: etree._Element) -> bool:
    """Record a finished definition element; True when it may be released."""
    oid = element.get("OID", "")
    if name == "StudyName":
        metadata.study_name = " ".join((element.text or "").split())
    elif name == "ProtocolName":
        metadata.protocol_name = " ".join((element.text or "").split())
    elif name == "StudyDescription":
        metadata.description = " ".join((element.text or "").split())
    elif name == "MeasurementUnit":
        metadata.units[oid] = translated_text(child(element, "Symbol")) or element.get("Name", oid)
    elif name == "RepeatingInstrument":
        metadata.repeating_instruments.add(attribute(element, "RepeatInstrument") or "")
    elif name == "RepeatingEvent":
        metadata.repeating_events.add(attribute(element, "UniqueEventName") or "")
    elif name == "StudyEventDef":
        metadata.events[oid] = StudyEventDef(
            oid, element.get("Name", oid), element.get("Repeating", "No") == "Yes",
            tuple(ref.get("FormOID", "") for ref in children(element, "FormRef")),
            redcap_attributes(element))
    elif name == "FormDef":
        metadata.forms[oid] = FormDef(oid, element.get("Name", oid), element.get("Repeating", "No") == "Yes",
                                      tuple(ref.get("ItemGroupOID", "") for ref in children(element, "ItemGroupRef")),
                                      attribute(element, "FormName"))
    elif name == "ItemGroupDef":
        metadata.groups[oid] = ItemGroupDef(
            oid, element.get("Name", oid), element.get("Repeating", "No") == "Yes",
            tuple((ref.get("ItemOID", ""), ref.get("Mandatory", "No") == "Yes")
                  for ref in children(element, "ItemRef")))
    elif name == "ItemDef":
        metadata.items[oid] = read_item(element)
    elif name == "CodeList":
        metadata.codelists[oid] = read_codelist(element)
    else:
        return name in ("GlobalVariables", "BasicDefinitions", "Protocol")
    return True


def read_item(element: etree._Element) -> ItemDef:
    codelist_ref = child(element, "CodeListRef")
    checks = []
    for check in children(element, "RangeCheck"):
        value = child(check, "CheckValue")
        checks.append((check.get("Comparator", ""), (value.text or "").strip() if value is not None else "",
                       check.get("SoftHard", "Hard")))
    return ItemDef(
        oid=element.get("OID", ""), name=element.get("Name", ""), data_type=element.get("DataType", "text"),
        length=element.get("Length", ""), question=translated_text(child(element, "Question")),
        codelist=codelist_ref.get("CodeListOID") if codelist_ref is not None else None,
        units=tuple(ref.get("MeasurementUnitOID", "") for ref in children(element, "MeasurementUnitRef")),
        range_checks=tuple(checks), redcap=redcap_attributes(element), line=element.sourceline or 0)


def read_codelist(element: etree._Element) -> CodeListDef:
    items = []
    for item in element:
        kind = local_name(item.tag)
        if kind == "CodeListItem":
            items.append((item.get("CodedValue", ""), translated_text(child(item, "Decode"))))
        elif kind == "EnumeratedItem":
            items.append((item.get("CodedValue", ""), ""))
    return CodeListDef(element.get("OID", ""), element.get("Name", ""), element.get("DataType", "text"),
                       tuple(items), redcap_attributes(element))


def redcap_attributes(element: etree._Element) -> dict[str, str]:
    prefix = "{https://projectredcap.org}"
    return {key[len(prefix):]: value for key, value in element.attrib.items() if key.startswith(prefix)}
