"""A draft mapping from a REDCap project: its data dictionary (or the MetaDataVersion of its ODM export), and,
when an export is at hand, what the data shows (events, repeating instruments, extra columns).

One form per instrument, reading the instrument's table as the REDCap and ODM readers present it; one code
list per set of choices; field types from REDCap's field types and text validation types; required fields with
branching logic become `required_if` where the logic translates (scaffold/branching.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crfmap.readers.odm_metadata import OdmMetadata
from crfmap.readers.redcap_dictionary import RedcapDictionary, RedcapField, parse_choices
from crfmap.scaffold.branching import translate_branching
from crfmap.scaffold.draft import DraftColumn, DraftForm, DraftStudy, identifier
from crfmap.sources import Workbook

EVENT = "redcap_event_name"
INSTANCE = "redcap_repeat_instance"
GROUP = "redcap_data_access_group"
FORM_STATUS = [("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete")]
TAG = re.compile(r"<[^>]+>")


@dataclass
class ExportFacts:
    """What an export of the project shows, per instrument table: its columns, events, whether it repeats."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    events: dict[str, set[str]] = field(default_factory=dict)
    instances: set[str] = field(default_factory=set)  # instruments whose rows carry an instance
    repeated_subjects: set[str] = field(default_factory=set)  # instruments with a record on several rows


def read_export_facts(workbook: Workbook, record_id: str) -> ExportFacts:
    facts = ExportFacts()
    for info in workbook.sheets():
        rows = workbook.iter_rows(info.name)
        header = next(rows, None)
        if header is None:
            continue
        names = {number: str(value) for number, value in header.cells.items()}
        facts.columns[info.name] = list(names.values())
        seen: set[str] = set()
        for row in rows:
            values = {names.get(number): str(value) for number, value in row.cells.items()}
            if values.get(EVENT):
                facts.events.setdefault(info.name, set()).add(values[EVENT])
            if values.get(INSTANCE):
                facts.instances.add(info.name)
            record = values.get(record_id, "")
            if record in seen:
                facts.repeated_subjects.add(info.name)
            seen.add(record)
    return facts


def draft_from_redcap(dictionary: RedcapDictionary, facts: ExportFacts | None, source: str,
                      study_id: str) -> DraftStudy:
    study = DraftStudy(id=study_id, title=f"{study_id} (REDCap project, draft)", source=source)
    if facts is None:
        study.notes.append("No export was read with the dictionary: events and repeating instruments are not "
                           "known; pass --data with a records export to have them drafted.")
    record = dictionary.record_id
    events = sorted(set().union(*facts.events.values())) if facts and facts.events else []
    event_codelist = study.add_codelist("events", "REDCap events", [(name, name) for name in events],
                                        "The unique event names seen in the export.") if events else None
    status_codelist = study.add_codelist("form_status", "REDCap form status", FORM_STATUS, entry="choice")
    for index, instrument in enumerate(dictionary.instruments):
        exported = facts.columns.get(instrument) if facts else None
        if facts is not None and exported is None:
            continue  # an instrument without columns in the export: nothing to read
        columns = [DraftColumn(record.name, strip_tags(record.label) or record.name, required=True, ignore=False,
                               notes=["the record id: each record is one subject"])]
        keys = []
        if facts is not None and EVENT in (exported or []):
            columns.append(event_column(event_codelist))
            keys.append(EVENT)
        if facts is not None and INSTANCE in (exported or []):
            columns.append(DraftColumn(INSTANCE, "Repeat instance", "integer",
                                       notes=["the instance of a repeating instrument or event"]))
            if instrument in facts.instances:
                keys.append(INSTANCE)
        if index == 0 and facts is not None and GROUP in (exported or []):
            columns.append(DraftColumn(GROUP, "Data access group", notes=[("REDCap's data access group, often the "
                                                                          "site: map it to the subject's site")]))
        for item in dictionary.fields_of(instrument):
            if item is record or (exported is not None and item.name not in exported):
                continue
            if any(column.name == item.name for column in columns):
                continue  # REDCap's own columns (the data access group) may also be listed as fields
            columns.append(field_column(item, study))
        status = f"{instrument}_complete"
        if exported is None or status in exported:
            columns.append(DraftColumn(status, "Complete?", "coded", codelist=status_codelist,
                                       notes=["REDCap's form status (0 Incomplete, 1 Unverified, 2 Complete)"]))
        for extra in (exported or []):
            if all(column.name != extra for column in columns) and extra.endswith("_timestamp"):
                columns.append(DraftColumn(extra, "Survey timestamp", notes=["when the survey was completed"]))
        repeating = bool(keys) or (facts is not None and instrument in facts.repeated_subjects)
        form = DraftForm(name=identifier(instrument, "form"), label=instrument.replace("_", " ").capitalize(),
                         sheets=[instrument], subject=record.name, columns=columns, repeating=repeating, keys=keys)
        if facts is None:
            form.notes.append("Events and repeats unknown: add redcap_event_name / redcap_repeat_instance columns "
                              "and identity keys if the project has them.")
        study.forms.append(form)
    return study


def event_column(codelist: str | None) -> DraftColumn:
    if codelist is None:
        return DraftColumn(EVENT, "Event name", notes=["the REDCap event (visit) of the row"])
    return DraftColumn(EVENT, "Event name", "coded", codelist=codelist,
                       notes=[("the REDCap event (visit) of the row; map it to a visit, or to the arm for the "
                              "enrolment instrument (arm N in unique_event_arm_N)")])


