"""XML parts parsed safely: no DTD, no entities, no network, no huge trees.

A workbook never needs a DOCTYPE; one in any part is refused (R008) before any entity could be used, so
nothing from outside the file (XXE) can reach the output or a message. The refusal must not depend on the
parser's version: the part's raw bytes are scanned for a DOCTYPE first (libxml2 2.14 stops entity expansion
with its own error before lxml reports the DOCTYPE), and any entity, DTD or resource error the parser still
raises is labelled R008 too; running out of memory while parsing is R007.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
              tag: str | tuple[str, ...] | None = None,
              watch: Callable[[bytes], None] | None = None) -> Iterator[etree.iterparse]:
    """The iterparse context itself, for hot loops that cannot afford a generator per event. `watch` sees the
    part's bytes before the parser builds elements from them, and may refuse them by raising FatalIssue.

    Iterate it inside the `with`: malformed XML met on the way becomes R006.
    """
    check_prolog(archive, member)
    stream = archive.open_member(member, watch)
    try:
        yield open_parser(stream, events, tag)
    except etree.XMLSyntaxError as problem:
        raise not_well_formed(archive, member, problem) from None
    finally:
        stream.close()


def check_prolog(archive: GuardedArchive, member: str) -> None:
    """Refuse a DOCTYPE before the root element: first in the raw bytes, then as the parser sees it.

    Cheap: a workbook part's prolog is one XML declaration, so one inflated chunk is read.
    """
    stream = archive.open_member(member)
    try:
        declaration = find_prolog_declaration(stream)
    finally:
        stream.close()
    if declaration is not None:
        raise FatalIssue(make_issue(
            "R008", file=archive.name,
            detail=f"part {member} holds {declaration} before its content (a document type or entities), which "
                   f"workbooks never contain; it was not read"))
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
    """R006 for damaged XML; R008 for entity/DTD/amplification errors; R007 when memory or the parser's own
    limits (nesting depth, text or attribute size) ran out."""
    return label_parse_error(archive.name, f"part {member}", problem, "workbooks never contain")


def label_parse_error(file_name: str, part: str, problem: etree.XMLSyntaxError, never: str,
                      damaged: str = "R006") -> FatalIssue:
    """The refusal for an XML parse failure of `part` of `file_name`, labelled by what caused it, whatever the
    parser version. `never` finishes "…, which {never}" for forbidden constructs ("workbooks never contain")."""
    # The error log of iterparse also holds earlier parses' entries: only the last one is this failure's.
    last = problem.error_log.last_error
    kinds = {problem.code} | ({last.type} if last is not None else set())
    message = str(problem.msg)
    if ERR_NO_MEMORY in kinds:
        return FatalIssue(make_issue("R007", file=file_name,
                                     detail=f"{part} needs more memory than is available to be read"))
    if ERR_RESOURCE_LIMIT in kinds and "entit" not in message.lower():
        return FatalIssue(make_issue("R007", file=file_name, detail=(
            f"{part} goes beyond the XML parser's limits ({describe_limit(message)}); it was not read")))
    if kinds & FORBIDDEN_ERRORS:
        return FatalIssue(make_issue(
            "R008", file=file_name,
            detail=f"{part} uses entities or a document type ({message}), which {never}; it was not read"))
    return FatalIssue(make_issue(damaged, file=file_name, detail=f"{part} is not well-formed XML ({message})"))


def describe_limit(message: str) -> str:
    """libxml2's resource-limit messages in plain words."""
    lowered = message.lower()
    if "depth" in lowered:
        return "elements nested more than 256 deep"
    if "too long" in lowered or "buffer size" in lowered or "huge" in lowered:
        return "a text or attribute value longer than 10 MB"
    return message.split(",")[0]


ERR_NO_MEMORY = etree.ErrorTypes.ERR_NO_MEMORY
ERR_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT
# Errors that only entities, a DTD or their expansion cause (amplification stops as ERR_RESOURCE_LIMIT).
FORBIDDEN_ERRORS = frozenset(
    getattr(etree.ErrorTypes, name) for name in dir(etree.ErrorTypes)
    if name == "ERR_RESOURCE_LIMIT" or (name.startswith(("ERR_", "WAR_"))
                                        and any(word in name for word in ("ENTITY", "DTD", "DOCTYPE"))))
PROLOG_LIMIT = 64 * 1024  # a part's prolog is an XML declaration of ~60 bytes; far more is not a workbook
DECLARATION_WORD = re.compile(r"[A-Za-z]+")
PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)


def find_prolog_declaration(stream: object) -> str | None:
    """'a <!DOCTYPE> declaration' (or another <!…> markup declaration) if one precedes the root element, read
    from the raw bytes; None when the root element comes first. Anything else is left to the parser to judge."""
    buffer = b""
    while True:
        chunk: bytes = stream.read(8192)  # type: ignore[attr-defined]
        buffer += chunk
        text = decode_prolog(buffer)
        position = 0
        while (match := PROLOG_ITEM.match(text, position)) is not None and match.end() > position:
            position = match.end()
        rest = text[position:].lstrip()
        unfinished = bool(chunk) and (rest.startswith(("<?", "<!--")) or rest in ("", "<")
                                      or (rest.startswith("<!") and len(rest) < 12))  # needs more bytes
        if rest.startswith("<!") and not rest.startswith("<!--") and not unfinished:
            word = DECLARATION_WORD.match(rest, 2)
            return f"a <!{word[0].upper() if word else ''}> declaration"
        if not unfinished:
            return None  # the root element (or junk for the parser to report)
        if len(buffer) > PROLOG_LIMIT:
            return "a prolog longer than 64 KiB"


def decode_prolog(raw: bytes) -> str:
    """The prolog as text: UTF-16 by its byte-order mark or zero bytes; else the ASCII-compatible bytes."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16-be" if raw.startswith(b"\xfe\xff") or raw[:2] == b"\x00<" else "utf-16-le"
        return raw[: len(raw) // 2 * 2].decode(encoding, errors="replace").lstrip("\ufeff")
    return raw.decode("latin-1").removeprefix("\xef\xbb\xbf")


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
