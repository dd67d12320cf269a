"""What site inputs add to the mapping language: multi-valued coded cells (REDCap checkboxes) read one record per
value with for_each, a code op's default for an empty cell, required_if with several conditions (REDCap branching
logic), and the lint that keeps a multi-valued column from being read as one value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from crfmap.api import load_mapping, validate_workbook
from crfmap.issues import FatalIssue

SYMPTOMS = {"id": "symptoms", "name": "Symptoms", "values": [
    {"value": "1", "display": "Fever"}, {"value": "2", "display": "Rash"}, {"value": "x", "display": "Other"}]}
SEX = {"id": "sex", "name": "Sex", "cdisc": {"name": "SEX", "nci_code": "C66731"}, "values": [
    {"value": "M", "display": "Male", "synonyms": ["1"]}, {"value": "F", "display": "Female", "synonyms": ["2"]},
    {"value": "U", "display": "Unknown"}]}
FORM = {"name": "enrolment", "label": "Enrolment", "sheets": ["enrolment"], "identity": {"subject": "record_id"},
        "columns": [
            {"name": "record_id", "label": "Record ID", "type": "string", "required": True},
            {"name": "sex", "label": "Sex", "type": "coded", "codelist": "sex"},
            {"name": "symptoms", "label": "Symptoms", "type": "coded", "codelist": "symptoms", "multiple": True},
            {"name": "pregnant", "label": "Pregnant", "type": "boolean"},
            {"name": "weeks", "label": "Weeks of pregnancy", "type": "integer",
             "required_if": [{"column": "sex", "equals": "F"}, {"column": "pregnant", "equals": "yes"}]},
        ]}
CONCEPTS = {"concepts": [
    {"id": "subject", "form": "enrolment", "record": "subject",
     "fields": {"sex": {"op": "code", "column": "sex", "default": "U"}},
     "qualifiers": {"pregnant": {"op": "copy", "column": "pregnant"}, "weeks": {"op": "copy", "column": "weeks"}}},
    {"id": "symptom", "form": "enrolment", "record": "finding", "for_each": "symptoms",
     "fields": {"category": {"op": "constant", "value": "symptom"},
                "test": {"op": "constant_code", "codelist": "symptoms", "value": "1"},
                "value_coded": {"op": "code", "column": "symptoms"}}},
]}


def write_study(folder: Path, concepts=CONCEPTS) -> Path:
    (folder / "forms").mkdir(parents=True)
    (folder / "codelists").mkdir()
    (folder / "study.yaml").write_text(yaml.safe_dump({
        "id": "OPS", "title": "Ops", "identifier_systems": {"subject": "urn:s", "study": "urn:t"},
        "standards": {"ct": "2025-03-28"}}))
    (folder / "forms" / "enrolment.yaml").write_text(yaml.safe_dump(FORM))
    for codelist in (SYMPTOMS, SEX):
        (folder / "codelists" / f"{codelist['id']}.yaml").write_text(yaml.safe_dump(codelist))
    (folder / "concepts.yaml").write_text(yaml.safe_dump(concepts))
    return folder


def workbook(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "enrolment"
    sheet.append(["Record ID", "Sex", "Symptoms", "Pregnant", "Weeks of pregnancy"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(tmp_path, rows):
    study = write_study(tmp_path / "study")
    result = validate_workbook(workbook(tmp_path / "site.xlsx", rows), study)
    return result, [(issue.code, issue.cell) for issue in result.report.issues]


def test_a_multi_valued_cell_makes_one_record_per_value_each_from_its_cell(tmp_path):
    result, issues = run(tmp_path, [["1", "1", "1 | x", None, None], ["2", "2", "2", "no", None]])
    assert issues == []
    findings = sorted((record.subject_id, record.key, record.value_coded.value) for record in result.records
                      if record.concept == "symptom")
    assert findings == [("1", "1|1", "1"), ("1", "1|x", "x"), ("2", "2|2", "2")]
    record = next(record for record in result.records if record.key == "1|x")
    assert [cell.a1 for cell in record.sources["value_coded"]] == ["C2"]
    assert record.value_coded.verbatim == "x"


def test_each_value_of_a_multi_valued_cell_must_be_in_the_code_list(tmp_path):
    result, issues = run(tmp_path, [["1", "1", "1 | 7", None, None]])
    assert issues == [("S104", "C2")]
    assert [record for record in result.records if record.concept == "symptom"] == []


def test_an_empty_cell_takes_the_code_ops_default(tmp_path):
    result, issues = run(tmp_path, [["3", None, None, None, None], ["4", "1", None, None, None]])
    assert issues == []
    sexes = {record.subject_id: record.sex.value for record in result.records if record.concept == "subject"}
    assert sexes == {"3": "U", "4": "M"}
    defaulted = next(record for record in result.records if record.subject_id == "3" and record.concept == "subject")
    assert "sex" not in defaulted.sources  # a default comes from the mapping, not from a cell


def test_required_if_with_several_conditions_needs_all(tmp_path):
    _result, issues = run(tmp_path, [["5", "2", None, "yes", None], ["6", "2", None, "no", None],
                                     ["7", "1", None, "yes", None], ["8", "2", None, "yes", 12]])
    assert issues == [("S207", "E2")]


def test_a_multi_valued_column_read_as_one_value_is_refused(tmp_path):
    concepts = {"concepts": [CONCEPTS["concepts"][0], {
        "id": "symptom", "form": "enrolment", "record": "finding",
        "fields": {"category": {"op": "constant", "value": "symptom"},
                   "test": {"op": "constant_code", "codelist": "symptoms", "value": "1"},
                   "value_coded": {"op": "code", "column": "symptoms"}}}]}
    with pytest.raises(FatalIssue) as raised:
        load_mapping(write_study(tmp_path / "study", concepts))
    assert [issue.code for issue in raised.value.issues] == ["P052"]


def test_a_default_must_be_a_value_of_the_code_list(tmp_path):
    concepts = {"concepts": [{**CONCEPTS["concepts"][0],
                              "fields": {"sex": {"op": "code", "column": "sex", "default": "X"}}},
                             CONCEPTS["concepts"][1]]}
    with pytest.raises(FatalIssue) as raised:
        load_mapping(write_study(tmp_path / "study", concepts))
    assert [issue.code for issue in raised.value.issues] == ["P012"]
