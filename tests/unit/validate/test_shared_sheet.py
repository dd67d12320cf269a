"""Several forms on one sheet (a REDCap-style export: one sheet, an instrument column): each form reads only the
rows it selects, so its unknown-column, duplicate and coverage checks are its own — no false S004/S301/S205."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from crfmap.api import validate_workbook
from tests.minimal_study import write_study_files

STUDY = {
    "study.yaml": """
        id: SHARED
        title: Shared sheet
        identifier_systems: {subject: "urn:shared:subject", study: "urn:shared:study"}
        standards: {ct: "2025-03-28"}
        data_cutoff: "2024-12-31"
        """,
    "forms/enrolment.yaml": """
        name: enrolment
        label: Enrolment
        sheets: [Export]
        select: {column: instrument, present: false}
        identity: {subject: record_id}
        columns:
          - {name: record_id, label: record_id, type: string, required: true}
          - {name: instrument, label: redcap_repeat_instrument, type: string}
          - {name: sex, label: sex, type: coded, codelist: sex}
        """,
    "forms/vitals.yaml": """
        name: vitals
        label: Vital signs
        sheets: [Export]
        select: {column: instrument, equals: vital_signs}
        repeating: true
        date_format: mdy
        identity: {subject: record_id, keys: [visit_date]}
        columns:
          - {name: record_id, label: record_id, type: string, required: true}
          - {name: instrument, label: redcap_repeat_instrument, type: string}
          - {name: visit_date, label: vs_date, type: date, required: true}
          - {name: weight, label: weight_kg, type: decimal, unit: kg}
        rules:
          - {rule: subject_exists, form: enrolment}
        """,
    "forms/phq.yaml": """
        name: phq
        label: PHQ-2
        sheets: [Export]
        select: {column: instrument, equals: phq}
        repeating: true
        date_format: mdy
        identity: {subject: record_id, keys: [phq_date]}
        columns:
          - {name: record_id, label: record_id, type: string, required: true}
          - {name: instrument, label: redcap_repeat_instrument, type: string}
          - {name: phq_date, label: phq_date, type: date, required: true}
          - {name: interest, label: phq_1, type: integer, min: 0, max: 3}
        """,
    "codelists/sex.yaml": """
        id: sex
        name: Sex
        values: [{value: F, display: Female}, {value: M, display: Male}]
        """,
    "concepts.yaml": """
        concepts:
          - id: subject
            form: enrolment
            record: subject
            fields: {sex: {op: code, column: sex}}
          - id: weight
            form: vitals
            record: finding
            fields:
              category: {op: constant, value: vital-signs}
              test: {op: constant_code, codelist: sex, value: F}
              value_quantity: {op: quantity, column: weight}
              date: {op: copy, column: visit_date}
          - id: interest
            form: phq
            record: finding
            fields:
              category: {op: constant, value: survey}
              test: {op: constant_code, codelist: sex, value: M}
              value_text: {op: copy, column: interest}
              date: {op: copy, column: phq_date}
        """,
}
HEADER = ["record_id", "redcap_repeat_instrument", "sex", "vs_date", "weight_kg", "phq_date", "phq_1"]


def issues(result) -> list[tuple[str, str, str]]:
    """The issues but S113: dates typed as text into an xlsx are warned (the export wrote them so)."""
    return sorted(issue for issue in result.report.flatten(("code", "sheet", "cell")) if issue[0] != "S113")


def run(tmp_path: Path, rows: list[list[object]]):
    folder = write_study_files(tmp_path / "shared", STUDY)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "export.xlsx"
    book.save(path)
    return validate_workbook(path, folder)


def test_each_form_reads_its_own_rows_with_no_false_issues(tmp_path):
    result = run(tmp_path, [
        ["1", None, "F", None, None, None, None],
        ["1", "vital_signs", None, "03/04/2024", 61.5, None, None],
        ["1", "phq", None, None, None, "03/04/2024", 2],
        ["1", "vital_signs", None, "03/05/2024", 62, None, None],
        ["2", None, "M", None, None, None, None],
        ["2", "phq", None, None, None, "03/06/2024", 0],
    ])
    assert issues(result) == []
    by_concept = sorted((record.concept, record.subject_id) for record in result.records)
    assert by_concept == [("interest", "1"), ("interest", "2"), ("subject", "1"), ("subject", "2"),
                          ("weight", "1"), ("weight", "1")]
    weights = sorted(str(record.date) for record in result.records if record.concept == "weight")
    assert weights == ["2024-03-04", "2024-03-05"]  # mdy as the form declares, not 3 April
    (account,) = result.coverage
    assert (account.form, account.unaccounted, account.unmapped) == ("enrolment + phq + vitals", 0, 0)
    assert account.header == len(HEADER) and account.mapped == account.non_empty - len(HEADER)


def test_duplicates_and_strays_are_per_form_and_unselected_rows_are_reported(tmp_path):
    result = run(tmp_path, [
        ["1", None, "F", None, None, None, None],
        ["1", "vital_signs", None, "03/04/2024", 61.5, None, None],
        ["1", "vital_signs", None, "03/04/2024", 61.5, None, None],  # the same visit twice: S204 in vitals
        ["1", "phq", None, "03/04/2024", None, "03/04/2024", 1],  # a vitals cell in a phq row: S301 there
        ["1", "labs", None, None, None, None, None],  # an instrument no form reads: S116
    ])
    assert issues(result) == [
        ("S116", "Export", "B6"), ("S204", "Export", "A4"), ("S301", "Export", "D5")]
    (account,) = result.coverage
    assert account.unaccounted == 0
    assert account.unmapped == 3  # D5, and A6 and B6 of the unselected row
