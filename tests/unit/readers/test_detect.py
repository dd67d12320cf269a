"""open_workbook picks the reader by content, and refuses what it cannot read with one plain R issue."""

from __future__ import annotations

import pytest

from crfmap.issues import FatalIssue
from crfmap.readers import FORMATS, ReadOptions, open_workbook
from tests.hostile.compound_file import build_compound_file
from tests.hostile.raw_xlsx import cell, row, worksheet, write_xlsx


def refusal(path, format=None):
    with pytest.raises(FatalIssue) as raised:
        open_workbook(path, ReadOptions(), lambda issue: None, format=format)
    (issue,) = raised.value.issues
    return issue


def test_registry_is_one_list():
    assert [entry.name for entry in FORMATS] == ["xlsx", "odm", "redcap", "csv"]
    assert {extension for entry in FORMATS for extension in entry.extensions} >= {".xlsx", ".xlsm", ".csv"}


def test_missing_file(tmp_path):
    issue = refusal(tmp_path / "nowhere" / "site.xlsx")
    assert (issue.code, issue.file) == ("R001", "site.xlsx")


def test_folder_without_csv(tmp_path):
    issue = refusal(tmp_path)
    assert issue.code == "R015" and "no .csv files" in issue.message


def test_xlsx_content_under_another_name_is_read_as_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "export.dat", [("AE", worksheet(row(1, cell("A1", 7))), "")])
    with open_workbook(path, ReadOptions(), lambda issue: None) as workbook:
        assert workbook.format == "xlsx"
        assert [r.cells for r in workbook.iter_rows("AE")] == [{1: 7}]


@pytest.mark.parametrize("name", ["ae.csv", "ae.txt", "ae.tsv"])
def test_text_with_a_text_extension_is_csv(tmp_path, name):
    path = tmp_path / name
    path.write_text("A\tB\n1\t2\n", encoding="utf-8")
    with open_workbook(path, ReadOptions(), lambda issue: None) as workbook:
        assert workbook.format == "csv"
        assert [r.cells for r in workbook.iter_rows("ae")] == [{1: "A", 2: "B"}, {1: "1", 2: "2"}]


def test_text_named_xlsx_says_it_looks_like_csv(tmp_path):
    path = tmp_path / "site.xlsx"
    path.write_text("SUBJID,AGE\n01-001,7\n", encoding="utf-8")
    issue = refusal(path)
    assert (issue.code, issue.file) == ("R003", "site.xlsx")
    assert "CSV" in issue.message


def test_unknown_binary_is_unsupported(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02\x03binary")
    assert refusal(path).code == "R015"


def test_unknown_format_name(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text("a\n", encoding="utf-8")
    issue = refusal(path, format="ods")
    assert issue.code == "R015" and "ods" in issue.message


def test_forced_format_does_not_bypass_safety(tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(build_compound_file([("EncryptionInfo", b"\x04\x00\x04\x00"), ("EncryptedPackage", b"x")]))
    assert refusal(path, format="csv").code == "R005"


def test_damaged_compound_file_counts_as_legacy(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(build_compound_file([("Workbook", b"\x09\x08")])[:600])
    assert refusal(path).code == "R004"
