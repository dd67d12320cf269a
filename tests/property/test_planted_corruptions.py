"""Property (b): every corruption planted in a valid workbook is reported at its cell with its code, and
nothing else is reported as an error."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from openpyxl.utils.cell import coordinate_to_tuple

from crfmap.api import validate_workbook
from crfmap.issues import Severity
from crfmap.issues.catalogue import lookup
from crfmap.study.models import StudyMapping
from tests.property.workbooks import (
    Planted,
    WorkbookPlan,
    corrupted_plans,
    write_workbook,
)

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(plan=corrupted_plans())
def test_each_planted_corruption_is_reported_at_its_cell(plan: WorkbookPlan, study_mapping: StudyMapping) -> None:
    with tempfile.TemporaryDirectory() as folder:
        result = validate_workbook(write_workbook(plan, Path(folder) / "site.xlsx"), study_mapping)
    errors = [issue for issue in result.report.issues if issue.severity is Severity.ERROR]
    assert Counter(Planted(issue.code, issue.sheet, issue.cell, issue.column) for issue in errors) == Counter(plan.planted)
    quoted = {(planted.code, planted.sheet, planted.cell): planted.written
              for planted in plan.planted if planted.written}
    for issue in errors:  # the issue names the file, its row, the value as written, and says what was expected
        assert issue.file == "site.xlsx" and issue.row == coordinate_to_tuple(issue.cell)[0]
        assert issue.subject is not None or issue.code == "S101"
        if (issue.code, issue.sheet, issue.cell) in quoted:
            assert issue.value == quoted[(issue.code, issue.sheet, issue.cell)], issue
        assert issue.message and lookup(issue.code).severity is Severity.ERROR
    left_out = {(row.sheet, row.number) for row in result.left_out}
    planted_rows = {(planted.sheet, coordinate_to_tuple(planted.cell)[0]) for planted in plan.planted}
    assert left_out == planted_rows, "rows with errors, and only those, make no records"
