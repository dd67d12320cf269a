"""Holes that used to pass check-mapping and fail in convert are lint issues with file and line now: the kind of
value an operation gives against its field (P022), units that are not UCUM (P023), unit code lists without UCUM
codes (P024), forms sharing a sheet without `select:` (P025), SDTM variables that are required but that nothing
fills (P020/P021)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap.api import load_mapping
from crfmap.issues import FatalIssue
from crfmap.study import load_study_with_issues
from tests.minimal_study import FILES, write_minimal_study


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = write_minimal_study(tmp_path / "mini")
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, (file, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def issues_of(folder: Path) -> list[tuple[str, str | None, int | None]]:
    _, issues = load_study_with_issues(folder)
    return [(issue.code, issue.file, issue.line) for issue in issues if issue.code != "P013"]


def line_of(folder: Path, file: str, text: str) -> int:
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


@pytest.mark.parametrize(("old", "new", "at"), [
    # the issue's own example: a constant test (a coded field) passed check-mapping, then AttributeError in convert
    ("test: {op: constant_code, codelist: lab_test, value: BLAST}", "test: {op: constant, value: BLAST}", "test:"),
    ("value_quantity: {op: quantity, column: blasts}", "value_quantity: {op: copy, column: blasts}",
     "value_quantity:"),
    ("date: {op: copy, column: lab_date}", "date: {op: constant, value: 2024}", "date: {op: constant"),
    ("category: {op: constant, value: laboratory}", "category: {op: copy, column: lab_date}", "category:"),
    ("birth_date: {op: copy, column: birth_date}", "birth_date: {op: code, column: sex}", "birth_date:"),
    ("date: {op: copy, column: lab_date}", "date: {op: copy, column: blasts}", "date: {op: copy, column: blasts"),
])
def test_an_operation_of_the_wrong_kind_for_its_field_is_p022_at_its_line(tmp_path, old, new, at):
    folder = edited(tmp_path, "concepts.yaml", old, new)
    assert ("P022", "mini/concepts.yaml", line_of(folder, "concepts.yaml", at)) in issues_of(folder)


def test_an_intervention_category_outside_its_choices_is_p022(tmp_path):
    concept = """
          - id: therapy
            form: labs
            record: intervention
            fields:
              category: {op: constant, value: exposur}
              start: {op: copy, column: lab_date}
    """
    folder = write_minimal_study(tmp_path / "mini", **{"concepts.yaml": FILES["concepts.yaml"] + concept})
    assert ("P022", "mini/concepts.yaml", line_of(folder, "concepts.yaml", "value: exposur")) in issues_of(folder)


def test_a_required_record_field_missing_is_reported(tmp_path):
    folder = edited(tmp_path, "concepts.yaml", "test: {op: constant_code, codelist: lab_test, value: BLAST}",
                    "specimen: {op: constant_code, codelist: lab_test, value: BLAST}")
    assert [code for code, _, _ in issues_of(folder)] == ["P003"]


def test_units_must_be_ucum(tmp_path):
    folder = edited(tmp_path, "forms/labs.yaml", 'unit: "%"', "unit: mmHg")
    assert ("P023", "mini/forms/labs.yaml", line_of(folder, "forms/labs.yaml", "unit: mmHg")) in issues_of(folder)
    folder = edited(tmp_path / "2", "concepts.yaml", "{op: quantity, column: blasts}",
                    "{op: quantity, column: blasts, unit: percent}")
    assert [code for code, _, _ in issues_of(folder)] == ["P023"]


UNIT_COLUMN = """
  - {name: unit, label: Unit, type: coded, codelist: units}
"""
UNITS = """
    id: units
    name: Units
    values:
      - {value: "%", display: percent}
      - {value: PCT, display: per cent, codings: [{system: ucum, code: "%"}]}
      - {value: "per mille", display: per mille}
"""


def test_a_unit_column_maps_every_value_to_ucum(tmp_path):
    note = "{name: note, label: Note, type: string, ignore: true}"
    labs = FILES["forms/labs.yaml"].replace(note, note + UNIT_COLUMN.replace("\n  -", "\n          -").rstrip())
    concepts = FILES["concepts.yaml"].replace("{op: quantity, column: blasts}",
                                              "{op: quantity, column: blasts, unit_column: unit}")
    folder = write_minimal_study(tmp_path / "mini", **{"forms__labs.yaml": labs, "concepts.yaml": concepts,
                                                       "codelists__units.yaml": UNITS})
    found = issues_of(folder)
    assert found == [("P024", "mini/codelists/units.yaml", line_of(folder, "codelists/units.yaml", "per mille"))]
    # a unit column that is not coded cannot say which unit
    labs = labs.replace("type: coded, codelist: units", "type: string")
    folder = write_minimal_study(tmp_path / "other", **{"forms__labs.yaml": labs, "concepts.yaml": concepts,
                                                        "codelists__units.yaml": UNITS})
    assert "P003" in [code for code, _, _ in issues_of(folder)]


def test_forms_sharing_a_sheet_need_select(tmp_path):
    folder = edited(tmp_path, "forms/labs.yaml", "sheets: [LB]", "sheets: [LB, DM]")
    assert [code for code, _, _ in issues_of(folder)].count("P025") == 2
    labs = FILES["forms/labs.yaml"].replace("sheets: [LB]", "sheets: [DM]\n        select: {column: blasts, "
                                                                "present: true}")
    dm = FILES["forms/demographics.yaml"].replace("identity:", "select: {column: sex, present: true}\n        identity:")
    folder = write_minimal_study(tmp_path / "ok", **{"forms__labs.yaml": labs, "forms__demographics.yaml": dm})
    assert "P025" not in [code for code, _, _ in issues_of(folder)]


SDTM_DM = """
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              birth_date: {op: copy, column: birth_date}
            sdtm: {domain: DM}
"""


def test_a_required_sdtm_variable_nothing_fills_is_p020_before_any_data_is_read(tmp_path):
    """SITEID and COUNTRY (Req in DM) used to surface as W068 when writing; the mapping says it already."""
    old = """
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              birth_date: {op: copy, column: birth_date}
"""
    assert old in FILES["concepts.yaml"]
    concepts = FILES["concepts.yaml"].replace(old, SDTM_DM)
    folder = write_minimal_study(tmp_path / "mini", **{"concepts.yaml": concepts})
    with pytest.raises(FatalIssue) as raised:
        load_mapping(folder)
    found = sorted((issue.code, issue.value) for issue in raised.value.issues)
    assert found == [("P020", "COUNTRY"), ("P020", "SITEID")]
    assert {issue.line for issue in raised.value.issues} == {line_of(folder, "concepts.yaml", "sdtm: {domain: DM}")}
    # SEX comes from an optional column: a warning that an empty cell would only show when writing
    study = FILES["study.yaml"] + "country: FRA\n"
    concepts = concepts.replace("sex: {op: code, column: sex}",
                                "sex: {op: code, column: sex}\n              site: {op: constant, value: '01'}")
    folder = write_minimal_study(tmp_path / "with", **{"concepts.yaml": concepts, "study.yaml": study})
    _, issues = load_mapping(folder)
    assert [(issue.code, issue.value) for issue in issues if issue.code.startswith("P02")] == [("P021", "SEX")]
