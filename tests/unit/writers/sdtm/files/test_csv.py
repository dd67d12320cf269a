"""Quick-look CSV: UTF-8, formula cells neutralised, numeric columns left as numbers."""

from __future__ import annotations

import csv

import pytest

from crfmap.writers.sdtm.csv import neutralise_formula, write_sdtm_csv


@pytest.mark.parametrize("text, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-7", "'-7"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("FEVER", "FEVER"), ("a=b", "a=b"), ("", ""),
])
def test_neutralise_formula(text, expected):
    assert neutralise_formula(text) == expected


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_csv_content(ae, lb, tmp_path):
    ae.rows[0]["AETERM"] = "Фебрильная нейтропения"
    write_sdtm_csv(ae, tmp_path / "ae.csv")
    rows = read_rows(tmp_path / "ae.csv")
    assert rows[0] == [variable.name for variable in ae.variables]
    assert len(rows) == len(ae.rows) + 1
    assert rows[1][4] == "Фебрильная нейтропения"
    assert rows[2][-1] == "-1"  # AESTDY is numeric: a genuine negative number, not prefixed
    assert rows[4][4] == "'-FEVER"  # text starting with '-' is neutralised
    assert rows[3][-1] == "" and rows[4][6] == ""  # missing number and missing text are empty
    write_sdtm_csv(lb, tmp_path / "lb.csv")
    stresn = [row[6] for row in read_rows(tmp_path / "lb.csv")[1:]]
    assert [float(value) if value else None for value in stresn] == [row["LBSTRESN"] for row in lb.rows]
    assert stresn[1] == "-3.75" and stresn[2] == "0"
    assert (tmp_path / "ae.csv").read_bytes()[:3] != b"\xef\xbb\xbf"  # no BOM
