"""A draft mapping from a generic CDISC ODM file: one form per ItemGroupOID table the ODM reader presents,
columns typed by the MetaDataVersion's ItemDefs (DataType, CodeListRef, MeasurementUnitRef, RangeCheck,
Mandatory), code lists from its CodeLists; what the ClinicalData shows decides the identity keys."""

from __future__ import annotations

from crfmap.readers.odm_metadata import ItemDef, OdmMetadata
from crfmap.scaffold.draft import DraftColumn, DraftForm, DraftStudy, identifier, unique
from crfmap.sources import Workbook
from crfmap.standards.ucum import is_valid_ucum

DATA_TYPES = {"integer": "integer", "float": "decimal", "double": "decimal", "date": "date", "datetime": "datetime",
              "time": "time", "partialDate": "partial_date", "partialDatetime": "partial_date",
              "incompleteDatetime": "partial_date", "boolean": "boolean"}
KEY_COLUMNS = ("StudyEventOID", "StudyEventRepeatKey", "FormRepeatKey", "ItemGroupRepeatKey")
KEY_LABELS = {"SubjectKey": "Subject key", "SiteRef": "Site (LocationOID)", "StudyEventOID": "Study event",
              "StudyEventRepeatKey": "Study event repeat key", "FormOID": "Form", "FormRepeatKey": "Form repeat key",
              "ItemGroupRepeatKey": "Item group repeat key"}
UNIT_SUFFIX = " unit"


def draft_from_odm(metadata: OdmMetadata, workbook: Workbook, source: str, study_id: str) -> DraftStudy:
    title = metadata.study_name or study_id
    study = DraftStudy(id=study_id, title=f"{title} (draft)", source=source, protocol=metadata.protocol_name or None)
    if not metadata.items:
        study.notes.append("The file has no MetaDataVersion: every column is drafted as text.")
    events = [(oid, definition.name) for oid, definition in metadata.events.items()]
    event_codelist = study.add_codelist("study_events", "Study events", events) if events else None
    names: set[str] = set()
    for info in workbook.sheets():
        rows = workbook.iter_rows(info.name)
        header = next(rows, None)
        if header is None:
            continue
        columns = [str(value) for value in header.cells.values()]
        filled, subjects, repeated = column_use(rows, list(header.cells), columns)
        group = metadata.groups.get(info.name)
        mandatory = dict(group.items) if group else {}
        form_columns = []
        for name in columns:
            if name in KEY_LABELS:
                form_columns.append(key_column(name, event_codelist))
            elif name.endswith(UNIT_SUFFIX):
                form_columns.append(DraftColumn(identifier(name), f"Unit of {name[:-len(UNIT_SUFFIX)]}",
                                                headers=[name], notes=["the MeasurementUnitRef given with the value"]))
            else:
                form_columns.append(item_column(name, metadata.items.get(name), mandatory.get(name, False), study,
                                                metadata))
        keys = [identifier(name) for name in KEY_COLUMNS if name in columns and filled.get(name) == subjects]
        form_name = unique(identifier(info.name.lower(), "form"), names)
        names.add(form_name)
        label = group.name if group else info.name
        study.forms.append(DraftForm(name=form_name, label=label, sheets=[info.name], subject="SubjectKey",
                                     columns=form_columns, repeating=repeated or bool(keys), keys=keys))
    return study


def column_use(rows: object, numbers: list[int], names: list[str]) -> tuple[dict[str, int], int, bool]:
    """How many rows fill each column, how many rows there are, and whether a subject has several rows."""
    filled: dict[str, int] = {}
    count = 0
    seen: set[str] = set()
    repeated = False
    by_number = dict(zip(numbers, names, strict=True))
    for row in rows:  # type: ignore[attr-defined]
        count += 1
        for number in row.cells:
            name = by_number.get(number)
            if name is not None:
                filled[name] = filled.get(name, 0) + 1
        subject = str(row.cells.get(numbers[0], ""))
        repeated = repeated or subject in seen
        seen.add(subject)
    return filled, count, repeated


def key_column(name: str, event_codelist: str | None) -> DraftColumn:
    column = DraftColumn(identifier(name), KEY_LABELS[name], headers=[name] if identifier(name) != name else [],
                         notes=[f"ODM {name}"])
    if name == "SubjectKey":
        column.required, column.ignore = True, False
        column.notes = ["ODM SubjectKey: each subject's id"]
    elif name == "StudyEventOID" and event_codelist:
        column.type, column.codelist = "coded", event_codelist
        column.notes.append("map it to the visit")
    elif name.endswith("RepeatKey"):
        column.type = "integer"
    return column


def item_column(oid: str, item: ItemDef | None, mandatory: bool, study: DraftStudy,
                metadata: OdmMetadata) -> DraftColumn:
    name = identifier(oid)
    column = DraftColumn(name, label_of(oid, item), headers=[oid] if name != oid else [])
    if item is None:
        column.notes = ["not declared in the MetaDataVersion"]
        return column
    notes = [f"ODM ItemDef {oid}, DataType {item.data_type}" + (f", Length {item.length}" if item.length else "")]
    column.type = DATA_TYPES.get(item.data_type, "string")
    codelist = metadata.codelists.get(item.codelist or "")
    if codelist is not None and codelist.items:
        column.type = "coded"
        column.codelist = study.add_codelist(identifier(codelist.oid.lower(), "codes"), codelist.name or codelist.oid,
                                             [(value, decode) for value, decode in codelist.items],
                                             f"ODM CodeList {codelist.oid}", entry="choice")
    if item.units:
        symbol = metadata.units.get(item.units[0], item.units[0])
        if is_valid_ucum(symbol):
            column.unit = symbol
            notes.append(f"MeasurementUnit {item.units[0]} ({symbol}): make sure the unit is UCUM, e.g. mm[Hg]")
        else:  # a unit that is not UCUM would fail check-mapping (P023): said, for a person to give the UCUM code
            notes.append(f"MeasurementUnit {item.units[0]} ({symbol}): not a UCUM code; give the column its UCUM "
                         "`unit:`, e.g. mm[Hg]")
    for comparator, value, kind in item.range_checks:
        numeric = value.replace(".", "", 1).lstrip("-").isdigit() and column.type in ("integer", "decimal")
        if kind == "Soft" or not numeric or comparator not in ("GE", "LE"):
            notes.append(f"RangeCheck {comparator} {value} ({kind}): not enforced by the draft")
        elif comparator == "GE":
            column.minimum = value
        else:
            column.maximum = value
    column.required = mandatory
    column.notes = notes
    return column


def label_of(oid: str, item: ItemDef | None) -> str:
    if item is None:
        return oid
    text = (item.question or item.name or oid).strip().rstrip(":").strip()
    return text or oid
