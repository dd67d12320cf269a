"""CSV: encodings, delimiters, positions, folders of exports."""

from __future__ import annotations

import codecs

import pytest

from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook

ROWS = "SUBJID;AETERM;AETOXGR\n01-001;Фебрильная лихорадка;2\n01-002;;\n"


def read_csv(path, options=None):
    issues = []
    with open_workbook(path, options or ReadOptions(), issues.append) as workbook:
        infos = workbook.sheets()
        rows = {info.name: [(row.number, row.cells) for row in workbook.iter_rows(info.name)] for info in infos}
    return rows, issues, infos


EXPECTED = [(1, {1: "SUBJID", 2: "AETERM", 3: "AETOXGR"}), (2, {1: "01-001", 2: "Фебрильная лихорадка", 3: "2"}),
            (3, {1: "01-002"})]


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_unicode_encodings_are_read_without_warning(tmp_path, encoding, prefix):
    path = tmp_path / "ae.csv"
    path.write_bytes(prefix + ROWS.encode(encoding))
    rows, issues, infos = read_csv(path)
    assert rows == {"ae": EXPECTED}
    assert [info.name for info in infos] == ["ae"]
    assert issues == []


def test_cp1251_is_the_fallback_with_a_warning(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_bytes(ROWS.encode("cp1251"))
    rows, issues, _infos = read_csv(path)
    assert rows == {"ae": EXPECTED}
    assert [(issue.code, issue.file, issue.sheet) for issue in issues] == [("R014", "ae.csv", "ae")]
    assert "cp1251" in issues[0].message


def test_named_encoding_is_used_without_warning(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_bytes(ROWS.encode("cp1251"))
    rows, issues, _infos = read_csv(path, ReadOptions(encoding="cp1251"))
    assert rows == {"ae": EXPECTED} and issues == []


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    path = tmp_path / "lb.csv"
    text = ROWS.replace(";", delimiter)
    path.write_text('"Note; with, all\tthree"' + delimiter + "x\n" + text, encoding="utf-8")
    rows, _issues, _infos = read_csv(path)
    assert rows["lb"][0] == (1, {1: "Note; with, all\tthree", 2: "x"})
    assert rows["lb"][1:] == [(number + 1, cells) for number, cells in EXPECTED]


def test_named_delimiter_wins(tmp_path):
    path = tmp_path / "lb.csv"
    path.write_text("a;b,c\n", encoding="utf-8")
    rows, _issues, _infos = read_csv(path, ReadOptions(delimiter=","))
    assert rows == {"lb": [(1, {1: "a;b", 2: "c"})]}


def test_row_numbers_count_records_not_lines(tmp_path):
    path = tmp_path / "mh.csv"
    path.write_text('ID,TEXT\n01-001,"two\nlines"\n\n01-002,  \n', encoding="utf-8")
    rows, _issues, _infos = read_csv(path)
    # the blank line is row 3 (a record with no cells, not yielded); whitespace is kept as a value
    assert rows == {"mh": [(1, {1: "ID", 2: "TEXT"}), (2, {1: "01-001", 2: "two\nlines"}), (4, {1: "01-002", 2: "  "})]}


def test_binary_content_is_not_a_workbook(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"ID,VALUE\n1,\x00\x01\x02\n")
    with pytest.raises(FatalIssue) as raised:
        read_csv(path)
    assert (raised.value.issues[0].code, raised.value.issues[0].file) == ("R003", "data.csv")


def test_folder_of_csv_files_is_one_sheet_each(tmp_path):
    folder = tmp_path / "edc_export"
    folder.mkdir()
    (folder / "DM.CSV").write_text("SUBJID,SEX\n01-001,F\n", encoding="utf-8")
    (folder / "AE.csv").write_text("SUBJID;AETERM\n01-001;Tremor\n", encoding="utf-8")
    (folder / "readme.txt").write_text("not a form", encoding="utf-8")
    rows, issues, infos = read_csv(folder)
    assert [(info.name, info.index) for info in infos] == [("AE", 0), ("DM", 1)]
    assert rows == {"AE": [(1, {1: "SUBJID", 2: "AETERM"}), (2, {1: "01-001", 2: "Tremor"})],
                    "DM": [(1, {1: "SUBJID", 2: "SEX"}), (2, {1: "01-001", 2: "F"})]}
    assert issues == []


def test_sniffing_ignores_padding_at_line_ends_and_title_lines() -> None:
    from crfmap.readers.csv import sniff_delimiter

    assert sniff_delimiter("Лабораторные данные\n\tsubject id;date\t;blasts\t;note\t\n") == ";"
    assert sniff_delimiter("Export 2024\nSubject ID\tDate\tBlasts\n01-001\t2021-03-04\t12,5\n") == "\t"
    assert sniff_delimiter("Subject ID,Date\n01-001,2021-03-04\n") == ","
