"""validate_sheet: per-cell checks and row rules, asserted as (code, sheet, cell) tuples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crfmap.model import PartialDate
from crfmap.sources import SourceCell
from tests.unit.validate.study_builder import DEMOGRAPHICS, MARROW, build_study, run_validation

DM_HEADER = ["Subject ID", "Sex", "Date of birth", "Age, years", "Date of diagnosis", "Prior HSCT"]
AE_HEADER = ["Subject ID", "AE term", "Onset date", "End date", "CTCAE grade", "Serious", "Hospitalisation date"]
MARROW_HEADER = ["Subject ID", "Assessment date", "Blasts, %", "MRD, %"]


def only(*forms: dict):
    return build_study(forms=list(forms))


def test_typed_values_cells_and_raw_of_a_clean_row() -> None:
    outcome = run_validation(only(DEMOGRAPHICS), {"Demographics": [
        DM_HEADER, ["01-007", "Мужской", "UN.05.2012", None, date(2019, 1, 10), "Да"]]}, native_types=True)
    assert outcome.flat() == []
    (row,) = outcome.rows["demographics"]
    assert row.subject_id == "01-007" and row.number == 2 and not row.has_errors
    assert row.values["sex"].value == "M" and row.values["sex"].verbatim == "Мужской"
    assert row.values["birth_date"] == PartialDate(2012, 5)
    assert row.values["diagnosis_date"] == PartialDate(2019, 1, 10)
    assert row.values["prior_hsct"] is True
    assert row.cells["birth_date"] == SourceCell("site.xlsx", "Demographics", 2, 3)
    assert row.raw["birth_date"] == "UN.05.2012"
    assert "age" not in row.values and "age" not in row.raw


def test_required_values_spaces_and_unknown() -> None:
    form = dict(DEMOGRAPHICS, columns=[*DEMOGRAPHICS["columns"][:4], dict(DEMOGRAPHICS["columns"][4], required=True),
                                       DEMOGRAPHICS["columns"][5]])
    outcome = run_validation(only(form), {"Demographics": [
        DM_HEADER,
        ["01-001", "   ", None, 9, "UNK"],
        [None, "F", None, 10, "2019-01-01"],
    ]}, native_types=False)
    assert outcome.flat() == [
        ("S101", "Demographics", "B2"),
        ("S101", "Demographics", "E2"),
        ("S101", "Demographics", "A3"),
    ]
    issues = outcome.report.sorted()
    assert issues[0].hint == "The cell holds only spaces."
    assert "unknown" in issues[1].hint
    assert issues[2].subject is None and issues[0].subject == "01-001"
    assert [row.has_errors for row in outcome.rows["demographics"]] == [True, True]


def test_range_pattern_length_and_cutoff() -> None:
    form = dict(DEMOGRAPHICS, columns=[*DEMOGRAPHICS["columns"],
                                       {"name": "site", "label": "Site", "type": "string", "max_length": 5}])
    outcome = run_validation(only(form), {"Demographics": [
        [*DM_HEADER, "Site"],
        ["01-001", "M", None, 22, "2025-01-02", None, "Moscow"],
        ["1-2", "M", "2024", 0, "2024-12-31", None, "Msk"],  # 2024 may be before the cut-off
        ["01-003", "F", "2025-01", 21, None],
    ]}, native_types=False)
    assert outcome.flat() == [
        ("S105", "Demographics", "D2"),
        ("S107", "Demographics", "E2"),
        ("S110", "Demographics", "G2"),
        ("S106", "Demographics", "A3"),
        ("S107", "Demographics", "C4"),
    ]
    range_issue = outcome.report.sorted()[0]
    assert (range_issue.value, range_issue.expected, range_issue.column) == ("22", "0 to 21", "age")


def test_no_cutoff_no_future_check() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS], cutoff=None), {"Demographics": [
        DM_HEADER, ["01-001", "M", None, 9, "2099-01-02"]]}, native_types=False)
    assert outcome.flat() == []


def test_date_order_compares_partial_dates_safely() -> None:
    ae = dict(build_study().forms["adverse_events"].model_dump(by_alias=True, exclude_none=True),
              rules=[{"rule": "date_order", "start": "start", "end": "end"}])
    outcome = run_validation(build_study(forms=[ae]), {"AE": [
        AE_HEADER,
        ["01-001", "Тремор", "14.05.2019", "05.2019"],  # may be the 14th or later: no error
        ["01-001", "Судороги", "14.05.2019", "04.2019"],
        ["01-001", "Лихорадка", "14.05.2019", "13.05.2019"],
        ["01-002", "Лихорадка", "14.05.2019", "31.04.2019"],  # impossible: S108 only, no cascade
    ]}, native_types=False)
    assert outcome.flat() == [
        ("S201", "AE", "D3"),
        ("S201", "AE", "D4"),
        ("S108", "AE", "D5"),
    ]
    assert outcome.report.sorted()[0].related == ("AE!C3",)


def test_required_if_and_required_one_of() -> None:
    outcome = run_validation(only(dict(build_study().forms["adverse_events"].model_dump(
        by_alias=True, exclude_none=True), rules=[])), {"AE": [
        AE_HEADER,
        ["01-001", "Тремор", "14.05.2019", None, 2, "да"],
        ["01-001", "Судороги", "15.05.2019", None, 3, "нет"],
        ["01-001", "Лихорадка", "16.05.2019", None, 3, "да", "17.05.2019"],
    ]}, native_types=False)
    assert outcome.flat() == [("S207", "AE", "G2")]
    dm = run_validation(only(DEMOGRAPHICS), {"Demographics": [DM_HEADER, ["01-001", "M"], ["01-002", "F", "2012"]]},
                        native_types=False)
    assert dm.flat() == [("S202", "Demographics", "C2")]


def test_numbers_comma_decimals_percent_and_comparators() -> None:
    outcome = run_validation(only(MARROW), {"Bone marrow": [
        MARROW_HEADER,
        ["01-001", "14.05.2019", "12,50", "0,01%"],
        ["01-001", "15.05.2019", 35.5, "<0,01%"],
        ["01-001", "16.05.2019", "101", None],
    ]}, native_types=False)
    assert outcome.flat() == [("S114", "Bone marrow", "D3"), ("S105", "Bone marrow", "C4")]
    first = outcome.rows["bone_marrow"][0]
    assert str(first.values["blasts"]) == "12.50" and first.values["mrd"] == Decimal("0.01")
    assert outcome.rows["bone_marrow"][1].raw["mrd"] == "<0,01%"  # kept as written, for the report


def test_text_typed_numbers_and_dates_warn_only_in_typed_workbooks() -> None:
    table = {"Bone marrow": [MARROW_HEADER, ["01-001", "14.05.2019", "12,5", 0.5]]}
    assert run_validation(only(MARROW), table, native_types=True).flat() == [
        ("S113", "Bone marrow", "B2"), ("S112", "Bone marrow", "C2")]
    outcome = run_validation(only(MARROW), table, native_types=False)
    assert outcome.flat() == [] and not outcome.rows["bone_marrow"][0].has_errors


def test_subject_ids_typed_as_numbers_and_as_text() -> None:
    form = dict(DEMOGRAPHICS, columns=[dict(DEMOGRAPHICS["columns"][0], pattern=None), DEMOGRAPHICS["columns"][3]],
                rules=[])
    outcome = run_validation(only(form), {"Demographics": [
        ["Subject ID", "Age, years"], [7.0, 9], [" 01-007 ", 9], [1007, 9]]})
    assert [row.subject_id for row in outcome.rows["demographics"]] == ["7", "01-007", "1007"]


def test_rows_with_only_unmapped_cells_make_no_form_row() -> None:
    outcome = run_validation(only(MARROW), {"Bone marrow": [
        MARROW_HEADER, ["01-001", "14.05.2019", 5], [None, None, None, None, "итого"]]}, native_types=False)
    assert outcome.flat() == [("S301", "Bone marrow", "E3")]
    assert [row.number for row in outcome.rows["bone_marrow"]] == [2]


def test_issue_fields_name_the_place_the_value_and_the_subject() -> None:
    outcome = run_validation(only(DEMOGRAPHICS), {"Демография": [DM_HEADER, ["01-007", "Мж", None, 9]]},
                             native_types=False)
    (issue,) = outcome.report.issues
    assert (issue.file, issue.sheet, issue.cell, issue.row, issue.column, issue.form, issue.subject, issue.value) == (
        "site.xlsx", "Демография", "B2", 2, "sex", "demographics", "01-007", "Мж")
    assert issue.message.startswith("'Мж' is not in code list sex")
    assert "Python" not in issue.message and "NoneType" not in issue.message
