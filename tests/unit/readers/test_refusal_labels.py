"""Refusals are labelled by what the file is, whatever the parser version (issue 8).

libxml2 2.14 stops entity expansion with its own amplification error before lxml reports a DOCTYPE; csv's own
field-size guard fires before crfmap's cell limit; memory running out inside the parser is an error code of its
own. Each must still be the code the catalogue gives the file: R008, R016, R007.
"""

from __future__ import annotations

import io

import pytest
from lxml import etree

from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook
from crfmap.readers.archive import GuardedArchive
from crfmap.readers.base import ReadLimits
from crfmap.readers.safe_xml import find_prolog_declaration, not_well_formed
from tests.hostile.raw_xlsx import cell, package_parts, row, worksheet, write_package


class TrickleStream(io.BytesIO):
    """Three bytes per read: a declaration split across every possible chunk boundary."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(3)


PROLOGS = {
    b'<?xml version="1.0"?>\n<root/>': None,
    b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><root/>': "a <!DOCTYPE> declaration",
    b'<?xml version="1.0"?><!-- <!DOCTYPE in a comment> --><root/>': None,
    b'\xef\xbb\xbf<?xml version="1.0"?><!doctype x><root/>': "a <!DOCTYPE> declaration",
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><r/>'.encode("utf-16"): "a <!DOCTYPE> declaration",
    '<?xml version="1.0" encoding="UTF-16"?><r/>'.encode("utf-16"): None,
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><r/>'.encode("utf-16-be"): "a <!DOCTYPE> declaration",
    b'<!ENTITY x "y"><root/>': "a <!ENTITY> declaration",
    b"": None,
    b"not xml at all": None,  # left to the parser, which reports it as damaged (R006)
    b"<?xml " + b" " * 100_000: "a prolog longer than 64 KiB",
}


@pytest.mark.parametrize("raw", list(PROLOGS), ids=range(len(PROLOGS)))
@pytest.mark.parametrize("stream_type", [io.BytesIO, TrickleStream])
def test_prolog_declarations_are_found_in_the_raw_bytes(raw, stream_type):
    assert find_prolog_declaration(stream_type(raw)) == PROLOGS[raw]


def parser_error(xml: bytes) -> etree.XMLSyntaxError:
    with pytest.raises(etree.XMLSyntaxError) as raised:
        for _ in etree.iterparse(io.BytesIO(xml), resolve_entities=False, no_network=True, load_dtd=False):
            pass
    return raised.value


@pytest.fixture
def archive(tmp_path):
    path = write_package(tmp_path / "book.xlsx", package_parts([("S", worksheet(""), "")]))
    guarded = GuardedArchive(path, ReadLimits())
    yield guarded
    guarded.close()


def test_parser_entity_errors_are_forbidden_xml_not_damage(archive):
    # An undeclared entity reference: no DTD at all, so only the parser can see it.
    issue = not_well_formed(archive, "xl/worksheets/sheet1.xml", parser_error(b"<r>&secret;</r>")).issues[0]
    assert issue.code == "R008"


def test_plainly_broken_xml_stays_damage(archive):
    issue = not_well_formed(archive, "xl/worksheets/sheet1.xml", parser_error(b"<r><c></r>")).issues[0]
    assert issue.code == "R006"


def test_billion_laughs_is_r008_even_when_the_parser_stops_first(tmp_path, monkeypatch):
    """Whatever libxml2 does with the entities, the label is R008; here the raw-byte scan is bypassed so the
    parser's own error (amplification on libxml2 ≥ 2.14, the DOCTYPE on older ones) decides."""
    from crfmap.readers import safe_xml

    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{level} "{f"&l{level - 1};" * 10}">' for level in range(1, 10))
    sheet = ('<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + ']>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>')
    path = write_package(tmp_path / "laughs.xlsx", package_parts([("S", sheet, "")]))
    monkeypatch.setattr(safe_xml, "find_prolog_declaration", lambda stream: None)
    with pytest.raises(FatalIssue) as raised, open_workbook(path, ReadOptions(), lambda issue: None) as book:
        for info in book.sheets():
            list(book.iter_rows(info.name))
    assert [issue.code for issue in raised.value.issues] == ["R008"]


def test_csv_field_beyond_the_csv_modules_own_limit_is_a_cell_too_large(tmp_path):
    path = tmp_path / "DM.csv"
    path.write_text("Subject ID,Sex\n01-001," + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(FatalIssue) as raised, open_workbook(path, ReadOptions(), lambda issue: None) as book:
        list(book.iter_rows("DM"))
    (issue,) = raised.value.issues
    assert (issue.code, issue.file, issue.sheet, issue.row) == ("R016", "DM.csv", "DM", 2)
    assert "xlsx" not in issue.message and "--max-rows" not in issue.hint


@pytest.mark.parametrize("length", [32_768, 200_000])
def test_oversized_cells_are_r016_in_csv_and_xlsx(tmp_path, length):
    csv_path = tmp_path / "DM.csv"
    csv_path.write_text("Subject ID,Note\n01-001," + "y" * length + "\n", encoding="utf-8")
    sheet = worksheet(row(1, cell("A1", "Subject ID", "str")) + row(2, cell("B2", "y" * length, "str")))
    xlsx_path = write_package(tmp_path / "dm.xlsx", package_parts([("DM", sheet, "")]))
    for path, cell_name in ((csv_path, None), (xlsx_path, "B2")):
        with pytest.raises(FatalIssue) as raised, open_workbook(path, ReadOptions(), lambda issue: None) as book:
            for info in book.sheets():
                list(book.iter_rows(info.name))
        (issue,) = raised.value.issues
        assert (issue.code, issue.row) == ("R016", 2)
        assert issue.cell == cell_name or cell_name is None
        assert "--max-rows" not in issue.hint
