"""The mapping engine and its operations, on hand-made validated rows."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from crfmap.mapping.engine import MappingEngine
from crfmap.mapping.operations import OPERATIONS, run_operation
from crfmap.model import Coded, Finding, PartialDate, Quantity, Subject
from crfmap.sources import SourceCell
from crfmap.study import load_study, models
from crfmap.values.row import FormRow
from tests.minimal_study import write_minimal_study


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> models.StudyMapping:
    return load_study(write_minimal_study(tmp_path_factory.mktemp("mini") / "mini"))


def cell(sheet: str, row: int, column: int) -> SourceCell:
    return SourceCell("site.xlsx", sheet, row, column)


def demographics_row(study: models.StudyMapping) -> FormRow:
    male = Coded("sex", "M", "Male", codings=(), verbatim="муж")
    return FormRow(form="demographics", sheet="DM", file="site.xlsx", number=2, subject_id="01-001",
                   values={"subject_id": "01-001", "sex": male, "birth_date": PartialDate(2014, 5)},
                   cells={"subject_id": cell("DM", 2, 1), "sex": cell("DM", 2, 2), "birth_date": cell("DM", 2, 3)})


def lab_row(number: int, blasts: Decimal | None) -> FormRow:
    values = {"subject_id": "01-001", "lab_date": PartialDate(2021, 3, 4)}
    cells = {"subject_id": cell("LB", number, 1), "lab_date": cell("LB", number, 2)}
    if blasts is not None:
        values["blasts"] = blasts
        cells["blasts"] = cell("LB", number, 3)
    return FormRow(form="labs", sheet="LB", file="site.xlsx", number=number, subject_id="01-001",
                   values=values, cells=cells)


def engine_for(study: models.StudyMapping, rows: dict[tuple[str, str], FormRow]) -> tuple[MappingEngine, list]:
    issues: list = []
    return MappingEngine(study, lambda form, subject: rows.get((form, subject)), issues.append), issues


def test_every_operation_model_has_a_function() -> None:
    from typing import get_args

    union_members = get_args(get_args(models.Operation)[0])  # Annotated[Union[...], Field]
    assert set(union_members) == set(OPERATIONS)


def test_subject_record_keeps_values_and_cells(study: models.StudyMapping) -> None:
    engine, issues = engine_for(study, {})
    [record] = list(engine.map_row(demographics_row(study)))
    assert isinstance(record, Subject)
    assert record.sex.value == "M" and record.sex.verbatim == "муж"
    assert record.birth_date.iso() == "2014-05"  # partial date stays partial
    assert record.key == "01-001"  # one-row-per-subject form: the subject is the key
    assert record.sources["sex"] == (cell("DM", 2, 2),)
    assert issues == []


def test_finding_with_constant_code_quantity_and_lookup(study: models.StudyMapping) -> None:
    demographics = demographics_row(study)
    engine, issues = engine_for(study, {("demographics", "01-001"): demographics})
    [finding] = list(engine.map_row(lab_row(5, Decimal("12.50"))))
    assert isinstance(finding, Finding)
    assert finding.test.value == "BLAST"
    # the unverified SNOMED code of the code list is never carried into a record
    assert [(coding.system, coding.code) for coding in finding.test.codings] == [("http://loinc.org", "77147-7")]
    assert finding.value_quantity == Quantity(Decimal("12.50"), "%")  # unit from the column, digits kept
    assert finding.key == "2021-03-04"  # identity key of the repeating form
    assert finding.qualifiers["sex_at_test"].value == "M"
    assert finding.sources["qualifiers.sex_at_test"] == (cell("DM", 2, 2),)  # looked-up cell is traced
    assert finding.all_sources == (cell("DM", 2, 2), cell("LB", 5, 2), cell("LB", 5, 3))
    assert issues == []


def test_when_condition_skips_rows_without_the_value(study: models.StudyMapping) -> None:
    engine, _ = engine_for(study, {})
    assert list(engine.map_row(lab_row(6, None))) == []


def test_row_without_subject_makes_nothing(study: models.StudyMapping) -> None:
    engine, _ = engine_for(study, {})
    row = lab_row(7, Decimal(3))
    row.subject_id = None
    assert list(engine.map_row(row)) == []


def test_combine_datetime_keeps_partial_dates_partial() -> None:
    spec = models.CombineDatetimeOp(op="combine_datetime", date="d", time="t")
    full = FormRow("f", "S", "x", 2, "1", values={"d": PartialDate(2020, 1, 2), "t": time(8, 30)},
                   cells={"d": cell("S", 2, 1), "t": cell("S", 2, 2)})
    partial = FormRow("f", "S", "x", 3, "1", values={"d": PartialDate(2020, 1), "t": time(8, 30)})
    assert run_operation(spec, full, None).value.iso() == "2020-01-02T08:30"
    assert run_operation(spec, partial, None).value.iso() == "2020-01"


def test_convert_unit_and_join() -> None:
    row = FormRow("f", "S", "x", 2, "1", values={"mg": Decimal("1.5"), "a": "first", "b": "", "c": "third"})
    converted = run_operation(models.ConvertUnitOp(op="convert_unit", column="mg", factor=Decimal(1000),
                                                   unit="ug"), row, None).value
    assert converted == Quantity(Decimal("1500.0"), "ug")
    joined = run_operation(models.JoinOp(op="join", columns=["a", "b", "c"], separator=" / "), row, None).value
    assert joined == "first / third"
