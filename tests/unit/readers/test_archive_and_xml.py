"""Zip guards with small limits, and the DOCTYPE refusal in every part the reader opens."""

from __future__ import annotations

import zipfile

import pytest

from crfmap.issues import FatalIssue
from crfmap.readers import ReadLimits, ReadOptions, open_workbook
from crfmap.readers.archive import GuardedArchive
from tests.hostile.raw_xlsx import cell, package_parts, row, shared_strings, worksheet, write_package

DOCTYPE = '<!DOCTYPE x [<!ENTITY e "expanded">]>'


def refusal(path, limits=None):
    options = ReadOptions(limits=limits or ReadLimits())
    with pytest.raises(FatalIssue) as raised, open_workbook(path, options, lambda issue: None) as workbook:
        for info in workbook.sheets():
            list(workbook.iter_rows(info.name))
    (issue,) = raised.value.issues
    return issue


def big_sheet(rows=5000):
    return worksheet("".join(row(number, cell(f"A{number}", 0, "s")) for number in range(1, rows + 1)))


def test_sum_of_declared_sizes(tmp_path):
    path = write_package(tmp_path / "big.xlsx", package_parts([("S", big_sheet(), "")], shared_strings("x")))
    issue = refusal(path, ReadLimits(max_unzipped_bytes=50_000))
    assert (issue.code, issue.file) == ("R007", "big.xlsx")


def test_declared_size_of_one_part(tmp_path):
    path = write_package(tmp_path / "big.xlsx", package_parts([("S", big_sheet(), "")], shared_strings("x")))
    assert refusal(path, ReadLimits(max_part_bytes=50_000)).code == "R007"


def test_compression_ratio(tmp_path):
    sheet = worksheet(row(1, cell("A1", 0, "s"))).replace("<sheetData>", "<sheetData>" + " " * 3_000_000)
    path = write_package(tmp_path / "ratio.xlsx", package_parts([("S", sheet, "")], shared_strings("x")))
    issue = refusal(path)
    assert issue.code == "R007" and "expand" in issue.message


def test_inflated_bytes_are_counted_while_streaming(tmp_path):
    """Declared sizes pass; the counter stops a part that inflates beyond the limit on the way."""
    path = write_package(tmp_path / "ok.xlsx", package_parts([("S", big_sheet(), "")], shared_strings("x")))
    archive = GuardedArchive(path, ReadLimits())
    archive.limits = ReadLimits(max_part_bytes=10_000)  # as if the declared sizes had lied
    stream = archive.open_member("xl/worksheets/sheet1.xml")
    with pytest.raises(FatalIssue) as raised:
        while stream.read(4096):
            pass
    assert raised.value.issues[0].code == "R007"
    archive.close()


@pytest.mark.parametrize("member", [
    "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels", "xl/styles.xml", "xl/sharedStrings.xml",
    "xl/worksheets/sheet1.xml"])
def test_doctype_refused_in_every_part(tmp_path, member):
    parts = package_parts([("S", worksheet(row(1, cell("A1", 0, "s"))), "")], shared_strings("x"))
    text = parts[member]
    declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    parts[member] = text[:declaration_end] + DOCTYPE + text[declaration_end:]
    issue = refusal(write_package(tmp_path / "doctype.xlsx", parts))
    assert issue.code == "R008" and member in issue.message


def test_malformed_xml_is_a_damaged_workbook(tmp_path):
    parts = package_parts([("S", worksheet(row(1, cell("A1", 1))).replace("</sheetData>", "<sheetData>"), "")])
    assert refusal(write_package(tmp_path / "bad.xlsx", parts)).code == "R006"


def test_zip_without_a_workbook(tmp_path):
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    issue = refusal(path)
    assert issue.code == "R003" and "without a workbook" in issue.message


def test_counting_stops_the_xml_parser_mid_sheet(tmp_path):
    """The counter's refusal passes through lxml's iterparse as the same FatalIssue."""
    sheet = worksheet("".join(row(number, cell(f"A{number}", number)) for number in range(1, 20_000)))
    path = write_package(tmp_path / "rows.xlsx", package_parts([("S", sheet, "")]))
    with open_workbook(path, ReadOptions(), lambda issue: None) as workbook:
        workbook.archive.limits = ReadLimits(max_part_bytes=50_000)  # as if the declared sizes had lied
        with pytest.raises(FatalIssue) as raised:
            list(workbook.iter_rows("S"))
    assert (raised.value.issues[0].code, raised.value.issues[0].file) == ("R007", "rows.xlsx")


def test_binary_workbook_is_named(tmp_path):
    parts = package_parts([])
    parts["_rels/.rels"] = parts["_rels/.rels"].replace("xl/workbook.xml", "xl/workbook.bin")
    parts["xl/workbook.bin"] = b"\x83\x01\x00"
    issue = refusal(write_package(tmp_path / "binary.xlsb", parts))
    assert issue.code == "R003" and ".xlsb" in issue.message
