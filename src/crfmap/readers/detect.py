"""Which input format a path holds, by its content rather than its name; and the refusals every input gets.

The safety checks come first and apply whatever format is asked for: a missing path, a pipe or device, an
empty file, a password-protected or legacy Office file. Then the first format of the registry whose sniffer
accepts the content is chosen; when none does, the refusal says in plain words what the file looks like.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import InputFormat
from crfmap.readers.csv import TEXT_EXTENSIONS, looks_like_text
from crfmap.readers.ole2 import SIGNATURE as OLE2_SIGNATURE
from crfmap.readers.ole2 import CompoundFileError, list_stream_names

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
SAMPLE_BYTES = 8192


def detect_format(path: Path, formats: Sequence[InputFormat]) -> InputFormat:
    """The format of `path` among `formats` (in registry order), or a FatalIssue saying why it cannot be read."""
    if path.is_dir():
        for candidate in formats:
            if candidate.sniff(path, None):
                return candidate
        raise refuse_file("R015", path, detail=f"the folder {path.name} holds no .csv files to read")
    head = read_head(path)
    for candidate in formats:
        if candidate.sniff(path, head):
            return candidate
    raise describe_unknown(path, head)


def read_head(path: Path) -> bytes:
    """The first bytes of a regular, non-empty file that is not a compound (OLE2) Office file."""
    if path.exists() and not path.is_file():  # a pipe or device would block or never end
        raise refuse_file("R015", path, detail=f"{path.name} is not a regular file (a pipe, socket or device)")
    try:
        with path.open("rb") as stream:
            head = stream.read(SAMPLE_BYTES)
            if head.startswith(OLE2_SIGNATURE):
                raise classify_compound_file(path, stream)
    except (FileNotFoundError, NotADirectoryError):
        raise refuse_file("R001", path) from None
    except OSError as problem:
        raise refuse_file("R001", path, detail=problem.strerror or "it cannot be opened") from None
    if not head:
        raise refuse_file("R002", path)
    return head


def describe_unknown(path: Path, head: bytes) -> FatalIssue:
    """The refusal for content no format accepted, saying what it looks like."""
    extension = path.suffix.lower()
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        return refuse_file("R015", path, detail=f"{path.name} is an XML file but not CDISC ODM, the one XML format "
                                                "crfmap reads")
    if looks_like_text(head):
        kind = "CSV" if any(mark in head for mark in (b",", b";", b"\t")) else "plain text"
        if extension in WORKBOOK_EXTENSIONS:
            return refuse_file("R003", path, detail=f"it looks like {kind}, not an Excel file; if it is a csv "
                                                    f"export, rename it to .csv")
        return refuse_file("R015", path, detail=f"{path.name} looks like {kind}; name it .csv to read it as csv")
    if extension in TEXT_EXTENSIONS + WORKBOOK_EXTENSIONS:
        return refuse_file("R003", path, detail="its content is not a format crfmap knows (binary data)")
    return refuse_file("R015", path, detail=f"{path.name} is not a spreadsheet format crfmap knows")


def classify_compound_file(path: Path, stream: object) -> FatalIssue:
    """An OLE2 compound file is either an encrypted xlsx (R005) or a legacy .xls (R004)."""
    try:
        names = list_stream_names(stream)  # type: ignore[arg-type]
    except CompoundFileError:
        names = []
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        return refuse_file("R005", path)
    return refuse_file("R004", path)


def refuse_file(code: str, path: Path, detail: str = "") -> FatalIssue:
    return FatalIssue(make_issue(code, file=path.name or str(path), detail=detail))