def field_column(item: RedcapField, study: DraftStudy) -> DraftColumn:
    column = DraftColumn(item.name, strip_tags(item.label) or item.name)
    notes = [f"REDCap {item.type}" + (f", validation {item.validation}" if item.validation else "")]
    kind = item.type
    if kind in ("radio", "dropdown", "checkbox") and item.choices:
        column.type, column.multiple = "coded", kind == "checkbox"
        column.codelist = study.add_codelist(item.name, column.label, [(code, strip_tags(label))
                                                                      for code, label in item.choices],
                                             entry="choice")  # a raw export holds the choice codes
        if column.multiple:
            notes.append("checkbox: the export's choice columns are read as one cell of ticked codes")
    elif kind in ("yesno", "truefalse"):
        column.type = "boolean"
    elif kind == "calc":
        column.type = "decimal"
        notes.append(f"calculated by REDCap: {' '.join(item.calculation.split())}")
    elif kind == "slider":
        column.type = "integer"
    elif kind == "file":
        notes.append("a file upload: the export holds the file's name, not its content")
    elif kind == "text":
        text_type(item, column)
    if item.hidden:
        notes.append("@HIDDEN: never shown on data entry")
    if item.identifier:
        notes.append("an identifier (personal data): keep it out of outputs unless the protocol needs it")
    if item.note:
        notes.append(f"field note: {strip_tags(item.note)}")
    required(item, column, notes)
    column.notes = notes + column.notes
    return column


def text_type(item: RedcapField, column: DraftColumn) -> None:
    validation = item.validation
    if validation.startswith("date"):
        column.type = "datetime" if validation.startswith("datetime") else "date"
        order = validation.rsplit("_", 1)[-1]
        if order in ("dmy", "mdy", "ymd"):  # REDCap's raw export writes yyyy-mm-dd, which every order reads; a
            column.date_format = order      # label export or a site's own file writes the order entry uses
    elif validation in ("time", "time_hh_mm_ss"):
        column.type = "time"
    elif validation in ("integer", "int"):
        column.type = "integer"
    elif validation.startswith("number") or validation == "float":
        column.type = "decimal"
    elif validation == "email":
        column.pattern = r"[^@\s]+@[^@\s]+\.[^@\s]+"
    elif validation == "alpha_only":
        column.pattern = "[A-Za-z]+"
    if item.minimum or item.maximum:  # REDCap's range is a soft check: data entry may go past it
        column.notes.append(f"REDCap's suggested range {item.minimum or '…'} to {item.maximum or '…'} (a soft "
                            "check; add min/max if values outside it are errors)")


def required(item: RedcapField, column: DraftColumn, notes: list[str]) -> None:
    if not item.branching:
        column.required = item.required
        return
    if not item.required:
        notes.append(f"shown only if {item.branching}")
        return
    conditions = translate_branching(item.branching)
    if conditions is None:
        notes.append(f"required when shown, which is when {item.branching}: not translated, say it with required_if")
    else:
        column.required_if = conditions
        notes.append(f"required when shown: branching logic {item.branching}")


def strip_tags(text: str) -> str:
    return " ".join(TAG.sub(" ", text).split())


# ── REDCap's ODM export: its MetaDataVersion as a data dictionary ────────────────────────────────────────────
ODM_FIELD_TYPES = {"select": "dropdown", "textarea": "notes"}


def dictionary_from_odm(metadata: OdmMetadata, file: str) -> RedcapDictionary:
    """The REDCap fields of an ODM export, in form and item order, as the data dictionary would list them."""
    fields: list[RedcapField] = []
    seen: set[str] = set()
    for form_oid in metadata.forms:
        form = metadata.redcap_form_name(form_oid)
        for item in metadata.form_items(form_oid):
            attributes = item.redcap
            name = attributes.get("Variable") or item.name
            if name in seen:
                continue
            seen.add(name)
            kind = attributes.get("FieldType", "text")
            kind = ODM_FIELD_TYPES.get(kind, kind)
            codelist = metadata.codelists.get(item.codelist or "")
            choices: tuple[tuple[str, str], ...] = ()
            if codelist is not None:
                choices = (parse_choices(codelist.redcap["CheckboxChoices"]) if "CheckboxChoices" in codelist.redcap
                           else codelist.items)
            if name == f"{form}_complete":
                continue  # the form status: drafted for every instrument
            validation = attributes.get("TextValidationType", "")
            fields.append(RedcapField(
                name=name, form=form, type=kind, label=item.question or name, choices=choices,
                validation="integer" if validation == "int" else validation,
                minimum=next((value for comparator, value, _kind in item.range_checks if comparator == "GE"), ""),
                maximum=next((value for comparator, value, _kind in item.range_checks if comparator == "LE"), ""),
                required=attributes.get("RequiredField", "").lower() == "y",
                branching=attributes.get("BranchingLogic", ""), annotation=attributes.get("FieldAnnotation", ""),
                note=attributes.get("FieldNote", ""), identifier=attributes.get("Identifier", "") == "y",
                calculation=attributes.get("Calculation", ""), line=item.line))
    if metadata.redcap_record_id:
        fields.sort(key=lambda item: item.name != metadata.redcap_record_id)
    return RedcapDictionary(file=file, fields=tuple(fields))
