"""A dataset's columns are taken once for its checks and lengths (`columns_of`): the same values, in row order, as
reading each row's variable one at a time, whatever shape the rows have; and preparing a dataset gives the same
issues and lengths either way."""

from __future__ import annotations

import pytest

from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.preparation import check_values, columns_of, measure_lengths, prepare_dataset

VARIABLES = [Variable("USUBJID", "Unique Subject Identifier", "text"), Variable("LBSEQ", "Sequence Number", "integer"),
             Variable("LBORRES", "Result or Finding in Original Units", "text"),
             Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", "float")]


def _one_at_a_time(dataset: Dataset) -> dict[str, list]:
    return {variable.name: [row.get(variable.name) for row in dataset.rows] for variable in dataset.variables}


ROW_SHAPES = {
    "every variable, in order": [
        {"USUBJID": "S-01", "LBSEQ": 1, "LBORRES": "5.1", "LBSTRESN": 5.1},
        {"USUBJID": "S-02", "LBSEQ": 1, "LBORRES": None, "LBSTRESN": None}],
    "keys in another order, and one not a variable": [
        {"LBSTRESN": 0.0, "LBORRES": "0", "USUBJID": "S-01", "LBSEQ": 2, "EXTRA": "x"}],
    "a row without one of them": [
        {"USUBJID": "S-01", "LBSEQ": 1, "LBORRES": "7", "LBSTRESN": 7.0},
        {"USUBJID": "S-02", "LBSEQ": 1}],
    "no rows": [],
}


@pytest.mark.parametrize("rows", ROW_SHAPES.values(), ids=ROW_SHAPES.keys())
def test_columns_are_each_rows_values_in_order(rows):
    dataset = Dataset("LB", "Laboratory Test Results", "x", "FINDINGS", VARIABLES, [dict(row) for row in rows])
    columns = columns_of(dataset)
    assert list(columns) == [variable.name for variable in VARIABLES]
    assert {name: list(values) for name, values in columns.items()} == _one_at_a_time(dataset)


def test_one_variable_and_none():
    one = Dataset("DM", "Demographics", "x", "SPECIAL PURPOSE", VARIABLES[:1], [{"USUBJID": "S-01"}, {"USUBJID": None}])
    assert {name: list(values) for name, values in columns_of(one).items()} == {"USUBJID": ["S-01", None]}
    assert columns_of(Dataset("DM", "Demographics", "x", "SPECIAL PURPOSE", [], [{}])) == {}


def test_checks_and_lengths_from_the_columns():
    """Non-ASCII text (W002), text where a number belongs (W030), a non-finite number: found at the same rows."""
    rows = [{"USUBJID": "S-01", "LBSEQ": 1, "LBORRES": "положительно", "LBSTRESN": 1.5},
            {"USUBJID": "S-0002", "LBSEQ": "two", "LBORRES": "12.25", "LBSTRESN": float("inf")},
            {"USUBJID": "S-3", "LBSEQ": 3, "LBORRES": None, "LBSTRESN": None}]
    dataset = Dataset("LB", "Laboratory Test Results", "x", "FINDINGS", VARIABLES, rows)
    taken = columns_of(dataset)
    found = [(issue.code, issue.message) for issue in check_values(dataset, taken)]
    # variable by variable in the dataset's order, each at its row: a word where an integer belongs, Cyrillic text,
    # an infinite number
    assert [(code, message.partition("variable ")[2].split(",")[0].split(":")[0]) for code, message in found] == [
        ("W030", "LBSEQ"), ("W002", "LBORRES"), ("W003", "LBSTRESN")]
    assert ["row 2" in found[0][1], "row 1" in found[1][1], "row 2" in found[2][1]] == [True, True, True]
    assert [(issue.code, issue.message) for issue in check_values(dataset)] == found  # the columns taken inside
    assert measure_lengths(dataset, taken) == measure_lengths(dataset) == {"USUBJID": 6, "LBORRES": 12}
    prepared, issues = prepare_dataset(dataset)
    assert [(issue.code, issue.message) for issue in issues] == found
    assert {variable.name: variable.length for variable in prepared.variables} == {
        "USUBJID": 6, "LBSEQ": None, "LBORRES": 12, "LBSTRESN": None}


def test_transliteration_changes_only_non_ascii_text_and_leaves_the_dataset_as_it_was():
    """Two text columns with Cyrillic in the same row and in other rows; a number column is never touched."""
    rows = [{"USUBJID": "S-01", "LBSEQ": 1, "LBORRES": "отр", "LBSTRESN": 1.0},
            {"USUBJID": "Ш-02", "LBSEQ": 2, "LBORRES": "Положительно", "LBSTRESN": None},
            {"USUBJID": "S-03", "LBSEQ": 3, "LBORRES": "5.1", "LBSTRESN": 5.1}]
    before = [dict(row) for row in rows]
    dataset = Dataset("LB", "Laboratory Test Results", "x", "FINDINGS", VARIABLES, rows)
    prepared, issues = prepare_dataset(dataset, transliterate=True)
    assert dataset.rows == before  # the dataset's own rows are not changed
    assert [row["USUBJID"] for row in prepared.rows] == ["S-01", "SH-02", "S-03"]  # an upper-case letter before a non-letter: all capitals
    assert [row["LBORRES"] for row in prepared.rows] == ["otr", "Polozhitelno", "5.1"]
    assert [row["LBSTRESN"] for row in prepared.rows] == [1.0, None, 5.1]
    assert [list(row) for row in prepared.rows] == [list(row) for row in before]  # variable order kept
    assert not [issue for issue in issues if issue.code == "W002"]
    only = prepare_dataset(dataset, transliterate=frozenset({"LBORRES"}))[0]
    assert [row["USUBJID"] for row in only.rows] == ["S-01", "Ш-02", "S-03"]
    assert [row["LBORRES"] for row in only.rows] == ["otr", "Polozhitelno", "5.1"]
