"""PackedIssues: a run's issues in the order found, packed a block at a time, with their counts kept as they come.

A large export can raise a warning on most rows (dates typed as text, say): tens of thousands of issues, about
450 bytes each as objects, held until the report is written. A full block is pickled and compressed (about 25
bytes an issue) and read back a block at a time on each pass; the counts every summary shows (`tally`) are kept
as issues are added, so that showing them reads no block.
"""

from __future__ import annotations

import pickle
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, MutableSequence
from typing import Any, NamedTuple, overload

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue, issue_fields, issue_from_fields

BLOCK = 1024  # issues per packed block: what one pass holds as objects at a time


class IssueKind(NamedTuple):
    """What the summaries count issues by."""

    code: str
    slug: str
    severity: Severity
    sheet: str | None
    file: str | None  # only for an issue without a sheet (a mapping file's, the input's as a whole)
    form: str | None
    waived: bool


def kind_of(issue: Issue) -> IssueKind:
    return IssueKind(issue.code, issue.slug, issue.severity, issue.sheet, issue.file if issue.sheet is None else None,
                     issue.form, issue.waived is not None)


class PackedIssues(MutableSequence[Issue]):
    """Issues in the order added. Appending is cheap; so is `tally`; every pass reads the packed blocks back in
    turn. Changing an issue in place (`log[i] = …`, `del`, `insert`) unpacks and repacks the whole log: views and
    waivers make a new log instead."""

    __slots__ = ("_packed", "_recent", "_tally")

    def __init__(self, issues: Iterable[Issue] = ()) -> None:
        self._packed: list[bytes] = []
        self._recent: list[Issue] = []
        self._tally: Counter[IssueKind] = Counter()
        self.extend(issues)

    def append(self, issue: Issue) -> None:
        self._recent.append(issue)
        self._tally[kind_of(issue)] += 1
        if len(self._recent) >= BLOCK:
            self._packed.append(_pack(self._recent))
            self._recent = []

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def tally(self) -> Counter[IssueKind]:
        """How many issues of each kind (a copy)."""
        return Counter(self._tally)

    def __len__(self) -> int:
        return len(self._packed) * BLOCK + len(self._recent)

    def __iter__(self) -> Iterator[Issue]:
        packed, recent = list(self._packed), list(self._recent)  # what the log holds now
        for block in packed:
            yield from _unpack(block)
        yield from recent

    @overload
    def __getitem__(self, index: int) -> Issue: ...

    @overload
    def __getitem__(self, index: slice) -> list[Issue]: ...

    def __getitem__(self, index: int | slice) -> Issue | list[Issue]:
        if isinstance(index, slice):
            return list(self)[index]
        size = len(self)
        if not -size <= index < size:
            raise IndexError("issue index out of range")
        index %= size
        block, place = divmod(index, BLOCK)
        return self._recent[place] if block == len(self._packed) else _unpack(self._packed[block])[place]

    @overload
    def __setitem__(self, index: int, value: Issue) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[Issue]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        issues = list(self)
        issues[index] = value
        self._refill(issues)

    def __delitem__(self, index: int | slice) -> None:
        issues = list(self)
        del issues[index]
        self._refill(issues)

    def insert(self, index: int, value: Issue) -> None:
        issues = list(self)
        issues.insert(index, value)
        self._refill(issues)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (PackedIssues, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"PackedIssues({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # a partition's issues travel to the driver as they are kept: packed
        return (_restore, (self._packed, self._recent, self._tally))

    def _refill(self, issues: list[Issue]) -> None:
        self._packed, self._recent, self._tally = [], [], Counter()
        self.extend(issues)


def _restore(packed: list[bytes], recent: list[Issue], tally: Counter[IssueKind]) -> PackedIssues:
    log = PackedIssues()
    log._packed, log._recent, log._tally = packed, recent, tally
    return log


def _pack(issues: list[Issue]) -> bytes:
    # Tuples of the fields, not the dataclasses: unpickling a frozen dataclass sets each field through
    # object.__setattr__, where issue_from_fields sets the slots (issue.py says what that saves). zlib level 1:
    # the messages of one kind differ in a few characters, so the fastest level already packs a block to a fifth.
    rows = list(map(issue_fields, issues))
    return zlib.compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack(block: bytes) -> list[Issue]:
    return list(map(issue_from_fields, pickle.loads(zlib.decompress(block))))
