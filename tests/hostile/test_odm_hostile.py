"""Hostile CDISC ODM files are refused with one line and the code an xlsx part gets for the same attack, within
1 GiB of address space and the harness's hang guard; a large genuine ODM export is streamed in that budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.harness import read_guarded
from tests.hostile.make_corpus import XXE_SECRET, write_secret

ODM_OPEN = ('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="Snapshot" FileOID="F">'
            '<ClinicalData StudyOID="S" MetaDataVersionOID="M">')
ODM_CLOSE = "</ClinicalData></ODM>"
PYTHON_WORDS = ("Traceback", "Error:", "Exception", "XMLSyntaxError", "lxml", "NoneType")


def item(value: str, subject: str = "01") -> str:
    return (f'<SubjectData SubjectKey="{subject}"><StudyEventData StudyEventOID="SE"><FormData FormOID="F">'
            f'<ItemGroupData ItemGroupOID="IG"><ItemData ItemOID="IT" Value="{value}"/></ItemGroupData>'
            f'</FormData></StudyEventData></SubjectData>')


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def make_xxe(folder: Path) -> Path:
    secret = write_secret(folder)
    return write(folder / "xxe.xml", f'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY secret SYSTEM '
                                     f'"{secret.as_uri()}">]>{ODM_OPEN}{item("&secret;")}{ODM_CLOSE}')


def make_xxe_behind_comments(folder: Path) -> Path:
    """The DOCTYPE behind a byte-order mark, comments and a processing instruction."""
    secret = write_secret(folder)
    text = (f'\ufeff<?xml version="1.0"?><!-- exported --><?xml-stylesheet href="x"?><!--\n-->'
            f'<!DOCTYPE ODM [<!ENTITY secret SYSTEM "{secret.as_uri()}">]>{ODM_OPEN}{item("&secret;")}{ODM_CLOSE}')
    return write(folder / "xxe_behind_comments.xml", text)


def make_billion_laughs(folder: Path) -> Path:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10))
    return write(folder / "billion_laughs.xml",
                 f'<?xml version="1.0"?><!DOCTYPE ODM [{entities}]>{ODM_OPEN}{item("&lol9;")}{ODM_CLOSE}')


def make_deep_nesting(folder: Path) -> Path:
    depth = 400
    return write(folder / "deep.xml", ODM_OPEN + "<Annotation>" * depth + "</Annotation>" * depth + ODM_CLOSE)


def make_huge_attribute(folder: Path) -> Path:
    return write(folder / "huge_attribute.xml", ODM_OPEN + item("x" * 20_000_000) + ODM_CLOSE)


def make_huge_text(folder: Path) -> Path:
    text = ('<SubjectData SubjectKey="01"><StudyEventData StudyEventOID="SE"><FormData FormOID="F">'
            '<ItemGroupData ItemGroupOID="IG"><ItemDataString ItemOID="IT">' + "y" * 20_000_000
            + "</ItemDataString></ItemGroupData></FormData></StudyEventData></SubjectData>")
    return write(folder / "huge_text.xml", ODM_OPEN + text + ODM_CLOSE)


def make_gigabyte(folder: Path) -> Path:
    """A 1 GiB ClinicalData file, sparse on disk: refused by its size before anything is parsed."""
    path = folder / "gigabyte.xml"
    with path.open("wb") as stream:
        stream.write((ODM_OPEN + item("1")).encode())
        stream.seek(1024 ** 3 - len(ODM_CLOSE))
        stream.write(ODM_CLOSE.encode())
    return path


def make_truncated(folder: Path) -> Path:
    return write(folder / "truncated.xml", (ODM_OPEN + item("1") * 50)[:-30])


REFUSED = {
    "xxe": (make_xxe, "R008"),
    "xxe_behind_comments": (make_xxe_behind_comments, "R008"),
    "billion_laughs": (make_billion_laughs, "R008"),
    "deep_nesting": (make_deep_nesting, "R007"),
    "huge_attribute": (make_huge_attribute, "R007"),
    "huge_text": (make_huge_text, "R007"),
    "gigabyte": (make_gigabyte, "R007"),
    "truncated": (make_truncated, "R003"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_odm_is_refused_with_its_code(tmp_path, case):
    maker, code = REFUSED[case]
    path = maker(tmp_path)
    outcome = read_guarded(path)
    assert [issue["code"] for issue in outcome["fatal"]] == [code], outcome["fatal"]
    issue = outcome["fatal"][0]
    line = f"{issue['where']}: {issue['message']}"
    assert line.startswith(path.name) and str(tmp_path) not in line
    assert not any(word in line for word in PYTHON_WORDS), line
    assert XXE_SECRET not in outcome["stderr"] + repr(outcome)
    assert outcome["stderr"] == ""


def test_the_gigabyte_file_is_sparse_so_the_test_costs_no_disk(tmp_path):
    path = make_gigabyte(tmp_path)
    assert path.stat().st_size == 1024 ** 3
    assert path.stat().st_blocks * 512 < 64 * 1024 * 1024


@pytest.mark.slow
def test_a_large_odm_export_streams_in_bounded_memory(tmp_path):
    """About 120 MB of ClinicalData (300,000 subjects × 4 items) read under a 1 GiB address-space limit: a reader
    that built the tree would need several times that."""
    path = tmp_path / "large.xml"
    subjects = 300_000
    with path.open("w", encoding="utf-8") as stream:
        stream.write('<?xml version="1.0" encoding="UTF-8"?>' + ODM_OPEN)
        block = []
        for number in range(subjects):
            block.append(f'<SubjectData SubjectKey="{number:06d}"><StudyEventData StudyEventOID="SE.V1">'
                         f'<FormData FormOID="F.VS"><ItemGroupData ItemGroupOID="IG.VS" ItemGroupRepeatKey="1">'
                         f'<ItemData ItemOID="IT.SYSBP" Value="{100 + number % 50}"/>'
                         f'<ItemData ItemOID="IT.DIABP" Value="{60 + number % 30}"/>'
                         f'<ItemData ItemOID="IT.DATE" Value="2024-01-{1 + number % 28:02d}"/>'
                         f'<ItemData ItemOID="IT.POS" Value="SITTING"/></ItemGroupData></FormData>'
                         f'</StudyEventData></SubjectData>\n')
            if len(block) == 10_000:
                stream.write("".join(block))
                block = []
        stream.write("".join(block) + ODM_CLOSE)
    assert path.stat().st_size > 100 * 1024 * 1024
    # 120 MB of XML takes about a minute on a quiet 2-core machine; the guard only catches a hang, so it is wide
    outcome = read_guarded(path, hang_guard=900)
    assert outcome["fatal"] == [] and outcome["stderr"] == ""
    assert outcome["rows"] == subjects + 1  # the header row and one row per ItemGroupData
