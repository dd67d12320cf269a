"""Just enough of the OLE2 compound file format (MS-CFB) to tell an encrypted xlsx from a legacy .xls.

An encrypted OOXML workbook is a compound file holding `EncryptionInfo` and `EncryptedPackage` streams; a
legacy .xls holds a `Workbook` (or `Book`) stream. Only the directory is read, never the streams.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
END_OF_CHAIN = 0xFFFFFFFE
MAX_REGULAR_SECTOR = 0xFFFFFFFA
DIRECTORY_ENTRY_SIZE = 128
HEADER_DIFAT_ENTRIES = 109
MAX_SECTORS_WALKED = 1 << 20  # a loop guard: a damaged chain must not spin forever


class CompoundFileError(ValueError):
    """The compound file's structure cannot be followed."""


def list_stream_names(stream: BinaryIO) -> list[str]:
    """Names of the entries in a compound file's directory."""
    header = read_exact(stream, 0, 512)
    if header[:8] != SIGNATURE:
        raise CompoundFileError("no compound file signature")
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise CompoundFileError("unexpected sector size")
    sector_size = 1 << sector_shift
    fat_sector_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    difat = [entry for entry in struct.unpack_from(f"<{HEADER_DIFAT_ENTRIES}I", header, 0x4C)
             if entry <= MAX_REGULAR_SECTOR][:fat_sector_count]
    fat = read_fat(stream, difat, sector_size)
    names: list[str] = []
    for sector in follow_chain(fat, first_directory):
        block = read_exact(stream, (sector + 1) * sector_size, sector_size)
        for offset in range(0, sector_size, DIRECTORY_ENTRY_SIZE):
            names.extend(parse_entry_name(block[offset:offset + DIRECTORY_ENTRY_SIZE]))
    return names


def read_fat(stream: BinaryIO, fat_sectors: list[int], sector_size: int) -> list[int]:
    fat: list[int] = []
    for sector in fat_sectors:
        block = read_exact(stream, (sector + 1) * sector_size, sector_size)
        fat.extend(struct.unpack(f"<{sector_size // 4}I", block))
    return fat


def follow_chain(fat: list[int], start: int) -> list[int]:
    chain: list[int] = []
    sector = start
    while sector != END_OF_CHAIN:
        if sector > MAX_REGULAR_SECTOR or sector >= len(fat) or len(chain) > MAX_SECTORS_WALKED:
            raise CompoundFileError("broken sector chain")
        if sector in chain[-4:]:
            raise CompoundFileError("sector chain loops")
        chain.append(sector)
        sector = fat[sector]
    return chain


def parse_entry_name(entry: bytes) -> list[str]:
    if len(entry) < DIRECTORY_ENTRY_SIZE or entry[0x42] == 0:  # object type 0: unused entry
        return []
    length = struct.unpack_from("<H", entry, 0x40)[0]
    if not 2 <= length <= 64:
        return []
    return [entry[:length - 2].decode("utf-16-le", errors="replace")]


def read_exact(stream: BinaryIO, offset: int, size: int) -> bytes:
    stream.seek(offset)
    block = stream.read(size)
    if len(block) != size:
        raise CompoundFileError("the file ends inside a sector")
    return block
