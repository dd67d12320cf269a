"""Property (c): junk in any cell (text with control characters, huge numbers, NaN-like text, formulas,
booleans, times) yields a report with catalogue codes, never a traceback; every non-empty cell is still
accounted for (property d), and conversion with --allow-errors --allow-unmapped ends with an exit status."""

from __future__ import annotations

import csv
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus, FatalIssue
from crfmap.study.models import StudyMapping
from tests.property.checks import assert_catalogued, validate_or_refuse
from tests.property.workbooks import (
    WorkbookPlan,
    grid_of,
    sheet_names,
    workbook_plans,
    write_workbook,
)

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
NAN_LIKE = ("NaN", "nan", "-nan", "inf", "-Infinity", "1e309", "1E5", "0x1F", "NA", "#N/A", "#DIV/0!", "#REF!",
            "None", "null", "1,2,3", "١٢", "１２", "½", "1e-400", "9" * 400)
FORMULAS = ("=1/0", "=A1", "=SUM(", "=NA()", '=HYPERLINK("http://example.org","x")', "=TODAY()", "==", "=")
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
XLSX_JUNK = st.one_of(
    ANY_TEXT.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)),  # openpyxl refuses C0 controls but \t\n\r
    st.sampled_from(NAN_LIKE),
    st.sampled_from(FORMULAS),
    ANY_TEXT.map(lambda text: "=" + ILLEGAL_CHARACTERS_RE.sub("", text)),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(datetime(1900, 3, 1), datetime(9999, 12, 31)),
    st.times(),
)
CSV_JUNK = st.one_of(ANY_TEXT, st.sampled_from(NAN_LIKE), st.sampled_from(FORMULAS),
                     st.integers(-(10**40), 10**40).map(str), st.floats().map(repr))


@st.composite
def junk_placements(draw: st.DrawFn, plan: WorkbookPlan, junk: st.SearchStrategy) -> dict[tuple[str, str], Any]:
    """1..8 junk values anywhere in or around the two tables, header row included."""
    placements = {}
    for _ in range(draw(st.integers(1, 8))):
        sheet = draw(st.sampled_from(("DM", "LB")))
        row = draw(st.integers(1, plan.last_row(sheet) + 2))
        cell = f"{get_column_letter(draw(st.integers(1, plan.width + 2)))}{row}"
        placements[(sheet, cell)] = draw(junk)
    return placements


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data(), plan=workbook_plans(max_subjects=3, max_labs=2))
def test_junk_in_xlsx_cells_yields_a_report(data: st.DataObject, plan: WorkbookPlan,
                                            study_mapping: StudyMapping) -> None:
    plan.strays.update(data.draw(junk_placements(plan, XLSX_JUNK), label="junk"))
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_workbook(plan, Path(folder) / "site.xlsx")
        validate_or_refuse(workbook, study_mapping)
        options = ConvertOptions(out=Path(folder) / "out", allow_errors=True, allow_unmapped=True)
        try:
            outcome = convert_workbook(workbook, study_mapping, options)
        except FatalIssue as refusal:
            assert_catalogued(list(refusal.issues))
            return
        assert outcome.exit_status in (ExitStatus.OK, ExitStatus.DATA_ERRORS)
        assert_catalogued(outcome.report.issues)


def write_csv_folder(plan: WorkbookPlan, folder: Path) -> Path:
    """The plan as a folder of csv files (DM.csv, LB.csv), junk text placed raw: NUL and C0 controls too."""
    folder.mkdir()
    for sheet in sheet_names(plan):
        grid = grid_of(plan, sheet)
        height = max(row for row, _ in grid)
        width = max(column for _, column in grid)
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            for row in range(1, height + 1):
                writer.writerow(["" if grid.get((row, column)) is None else str(grid[(row, column)])
                                 for column in range(1, width + 1)])
    return folder


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data(), plan=workbook_plans(max_subjects=3, max_labs=2))
def test_junk_in_csv_cells_yields_a_report(data: st.DataObject, plan: WorkbookPlan,
                                           study_mapping: StudyMapping) -> None:
    plan.strays.update(data.draw(junk_placements(plan, CSV_JUNK), label="junk"))
    with tempfile.TemporaryDirectory() as folder:
        validate_or_refuse(write_csv_folder(plan, Path(folder) / "export"), study_mapping)
