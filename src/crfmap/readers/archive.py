"""The xlsx zip archive, opened with guards against zip bombs and damaged files.

Declared sizes are checked before anything is parsed; because a hostile archive can declare small sizes and
inflate to gigabytes, the bytes actually decompressed are counted while streaming as well.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import ReadLimits

MEBIBYTE = 1024 * 1024
# Tiny parts (a 2 KiB styles.xml of zeros) may compress extremely well and are harmless; the ratio guard
# applies only to parts that would inflate beyond this.
RATIO_FLOOR_BYTES = 1 * MEBIBYTE
WATCHED_CHUNK_BYTES = 64 * 1024  # what a watcher sees at a time (see xlsx.CellsPerRow for why it is small)
# zipfile raises RuntimeError for a password-protected member, NotImplementedError for an unknown method.
DAMAGE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


class GuardedArchive:
    """A zip archive whose members are read through byte counters that enforce `ReadLimits`."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self.name = path.name
        self.limits = limits
        self.inflated_total = 0
        try:
            self.zip = zipfile.ZipFile(path)
            members = self.zip.infolist()
        except DAMAGE_ERRORS as problem:
            raise self.damaged(describe_damage(problem)) from None
        self.members = {member.filename: member for member in members}
        self.check_declared_sizes()

    def check_declared_sizes(self) -> None:
        limits = self.limits
        total = sum(member.file_size for member in self.members.values())
        if total > limits.max_unzipped_bytes:
            raise self.too_large(f"its parts declare {format_bytes(total)} uncompressed, more than the "
                                 f"limit of {format_bytes(limits.max_unzipped_bytes)}")
        for member in self.members.values():
            if member.file_size > limits.max_part_bytes:
                raise self.too_large(f"part {member.filename} declares {format_bytes(member.file_size)} "
                                     f"uncompressed, more than the limit of {format_bytes(limits.max_part_bytes)}")
            # Deflate never grows data by more than a few bytes per block: compressed data larger than the
            # declared size means the size is false, and zipfile would stop at it and report corruption.
            if member.compress_type != zipfile.ZIP_STORED and member.compress_size > member.file_size * 1.01 + 1024:
                raise self.too_large(f"part {member.filename} declares {format_bytes(member.file_size)} "
                                     f"uncompressed but holds {format_bytes(member.compress_size)} of compressed "
                                     f"data: its declared size is false (a zip bomb?)")
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
                raise self.too_large(f"part {member.filename} would expand {ratio:.0f} times, more than the "
                                     f"limit of {limits.max_compression_ratio:.0f} (a zip bomb?)")

    def has(self, member: str) -> bool:
        return member in self.members

    def open_member(self, member: str, watch: Callable[[bytes], None] | None = None) -> CountingStream:
        """The member's bytes, counted; `watch` sees every chunk before the parser does (and may refuse it)."""
        try:
            return CountingStream(self, member, self.zip.open(self.members[member]), watch)
        except DAMAGE_ERRORS as problem:
            raise self.damaged(describe_damage(problem)) from None

    def count_inflated(self, member: str, part_bytes: int, new_bytes: int) -> None:
        self.inflated_total += new_bytes
        if part_bytes > self.limits.max_part_bytes:
            raise self.too_large(f"part {member} expands beyond the limit of "
                                 f"{format_bytes(self.limits.max_part_bytes)} (its declared size is wrong)")
        if self.inflated_total > self.limits.max_unzipped_bytes:
            raise self.too_large(f"the workbook expands beyond the limit of "
                                 f"{format_bytes(self.limits.max_unzipped_bytes)} (declared sizes are wrong)")

    def damaged(self, detail: str) -> FatalIssue:
        return FatalIssue(make_issue("R006", file=self.name, detail=detail))

    def too_large(self, detail: str) -> FatalIssue:
        return FatalIssue(make_issue("R007", file=self.name, detail=detail))

    def close(self) -> None:
        self.zip.close()


class CountingStream:
    """A file-like member stream that counts inflated bytes and turns zip damage into R006."""

    def __init__(self, archive: GuardedArchive, member: str, stream: IO[bytes],
                 watch: Callable[[bytes], None] | None = None) -> None:
        self.archive = archive
        self.member = member
        self.stream = stream
        self.part_bytes = 0
        self.watch = watch
        self.largest_chunk = MEBIBYTE if watch is None else WATCHED_CHUNK_BYTES

    def read(self, size: int = -1) -> bytes:
        # Never read unbounded: a lying header must be caught after one chunk, not after gigabytes.
        chunk_size = size if 0 < size <= self.largest_chunk else self.largest_chunk
        try:
            chunk = self.stream.read(chunk_size)
        except DAMAGE_ERRORS as problem:
            raise self.archive.damaged(f"part {self.member}: {describe_damage(problem)}") from None
        self.part_bytes += len(chunk)
        self.archive.count_inflated(self.member, self.part_bytes, len(chunk))
        if self.watch is not None:
            self.watch(chunk)
        return chunk

    def close(self) -> None:
        self.stream.close()


def describe_damage(problem: BaseException) -> str:
    """Plain words for zip damage, without Python type names."""
    text = str(problem).strip().rstrip(".")
    if isinstance(problem, EOFError) or "truncated" in text.lower():
        return "the file ends too early (truncated)"
    if isinstance(problem, zlib.error):
        return "compressed data is corrupt"
    if "encrypted" in text.lower() or "password" in text.lower():
        return "a part is password-protected inside the zip"
    if isinstance(problem, NotImplementedError):
        return "it uses a compression method that is not supported"
    if "not a zip file" in text.lower():
        return "the end of the archive is missing (truncated or not a zip file)"
    if "Bad CRC-32" in text:
        return "a part fails its checksum (corrupt)"
    return text.lower() if text else "the archive cannot be read"


def format_bytes(count: int) -> str:
    if count >= MEBIBYTE:
        return f"{count / MEBIBYTE:,.0f} MiB"
    return f"{count:,} bytes"
