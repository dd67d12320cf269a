"""A small writer of OLE2 compound files (MS-CFB version 3), enough for the hostile corpus.

Streams are padded to at least 4096 bytes so they live in regular sectors (no mini stream is needed).
"""

from __future__ import annotations

import struct

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SECTOR = 512
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MINI_STREAM_CUTOFF = 4096


def build_compound_file(streams: list[tuple[str, bytes]]) -> bytes:
    """A compound file holding `streams` (at most 3, names sorted as the red-black tree needs)."""
    if len(streams) > 3:
        raise ValueError("this small writer keeps the directory in one sector (root + 3 streams)")
    padded = [(name, data.ljust(MINI_STREAM_CUTOFF, b"\x00")) for name, data in streams]
    fat = [FAT_SECTOR, END_OF_CHAIN]  # sector 0: the FAT itself; sector 1: the directory
    starts = []
    for _name, data in padded:
        count = -(-len(data) // SECTOR)
        first = len(fat)
        starts.append(first)
        fat.extend(range(first + 1, first + count))
        fat.append(END_OF_CHAIN)
    if len(fat) > SECTOR // 4:
        raise ValueError("streams too large for a one-sector FAT")
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *(fat + [FREE] * (SECTOR // 4 - len(fat))))
    # Entry i + 1 is stream i. The root's child is the smallest name; each entry's right sibling is the next
    # larger (names compare by length, then upper-cased), a valid if unbalanced all-black tree.
    order = sorted(range(len(padded)), key=lambda index: (len(padded[index][0]), padded[index][0].upper()))
    right_of = {index: 1 + order[position + 1] for position, index in enumerate(order[:-1])}
    root = directory_entry("Root Entry", 5, child=1 + order[0] if padded else NO_STREAM, start=END_OF_CHAIN, size=0)
    stream_entries = [directory_entry(name, 2, right=right_of.get(index, NO_STREAM), start=starts[index],
                                      size=len(data)) for index, (name, data) in enumerate(padded)]
    unused = [unused_entry()] * (SECTOR // 128 - 1 - len(stream_entries))
    directory = root + b"".join(stream_entries) + b"".join(unused)
    body = b"".join(data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\x00") for _name, data in padded)
    return header() + fat_sector + directory + body


def header() -> bytes:
    fields = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", SIGNATURE, bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6),
        0,  # directory sectors (always 0 in version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,  # transaction signature
        MINI_STREAM_CUTOFF, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
    difat = struct.pack("<109I", 0, *([FREE] * 108))
    return fields + difat


def directory_entry(name: str, kind: int, *, left: int = NO_STREAM, right: int = NO_STREAM,
                    child: int = NO_STREAM, start: int, size: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    return struct.pack("<64sHBBIII16sIQQIQ", encoded.ljust(64, b"\x00"), len(encoded), kind, 1, left, right,
                       child, bytes(16), 0, 0, 0, start, size)


def unused_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", bytes(64), 0, 0, 0, NO_STREAM, NO_STREAM, NO_STREAM, bytes(16),
                       0, 0, 0, 0, 0)
