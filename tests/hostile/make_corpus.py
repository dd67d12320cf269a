"""The hostile-file corpus: files a reader must refuse cleanly (one FatalIssue with the right R code) or read
with the right warnings, quickly and within a small memory budget.

    from tests.hostile.make_corpus import make_corpus
    files = make_corpus(folder)   # {case name: path}; the same bytes on every call

Only the XXE cases differ between folders: their entity points at a secret file inside `folder`.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from tests.hostile.compound_file import build_compound_file
from tests.hostile.raw_xlsx import (
    MAIN,
    PROLOG,
    cell,
    package_parts,
    row,
    shared_strings,
    worksheet,
    write_package,
    write_xlsx,
)

XXE_SECRET = "CRFMAP-XXE-SECRET-3b1f9c"
EMPTY_FORMATTED_ROWS = 1_000_000
LYING_INFLATED_BYTES = 300 * 1024 * 1024  # beyond the default 256 MiB part limit
FORMATTED_STYLES = (f'<styleSheet xmlns="{MAIN}"><fills count="1"><fill/></fills>'
                    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="0" fillId="0"/></cellXfs></styleSheet>')


def make_corpus(folder: Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    makers = {
        "empty": make_empty, "csv_named_xlsx": make_csv_named_xlsx, "text_named_xlsx": make_text_named_xlsx,
        "legacy_xls": make_legacy_xls, "encrypted": make_encrypted, "truncated_zip": make_truncated_zip,
        "corrupt_zip": make_corrupt_zip, "bomb_declared": make_bomb_declared, "bomb_lying": make_bomb_lying,
        "xxe_sheet": make_xxe_sheet, "xxe_shared_strings": make_xxe_shared_strings,
        "billion_laughs": make_billion_laughs, "no_sheets": make_no_sheets, "no_data": make_no_data,
        "empty_formatted_rows": make_empty_formatted_rows, "absurd_dimension": make_absurd_dimension,
        "beyond_limits": make_beyond_limits, "merged_header": make_merged_header,
        "hidden_sheet": make_hidden_sheet, "hidden_column": make_hidden_column,
    }
    return {name: maker(folder) for name, maker in makers.items()}


def small_workbook(path: Path, rows: int = 3) -> Path:
    """A genuine little AE sheet; the damaged cases start from it."""
    data = row(1, cell("A1", 0, "s"), cell("B1", 1, "s"))
    data += "".join(row(number, cell(f"A{number}", f"01-{number:03d}", "str"), cell(f"B{number}", number % 5))
                    for number in range(2, rows + 2))
    return write_xlsx(path, [("AE", worksheet(data), "")], shared_strings("SUBJID", "AETOXGR"))


def make_empty(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def make_csv_named_xlsx(folder: Path) -> Path:
    path = folder / "csv_named.xlsx"
    path.write_text("SUBJID;AETERM;AETOXGR\n01-001;Fever;2\n01-002;Tremor;1\n", encoding="utf-8")
    return path


def make_text_named_xlsx(folder: Path) -> Path:
    path = folder / "text_named.xlsx"
    path.write_text("Site 03 export notes\nThe workbook will follow next week.\n", encoding="utf-8")
    return path


def make_legacy_xls(folder: Path) -> Path:
    path = folder / "legacy.xls"
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)  # BIFF8 BOF
    path.write_bytes(build_compound_file([("Workbook", bof)]))
    return path


def make_encrypted(folder: Path) -> Path:
    path = folder / "encrypted.xlsx"
    information = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"  # agile encryption version 4.4
    package = struct.pack("<Q", 1024) + bytes(range(256)) * 4
    path.write_bytes(build_compound_file([("EncryptionInfo", information), ("EncryptedPackage", package)]))
    return path


def make_truncated_zip(folder: Path) -> Path:
    path = small_workbook(folder / "truncated.xlsx", rows=200)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    return path


def make_corrupt_zip(folder: Path) -> Path:
    """The sheet's compressed bytes are overwritten in the middle; headers stay intact."""
    path = small_workbook(folder / "corrupt.xlsx", rows=400)
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    content = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", content, member.header_offset + 26)
    start = member.header_offset + 30 + name_length + extra_length
    middle = start + member.compress_size // 3
    content[middle:middle + 64] = b"\xff\x00\xaa\x55" * 16
    path.write_bytes(bytes(content))
    return path


