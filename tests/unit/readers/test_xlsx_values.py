"""Cell values, types and positions from workbooks built in code (openpyxl, and raw XML where openpyxl
cannot make the case)."""

from __future__ import annotations

from datetime import date, datetime, time

import openpyxl
import pytest

from crfmap.readers import ReadOptions, open_workbook
from tests.hostile.raw_xlsx import MAIN, cell, row, shared_strings, worksheet, write_xlsx


def read_all(path):
    issues = []
    with open_workbook(path, ReadOptions(), issues.append) as workbook:
        sheets = {info.name: list(workbook.iter_rows(info.name)) for info in workbook.sheets()}
        infos = workbook.sheets()
    return sheets, issues, infos


def cells_of(rows):
    return {row.number: row.cells for row in rows}


@pytest.fixture
def openpyxl_workbook(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "LB"
    sheet.append(["SUBJID", "LBTEST", "LBORRES", "LBDTC", "DONE", "NOTE"])
    sheet.append(["01-001", "Blasts", 12, datetime(2024, 2, 5, 8, 30), True, "  "])
    sheet.append(["01-002", "MRD", 0.01, date(2024, 3, 1), False, ""])
    sheet["C4"] = 3.0
    sheet["D4"] = time(13, 45)
    sheet["E4"] = "#N/A"  # openpyxl stores known error texts as error cells
    sheet["F6"] = "Фебрильная лихорадка"
    path = tmp_path / "lb.xlsx"
    book.save(path)
    return path


def test_values_types_and_positions(openpyxl_workbook):
    sheets, issues, _infos = read_all(openpyxl_workbook)
    rows = cells_of(sheets["LB"])
    assert rows[1] == {1: "SUBJID", 2: "LBTEST", 3: "LBORRES", 4: "LBDTC", 5: "DONE", 6: "NOTE"}
    assert rows[2] == {1: "01-001", 2: "Blasts", 3: 12, 4: datetime(2024, 2, 5, 8, 30), 5: True, 6: "  "}
    assert rows[3] == {1: "01-002", 2: "MRD", 3: 0.01, 4: date(2024, 3, 1), 5: False}  # '' is absent
    assert rows[4] == {3: 3, 4: time(13, 45), 5: "#N/A"}
    assert type(rows[4][3]) is int and type(rows[2][3]) is int
    assert type(rows[3][4]) is date
    assert rows[6] == {6: "Фебрильная лихорадка"}
    assert 5 not in rows  # an empty row is not yielded
    assert issues == []


def test_values_agree_with_calamine(openpyxl_workbook):
    """An independent reader (python-calamine, Rust) sees the same cells, up to its known float/'' habits."""
    calamine = pytest.importorskip("python_calamine")
    sheets, _issues, _infos = read_all(openpyxl_workbook)
    ours = {(row.number, column): value for row in sheets["LB"] for column, value in row.cells.items()}
    theirs = {}
    book = calamine.CalamineWorkbook.from_path(str(openpyxl_workbook))
    for number, values in enumerate(book.get_sheet_by_name("LB").to_python(skip_empty_area=False), start=1):
        for column, value in enumerate(values, start=1):
            if value != "":
                theirs[(number, column)] = value
    # calamine's to_python turns error cells into '': the one cell it cannot see is our "#N/A"
    assert set(ours) - set(theirs) == {(4, 5)} and ours[(4, 5)] == "#N/A"
    assert set(theirs) <= set(ours)
    del ours[(4, 5)]
    for key, value in ours.items():
        other = theirs[key]
        if isinstance(value, bool) or isinstance(other, bool):
            assert value == other, key
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            assert float(value) == float(other), key
        elif isinstance(value, datetime):
            assert value == other, key
        elif isinstance(value, date):
            assert value == (other.date() if isinstance(other, datetime) else other), key
        elif isinstance(value, time):
            assert value == (other.time() if isinstance(other, datetime) else other), key
        else:
            assert value == other, key


def test_formula_without_cached_value_is_reported(tmp_path):
    sheet = worksheet(
        row(1, cell("A1", "TOTAL", "str"), '<c r="B1"><f>SUM(C1:D1)</f></c>', '<c r="C1"><f>1+1</f><v>2</v></c>',
            '<c r="D1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'))
    path = write_xlsx(tmp_path / "formula.xlsx", [("Calc", sheet, "")])
    sheets, issues, _infos = read_all(path)
    assert cells_of(sheets["Calc"]) == {1: {1: "TOTAL", 3: 2, 4: "ab"}}
    assert [(issue.code, issue.sheet, issue.cell, issue.file) for issue in issues] == [
        ("R009", "Calc", "B1", "formula.xlsx")]
    assert "SUM(C1:D1)" in issues[0].message


def test_openpyxl_formula_with_empty_value_element_is_reported(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Calc"
    book.active["A2"] = "=1+2"
    path = tmp_path / "openpyxl_formula.xlsx"
    book.save(path)
    sheets, issues, _infos = read_all(path)
    assert sheets["Calc"] == []
    assert [(issue.code, issue.cell) for issue in issues] == [("R009", "A2")]


def test_inline_strings_and_rich_text_shared_strings(tmp_path):
    strings = (f'<sst xmlns="{MAIN}"><si><r><t>Fe</t></r><r><rPr><b/></rPr><t xml:space="preserve">ver </t></r>'
               f'<rPh sb="0" eb="1"><t>ふ</t></rPh></si><si><t>Tremor</t></si></sst>')
    sheet = worksheet(row(1, cell("A1", 0, "s"), cell("B1", 1, "s"),
                          '<c r="C1" t="inlineStr"><is><t>Seizure</t></is></c>',
                          '<c r="D1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c>'))
    path = write_xlsx(tmp_path / "strings.xlsx", [("AE", sheet, "")], strings)
    sheets, _issues, _infos = read_all(path)
    assert cells_of(sheets["AE"]) == {1: {1: "Fever ", 2: "Tremor", 3: "Seizure", 4: "ab"}}


DATE_STYLES = (f'<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
               '<numFmt numFmtId="165" formatCode="[$-409]h:mm AM/PM;@"/></numFmts><cellXfs count="5">'
               '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="22"/>'
               '</cellXfs></styleSheet>')


def test_dates_in_the_1900_system_and_the_fictitious_leap_day(tmp_path):
    sheet = worksheet(
        row(1, cell("A1", 45327, style="1"), cell("B1", 45327.5, style="2"), cell("C1", 0.75, style="3"),
            cell("D1", 45327.25, style="4"), cell("E1", 45327, style="0"))
        + row(2, cell("A2", 59, style="1"), cell("B2", 60, style="1"), cell("C2", 61, style="1"),
              cell("D2", 1, style="1"), cell("E2", 0, style="1")))
    path = write_xlsx(tmp_path / "dates.xlsx", [("DT", sheet, "")], styles=DATE_STYLES)
    sheets, _issues, _infos = read_all(path)
    rows = cells_of(sheets["DT"])
    # 45327 = 2024-02-05 (checked with openpyxl.utils.datetime.from_excel in test_excel_dates)
    assert rows[1] == {1: date(2024, 2, 5), 2: datetime(2024, 2, 5, 12, 0), 3: time(18, 0),
                       4: datetime(2024, 2, 5, 6, 0), 5: 45327}
    assert rows[2] == {1: date(1900, 2, 28), 2: 60, 3: date(1900, 3, 1), 4: date(1900, 1, 1), 5: 0}


def test_dates_in_the_1904_system(tmp_path):
    sheet = worksheet(row(1, cell("A1", 0, style="1"), cell("B1", 43865, style="1")))
    path = write_xlsx(tmp_path / "mac.xlsx", [("DT", sheet, "")], styles=DATE_STYLES,
                      workbook_properties='<workbookPr date1904="1"/>')
    sheets, _issues, _infos = read_all(path)
    # 43865 days after 1904-01-01 is the same day as 1900-system serial 45327 (offset 1462 days)
    assert cells_of(sheets["DT"]) == {1: {1: date(1904, 1, 1), 2: date(2024, 2, 5)}}


def test_cells_and_rows_without_references_follow_on(tmp_path):
    sheet = worksheet('<row><c t="str"><v>a</v></c><c t="str"><v>b</v></c></row>'
                      '<row r="4"><c r="C4" t="str"><v>c</v></c><c t="str"><v>d</v></c></row><row><c><v>7</v></c></row>')
    path = write_xlsx(tmp_path / "norefs.xlsx", [("S", sheet, "")])
    sheets, _issues, _infos = read_all(path)
    assert cells_of(sheets["S"]) == {1: {1: "a", 2: "b"}, 4: {3: "c", 4: "d"}, 5: {1: 7}}


def test_booleans_errors_and_iso_dates(tmp_path):
    sheet = worksheet(row(1, cell("A1", 1, "b"), cell("B1", 0, "b"), cell("C1", "#DIV/0!", "e"),
                          cell("D1", "2024-02-05", "d"), cell("E1", "2024-02-05T08:30:00", "d"),
                          cell("F1", "1.5E+3"), cell("G1", "-0.25")))
    path = write_xlsx(tmp_path / "kinds.xlsx", [("S", sheet, "")])
    sheets, _issues, _infos = read_all(path)
    assert cells_of(sheets["S"]) == {1: {1: True, 2: False, 3: "#DIV/0!", 4: date(2024, 2, 5),
                                         5: datetime(2024, 2, 5, 8, 30), 6: 1500, 7: -0.25}}


def test_sheet_listing_hidden_states_columns_merges_and_dimension(tmp_path):
    head = '<dimension ref="A1:D3"/><cols><col min="2" max="3" hidden="1"/><col min="4" max="4" width="3"/></cols>'
    tail = '<mergeCells count="2"><mergeCell ref="A1:B1"/><mergeCell ref="F10:G11"/></mergeCells>'
    data = row(1, cell("A1", "Visit", "str"), cell("C1", "x", "str")) + row(3, cell("B3", "y", "str"))
    path = write_xlsx(tmp_path / "layout.xlsx", [
        ("Visible", worksheet(data, head, tail), ""), ("Hidden", worksheet(""), "hidden"),
        ("VeryHidden", worksheet(row(1, cell("A1", 1))), "veryHidden")])
    _sheets, issues, infos = read_all(path)
    by_name = {info.name: info for info in infos}
    assert [info.name for info in infos] == ["Visible", "Hidden", "VeryHidden"]
    assert [info.index for info in infos] == [0, 1, 2]
    assert (by_name["Visible"].hidden, by_name["Hidden"].hidden, by_name["VeryHidden"].hidden) == (False, True, True)
    assert by_name["Visible"].hidden_columns == frozenset({2, 3})
    assert by_name["Visible"].dimension == "A1:D3"
    assert by_name["Visible"].merged == ("A1:B1", "F10:G11")  # known once the sheet has been read
    # F10:G11 lies outside the data (A1:C3): no warning for it
    assert sorted((issue.code, issue.sheet, issue.cell) for issue in issues) == [
        ("R011", "Hidden", None), ("R011", "VeryHidden", None), ("R012", "Visible", "B3"),
        ("R012", "Visible", "C1"), ("R013", "Visible", "A1")]


def test_shared_string_index_out_of_range_is_a_damaged_workbook(tmp_path):
    from crfmap.issues import FatalIssue

    sheet = worksheet(row(2, cell("B2", 5, "s")))
    path = write_xlsx(tmp_path / "badindex.xlsx", [("S", sheet, "")], shared_strings("only"))
    with pytest.raises(FatalIssue) as raised:
        read_all(path)
    issue = raised.value.issues[0]
    assert (issue.code, issue.sheet, issue.cell, issue.file) == ("R006", "S", "B2", "badindex.xlsx")


def test_rows_beyond_the_row_limit_are_refused(tmp_path):
    from crfmap.issues import FatalIssue
    from crfmap.readers import ReadLimits

    sheet = worksheet(row(1, cell("A1", 1)) + row(11, cell("A11", 2)))
    path = write_xlsx(tmp_path / "long.xlsx", [("S", sheet, "")])
    options = ReadOptions(limits=ReadLimits(max_rows=10))
    with open_workbook(path, options, lambda issue: None) as workbook:
        rows = workbook.iter_rows("S")
        assert next(rows).number == 1
        with pytest.raises(FatalIssue) as raised:
            next(rows)
    assert (raised.value.issues[0].code, raised.value.issues[0].cell) == ("R010", "A11")
