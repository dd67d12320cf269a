"""A small study of the reference kind (paediatric R/R B-ALL, blinatumomab) built from the pydantic models,
and a runner that validates in-memory sheets the way the API will: match sheets, plan forms, locate headers,
validate rows. Sheets are lists of rows (row 1 first); None and "" are empty cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crfmap.issues import Report
from crfmap.sources import Row, SheetInfo
from crfmap.study.models import Codelist, Form, Study, StudyMapping
from crfmap.validate import ValidationContext, locate_header, match_sheets, plan_forms, validate_sheet
from crfmap.values.row import FormRow

SEX = {
    "id": "sex", "name": "Sex", "cdisc": {"name": "SEX", "nci_code": "C66731"},
    "values": [
        {"value": "M", "display": "Male", "nci_code": "C20197", "synonyms": ["муж", "м", "мужской", "male"],
         "codings": [{"system": "administrative-gender", "code": "male"}]},
        {"value": "F", "display": "Female", "nci_code": "C16576", "synonyms": ["жен", "ж", "женский"],
         "codings": [{"system": "administrative-gender", "code": "female"}]},
    ],
}
AE_TERM = {
    "id": "ae_term", "name": "Adverse event term",
    "values": [
        {"value": "PYREXIA", "display": "Pyrexia", "synonyms": ["Лихорадка", "Фебрильная лихорадка", "fever"]},
        {"value": "TREMOR", "display": "Tremor", "synonyms": ["Тремор"]},
        {"value": "SEIZURE", "display": "Seizure", "synonyms": ["Судороги"]},
    ],
}
DEMOGRAPHICS = {
    "name": "demographics", "label": "Demographics", "sheets": ["Demographics", "Демография"],
    "date_format": "dmy",  # the sites write dd.mm.yyyy
    "identity": {"subject": "subject"},
    "columns": [
        {"name": "subject", "label": "Subject ID", "headers": ["Номер пациента"], "type": "string",
         "required": True, "pattern": r"\d{2}-\d{3}"},
        {"name": "sex", "label": "Sex", "headers": ["Пол"], "type": "coded", "codelist": "sex", "required": True},
        {"name": "birth_date", "label": "Date of birth", "headers": ["Дата рождения"], "type": "partial_date"},
        {"name": "age", "label": "Age, years", "headers": ["Возраст"], "type": "integer", "min": 0, "max": 21},
        {"name": "diagnosis_date", "label": "Date of diagnosis", "headers": ["Дата диагноза"], "type": "date"},
        {"name": "prior_hsct", "label": "Prior HSCT", "headers": ["ТГСК в анамнезе"], "type": "boolean"},
    ],
    "rules": [{"rule": "required_one_of", "columns": ["birth_date", "age"]}],
}
ADVERSE_EVENTS = {
    "name": "adverse_events", "label": "Adverse events", "sheets": ["AE", "Нежелательные явления"],
    "date_format": "dmy", "repeating": True, "identity": {"subject": "subject", "keys": ["term", "start"]},
    "columns": [
        {"name": "subject", "label": "Subject ID", "headers": ["Номер пациента"], "type": "string",
         "required": True},
        {"name": "term", "label": "AE term", "headers": ["Нежелательное явление"], "type": "coded",
         "codelist": "ae_term", "required": True},
        {"name": "start", "label": "Onset date", "headers": ["Дата начала"], "type": "date", "required": True},
        {"name": "end", "label": "End date", "headers": ["Дата окончания"], "type": "partial_date"},
        {"name": "grade", "label": "CTCAE grade", "headers": ["Степень"], "type": "integer", "min": 1, "max": 5},
        {"name": "serious", "label": "Serious", "headers": ["Серьёзное"], "type": "boolean"},
        {"name": "hospitalised", "label": "Hospitalisation date", "type": "date",
         "required_if": {"column": "serious", "equals": "yes"}},
    ],
    "rules": [
        {"rule": "date_order", "start": "start", "end": "end"},
        {"rule": "subject_exists", "form": "demographics"},
        {"rule": "not_before", "column": "start", "form": "demographics", "other": "diagnosis_date"},
    ],
    "ignore_columns": ["Комментарий монитора"],
}
MARROW = {
    "name": "bone_marrow", "label": "Bone marrow", "sheets": ["Bone marrow", "Костный мозг"],
    "date_format": "dmy", "repeating": True, "identity": {"subject": "subject", "keys": ["date"]},
    "columns": [
        {"name": "subject", "label": "Subject ID", "type": "string", "required": True},
        {"name": "date", "label": "Assessment date", "type": "date", "required": True},
        {"name": "blasts", "label": "Blasts, %", "headers": ["Бласты, %"], "type": "decimal", "unit": "%",
         "min": 0, "max": 100},
        {"name": "mrd", "label": "MRD, %", "headers": ["МОБ, %"], "type": "decimal", "unit": "%",
         "min": 0, "max": 100},
    ],
    "rules": [{"rule": "subject_exists", "form": "demographics"}],
}


def build_study(forms: list[dict[str, Any]] | None = None, cutoff: str | None = "2024-12-31",
                ignore_sheets: tuple[str, ...] = ()) -> StudyMapping:
    forms = forms if forms is not None else [ADVERSE_EVENTS, DEMOGRAPHICS, MARROW]
    study = Study.model_validate({
        "id": "BLINA-PED-01", "title": "Blinatumomab in paediatric R/R B-ALL",
        "identifier_systems": {"subject": "urn:example:subject", "study": "urn:example:study"},
        "standards": {"ct": "2025-03-28"}, "data_cutoff": cutoff, "ignore_sheets": list(ignore_sheets)})
    parsed = [Form.model_validate(form) for form in forms]
    return StudyMapping(
        folder="test", study=study, forms={form.name: form for form in parsed},
        codelists={item["id"]: Codelist.model_validate(item) for item in (SEX, AE_TERM)},
        concepts=[], sha256="0" * 64)


def make_rows(table: list[list[Any]], first_row: int = 1) -> list[Row]:
    rows = []
    for offset, values in enumerate(table):
        cells = {number: value for number, value in enumerate(values, start=1) if value not in (None, "")}
        if cells:
            rows.append(Row(number=first_row + offset, cells=cells))
    return rows


@dataclass
class Outcome:
    report: Report
    rows: dict[str, list[FormRow]] = field(default_factory=dict)
    context: ValidationContext | None = None

    def flat(self) -> list[tuple[Any, ...]]:
        return self.report.flatten(("code", "sheet", "cell"))


def run_validation(study: StudyMapping, sheets: dict[str, list[list[Any]]], native_types: bool = True) -> Outcome:
    report = Report()
    context = ValidationContext(study, sink=report.add, file_name="site.xlsx", native_types=native_types)
    infos = [SheetInfo(name=name, index=index) for index, name in enumerate(sheets)]
    tables = {name: make_rows(table) for name, table in sheets.items()}
    matched, issues = match_sheets(study, infos, file_name="site.xlsx",
                                   count_cells=lambda name: sum(len(row.cells) for row in tables[name]))
    report.extend(issues)
    outcome = Outcome(report, context=context)
    for form in plan_forms(study):
        sheet = matched.get(form.name)
        if sheet is None:
            continue
        header, rows = locate_header(form, sheet.name, iter(tables[sheet.name]), context)
        if header is None:
            continue
        outcome.rows[form.name] = list(validate_sheet(form, sheet.name, rows, header, context))
    context.finish()
    return outcome

