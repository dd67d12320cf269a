"""Cross-form state: unknown subjects, duplicate rows and subjects, conflicting values, not_before, and the
order forms are validated in."""

from __future__ import annotations

from crfmap.validate import plan_forms
from tests.unit.validate.study_builder import ADVERSE_EVENTS, DEMOGRAPHICS, MARROW, build_study, run_validation

DM_HEADER = ["Subject ID", "Sex", "Date of birth", "Age, years", "Date of diagnosis", "Prior HSCT"]
AE_HEADER = ["Subject ID", "AE term", "Onset date", "End date", "CTCAE grade", "Serious", "Hospitalisation date"]
DEMOGRAPHICS_SHEET = [
    DM_HEADER,
    ["01-001", "M", "14.05.2012", None, "10.01.2019", "нет"],
    ["01-002", "F", None, 9, "20.02.2019", "нет"],
]


def test_plan_puts_referenced_forms_first() -> None:
    study = build_study(forms=[ADVERSE_EVENTS, MARROW, DEMOGRAPHICS])
    assert [form.name for form in plan_forms(study)] == ["demographics", "adverse_events", "bone_marrow"]


def test_plan_survives_a_cycle() -> None:
    first = dict(MARROW, rules=[{"rule": "subject_exists", "form": "demographics"}])
    second = dict(DEMOGRAPHICS, rules=[{"rule": "subject_exists", "form": "bone_marrow"}])
    assert sorted(form.name for form in plan_forms(build_study(forms=[first, second]))) == [
        "bone_marrow", "demographics"]


def test_unknown_subject_duplicate_row_and_not_before() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS, ADVERSE_EVENTS]), {
        "Demographics": DEMOGRAPHICS_SHEET,
        "AE": [
            AE_HEADER,
            ["01-001", "Лихорадка", "14.05.2019", "16.05.2019", 2, "нет"],
            ["01-009", "Тремор", "14.05.2019", None, 1, "нет"],
            ["01-001", "Pyrexia", "14.05.2019", "16.05.2019", 2, "нет"],  # same term by another spelling
            ["01-002", "Судороги", "01.02.2019", "02.02.2019", 3, "нет"],  # before the diagnosis (20.02.2019)
            ["01-001", "Лихорадка", "15.05.2019", None, 1, "нет"],
        ]}, native_types=False)
    assert outcome.flat() == [
        ("S203", "AE", "A3"),
        ("S204", "AE", "A4"),
        ("S208", "AE", "C5"),
    ]
    unknown, duplicate, too_early = outcome.report.sorted()
    assert unknown.subject == "01-009" and unknown.expected == "form 'demographics'"
    assert duplicate.expected == "2" and duplicate.related == ("AE!A2",)
    assert too_early.related == ("Demographics!E3",)
    assert [row.has_errors for row in outcome.rows["adverse_events"]] == [False, True, True, True, False]


def test_no_unknown_subject_cascade_when_demographics_is_missing() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS, ADVERSE_EVENTS]), {
        "AE": [AE_HEADER, ["01-009", "Тремор", "14.05.2019", None, 1, "нет"]]}, native_types=False)
    assert outcome.flat() == [("S001", None, None)]


def test_subject_listed_twice_with_conflicting_values() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS]), {"Demographics": [
        *DEMOGRAPHICS_SHEET,
        ["01-001", "муж", "15.05.2012", None, "10.01.2019", "нет"],  # same sex, other birth date
        ["01-002", "F", None, 9, "20.02.2019", "нет"],  # an exact repeat
    ]}, native_types=False)
    assert outcome.flat() == [
        ("S205", "Demographics", "A4"),
        ("S206", "Demographics", "C4"),
        ("S205", "Demographics", "A5"),
    ]
    conflict = outcome.report.sorted()[1]
    assert (conflict.value, conflict.expected, conflict.related) == (
        "15.05.2012", "'14.05.2012' (row 2)", ("Demographics!C2",))
    first = outcome.context.rows_by_subject["demographics"]["01-001"]
    assert first.number == 2  # the mapping engine's lookup reads the first listing


def test_kept_rows_hold_their_values_compactly_and_read_as_read() -> None:
    from crfmap.model import Coded
    from crfmap.values.row import KeptValues

    # each cell's text its own object, as a reader makes them
    first, second = (["01-003", "муж".encode().decode(), "01.03.2011", None, "10.01.2019", "нет"],
                     ["01-004", "муж".encode().decode(), "02.03.2011", None, "11.01.2019", "нет"])
    assert first[1] is not second[1]
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS]), {"Demographics": [
        *DEMOGRAPHICS_SHEET, first, second]}, native_types=False)
    rows = {row.subject_id: row for row in outcome.rows["demographics"]}
    kept = outcome.context.rows_by_subject["demographics"]
    assert set(kept) == set(rows) == {"01-001", "01-002", "01-003", "01-004"}
    for subject, row in rows.items():  # equal to the row validated, value by value, in the same order
        held = kept[subject]
        assert isinstance(held.values, KeptValues) and isinstance(held.raw, KeptValues)
        assert list(held.values.items()) == list(row.values.items()) and dict(held.raw) == dict(row.raw)
        assert "sex" in held.values and held.values.get("no such column") is None and len(held.raw) == len(row.raw)
    three, four = kept["01-003"], kept["01-004"]
    assert three.values._places is four.values._places  # one map of names per set of columns
    assert isinstance(three.values["sex"], Coded) and three.raw["sex"] == "муж"
    assert three.raw["sex"] is four.raw["sex"]  # a coded cell's text shared
    assert three.raw["birth_date"] == "01.03.2011"
    try:
        three.values["sex"] = None
    except TypeError as problem:
        assert "read-only" in str(problem)
    else:
        raise AssertionError("a kept row's values changed")


def test_repeating_form_without_keys_compares_whole_rows() -> None:
    marrow = dict(MARROW, identity={"subject": "subject"}, rules=[])
    outcome = run_validation(build_study(forms=[marrow]), {"Bone marrow": [
        ["Subject ID", "Assessment date", "Blasts, %"],
        ["01-001", "14.05.2019", "12,5"],
        ["01-001", "2019-05-14", "12.50"],  # the same answers written differently
        ["01-001", "2019-05-14", "12.6"],
    ]}, native_types=False)
    assert outcome.flat() == [("S204", "Bone marrow", "A3")]


def test_no_unknown_subject_cascade_when_demographics_has_no_header() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS, ADVERSE_EVENTS]), {
        "Demographics": [["что-то"], ["01-009"]],
        "AE": [AE_HEADER, ["01-009", "Тремор", "14.05.2019", None, 1, "нет"]]}, native_types=False)
    assert outcome.flat() == [("S002", "Demographics", None)]