def make_bomb_declared(folder: Path) -> Path:
    """A genuine small workbook whose central directory declares a 4 GiB sheet."""
    path = small_workbook(folder / "bomb_declared.xlsx")
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 0xFFFFFFF0)
    return path


def make_bomb_lying(folder: Path) -> Path:
    """A sheet that inflates to 300 MiB of rows while its headers declare 2 KiB; the file stays < 1 MB."""
    path = folder / "bomb_lying.xlsx"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = f'{PROLOG}<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    chunks = [compressor.compress(head)]
    filler = b"<row/>" * (1024 * 1024 // 6)
    for _ in range(LYING_INFLATED_BYTES // len(filler)):
        chunks.append(compressor.compress(filler))
    chunks.append(compressor.compress(b"</sheetData></worksheet>"))
    chunks.append(compressor.flush())
    deflated = b"".join(chunks)
    parts = package_parts([("AE", "", "")])
    parts["xl/worksheets/sheet1.xml"] = b"placeholder"
    write_package(path, parts)
    replace_member_data(path, "xl/worksheets/sheet1.xml", deflated, declared_size=2048)
    return path


def make_xxe_sheet(folder: Path) -> Path:
    secret = write_secret(folder)
    sheet = (f'{PROLOG}<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "{secret.as_uri()}">]>'
             f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is>'
             f'</c></row></sheetData></worksheet>')
    return write_xlsx(folder / "xxe_sheet.xlsx", [("AE", sheet, "")])


def make_xxe_shared_strings(folder: Path) -> Path:
    secret = write_secret(folder)
    strings = (f'{PROLOG}<!DOCTYPE sst [<!ENTITY secret SYSTEM "{secret.as_uri()}">]>'
               f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&secret;</t></si></sst>')
    sheet = worksheet(row(1, cell("A1", 0, "s")))
    return write_xlsx(folder / "xxe_shared_strings.xlsx", [("AE", sheet, "")], strings)


def make_billion_laughs(folder: Path) -> Path:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10))
    strings = (f'{PROLOG}<!DOCTYPE sst [{entities}]>'
               f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    sheet = worksheet(row(1, cell("A1", 0, "s")))
    return write_xlsx(folder / "billion_laughs.xlsx", [("AE", sheet, "")], strings)


def make_no_sheets(folder: Path) -> Path:
    return write_xlsx(folder / "no_sheets.xlsx", [])


def make_no_data(folder: Path) -> Path:
    return write_xlsx(folder / "no_data.xlsx", [("AE", worksheet(""), "")])


def make_empty_formatted_rows(folder: Path) -> Path:
    """A header row, then a million rows that carry a style and a height but no cells (a common export)."""
    path = folder / "empty_formatted_rows.xlsx"
    header = row(1, cell("A1", "SUBJID", "str"), cell("B1", "AETERM", "str"))
    empty_rows = "".join(f'<row r="{number}" s="1" customFormat="1" ht="15" customHeight="1"/>'
                         for number in range(2, EMPTY_FORMATTED_ROWS + 2))
    return write_xlsx(path, [("AE", worksheet(header + empty_rows), "")], styles=FORMATTED_STYLES)


def make_absurd_dimension(folder: Path) -> Path:
    head = '<dimension ref="A1:XFD1048576"/><cols><col min="1" max="16384" width="9.1" customWidth="1"/></cols>'
    rows = row(1, cell("A1", "SUBJID", "str")) + row(2, cell("A2", "01-001", "str"))
    return write_xlsx(folder / "absurd_dimension.xlsx", [("DM", worksheet(rows, head=head), "")])


def make_beyond_limits(folder: Path) -> Path:
    """A value in column XFE (16,385), one past Excel's last column."""
    rows = row(1, cell("A1", "SUBJID", "str"), cell("XFE1", "overflow", "str"))
    return write_xlsx(folder / "beyond_limits.xlsx", [("DM", worksheet(rows), "")])


def make_merged_header(folder: Path) -> Path:
    rows = row(1, cell("A1", "SUBJID", "str"), cell("B1", "MRD (flow cytometry)", "str"))
    rows += row(2, cell("A2", "Subject", "str"), cell("B2", "Value", "str"), cell("C2", "Unit", "str"))
    rows += row(3, cell("A3", "01-001", "str"), cell("B3", 0.01), cell("C3", "%", "str"))
    tail = '<mergeCells count="1"><mergeCell ref="B1:C1"/></mergeCells>'
    return write_xlsx(folder / "merged_header.xlsx", [("MRD", worksheet(rows, tail=tail), "")])


def make_hidden_sheet(folder: Path) -> Path:
    visible = worksheet(row(1, cell("A1", "SUBJID", "str")))
    hidden = worksheet(row(1, cell("A1", "internal lookup", "str")))
    return write_xlsx(folder / "hidden_sheet.xlsx", [("DM", visible, ""), ("Lookup", hidden, "hidden")])


def make_hidden_column(folder: Path) -> Path:
    head = '<cols><col min="3" max="3" width="0" hidden="1"/></cols>'
    rows = row(1, cell("A1", "SUBJID", "str"), cell("B1", "AETERM", "str"), cell("C1", "INTERNAL", "str"))
    rows += row(2, cell("A2", "01-001", "str"), cell("B2", "Fever", "str"), cell("C2", "x", "str"))
    return write_xlsx(folder / "hidden_column.xlsx", [("AE", worksheet(rows, head=head), "")])


def write_secret(folder: Path) -> Path:
    secret = folder / "xxe_secret.txt"
    secret.write_text(XXE_SECRET, encoding="utf-8")
    return secret.resolve()


def patch_declared_size(path: Path, member: str, size: int) -> None:
    """Overwrite the uncompressed size of `member` in both its local header and the central directory."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    content = bytearray(path.read_bytes())
    struct.pack_into("<I", content, info.header_offset + 22, size)
    name = member.encode()
    central = content.find(b"PK\x01\x02", 0)
    while central != -1:
        name_length = struct.unpack_from("<H", content, central + 28)[0]
        if bytes(content[central + 46:central + 46 + name_length]) == name:
            struct.pack_into("<I", content, central + 24, size)
            break
        central = content.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(content))


def replace_member_data(path: Path, member: str, deflated: bytes, declared_size: int) -> None:
    """Rebuild the archive with `member` holding raw `deflated` data under a false size and CRC."""
    with zipfile.ZipFile(path) as archive:
        others = [(info, archive.read(info)) for info in archive.infolist() if info.filename != member]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in others:
            archive.writestr(info, data)
        info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED  # written stored, then re-labelled as deflated below
        archive.writestr(info, deflated)
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        written = archive.getinfo(member)
    relabel(content, written.header_offset, local=True, size=declared_size)
    central = content.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", content, central + 28)[0]
        if bytes(content[central + 46:central + 46 + name_length]) == member.encode():
            relabel(content, central, local=False, size=declared_size)
        central = content.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(content))


def relabel(content: bytearray, offset: int, *, local: bool, size: int) -> None:
    """Mark a stored member as deflated and declare a (false) uncompressed size."""
    method_offset, size_offset = (8, 22) if local else (10, 24)
    struct.pack_into("<H", content, offset + method_offset, zipfile.ZIP_DEFLATED)
    struct.pack_into("<I", content, offset + size_offset, size)
