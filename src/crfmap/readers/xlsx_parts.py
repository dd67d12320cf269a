"""The parts of an xlsx package other than the sheet data: where things are, shared strings, styles."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.archive import GuardedArchive
from crfmap.readers.excel_dates import DateKind, classify_format
from crfmap.readers.safe_xml import iterate_part, local_name, release

OFFICE_DOCUMENT = "/officeDocument"  # relationship types end with these, in both transitional and strict
SHARED_STRINGS = "/sharedStrings"
STYLES = "/styles"
WORKSHEET = "/worksheet"


@dataclass(frozen=True, slots=True)
class SheetEntry:
    name: str
    index: int
    member: str  # the archive member of its XML
    hidden: bool


@dataclass(frozen=True, slots=True)
class PackageLayout:
    workbook: str
    sheets: tuple[SheetEntry, ...]
    shared_strings: str | None
    styles: str | None
    date1904: bool


def read_layout(archive: GuardedArchive) -> PackageLayout:
    workbook = find_workbook(archive)
    relations = read_relations(archive, workbook)
    sheets, date1904 = read_sheet_list(archive, workbook, relations)
    return PackageLayout(workbook=workbook, sheets=sheets, date1904=date1904,
                         shared_strings=find_related(archive, relations, SHARED_STRINGS),
                         styles=find_related(archive, relations, STYLES))


def find_workbook(archive: GuardedArchive) -> str:
    if archive.has("_rels/.rels"):
        for target, kind in read_relations(archive, "").values():
            if kind.endswith(OFFICE_DOCUMENT) and archive.has(target):
                if target.lower().endswith(".bin"):
                    raise FatalIssue(make_issue("R003", file=archive.name, detail=(
                        "it is a binary Excel workbook (.xlsb); save it as .xlsx (Excel Workbook)")))
                return target
    if archive.has("xl/workbook.xml"):
        return "xl/workbook.xml"
    raise FatalIssue(make_issue("R003", file=archive.name,
                                detail="it is a zip archive without a workbook inside (another Office "
                                       "document or a plain zip?)"))


def relations_member(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def read_relations(archive: GuardedArchive, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (archive member it targets, relationship type)."""
    member = relations_member(part)
    if not archive.has(member):
        return {}
    folder = posixpath.dirname(part)
    relations: dict[str, tuple[str, str]] = {}
    for _event, element in iterate_part(archive, member):
        if local_name(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            target = element.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            relations[element.get("Id", "")] = (posixpath.normpath(resolved), element.get("Type", ""))
    return relations


def find_related(archive: GuardedArchive, relations: dict[str, tuple[str, str]], suffix: str) -> str | None:
    for target, kind in relations.values():
        if kind.endswith(suffix) and archive.has(target):
            return target
    return None


def read_sheet_list(archive: GuardedArchive, workbook: str,
                    relations: dict[str, tuple[str, str]]) -> tuple[tuple[SheetEntry, ...], bool]:
    sheets: list[SheetEntry] = []
    date1904 = False
    named: set[str] = set()
    for _event, element in iterate_part(archive, workbook):
        name = local_name(element.tag)
        if name == "workbookPr":
            date1904 = element.get("date1904", "0").lower() in ("1", "true")
        elif name == "sheet":
            relation_id = next((value for key, value in element.attrib.items() if local_name(key) == "id"), "")
            named.add(relation_id)
            target = relations.get(relation_id)
            if target is None or not archive.has(target[0]):
                continue  # a chartsheet or a dangling entry: no cells to read
            sheets.append(SheetEntry(name=element.get("name", f"Sheet{len(sheets) + 1}"), index=len(sheets),
                                     member=target[0], hidden=element.get("state", "visible") != "visible"))
    unnamed = sorted(target for relation_id, (target, kind) in relations.items()
                     if kind.endswith(WORKSHEET) and relation_id not in named and archive.has(target))
    if unnamed:  # cells no sheet entry leads to would be lost without a word
        raise FatalIssue(make_issue("R006", file=archive.name, detail=(
            f"it holds worksheet {', '.join(unnamed)}, which no sheet of the workbook names (its list of sheets "
            f"is damaged); re-save the file from Excel")))
    return tuple(sheets), date1904


def read_shared_strings(archive: GuardedArchive, member: str | None) -> list[str]:
    """The shared string table; rich text runs are joined, phonetic guides (rPh) left out."""
    if member is None:
        return []
    strings: list[str] = []
    for _event, item in iterate_part(archive, member, tag="{*}si"):
        strings.append(join_text(item))
        release(item)
    return strings


def join_text(item: object) -> str:
    """Text of an <si> or <is>: its <t>, or the <t> of each <r> run; never the <rPh> guides."""
    parts: list[str] = []
    for child in item:  # type: ignore[attr-defined]
        name = local_name(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(run.text or "" for run in child if local_name(run.tag) == "t")
    return decode_escapes("".join(parts))


ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_escapes(text: str) -> str:
    """OOXML's escapes for characters XML cannot hold (ECMA-376 Part 1, 22.9.2.19 ST_Xstring): `_x000D_` is a
    carriage return (pasted text brings them), `_x005F_` the underscore that keeps a literal `_x000D_` as
    typed. UTF-16 pairs of escapes become one character; a lone half stays U+FFFD."""
    if "_x" not in text:
        return text
    decoded = ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)
    if any("\ud800" <= character <= "\udfff" for character in decoded):
        decoded = decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return decoded


def read_date_styles(archive: GuardedArchive, member: str | None) -> list[int]:
    """The DateKind of each cell style (index = the `s` attribute of a cell)."""
    if member is None:
        return []
    custom_codes: dict[int, str] = {}
    kinds: list[int] = []
    in_cell_formats = False
    for event, element in iterate_part(archive, member, events=("start", "end")):
        name = local_name(element.tag)
        if name == "cellXfs":
            in_cell_formats = event == "start"
        elif event == "end" and name == "numFmt":
            custom_codes[parse_int(element.get("numFmtId"), -1)] = element.get("formatCode", "")
        elif event == "end" and name == "xf" and in_cell_formats:
            kinds.append(classify_format(parse_int(element.get("numFmtId"), 0), custom_codes))
    return kinds


def parse_int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


__all__ = [
    "DateKind",
    "PackageLayout",
    "SheetEntry",
    "decode_escapes",
    "join_text",
    "parse_int",
    "read_date_styles",
    "read_layout",
    "read_shared_strings",
]
