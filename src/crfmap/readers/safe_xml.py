"""XML parts parsed safely: no DTD, no entities, no network, no huge trees.

A workbook never needs a DOCTYPE; one in any part is refused (R008) before any entity could be used, so
nothing from outside the file (XXE) can reach the output or a message.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from lxml import etree

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.archive import GuardedArchive


def iterate_part(archive: GuardedArchive, member: str, events: tuple[str, ...] = ("end",),
                 tag: str | tuple[str, ...] | None = None) -> Iterator[tuple[str, etree._Element]]:
    """(event, element) pairs of one archive member, streamed; refuses DOCTYPE/ENTITY first."""
    with open_part(archive, member, events, tag) as context:
        yield from context


@contextmanager
def open_part(archive: GuardedArchive, member: str, events: tuple[str, ...] = ("end",),
              tag: str | tuple[str, ...] | None = None) -> Iterator[etree.iterparse]:
    """The iterparse context itself, for hot loops that cannot afford a generator per event.

    Iterate it inside the `with`: malformed XML met on the way becomes R006.
    """
    check_prolog(archive, member)
    stream = archive.open_member(member)
    try:
        yield open_parser(stream, events, tag)
    except etree.XMLSyntaxError as problem:
        raise not_well_formed(archive, member, problem) from None
    finally:
        stream.close()


def check_prolog(archive: GuardedArchive, member: str) -> None:
    """Parse up to the root element only and refuse a DOCTYPE; cheap (one chunk is inflated)."""
    stream = archive.open_member(member)
    try:
        for _event, element in open_parser(stream, ("start",), None):
            refuse_doctype(archive, member, element)
            break
    except etree.XMLSyntaxError as problem:
        raise not_well_formed(archive, member, problem) from None
    finally:
        stream.close()


def open_parser(stream: object, events: tuple[str, ...], tag: str | tuple[str, ...] | None) -> etree.iterparse:
    return etree.iterparse(stream, events=events, tag=tag, resolve_entities=False, no_network=True,
                           load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)


def not_well_formed(archive: GuardedArchive, member: str, problem: etree.XMLSyntaxError) -> FatalIssue:
    return FatalIssue(make_issue("R006", file=archive.name,
                                 detail=f"part {member} is not well-formed XML ({problem.msg})"))


def refuse_doctype(archive: GuardedArchive, member: str, element: etree._Element) -> None:
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise FatalIssue(make_issue(
            "R008", file=archive.name,
            detail=f"part {member} declares a DOCTYPE (document type or entities), which workbooks never "
                   f"contain; it was not read"))


def local_name(tag: object) -> str:
    """'{namespace}row' → 'row'; comments and processing instructions have no name."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def release(element: etree._Element) -> None:
    """Free an element already handled, and the siblings before it, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def release_before(element: etree._Element) -> None:
    """Remove the (already cleared) siblings before `element` in one slice deletion."""
    parent = element.getparent()
    if parent is not None:
        del parent[:parent.index(element)]
