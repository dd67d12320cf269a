"""SAS XPORT version 5 (the FDA's transport format for SDTM), written from a Dataset with our own code.

Layout (SAS TS-140): 80-byte records. A library header (banner, SAS/version/OS/created, modified), a member
header with its descriptor (dataset name, created, modified, label), a NAMESTR header with the variable
count, one 140-byte NAMESTR per variable (big-endian), padded with blanks to a multiple of 80, an OBS header,
then the rows back to back (text blank-padded to its length, numbers as 8-byte IBM doubles) padded with
blanks to a multiple of 80.

Deterministic bytes: the created/modified stamps are given by the caller (`XptOptions.created`), never read
from the clock. The default is the SAS epoch "01JAN70:00:00:00"; the API passes the study's data cut-off
(`sas_datetime_text(cutoff)`) when there is one. The version/OS fields say "9.4" / "crfmap": readers ignore
them; the NAMESTR fields follow what SAS itself writes (no formats, justification 0).
"""

from __future__ import annotations

import datetime
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from crfmap.issues import Issue, Severity
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.stored_rows import column_chunks
from crfmap.writers.sdtm.ibm_float import to_ibm_column
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import Transliterate, is_numeric, prepare_dataset

SAS_EPOCH = "01JAN70:00:00:00"
_STAMP = re.compile(r"\d\d(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d\d:\d\d:\d\d:\d\d")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ZEROS = "0" * 30
_LIBRARY_BANNER = f"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!{_ZEROS}  "
_MEMBER_BANNER = "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
_DESCRIPTOR_BANNER = f"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!{_ZEROS}  "
_OBS_BANNER = f"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!{_ZEROS}  "
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")
_CHUNK_ROWS = 8192  # rows encoded per batch: bounded memory, few Python-level joins


@dataclass(frozen=True, slots=True)
class XptOptions:
    """How to write: fixed header stamps (SAS DATETIME16, e.g. "01JAN70:00:00:00") and transliteration."""

    created: str = SAS_EPOCH
    modified: str | None = None  # defaults to `created`
    transliterate: Transliterate = False
    sas_version: str = "9.4"
    operating_system: str = "crfmap"


def sas_datetime_text(moment: datetime.date) -> str:
    """A date or datetime as the 16-character SAS stamp of XPT headers: 2024-03-31 → "31MAR24:00:00:00"."""
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.combine(moment, datetime.time())
    return f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:{moment:%H:%M:%S}"


def write_xpt(dataset: Dataset, target: Path, options: XptOptions = XptOptions()) -> list[Issue]:
    """Check `dataset` against the XPT v5 limits and, when nothing is an error, write it atomically to `target`.

    Returns the issues; on any error nothing is written (the previous file, if any, stays).
    """
    prepared, issues = prepare_dataset(dataset, options.transliterate)
    if any(issue.severity is Severity.ERROR for issue in issues):
        return issues
    with open_output(Path(target)) as stream:
        write_xpt_stream(prepared, stream, options)
    return issues


def write_xpt_stream(prepared: Dataset, stream: IO[bytes], options: XptOptions = XptOptions()) -> None:
    """Write an already prepared and checked Dataset (see `prepare_dataset`) as XPT v5 bytes to `stream`."""
    for stamp in (options.created, options.modified):
        if stamp is not None and not _STAMP.fullmatch(stamp):
            raise ValueError(f"XPT header stamp {stamp!r} is not SAS DATETIME16 like '01JAN70:00:00:00'")
    stream.write(_encode_headers(prepared, options))
    stream.write(_encode_namestrs(prepared.variables))
    stream.write(_OBS_BANNER.encode("ascii"))
    written = 0
    for block in _encode_rows(prepared):
        stream.write(block)
        written += len(block)
    if written % 80:
        stream.write(b" " * (80 - written % 80))


def _field(text: str, width: int) -> str:
    return text[:width].ljust(width)


def _encode_headers(dataset: Dataset, options: XptOptions) -> bytes:
    created = options.created
    modified = options.modified or created
    version, system = _field(options.sas_version, 8), _field(options.operating_system, 8)
    records = [
        _LIBRARY_BANNER,
        f"SAS     SAS     SASLIB  {version}{system}{' ' * 24}{created}",
        _field(modified, 80),
        _MEMBER_BANNER,
        _DESCRIPTOR_BANNER,
        f"SAS     {_field(dataset.name, 8)}SASDATA {version}{system}{' ' * 24}{created}",
        f"{modified}{' ' * 16}{_field(dataset.label, 40)}{' ' * 8}",
        f"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{len(dataset.variables):04d}{'0' * 20}  ",
    ]
    return "".join(records).encode("ascii")


def _encode_namestrs(variables: list[Variable]) -> bytes:
    parts, position = [], 0
    for number, variable in enumerate(variables, start=1):
        length = 8 if is_numeric(variable) else int(variable.length or 1)
        parts.append(_NAMESTR.pack(
            1 if is_numeric(variable) else 2, 0, length, number,
            _field(variable.name, 8).encode("ascii"), _field(variable.label, 40).encode("ascii"),
            b" " * 8, 0, 0, 0, b"\x00\x00", b" " * 8, 0, 0, position, b"\x00" * 52,
        ))
        position += length
    data = b"".join(parts)
    if len(data) % 80:
        data += b" " * (80 - len(data) % 80)
    return data


def _encode_rows(dataset: Dataset) -> Iterator[bytes]:
    names = [variable.name for variable in dataset.variables]
    for chunk in column_chunks(dataset.rows, names, _CHUNK_ROWS):
        columns = [_encode_column(variable, values) for variable, values in zip(dataset.variables, chunk, strict=True)]
        yield b"".join(map(b"".join, zip(*columns)))


def _encode_column(variable: Variable, values: Sequence[Any]) -> list[bytes]:
    if is_numeric(variable):
        return to_ibm_column(values)
    padded = _Padded(int(variable.length or 1))
    blank = padded.blank
    return [blank if value is None else padded[value] for value in values]


class _Padded(dict[str, bytes]):
    """Text → its field: ASCII bytes padded to the variable's width. SDTM text repeats (STUDYID, USUBJID, test
    codes, units), so each distinct value of a chunk is encoded once."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.blank = b" " * width

    def __missing__(self, value: str) -> bytes:
        field = self[value] = value.encode("ascii").ljust(self.width)
        return field
