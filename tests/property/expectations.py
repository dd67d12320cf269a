"""What a plan's workbook must read as: the expected canonical values, and the check of a validation
result against them (shared by the xlsx and csv properties)."""

from __future__ import annotations

from decimal import Decimal

from crfmap.api import ValidationResult
from crfmap.model import Finding, Subject
from tests.property.workbooks import WorkbookPlan, Written, iso_of_moment


def expected_subjects(plan: WorkbookPlan) -> dict[str, dict[str, Written]]:
    return {row.subject_id: row.cells for row in plan.demographics}


def expected_findings(plan: WorkbookPlan) -> dict[tuple[str, str], Written]:
    """(subject id, ISO date) → the blasts cell, for lab rows with a value (the concept's `when`)."""
    return {(row.subject_id, iso_of_moment(row.cells["lab_date"].expected)): row.cells["blasts"]
            for row in plan.labs if row.cells["blasts"].raw is not None}


def iso_of(parts: tuple[int, int | None, int | None]) -> str:
    year, month, day = parts
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")


def assert_decimal(actual: Decimal | int | str, cell: Written, where: str) -> None:
    """Numerically equal always; the same digits too where the site typed them as text."""
    assert Decimal(actual) == cell.expected, f"{where}: {actual!r} is not {cell.expected} (written {cell.raw!r})"
    if cell.exact:
        assert str(actual) == str(cell.expected), f"{where}: {actual!r} lost the digits of {cell.raw!r}"


def check_records(plan: WorkbookPlan, result: ValidationResult) -> None:
    """No errors, and the canonical records carry exactly the values the plan wrote."""
    errors = result.report.flatten(("code", "sheet", "cell")) if result.report.has_errors else []
    assert not result.report.has_errors, f"errors in a valid workbook: {errors}"
    assert not result.left_out
    subjects = {record.subject_id: record for record in result.records if isinstance(record, Subject)}
    assert subjects.keys() == expected_subjects(plan).keys()
    for subject_id, cells in expected_subjects(plan).items():
        record = subjects[subject_id]
        sex, birth = cells["sex"], cells["birth_date"]
        if sex.expected is None:
            assert record.sex is None
        else:
            assert (record.sex.value, record.sex.verbatim) == sex.expected
        if birth.expected is None:
            assert record.birth_date is None
        else:  # the precision written, never padded
            actual = record.birth_date
            assert (actual.year, actual.month, actual.day, actual.hour) == (*birth.expected, None), birth.raw
    findings = {(record.subject_id, record.date.iso()): record for record in result.records
                if isinstance(record, Finding)}
    assert findings.keys() == expected_findings(plan).keys()
    for key, cell in expected_findings(plan).items():
        quantity = findings[key].value_quantity
        assert quantity.unit == "%"
        assert_decimal(quantity.value, cell, f"record {key}")
