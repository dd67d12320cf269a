"""Damage the fuzz target (tests/fuzz) found read silently, each now refused as R006 (damaged) instead of
dropping or doubling cells: rows that repeat or go backwards, a cell of another row inside a row, and a
worksheet no sheet entry names (its cells were never read, and coverage could not know)."""

from __future__ import annotations

import pytest

from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook
from tests.hostile.raw_xlsx import cell, package_parts, row, worksheet, write_package, write_xlsx


def read_all(path):
    with open_workbook(path, ReadOptions(), lambda issue: None) as book:
        return {info.name: [(item.number, item.cells) for item in book.iter_rows(info.name)] for info in book.sheets()}


def refusal(path) -> tuple[str, str]:
    with pytest.raises(FatalIssue) as raised:
        read_all(path)
    issue = raised.value.issues[0]
    return issue.code, issue.message


@pytest.mark.parametrize("rows, words", [
    (row(3, cell("A3", 1)) + row(3, cell("A3", 2)), "row 3 after row 3"),  # given twice: two values for A3
    (row(3, cell("A3", 1)) + row(2, cell("A2", 2)), "row 2 after row 3"),  # backwards
    ('<row r="0"><c r="A0"><v>1</v></c></row>', "row number 0"),
])
def test_rows_that_repeat_or_go_backwards_are_damage(tmp_path, rows, words):
    code, message = refusal(write_xlsx(tmp_path / "rows.xlsx", [("DM", worksheet(rows), "")]))
    assert code == "R006" and words in message


def test_a_cell_of_another_row_inside_a_row_is_damage(tmp_path):
    sheet = worksheet('<row r="3"><c r="A1"><v>1</v></c></row>')
    code, message = refusal(write_xlsx(tmp_path / "cells.xlsx", [("DM", sheet, "")]))
    assert code == "R006" and "'A1' inside row 3" in message


def test_a_worksheet_no_sheet_entry_names_is_damage(tmp_path):
    parts = package_parts([("DM", worksheet(row(1, cell("A1", 1))), ""), ("LB", worksheet(row(1, cell("A1", 2))), "")])
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace('<sheet name="LB"', '<shelt name="LB"')
    code, message = refusal(write_package(tmp_path / "orphan.xlsx", parts))
    assert code == "R006" and "xl/worksheets/sheet2.xml" in message  # before: LB's cells were never read


def test_rows_in_order_with_gaps_and_without_numbers_are_read(tmp_path):
    sheet = worksheet(row(2, cell("A2", 1)) + '<row><c><v>2</v></c></row>' + row(9, cell("B9", 3)))
    assert read_all(write_xlsx(tmp_path / "fine.xlsx", [("DM", sheet, "")])) == {
        "DM": [(2, {1: 1}), (3, {1: 2}), (9, {2: 3})]}
