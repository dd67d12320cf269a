"""Positions name a value the way its format's users do: a cell for a spreadsheet, an item path (and line)
for a non-grid export; issues, annotations and provenance render them so."""

from __future__ import annotations

from crfmap.issues import Report, make_issue
from crfmap.sources import SourceCell, column_letters

ODM_ITEM = ("SubjectKey 01-001", "StudyEventOID SE.BASE[1]", "FormOID F.AE", "ItemGroupOID IG.AE[2]",
            "ItemOID I.AETERM")


def test_column_letters():
    assert [column_letters(n) for n in (1, 26, 27, 52, 703, 16384)] == ["A", "Z", "AA", "AZ", "AAA", "XFD"]


def test_a_spreadsheet_cell_is_sheet_and_a1():
    cell = SourceCell("site.xlsx", "AE", 14, 4)
    assert (str(cell), cell.a1, cell.item_path) == ("AE!D14", "D14", None)
    issue = make_issue("S104", at=cell, value="x", expected="ae_term")
    assert (issue.where, issue.cell, issue.row, issue.item, issue.line) == ("site.xlsx › AE!D14", "D14", 14, None,
                                                                              None)


def test_an_odm_item_is_its_path_and_line():
    cell = SourceCell("export.xml", "IG.AE", 2, 5, item=ODM_ITEM, line=812)
    assert str(cell) == " › ".join(ODM_ITEM)
    issue = make_issue("S104", at=cell, value="x", expected="ae_term")
    assert issue.where == "export.xml:812 › " + " › ".join(ODM_ITEM)
    assert issue.as_dict()["item"] == " › ".join(ODM_ITEM) and issue.as_dict()["line"] == 812


def test_mapping_problems_still_come_first_and_input_lines_after():
    mapping = make_issue("P005", file="study/forms/ae.yaml", line=3, value="x")
    odm = make_issue("S104", at=SourceCell("export.xml", "IG.AE", 2, 5, item=ODM_ITEM, line=1), value="x",
                     expected="y")
    assert Report([odm, mapping]).sorted() == [mapping, odm]
