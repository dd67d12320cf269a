"""Property (d): every non-empty cell is accounted for (header, mapped, ignored or reported), including
stray values planted outside the tables and on a sheet no form reads; each stray is reported where it is,
and conversion refuses to drop them silently."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from openpyxl.utils.cell import coordinate_to_tuple

from crfmap.api import ConvertOptions, convert_workbook, validate_workbook
from crfmap.issues import ExitStatus
from crfmap.study.models import StudyMapping
from tests.property.workbooks import (
    UNUSED_SHEET,
    WorkbookPlan,
    grid_of,
    plans_with_strays,
    sheet_names,
    write_workbook,
)

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def count_written_cells(plan: WorkbookPlan) -> Counter:
    """Non-empty cells per sheet as written: titles, header titles, non-blank table cells, strays."""
    return Counter({sheet: sum(value is not None for value in grid_of(plan, sheet).values())
                    for sheet in sheet_names(plan)})


def cells_with_code(result, code: str) -> set[tuple[str, str]]:
    return {(issue.sheet, issue.cell) for issue in result.report.issues if issue.code == code}


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(plan=plans_with_strays())
def test_every_cell_is_accounted_for_and_strays_are_reported(plan: WorkbookPlan,
                                                             study_mapping: StudyMapping) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_workbook(plan, Path(folder) / "site.xlsx")
        result = validate_workbook(workbook, study_mapping)
        assert not result.report.has_errors
        assert sum(account.unaccounted for account in result.coverage) == 0
        assert {account.sheet: account.non_empty for account in result.coverage} == count_written_cells(plan)
        on_header = {(sheet, cell) for sheet, cell in plan.strays  # a title right of the header: unknown column
                     if sheet != UNUSED_SHEET and coordinate_to_tuple(cell)[0] == plan.header_row(sheet)}
        in_tables = {(sheet, cell) for sheet, cell in plan.strays if sheet != UNUSED_SHEET} - on_header
        titles = {(sheet, f"A{number}") for sheet, lines in plan.titles.items() for number in range(1, len(lines) + 1)}
        assert cells_with_code(result, "S301") == in_tables | titles
        assert cells_with_code(result, "S004") == on_header
        unused = [issue for issue in result.report.issues if issue.code == "S007"]
        assert [issue.sheet for issue in unused] == ([UNUSED_SHEET] if any(
            sheet == UNUSED_SHEET for sheet, _ in plan.strays) else [])
        unmapped = {account.sheet: account.unmapped for account in result.coverage if account.unmapped}
        expected = [sheet for sheet, cell in plan.strays if (sheet, cell) not in on_header]
        assert unmapped == dict(Counter([*expected, *(sheet for sheet, _ in titles)]))
        outcome = convert_workbook(workbook, study_mapping, ConvertOptions(targets=("fhir",), out=Path(folder) / "o"))
        if unmapped:  # unmapped cells block conversion unless --allow-unmapped
            assert outcome.exit_status is ExitStatus.DATA_ERRORS and not outcome.written
            assert "W005" in {issue.code for issue in outcome.report.issues}
        else:  # an unknown column title is a warning only
            assert outcome.exit_status is ExitStatus.OK and outcome.written
