"""csv text encodings decided from the bytes, strictly (issue #15): a stray byte is reported at its cell and
never turns a whole UTF-8 file to mojibake; Western files are not read as Cyrillic; the files of one export
are decided together; --encoding is used as given. Expected values are the texts the tests wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap import api
from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook
from crfmap.readers.text_encoding import count_implausible_words
from tests.minimal_study import write_minimal_study

DM_UTF8 = "Subject ID;Пол;Birth date\n01;муж;2010\n02;жен;2011\n03;ж;2012\n"


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "study")


def read_cells(path: Path, options: ReadOptions | None = None) -> tuple[dict[str, dict], list]:
    issues: list = []
    with open_workbook(path, options or ReadOptions(), issues.append) as book:
        cells = {info.name: {(row.number, column): value for row in book.iter_rows(info.name)
                             for column, value in row.cells.items()} for info in book.sheets()}
    return cells, issues


def sexes(result: api.ValidationResult) -> dict[str, str]:
    return {record.subject_id: record.sex.value for record in result.records if record.concept == "subject"}


def export(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def test_one_cp1251_byte_in_a_utf8_file_is_reported_at_its_cell_and_the_rest_read_as_utf8(tmp_path, study):
    data = DM_UTF8.encode("utf-8").replace("жен".encode(), "жен".encode("cp1251"))  # one value typed in cp1251
    path = tmp_path / "DM.csv"
    path.write_bytes(data)
    result = api.validate_workbook(path, study)
    # Before: R014 "read as cp1251" and every Cyrillic value mojibake (S104 at B2, B3, B4).
    assert set(result.report.flatten(("code", "sheet", "cell"))) == {("S001", None, None), ("R018", "DM", "B3")}
    issue = next(issue for issue in result.report if issue.code == "R018")
    assert "UTF-8" in issue.message and issue.value == "\ufffd\ufffd\ufffd"  # one per byte it could not decode
    assert sexes(result) == {"01": "M", "03": "F"}  # row 3 is left out, not guessed
    assert [row.number for row in result.left_out] == [3]


@pytest.mark.parametrize("named", ["utf-8", "UTF8"])
def test_encoding_named_utf8_reports_undecodable_cells_instead_of_refusing_the_file(tmp_path, study, named):
    path = tmp_path / "DM.csv"
    path.write_bytes(DM_UTF8.encode("utf-8").replace("жен".encode(), "жен".encode("cp1251")))
    result = api.validate_workbook(path, study, read_options=ReadOptions(encoding=named))
    assert ("R018", "DM", "B3") in result.report.flatten(("code", "sheet", "cell"))
    assert sexes(result) == {"01": "M", "03": "F"}


def test_encoding_option_reads_a_file_detection_cannot_tell(tmp_path, study):
    path = tmp_path / "DM.csv"
    path.write_bytes(b"Subject ID;Sex\n01;\xe0\n")  # Cyrillic "а" or French "à": undecidable
    cells, _ = read_cells(path, ReadOptions(encoding="cp1251"))
    assert cells["DM"][(2, 2)] == "а"
    cells, _ = read_cells(path, ReadOptions(encoding="cp1252"))
    assert cells["DM"][(2, 2)] == "à"


def test_a_western_cp1252_file_is_not_read_as_cyrillic(tmp_path):
    text = "ID;Terme;Date\n01;Fièvre élevée;12.03.2020\n02;Nausée;13.03.2020\n"
    path = tmp_path / "AE.csv"
    path.write_bytes(text.encode("cp1252"))
    cells, issues = read_cells(path)
    assert cells["AE"][(2, 2)] == "Fièvre élevée"  # before: "Fiиvre йlevйe"
    assert [(issue.code, issue.sheet) for issue in issues] == [("R014", "AE")]
    assert "cp1252" in issues[0].message


@pytest.mark.parametrize("text", ["Übelkeit, Müdigkeit", "Náuseas y vómitos", "Céphalée sévère", "Fièvre"])
def test_short_western_texts_are_cp1252(tmp_path, text):
    path = tmp_path / "AE.csv"
    path.write_bytes(f"ID;Term\n01;{text}\n".encode("cp1252"))
    cells, _ = read_cells(path)
    assert cells["AE"][(2, 2)] == text


@pytest.mark.parametrize("text", ["муж", "ж", "Фебрильная нейтропения", "Ёлка №5 «тест»"])
def test_short_cyrillic_texts_are_cp1251(tmp_path, text):
    path = tmp_path / "AE.csv"
    path.write_bytes(f"ID;Term\n01;{text}\n".encode("cp1251"))
    cells, _ = read_cells(path)
    assert cells["AE"][(2, 2)] == text


def test_a_cp1251_export_whose_small_file_happens_to_be_valid_utf8_is_read_as_cp1251(tmp_path, study):
    """The property test's failure (tests/property/test_csv_exports.py): 'Ж' + no-break space is C6 A0 in
    cp1251, which is UTF-8 for 'Ơ'; the sibling file is not UTF-8, so the export is cp1251 as a whole."""
    folder = export(tmp_path / "export", {
        "DM.csv": "subject id,sex,birth date\r\nP-001,Ж\u00a0,\r\n".encode("cp1251"),
        "LB.csv": "subject id,date,blasts,note\u00a0\r\n".encode("cp1251"),
    })
    assert (folder / "DM.csv").read_bytes().decode("utf-8")  # valid UTF-8 by coincidence
    result = api.validate_workbook(folder, study)
    assert sexes(result) == {"P-001": "F"}  # before: S104 for 'Ơ'
    assert not result.report.has_errors
    notes = [issue for issue in result.report if issue.code == "R014"]
    assert [issue.sheet for issue in notes] == ["DM", "LB"]
    assert "like the other files of the folder" in notes[0].message


def test_a_file_with_ample_utf8_keeps_it_beside_cp1251_siblings(tmp_path):
    folder = export(tmp_path / "export", {
        "AE.csv": "ID;Термин\n01;Фебрильная нейтропения\n".encode(),
        "DM.csv": "ID;Пол\n01;муж\n".encode("cp1251"),
    })
    cells, issues = read_cells(folder)
    assert cells["AE"][(2, 2)] == "Фебрильная нейтропения"
    assert cells["DM"][(2, 2)] == "муж"
    assert [(issue.code, issue.sheet) for issue in issues] == [("R014", "DM")]


def test_a_byte_cp1251_does_not_define_is_reported_at_its_cell(tmp_path, study):
    path = tmp_path / "DM.csv"
    path.write_bytes("Subject ID;Пол\n01;муж\n02;ж".encode("cp1251") + b"\x98\n")  # 0x98: no cp1251 character
    result = api.validate_workbook(path, study)
    assert ("R018", "DM", "B3") in result.report.flatten(("code", "sheet", "cell"))
    assert sexes(result) == {"01": "M"}


def test_nul_bytes_read_with_a_named_encoding_are_control_characters_at_their_cell(tmp_path, study):
    path = tmp_path / "DM.csv"
    rows = "".join(f"{number:04d};F\n" for number in range(2, 2001))  # the NUL lies beyond the sniffed head
    path.write_bytes(b"Subject ID;Sex\n" + rows.encode() + b"2001;M\x00\n")
    with pytest.raises(FatalIssue):  # detected: binary data (R003)
        api.validate_workbook(path, study)
    result = api.validate_workbook(path, study, read_options=ReadOptions(encoding="utf-8"))
    assert ("S151", "DM", "B2001") in result.report.flatten(("code", "sheet", "cell"))
    assert "2001" not in sexes(result) and sexes(result)["2000"] == "F"


def test_an_unknown_encoding_name_is_refused(tmp_path):
    path = tmp_path / "DM.csv"
    path.write_bytes(b"a;b\n")
    with pytest.raises(FatalIssue) as raised:
        read_cells(path, ReadOptions(encoding="no-such-encoding"))
    assert [issue.code for issue in raised.value.issues] == ["R019"]


def test_implausible_words_are_the_marks_of_a_wrong_table():
    assert count_implausible_words("Fiиvre йlevйe") == 2
    assert count_implausible_words("Fièvre élevée à") == 0
    assert count_implausible_words("Ôåáðèëüíàÿ æ") == 2
    assert count_implausible_words("Фебрильная ж") == 0
