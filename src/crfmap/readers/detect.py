"""What a file is, by its first bytes rather than its name."""

from __future__ import annotations

from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.csv import list_csv_files
from crfmap.readers.ole2 import SIGNATURE as OLE2_SIGNATURE
from crfmap.readers.ole2 import CompoundFileError, list_stream_names

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive's end record
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
SAMPLE_BYTES = 8192


def detect_format(path: Path) -> str:
    """'xlsx' or 'csv', or a FatalIssue saying in plain words why the file cannot be read."""
    if path.is_dir():
        if not list_csv_files(path):
            raise refuse_file("R015", path, detail=f"the folder {path.name} holds no .csv files to read")
        return "csv"
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
    if head.startswith(ZIP_SIGNATURES):
        return "xlsx"
    extension = path.suffix.lower()
    if looks_like_text(head):
        if extension in TEXT_EXTENSIONS:
            return "csv"
        kind = "CSV" if any(mark in head for mark in (b",", b";", b"\t")) else "plain text"
        if extension in WORKBOOK_EXTENSIONS:
            raise refuse_file("R003", path, detail=f"it looks like {kind}, not an Excel file; if it is a csv "
                                             f"export, rename it to .csv")
        raise refuse_file("R015", path, detail=f"{path.name} looks like {kind}; name it .csv to read it as csv")
    if extension in TEXT_EXTENSIONS + WORKBOOK_EXTENSIONS:
        raise refuse_file("R003", path, detail="its content is not a format crfmap knows (binary data)")
    raise refuse_file("R015", path, detail=f"{path.name} is not a spreadsheet format crfmap knows")


def classify_compound_file(path: Path, stream: object) -> FatalIssue:
    """An OLE2 compound file is either an encrypted xlsx (R005) or a legacy .xls (R004)."""
    try:
        names = list_stream_names(stream)  # type: ignore[arg-type]
    except CompoundFileError:
        names = []
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        return refuse_file("R005", path)
    return refuse_file("R004", path)


def looks_like_text(head: bytes) -> bool:
    """No NUL bytes (unless UTF-16 with a BOM) and few control characters."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13, 12))
    return controls <= len(head) // 100


def refuse_file(code: str, path: Path, detail: str = "") -> FatalIssue:
    return FatalIssue(make_issue(code, file=path.name or str(path), detail=detail))
