"""Property (c) at the XML level: cell elements openpyxl never writes (NaN numbers, boolean 2, error and ISO
date cells, bad shared-string indexes, unknown types) yield a report or a refusal, never a traceback, and
every cell read is accounted for (property d). And a cell element given twice is refused, never half read."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from crfmap.study.models import StudyMapping
from tests.property.checks import validate_or_refuse
from tests.property.raw_cells import (
    PLACEHOLDER,
    insert_cell_before,
    raw_cell_texts,
    replace_cells,
)
from tests.property.workbooks import WorkbookPlan, workbook_plans, write_workbook

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@st.composite
def raw_placements(draw: st.DrawFn, plan: WorkbookPlan) -> dict[tuple[str, str], str]:
    """1..5 raw cells in or next to the tables, header row included."""
    placements = {}
    for _ in range(draw(st.integers(1, 5))):
        sheet = draw(st.sampled_from(("DM", "LB")))
        row = draw(st.integers(1, plan.last_row(sheet) + 1))
        address = f"{get_column_letter(draw(st.integers(1, plan.width + 1)))}{row}"
        placements[(sheet, address)] = draw(raw_cell_texts())
    return placements


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data(), plan=workbook_plans(max_subjects=3, max_labs=2))
def test_raw_junk_cells_yield_a_report(data: st.DataObject, plan: WorkbookPlan,
                                       study_mapping: StudyMapping) -> None:
    placements = data.draw(raw_placements(plan), label="raw cells")
    plan.strays.update(dict.fromkeys(placements, PLACEHOLDER))
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_workbook(plan, Path(folder) / "site.xlsx")
        replace_cells(workbook, placements)
        validate_or_refuse(workbook, study_mapping)


@settings(max_examples=20, deadline=None, suppress_health_check=FIXTURES)
@given(plan=workbook_plans(max_subjects=3, max_labs=2))
def test_a_cell_given_twice_is_not_lost_silently(plan: WorkbookPlan, study_mapping: StudyMapping) -> None:
    lost = "LOST-VALUE-7f3a"
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_workbook(plan, Path(folder) / "site.xlsx")
        first = plan.cell_of("DM", 0, "subject_id")
        insert_cell_before(workbook, "DM", first, f'<c r="{first}" t="inlineStr"><is><t>{lost}</t></is></c>')
        result = validate_or_refuse(workbook, study_mapping)
    if result is None:  # refusing the file is an acceptable report too
        return
    mentioned = [issue for issue in result.report.issues if lost in f"{issue.value} {issue.message}"]
    counted = sum(account.non_empty for account in result.coverage if account.sheet == "DM")
    written = 3 + sum(row.cells[name].raw is not None for row in plan.demographics for name in row.cells)
    assert mentioned or counted == written + 1, f"{lost!r} at DM!{first} vanished without an issue"
