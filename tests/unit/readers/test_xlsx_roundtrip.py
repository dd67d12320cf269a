"""Property: whatever openpyxl writes (text, integers, floats, booleans), the reader gives back unchanged,
at the position it was written to."""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crfmap.readers import ReadOptions, open_workbook

texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(
    lambda text: not text.startswith(("=", "#")))  # openpyxl turns these into formulas / error cells
values = st.one_of(texts, st.integers(-(2**53) + 1, 2**53 - 1), st.booleans(),
                   # openpyxl writes floats with about 14 significant digits, so generate ones that survive that
                   st.floats(-1e12, 1e12).map(lambda number: float(f"{number:.12g}")).filter(
                       lambda number: not number.is_integer()))
grids = st.dictionaries(st.tuples(st.integers(1, 30), st.integers(1, 30)), values, min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids)
def test_openpyxl_values_come_back_unchanged(grid):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Grid"
    for (number, column), value in grid.items():
        sheet.cell(row=number, column=column, value=value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grid.xlsx"
        book.save(path)
        with open_workbook(path, ReadOptions(), lambda issue: None) as workbook:
            read = {(row.number, column): value for row in workbook.iter_rows("Grid")
                    for column, value in row.cells.items()}
    assert read == grid
    assert {key: type(value) for key, value in read.items()} == {key: type(value) for key, value in grid.items()}
