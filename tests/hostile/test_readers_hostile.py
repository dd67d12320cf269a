"""Every hostile file is refused with the right code, or read with the right warnings — within 1 GiB of
address space (and the harness's hang guard), without a traceback, and without leaking anything from outside
the file."""

from __future__ import annotations

import pytest

from tests.hostile.harness import read_guarded
from tests.hostile.make_corpus import XXE_SECRET, make_corpus

REFUSED = {
    "empty": "R002",
    "csv_named_xlsx": "R003",
    "text_named_xlsx": "R003",
    "legacy_xls": "R004",
    "encrypted": "R005",
    "truncated_zip": "R006",
    "corrupt_zip": "R006",
    "bomb_declared": "R007",
    "bomb_lying": "R007",
    "xxe_sheet": "R008",
    "xxe_shared_strings": "R008",
    "billion_laughs": "R008",
    "beyond_limits": "R010",
}

# case: (rows with values, issues as (code, sheet, cell))
READ = {
    "no_sheets": (0, []),
    "no_data": (0, []),
    "empty_formatted_rows": (1, []),
    "absurd_dimension": (2, []),
    "merged_header": (3, [("R013", "MRD", "B1")]),
    "hidden_sheet": (2, [("R011", "Lookup", None)]),
    "hidden_column": (2, [("R012", "AE", "C1")]),
}

PYTHON_WORDS = ("Traceback", "Error:", "Exception", "BadZipFile", "XMLSyntaxError", "zlib", "lxml", "NoneType")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("hostile"))


def test_corpus_covers_every_case(corpus):
    assert set(corpus) == set(REFUSED) | set(READ)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_with_its_code(corpus, case):
    path = corpus[case]
    outcome = read_guarded(path)
    assert [issue["code"] for issue in outcome["fatal"]] == [REFUSED[case]]
    issue = outcome["fatal"][0]
    line = f"{issue['where']}: {issue['message']}"
    assert issue["file"] == path.name
    assert line.startswith(path.name)
    assert str(path.parent) not in line  # the base name only, never a directory
    assert not any(word in line for word in PYTHON_WORDS), line
    assert XXE_SECRET not in outcome["stderr"] + repr(outcome)
    assert outcome["stderr"] == ""


@pytest.mark.parametrize("case", sorted(READ))
def test_odd_but_genuine_file_is_read_with_its_issues(corpus, case):
    outcome = read_guarded(corpus[case])
    rows, issues = READ[case]
    assert outcome["fatal"] == []
    assert outcome["rows"] == rows
    assert [(issue["code"], issue["sheet"], issue["cell"]) for issue in outcome["issues"]] == issues
    assert outcome["stderr"] == ""


def test_corpus_is_deterministic(tmp_path):
    first = make_corpus(tmp_path / "first")
    second = make_corpus(tmp_path / "second")
    for case in first:
        if case.startswith("xxe"):
            continue  # their entity names a file inside their own folder
        assert first[case].read_bytes() == second[case].read_bytes(), case


def test_lying_bomb_stays_small_on_disk(corpus):
    assert corpus["bomb_lying"].stat().st_size < 1024 * 1024


def test_xxe_cases_really_point_at_the_secret(corpus):
    """Guards the XXE tests themselves: the entity must name the secret file, or a pass would mean nothing."""
    import zipfile

    secret_uri = (corpus["xxe_sheet"].parent / "xxe_secret.txt").resolve().as_uri()
    for case, member in (("xxe_sheet", "xl/worksheets/sheet1.xml"), ("xxe_shared_strings", "xl/sharedStrings.xml")):
        with zipfile.ZipFile(corpus[case]) as archive:
            assert secret_uri in archive.read(member).decode()


def test_row_of_millions_of_empty_cells_is_never_called_damaged(tmp_path):
    """A 12 MB sheet whose one row holds 4,000,000 empty styled cells: lxml builds the whole row before the
    reader sees it, so under 1 GiB the parser runs out of memory. That is R007 (beyond the limits), never
    R006 (damaged); a reader that streams such a row may instead read it, finding no values."""
    import random

    from tests.hostile.raw_xlsx import cell, row, worksheet, write_xlsx

    styles = random.Random(8)  # varied styles keep the part from compressing past the zip-bomb ratio guard
    empties = "".join(f'<c s="{styles.randrange(100_000)}"/>' for _ in range(4_000_000))
    sheet = worksheet(row(1, cell("A1", "Subject ID", "str")) + f'<row r="2">{empties}</row>')
    path = write_xlsx(tmp_path / "wide_row.xlsx", [("DM", sheet, "")])
    outcome = read_guarded(path)
    assert outcome["stderr"] == ""
    codes = [issue["code"] for issue in outcome["fatal"]]
    assert codes in (["R007"], []), outcome["fatal"]
    if not codes:
        assert outcome["rows"] == 1


def wide_row_workbook(path, empty_cells: int, prefix: str = ""):
    """A sheet whose second row holds `empty_cells` empty styled cells (varied styles keep the part from
    compressing past the zip-bomb ratio guard); with `prefix`, every element is written as <prefix:…>."""
    import random

    from tests.hostile.raw_xlsx import MAIN, package_parts, write_package

    styles = random.Random(8)
    p = f"{prefix}:" if prefix else ""
    empties = "".join(f'<{p}c s="{styles.randrange(100_000)}"/>' for _ in range(empty_cells))
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}><{p}sheetData>'
             f'<{p}row r="1"><{p}c r="A1" t="inlineStr"><{p}is><{p}t>Subject ID</{p}t></{p}is></{p}c></{p}row>'
             f'<{p}row r="2">{empties}</{p}row><{p}row r="3"><{p}c r="A3"><{p}v>7</{p}v></{p}c></{p}row>'
             f'</{p}sheetData></{p}worksheet>')
    return write_package(path, package_parts([("DM", sheet, "")]))


@pytest.mark.parametrize("prefix", ["", "x"])
def test_a_row_wider_than_excel_allows_is_refused_before_it_is_built(tmp_path, prefix):
    """2.5 million empty cells in one row (a 4.5 MB file took 1.5 GB and ended in R007 only by exhausting the
    memory): refused from the bytes, naming the row limit, under the 1 GiB ceiling."""
    outcome = read_guarded(wide_row_workbook(tmp_path / "wide.xlsx", 2_500_000, prefix))
    assert outcome["stderr"] == ""
    assert [(issue["code"], issue["sheet"]) for issue in outcome["fatal"]] == [("R007", "DM")]
    assert "more than 16,384 cells" in outcome["fatal"][0]["message"]  # before: "needs more memory than is available"


def test_a_row_of_excels_full_width_is_read(tmp_path):
    outcome = read_guarded(wide_row_workbook(tmp_path / "full.xlsx", 16_384))
    assert outcome["fatal"] == [] and outcome["rows"] == 2  # the header and row 3; row 2 has no values
