"""A CDISC ODM file opened safely: its size checked, its prolog scanned for a DOCTYPE, then streamed.

The same limits and refusal codes as a workbook's XML parts (readers/safe_xml.py): an ODM export never needs
a document type or entities (R008); a file larger than the part limit is refused before it is parsed (R007),
as are nesting or value sizes beyond the parser's limits; damaged XML is R003 (not readable as ODM).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.archive import format_bytes
from crfmap.readers.base import ReadLimits
from crfmap.readers.safe_xml import find_prolog_declaration, label_parse_error, local_name, open_parser

NEVER = "ODM exports never contain"
ODM_HINT = "ODM exports never need DTDs or entities: export the file again from the EDC system."
REDCAP_NAMESPACE = "https://projectredcap.org"


def check_odm_file(path: Path, limits: ReadLimits) -> None:
    """Refuse a file beyond the size limit, or one whose prolog declares a document type."""
    size = path.stat().st_size
    if size > limits.max_part_bytes:
        raise FatalIssue(make_issue("R007", file=path.name, detail=(
            f"the ODM file is {format_bytes(size)}, more than the limit of {format_bytes(limits.max_part_bytes)}; "
            "it was not read")))
    with path.open("rb") as stream:
        declaration = find_prolog_declaration(stream)
    if declaration is not None:
        raise FatalIssue(make_issue("R008", file=path.name, hint=ODM_HINT, detail=(
            f"the file holds {declaration} before its content (a document type or entities), which {NEVER}; "
            "it was not read")))


@contextmanager
def stream_odm(path: Path, events: tuple[str, ...] = ("start", "end")) -> Iterator[etree.iterparse]:
    """The iterparse context over the file; parse failures become one labelled refusal."""
    with path.open("rb") as stream:
        try:
            yield open_parser(stream, events, None)
        except etree.XMLSyntaxError as problem:
            failure = label_parse_error(path.name, "the ODM file", problem, NEVER, damaged="R003")
            issue = failure.issues[0]
            if issue.code == "R008":
                raise FatalIssue(make_issue("R008", file=path.name, hint=ODM_HINT, detail=str(issue.message))) from None
            raise failure from None


def attribute(element: etree._Element, name: str) -> str | None:
    """An attribute by its local name, in no namespace or in REDCap's (redcap:FieldType)."""
    value = element.get(name)
    if value is None:
        value = element.get(f"{{{REDCAP_NAMESPACE}}}{name}")
    return value


def translated_text(element: etree._Element | None) -> str:
    """The text of the first TranslatedText under `element` (Question, Decode, Symbol …), stripped."""
    if element is None:
        return ""
    for child in element.iter():
        if local_name(child.tag) == "TranslatedText":
            return " ".join((child.text or "").split())
    return ""


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next((item for item in element if local_name(item.tag) == name), None)


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [item for item in element if local_name(item.tag) == name]
