"""A seeded mutator of inputs: xlsx parts (the sheet, shared-string and workbook XML), the zip structure around
them, and csv bytes. Each mutation is a small, named change of the kind found in the field or made by an
attacker; `mutate(base, rng)` applies one to three of them. The same seed gives the same files."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable

Parts = dict[str, bytes]

SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
TEXTS = ["#DIV/0!", "#N/A", "_x0007_", "_x000D_\n", "_x005F_x0041_", "\u00a0", "Ж\u00a0", "=1+1", "@SUM(A1)",
         "\u202e", "\ufffd", "  ", "a" * 40_000, "&amp;&lt;", "日本語", "\U0001F600"]


def read_parts(data: bytes) -> Parts:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {member.filename: archive.read(member) for member in archive.infolist()}


def write_parts(parts: Parts, stored: bool = False) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return output.getvalue()


# ── xlsx: parts ──────────────────────────────────────────────────────────────────────────────────────

def sheet_of(parts: Parts, rng: random.Random) -> str:
    return rng.choice(sorted(name for name in parts if SHEET.fullmatch(name)) or sorted(parts))


def drop_span(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    text = parts[name]
    start = rng.randrange(len(text))
    parts[name] = text[:start] + text[start + rng.randint(1, 200):]


def flip_bytes(parts: Parts, rng: random.Random) -> None:
    name = rng.choice(sorted(parts))
    data = bytearray(parts[name])
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    parts[name] = bytes(data)


def duplicate_row(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    rows = re.findall(rb"<row [^>]*>.*?</row>", parts[name], re.DOTALL)
    if rows:
        row = rng.choice(rows)
        parts[name] = parts[name].replace(row, row + row, 1)


def renumber_row(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    numbers = [b"0", b"-1", b"1048577", b"99999999999", b"x", b"", b"3"]
    parts[name] = re.sub(rb'<row r="\d+"', lambda _: b'<row r="' + rng.choice(numbers) + b'"', parts[name], count=1)


def error_cell(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    error = rng.choice([b"#DIV/0!", b"#N/A", b"#REF!", b"#VALUE!"])
    parts[name] = re.sub(rb'<c r="([A-Z]+\d+)"[^>]*>.*?</c>', lambda found: b'<c r="' + found[1] + b'" t="e"><v>'
                         + error + b"</v></c>", parts[name], count=rng.randint(1, 3), flags=re.DOTALL)


def odd_text(parts: Parts, rng: random.Random) -> None:
    """Replace a text (shared or inline) with an odd one: escapes, errors typed as text, formulas, huge."""
    text = rng.choice(TEXTS).encode()
    for name in sorted(parts):
        if name.endswith("sharedStrings.xml") or SHEET.fullmatch(name):
            replaced, count = re.subn(rb"<t([^>]*)>[^<]*</t>", lambda found: b"<t" + found[1] + b">" + text + b"</t>",
                                      parts[name], count=1)
            if count:
                parts[name] = replaced
                return


def rename_sheet(parts: Parts, rng: random.Random) -> None:
    names = [b"DM", b"dm", b"LB", b"Sheet1", b"a/b", b"x" * 40, b"'quoted'", b"&lt;&gt;", b""]
    if "xl/workbook.xml" not in parts:
        return
    parts["xl/workbook.xml"] = re.sub(rb'name="[^"]*"', lambda _: b'name="' + rng.choice(names) + b'"',
                                      parts["xl/workbook.xml"], count=rng.randint(1, 2))


def doctype(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    parts[name] = parts[name].replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "boom">]>', 1)


def wide_row(parts: Parts, rng: random.Random) -> None:
    name = sheet_of(parts, rng)
    empties = b"".join(b'<c s="%d"/>' % rng.randrange(9999) for _ in range(rng.choice([100, 20_000])))
    parts[name] = parts[name].replace(b"</row>", empties + b"</row>", 1)


def drop_part(parts: Parts, rng: random.Random) -> None:
    name = rng.choice(sorted(parts))
    del parts[name]


PART_MUTATIONS: list[Callable[[Parts, random.Random], None]] = [
    drop_span, flip_bytes, duplicate_row, renumber_row, error_cell, odd_text, rename_sheet, doctype, wide_row,
    drop_part,
]


# ── xlsx: the zip around them ────────────────────────────────────────────────────────────────────────

def mutate_zip(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:  # truncated copy
        return data[:rng.randrange(1, len(data))]
    if choice == 1:  # junk appended (a download that ran on)
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 2000)))
    if choice == 2:  # bytes flipped inside the compressed data
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        return bytes(damaged)
    return write_parts(read_parts(data), stored=True)  # stored, not deflated


def mutate_xlsx(base: bytes, rng: random.Random) -> bytes:
    parts = read_parts(base)
    for _ in range(rng.randint(1, 3)):
        rng.choice(PART_MUTATIONS)(parts, rng)
    data = write_parts(parts)
    return mutate_zip(data, rng) if rng.random() < 0.25 else data


# ── csv bytes ────────────────────────────────────────────────────────────────────────────────────────

CSV_INSERTS = [b"\x00", b"\x07", b"\xe9", b"\xc6\xa0", b"\xff\xfe", b"\xef\xbb\xbf", b'"', b'""', b";", b",", b"\t",
               b"\r", b"\n", b"\x98", "Фебрильная".encode("cp1251"), "Fièvre".encode("cp1252"), b"#N/A", b"=1+1"]


def mutate_csv(base: bytes, rng: random.Random) -> bytes:
    data = bytearray(base)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(3)
        position = rng.randrange(len(data) + 1)
        if choice == 0:
            data[position:position] = rng.choice(CSV_INSERTS)
        elif choice == 1 and data:
            del data[position:position + rng.randint(1, 20)]
        else:
            data[position:position] = rng.choice(CSV_INSERTS) * rng.randint(2, 50)
    return bytes(data)
