"""Sheet identity is the workbook's sheet entry, not its name (issue #15): a second sheet named like a form's
sheet is neither merged into it nor put in its place. Both are read, the collision is reported (R017), the form
reads neither (S006), and the coverage account still counts every cell — checked against a count made from
the package's XML with the standard library, not with crfmap's reader."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from crfmap import api
from crfmap.readers import ReadOptions, open_workbook
from tests.e2e.reference import CLEAN, STUDY
from tests.hostile.raw_xlsx import cell, row, worksheet, write_xlsx
from tests.minimal_study import write_minimal_study

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def add_sheet_named(source: Path, target: Path, name: str, copy_rows: int = 2) -> Path:
    """A copy of `source` with one more sheet called `name`, holding the first rows of the last sheet."""
    with zipfile.ZipFile(source) as package:
        parts = {member.filename: package.read(member) for member in package.infolist()}
    last = max(member for member in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", member))
    text = parts[last].decode()
    rows = re.findall(r"<row [^>]*>.*?</row>", text, re.DOTALL)[:copy_rows]
    parts["xl/worksheets/sheet99.xml"] = re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{''.join(rows)}</sheetData>",
                                                text, flags=re.DOTALL).encode()
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"</sheets>", (
        f'<sheet xmlns:r="{RELATIONS[1:-1]}" name="{name}" sheetId="99" r:id="rId99"/></sheets>').encode())
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        f'<Relationship Type="{RELATIONS[1:-1]}/worksheet" Target="/xl/worksheets/sheet99.xml" '
        'Id="rId99"/></Relationships>').encode())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        for member, content in parts.items():
            package.writestr(member, content)
    return target


def count_cells_in_package(path: Path) -> int:
    """Non-empty cells of every worksheet entry, from the XML itself (values, inline strings, shared strings)."""
    total = 0
    with zipfile.ZipFile(path) as package:
        for member in package.namelist():
            if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", member):
                continue
            for element in ElementTree.fromstring(package.read(member)).iter(f"{MAIN}c"):
                text = "".join(element.itertext())
                if text != "":
                    total += 1
    return total


@pytest.mark.parametrize("name", ["Outcome", "OUTCOME"])
def test_a_second_sheet_with_a_forms_name_is_reported_not_merged(tmp_path, name):
    workbook = add_sheet_named(CLEAN, tmp_path / "two-outcomes.xlsx", name)
    result = api.validate_workbook(workbook, STUDY)
    found = result.report.flatten(("code", "sheet"))
    expected_name = "Outcome (sheet 7)" if name == "Outcome" else name
    assert ("R017", expected_name) in found
    assert ("S006", None) in found
    assert result.report.has_errors
    accounts = {account.sheet: account for account in result.coverage}
    assert {"Outcome", expected_name} <= accounts.keys()
    assert accounts[expected_name].non_empty == accounts[expected_name].unmapped > 0
    assert sum(account.non_empty for account in result.coverage) == count_cells_in_package(workbook)
    assert sum(account.unaccounted for account in result.coverage) == 0
    # Before the fix the later sheet replaced the earlier: DS fell from 14 rows to 1 with exit 0.
    assert not any(record.concept.startswith("disposition") for record in result.records)


def test_convert_writes_nothing_for_a_workbook_with_two_sheets_of_one_name(tmp_path):
    workbook = add_sheet_named(CLEAN, tmp_path / "two-outcomes.xlsx", "Outcome")
    outcome = api.convert_workbook(workbook, STUDY, api.ConvertOptions(out=tmp_path / "out"))
    assert outcome.exit_status == 1
    assert not outcome.written
    assert not (tmp_path / "out" / "sdtm").exists()


def test_every_sheet_entry_is_read_under_a_name_of_its_own(tmp_path):
    path = write_xlsx(tmp_path / "dm.xlsx", [
        ("DM", worksheet(row(1, cell("A1", 7))), ""),
        ("DM", worksheet(row(1, cell("A1", 1)) + row(2, cell("A2", 2))), ""),
        ("dm", worksheet(row(3, cell("B3", 3))), ""),
    ])
    issues: list = []
    with open_workbook(path, ReadOptions(), issues.append) as book:
        infos = book.sheets()
        rows = {info.name: [(item.number, item.cells) for item in book.iter_rows(info.name)] for info in infos}
    assert [(info.name, info.name_in_file) for info in infos] == [("DM", "DM"), ("DM (sheet 2)", "DM"), ("dm", "dm")]
    assert rows["DM"] == [(1, {1: 7})]
    assert rows["DM (sheet 2)"] == [(1, {1: 1}), (2, {1: 2})]
    assert rows["dm"] == [(3, {2: 3})]
    assert [(issue.code, issue.sheet) for issue in issues] == [("R017", "dm")]
    assert "sheet 1 'DM', sheet 2 'DM', sheet 3 'dm'" in issues[0].message


def test_csv_files_whose_names_differ_in_case_are_two_sheets(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "DM.csv").write_text("Subject ID;Sex\n01;M\n", encoding="utf-8")
    (export / "DM.CSV").write_text("Subject ID;Sex\n02;F\n", encoding="utf-8")
    if len(list(export.iterdir())) < 2:
        pytest.skip("this file system does not tell file names apart by case")
    study = write_minimal_study(tmp_path / "study")
    result = api.validate_workbook(export, study)
    assert ("R017", "DM (DM.csv)") in result.report.flatten(("code", "sheet"))  # DM.CSV sorts first
    assert ("S006", None) in result.report.flatten(("code", "sheet"))
    assert sum(account.non_empty for account in result.coverage) == 8
    assert sum(account.unaccounted for account in result.coverage) == 0
