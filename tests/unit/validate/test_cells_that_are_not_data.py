"""Cells that hold something other than data (issue #15): Excel error values (t="e": #DIV/0!, #N/A, #REF!),
control characters, and Excel's `_xHHHH_` escapes. An error value or a control character is an issue at its
cell and never a value; escapes are decoded to the characters Excel shows; the annotated copy shows the cells
exactly as read (checked with python-calamine, an independent reader that decodes the escapes itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from crfmap import api
from crfmap.readers.xlsx_parts import decode_escapes
from tests.hostile.raw_xlsx import cell, row, shared_strings, worksheet, write_xlsx
from tests.minimal_study import FILES, write_minimal_study

HEADER = row(1, cell("A1", 0, "s"), cell("B1", 1, "s"), cell("C1", 2, "s"))
TEXTS = ("Subject ID", "Sex", "Birth date")


def workbook(tmp_path: Path, rows: str, *texts: str) -> Path:
    return write_xlsx(tmp_path / "site.xlsx", [("DM", worksheet(HEADER + rows), "")],
                      strings=shared_strings(*TEXTS, *texts))


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "study")


def subjects(result: api.ValidationResult) -> dict[str, object]:
    return {record.subject_id: record for record in result.records if record.concept == "subject"}


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!", "#VALUE!", "#NAME?"])
def test_an_excel_error_value_is_an_issue_at_its_cell_never_data(tmp_path, study, error):
    path = workbook(tmp_path, row(2, cell("A2", 3, "s"), cell("B2", error, "e"))
                    + row(3, cell("A3", 4, "s"), cell("B3", 5, "s")), "01", "02", "F")
    result = api.validate_workbook(path, study)
    assert ("S150", "DM", "B2") in result.report.flatten(("code", "sheet", "cell"))
    issue = next(issue for issue in result.report if issue.code == "S150")
    assert issue.value == error and issue.column == "sex" and issue.subject == "01"
    assert set(subjects(result)) == {"02"}  # before: '#DIV/0!' went on as text (S104) or into SDTM/FHIR
    assert [form_row.number for form_row in result.left_out] == [2]


BLASTS_CONCEPT = "  - id: blasts" + FILES["concepts.yaml"].split("- id: blasts", 1)[1]


def test_an_excel_error_in_a_text_column_reaches_no_output(tmp_path):
    study = write_minimal_study(tmp_path / "study", **{"forms__demographics.yaml": """
        name: demographics
        label: Demographics
        sheets: [DM]
        identity: {subject: subject_id}
        columns:
          - {name: subject_id, label: Subject ID, type: string, required: true}
          - {name: sex, label: Sex, type: coded, codelist: sex}
          - {name: birth_date, label: Birth date, type: string, ignore: true}
          - {name: note, label: Note, type: string}
        """, "concepts.yaml": """
        concepts:
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              site: {op: constant, value: "01"}
              country: {op: constant, value: RUS}
            qualifiers:
              note: {op: copy, column: note}
            sdtm: {domain: DM, supp: {note: {qnam: NOTE, qlabel: Note}}}
        """ + BLASTS_CONCEPT})
    rows = (row(1, cell("A1", 0, "s"), cell("B1", 1, "s"), cell("C1", 2, "s"), cell("D1", 3, "s"))
            + row(2, cell("A2", 4, "s"), cell("B2", 6, "s"), cell("D2", "#N/A", "e"))
            + row(3, cell("A3", 5, "s"), cell("B3", 6, "s"), cell("D3", 7, "s")))
    path = write_xlsx(tmp_path / "site.xlsx", [("DM", worksheet(rows), "")],
                      strings=shared_strings(*TEXTS, "Note", "01", "02", "M", "fine"))
    outcome = api.convert_workbook(path, study, api.ConvertOptions(out=tmp_path / "out", allow_errors=True,
                                                                   allow_unmapped=True))
    assert ("S150", "DM", "D2") in outcome.report.flatten(("code", "sheet", "cell"))
    written = [file for file in (tmp_path / "out").rglob("*") if file.is_file()]
    assert written and not any(b"#N/A" in file.read_bytes() for file in written)
    assert any(b"fine" in file.read_bytes() for file in written)  # the other subject's note is written


def test_control_characters_are_an_issue_at_their_cell(tmp_path, study):
    path = workbook(tmp_path, row(2, cell("A2", 3, "s"), cell("B2", 4, "s"))
                    + row(3, cell("A3", 5, "s"), cell("B3", 6, "s")), "01", "F_x0007_", "02", "M")
    result = api.validate_workbook(path, study)
    assert ("S151", "DM", "B2") in result.report.flatten(("code", "sheet", "cell"))
    assert "U+0007" in next(issue.message for issue in result.report if issue.code == "S151")
    assert set(subjects(result)) == {"02"}


def test_escapes_are_decoded_and_a_line_break_inside_a_value_is_said(tmp_path):
    study = write_minimal_study(tmp_path / "study")
    path = workbook(tmp_path, row(2, cell("A2", 3, "s"), cell("B2", 4, "s")), "01_x000D_\n02", "M")
    result = api.validate_workbook(path, study)
    assert ("S152", "DM", "A2") in result.report.flatten(("code", "sheet", "cell"))
    assert set(subjects(result)) == {"01\r\n02"}  # kept as written, and said (a warning)


@pytest.mark.parametrize("stored, shown", [
    ("line_x000D_\nnext", "line\r\nnext"),
    ("_x005F_x000D_", "_x000D_"),  # an escaped underscore keeps a literal escape as typed
    ("_xD83D__xDE00_", "\U0001F600"),  # a UTF-16 pair of escapes is one character
    ("plain_x", "plain_x"),
    ("_x00e9_t_x00E9_", "été"),
])
def test_escape_decoding(stored, shown):
    assert decode_escapes(stored) == shown


def test_the_annotated_copy_shows_control_characters_and_escapes_as_read(tmp_path, study):
    path = workbook(tmp_path, row(2, cell("A2", 3, "s"), cell("B2", 4, "s"), cell("C2", "#REF!", "e"),
                                  cell("D2", 5, "s"), cell("E2", 6, "s")),
                    "01", "F_x0007_", "a_x000D_\nb", "_x005F_x0041_")
    result = api.validate_workbook(path, study, keep_cells=True)
    target = tmp_path / "copy.xlsx"
    marked = api.write_annotation(result, target, result.report.presented(), path)  # before: internal error
    assert marked >= 2
    copy = CalamineWorkbook.from_path(str(target)).get_sheet_by_name("DM").to_python()
    assert copy[1][:5] == ["01", "F\x07", "#REF!", "a\r\nb", "_x0041_"]


def test_the_annotated_copy_of_a_csv_with_control_characters_is_written(tmp_path, study):
    path = tmp_path / "DM.csv"
    filler = "".join(f"{number:02d};M\n" for number in range(3, 60)).encode()  # few controls: it is text
    path.write_bytes(b"Subject ID;Sex\n01;F\x07\n02;M\x1b[31m\n" + filler)
    result = api.validate_workbook(path, study, keep_cells=True)
    assert {("S151", "DM", "B2"), ("S151", "DM", "B3")} <= set(result.report.flatten(("code", "sheet", "cell")))
    target = tmp_path / "copy.xlsx"
    api.write_annotation(result, target, result.report.presented(), path)  # before: internal error
    copy = CalamineWorkbook.from_path(str(target)).get_sheet_by_name("DM").to_python()
    assert [line[1] for line in copy[1:3]] == ["F\x07", "M\x1b[31m"]
