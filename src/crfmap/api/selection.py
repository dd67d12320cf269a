"""RowSelection: one partition's share of an export's rows, and the clock that lets partitions be merged back
into the single-process order.

A partition is the rows of a set of subjects: a data row belongs to partition `sha256(subject id) mod count`,
where the subject id is the one validation itself reads (the same parser on the same cell), so that every row
of a subject — in every form — lands in the same partition. Each partition reads the whole export (the
reader's work is not split; validation and mapping are) and validates only its own rows. Every check crfmap
makes across rows (duplicate keys and subjects, subject_exists, not_before, lookups) is a check within one
subject, so it sees all it needs inside the partition.

The clock: every partition reads the same rows in the same order, so a counter ticked per data row is the
same in all of them. A row's tick is odd and owned by the row's partition; the ticks between rows are even
and owned by partition 0 (headers, sheet matching, what the reader says between rows). An issue or left-out
row is kept by the partition that owns the tick it is made at, and tagged with that tick: merging every
partition's tags in tick order gives back exactly the order one process makes them in. Records need no tag:
writers read them sorted by (subject, concept, key), and a subject's are all in one partition; only each
subject's first record is noted with its tick, for R055's cell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from crfmap.issues import Issue, Report
from crfmap.model import Record
from crfmap.sources import Row, SourceCell
from crfmap.study.models import Form
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import HeaderMap
from crfmap.validate.sheet import read_subject_id
from crfmap.values.cells import parse_cell


def subject_partition(subject_id: str | None, count: int) -> int:
    """The partition of a subject: a stable hash (not Python's, which changes per process), so that every
    worker and every run agrees. Rows without a readable subject id belong to partition 0."""
    if count <= 1 or subject_id is None:
        return 0
    digest = hashlib.sha256(subject_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


class RowSelection:
    """Partition `index` of `count` of one export, with the clock of module's docstring."""

    def __init__(self, index: int, count: int) -> None:
        if not 0 <= index < count:
            raise ValueError(f"partition {index} of {count}")
        self.index = index
        self.count = count
        self.tick = 0
        self.owner = 0  # the partition that owns the current tick
        self.report = PartitionReport(self)
        # each subject's first record: the tick and cell of its row. The records themselves need no tick: they
        # are given back sorted by (subject, concept, key), and a subject's are all in one partition.
        self.first_records: dict[str, tuple[int, SourceCell | None]] = {}
        self.left_out_ticks: list[int] = []

    @property
    def owns_now(self) -> bool:
        return self.owner == self.index

    def select(self, form: Form, header: HeaderMap, rows: Iterable[Row],
               context: ValidationContext) -> Iterator[Row]:
        """The data rows of this partition's subjects; every row, own or not, advances the clock."""
        column = form.column(form.identity.subject)
        position = header.positions.get(form.identity.subject)
        if position is None:  # a wide sheet keeps the subject among its shared columns
            position = getattr(header, "shared", {}).get(form.identity.subject)
        for row in rows:
            subject = None
            if column is not None and position is not None:
                subject = read_subject_id(parse_cell(row.cells.get(position), column, context.parsing).value)
            self.tick += 1
            self.owner = subject_partition(subject, self.count)
            if self.owner == self.index:
                yield row
            self.tick += 1
            self.owner = 0

    def note_records(self, records: Iterable[Record]) -> None:
        """Note the current row's records: each subject's first, with its tick and cell (where R055 points)."""
        for record in records:
            if record.subject_id not in self.first_records:
                self.first_records[record.subject_id] = (self.tick, record.subject_cell)

    def note_left_out(self, left_out: int) -> None:
        """Tag the rows left out so far that have no tick yet (the current row, if it was) with the tick."""
        self.left_out_ticks.extend([self.tick] * (left_out - len(self.left_out_ticks)))


class PartitionReport(Report):
    """A report that keeps only the issues its partition owns, each with the tick it was made at."""

    def __init__(self, selection: RowSelection) -> None:
        super().__init__()
        self.selection = selection
        self.ticks: list[int] = []

    def add(self, issue: Issue) -> None:
        if self.selection.owns_now:
            self.issues.append(issue)
            self.ticks.append(self.selection.tick)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)


__all__ = ["PartitionReport", "RowSelection", "subject_partition"]
