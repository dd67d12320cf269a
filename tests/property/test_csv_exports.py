"""Property (a) for csv exports: the same valid data saved as a folder of csv files (one per sheet), with
any delimiter crfmap sniffs (comma, semicolon, tab), UTF-8 with or without BOM or Windows Cyrillic, and
title lines above the header, reads as the same values."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crfmap.api import validate_workbook
from crfmap.study.models import StudyMapping
from tests.property.expectations import check_records
from tests.property.workbooks import TITLES, WorkbookPlan, grid_of, workbook_plans

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")


def export_text(value: Any, delimiter: str) -> str:
    """A cell as a Russian-locale Excel csv export shows it: day-first dates, comma decimals with ';'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float):
        text = str(Decimal(repr(value)))
        return text.replace(".", ",") if delimiter != "," else text
    return str(value)


def decodes_as_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def write_csv_export(plan: WorkbookPlan, folder: Path, delimiter: str, encoding: str,
                     padded_titles: bool = True) -> Path:
    """One csv file per sheet. Title lines are padded with delimiters to the table's width, as Excel
    exports them, or (`padded_titles=False`) a lone text, as a hand-made export has them."""
    folder.mkdir()
    for sheet in ("DM", "LB"):
        grid = grid_of(plan, sheet)
        height, width = max(row for row, _ in grid), max(column for _, column in grid)
        lines = [[export_text(grid.get((row, column)), delimiter) for column in range(1, width + 1)]
                 for row in range(1, height + 1)]
        if not padded_titles:
            for line in lines[: len(plan.titles.get(sheet, ()))]:
                del line[1:]
        with open(folder / f"{sheet}.csv", "w", encoding=encoding, newline="") as stream:
            csv.writer(stream, delimiter=delimiter).writerows(lines)
    return folder


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(plan=workbook_plans(), delimiter=st.sampled_from((",", ";", "\t")), encoding=st.sampled_from(ENCODINGS),
       titles=st.lists(st.sampled_from(TITLES), max_size=2))
def test_csv_export_reads_every_value_as_written(plan: WorkbookPlan, delimiter: str, encoding: str,
                                                 titles: list[str], study_mapping: StudyMapping) -> None:
    plan.titles["LB"] = tuple(titles)
    with tempfile.TemporaryDirectory() as folder:
        try:
            export = write_csv_export(plan, Path(folder) / "export", delimiter, encoding)
        except UnicodeEncodeError:  # a character cp1251 lacks: not a file a site could have made
            return
        # A tiny cp1251 file can be valid UTF-8 byte for byte ("Ж" + NBSP is C6 A0, UTF-8 for "Ơ"). Beside a
        # sibling that is not UTF-8 the export is decided as one (this property once failed there; the case is
        # kept in tests/unit/readers/test_text_encoding.py). When every file is such a file, no reader can tell
        # and crfmap rightly prefers UTF-8 (--encoding settles it): those exports are not this property.
        assume(encoding != "cp1251" or not all(decodes_as_utf8(path) for path in export.glob("*.csv")))
        result = validate_workbook(export, study_mapping)
    check_records(plan, result)
    title_cells = {("LB", f"A{number}") for number in range(1, len(titles) + 1)}
    assert {(issue.sheet, issue.cell) for issue in result.report.issues if issue.code == "S301"} == title_cells


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURES)
@given(plan=workbook_plans(), delimiter=st.sampled_from((";", "\t")),
       titles=st.lists(st.sampled_from(TITLES), min_size=1, max_size=2))
def test_csv_export_with_a_bare_title_line_reads_every_value(plan: WorkbookPlan, delimiter: str, titles: list[str],
                                                             study_mapping: StudyMapping) -> None:
    plan.titles["LB"] = tuple(titles)
    with tempfile.TemporaryDirectory() as folder:
        export = write_csv_export(plan, Path(folder) / "export", delimiter, "utf-8", padded_titles=False)
        result = validate_workbook(export, study_mapping)
    check_records(plan, result)
