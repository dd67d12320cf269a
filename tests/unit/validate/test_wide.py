"""Wide sheets: repeated column groups read as one form row per group (prefix, suffix and numbered labels, a
group row above the titles), each value at its own cell, and everything else reported as on a long sheet."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from crfmap.api import load_mapping, validate_workbook

FORM = {
    "name": "marrow", "label": "Marrow", "sheets": ["Marrow"], "repeating": True,
    "identity": {"subject": "subject_id", "keys": ["timepoint"]},
    "columns": [
        {"name": "subject_id", "label": "Subject ID", "type": "string", "required": True},
        {"name": "timepoint", "label": "Timepoint", "type": "coded", "codelist": "timepoint", "required": True},
        {"name": "blasts", "label": "Blasts, %", "type": "decimal", "required": True},
        {"name": "mrd", "label": "MRD, %", "type": "decimal"},
    ],
    "wide": {"groups": [{"labels": ["d0", "Baseline"], "values": {"timepoint": "D0"}},
                        {"labels": ["d29", "Day 29"], "values": {"timepoint": "D29"}}]},
}
EVENTS = {
    "name": "events", "label": "Events", "sheets": ["AE"], "repeating": True,
    "identity": {"subject": "subject_id", "keys": ["number"]},
    "columns": [
        {"name": "subject_id", "label": "Subject ID", "type": "string", "required": True},
        {"name": "number", "label": "Event number", "type": "integer"},
        {"name": "term", "label": "Term", "type": "string", "required": True},
        {"name": "grade", "label": "Grade", "type": "integer"},
    ],
    "wide": {"numbered": "AE{n}", "number_column": "number"},
}
CONCEPTS = {"concepts": [
    {"id": "blasts", "form": "marrow", "record": "finding",
     "fields": {"category": {"op": "constant", "value": "laboratory"},
                "test": {"op": "constant_code", "codelist": "timepoint", "value": "D0"},
                "value_quantity": {"op": "quantity", "column": "blasts"}},
     "qualifiers": {"timepoint": {"op": "code", "column": "timepoint"}, "mrd": {"op": "copy", "column": "mrd"}}},
    {"id": "ae", "form": "events", "record": "event",
     "fields": {"category": {"op": "constant", "value": "adverse_event"}, "term": {"op": "copy", "column": "term"}},
     "qualifiers": {"grade": {"op": "copy", "column": "grade"}, "number": {"op": "copy", "column": "number"}}},
]}


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    (folder / "forms").mkdir(parents=True)
    (folder / "codelists").mkdir()
    (folder / "study.yaml").write_text(yaml.safe_dump({
        "id": "WIDE", "title": "Wide", "identifier_systems": {"subject": "urn:s", "study": "urn:t"},
        "standards": {"ct": "2025-03-28"}}))
    (folder / "forms" / "marrow.yaml").write_text(yaml.safe_dump(FORM))
    (folder / "forms" / "events.yaml").write_text(yaml.safe_dump(EVENTS))
    (folder / "codelists" / "timepoint.yaml").write_text(yaml.safe_dump({
        "id": "timepoint", "name": "Timepoint", "values": [{"value": "D0", "display": "Day 0"},
                                                           {"value": "D29", "display": "Day 29"}]}))
    (folder / "concepts.yaml").write_text(yaml.safe_dump(CONCEPTS))
    return folder


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def run(path: Path, study: Path):
    result = validate_workbook(path, study)
    issues = [(issue.code, issue.sheet, issue.cell) for issue in result.report.issues]
    return result, issues


def values(result, concept):
    return sorted((record.subject_id, record.key, {name: str(getattr(value, "value", value))
                                                   for name, value in record.qualifiers.items()})
                  for record in result.records if record.concept == concept)


def test_suffix_groups_make_one_row_each_with_their_own_cells(tmp_path, study):
    path = workbook(tmp_path / "site.xlsx", {"Marrow": [
        ["Subject ID", "blasts_d0", "mrd_d0", "Blasts, % Day 29", "MRD, % day 29"],
        ["01", 40, 12.5, 2, None],
        ["02", 55, None, None, None],  # nothing for day 29: no row
    ], "AE": [["Subject ID", "AE1 Term"]]})
    result, issues = run(path, study)
    assert issues == []
    assert values(result, "blasts") == [("01", "D0", {"mrd": "12.5", "timepoint": "D0"}),
                                       ("01", "D29", {"timepoint": "D29"}),
                                       ("02", "D0", {"timepoint": "D0"})]
    record = next(record for record in result.records if record.key == "D29")
    assert [cell.a1 for cell in record.sources["value_quantity"]] == ["D2"]
    assert [cell.a1 for cell in record.sources["qualifiers.timepoint"]] == ["D1"]  # where the group is named
    assert result.rows_read == 3 and sum(account.unaccounted for account in result.coverage) == 0


def test_numbered_groups_give_their_number(tmp_path, study):
    path = workbook(tmp_path / "site.xlsx", {"Marrow": [["Subject ID", "blasts_d0"]], "AE": [
        ["Subject ID", "AE1 Term", "AE1 Grade", "AE2_term", "AE2_grade", "AE10 term"],
        ["01", "Fever", 2, "Rash", 1, "Cough"],
    ]})
    result, issues = run(path, study)
    assert issues == []
    assert values(result, "ae") == [("01", "1", {"grade": "2", "number": "1"}),
                                   ("01", "10", {"number": "10"}),
                                   ("01", "2", {"grade": "1", "number": "2"})]


def test_group_row_above_the_titles(tmp_path, study):
    path = workbook(tmp_path / "site.xlsx", {"Marrow": [
        ["Marrow assessments, one row per patient"],
        [None, "Baseline", None, "Day 29", None],
        ["Subject ID", "Blasts, %", "MRD, %", "Blasts, %", "MRD, %"],
        ["01", 40, 12.5, 2, 0.5],
    ], "AE": [["Subject ID", "AE1 Term"]]})
    result, issues = run(path, study)
    assert issues == [("S301", "Marrow", "A1")]  # the title line, as on any sheet
    assert values(result, "blasts") == [("01", "D0", {"mrd": "12.5", "timepoint": "D0"}),
                                       ("01", "D29", {"mrd": "0.5", "timepoint": "D29"})]
    record = next(record for record in result.records if record.key == "D29")
    assert [cell.a1 for cell in record.sources["qualifiers.timepoint"]] == ["D2"]
    marrow = next(account for account in result.coverage if account.form == "marrow")
    assert (marrow.header, marrow.unmapped, marrow.unaccounted) == (7, 1, 0)


def test_a_group_is_checked_like_a_row(tmp_path, study):
    path = workbook(tmp_path / "site.xlsx", {"Marrow": [
        ["Subject ID", "blasts_d0", "mrd_d0", "blasts_d29", "mrd_d29", "comment"],
        ["01", "many", None, None, 3, "call back"],
    ], "AE": [["Subject ID", "AE1 Term"]]})
    _result, issues = run(path, study)
    assert Counter(issues) == Counter([("S004", "Marrow", "F1"), ("S301", "Marrow", "F2"),
                                       ("S102", "Marrow", "B2"), ("S101", "Marrow", "D2")])


def test_a_wide_form_still_reads_long_sheets(tmp_path, study):
    path = workbook(tmp_path / "site.xlsx", {"Marrow": [
        ["Subject ID", "Timepoint", "Blasts, %"], ["01", "D0", 40], ["01", "Day 29", 2]],
        "AE": [["Subject ID", "Event number", "Term"], ["01", 1, "Fever"]]})
    result, issues = run(path, study)
    assert issues == []
    assert [record.key for record in result.records if record.concept == "blasts"] == ["D0", "D29"]


def test_wide_layout_needs_a_repeating_form_and_known_columns(study):
    form = dict(FORM, repeating=False, wide={"shared": ["patient"], "groups": [
        {"labels": ["d0"], "values": {"timepoint": "D7"}}]})
    (study / "forms" / "marrow.yaml").write_text(yaml.safe_dump(form))
    from crfmap.issues import FatalIssue

    with pytest.raises(FatalIssue) as raised:
        load_mapping(study)
    assert sorted(issue.code for issue in raised.value.issues) == ["P012", "P055", "P055"]
