"""RecordSpool: a run's records, set aside on disk as they are made and given back in sort-key order.

Writers need every record sorted by (subject, concept, key), while forms arrive sheet by sheet. Holding every
record until the end made a run's memory grow with its input (about 3 KB per row). The spool keeps at most
`buffer` records in memory: when the buffer fills it is sorted and pickled to an anonymous temporary file as one
sorted run, and iterating merges the runs (an external merge sort). Sort keys are unique per record and both
the in-memory sort and `heapq.merge` are stable, so the order is the same as sorting one list, whatever the
buffer size: the output's bytes do not depend on it.

Memory while merging is one chunk per run; when there are more than `fan_in` runs they are first merged, in
groups, into longer runs (into a second file, the first is let go), so it stays bounded for any input size.
A small run never touches the disk. The temporary files are unlinked when made (`tempfile.TemporaryFile`),
so a killed run leaves nothing behind, and private to the process (mode 0600, no name): what is unpickled is
only what this run wrote. OSError (a full or read-only TMPDIR) reaches the caller; from a merge pass, which runs
when the records are first read back (by a writer), as TemporarySpaceError, so that it is not taken for the
output's own disk.

A convert-many partition on the driver's machine spools its records into a named file of the run's private
folder instead (`path`) and `seal`s it: what travels back is the file's name and the offsets of its sorted runs
(`SealedRecords`). The driver `adopt`s every partition's runs into one spool and merges them with its own, so
that neither holds the records in memory. A subject's records are all in one partition, so merging the
partitions' runs gives the order of one stable sort of the records in the order one process makes them.
"""

from __future__ import annotations

import copyreg
import heapq
import io
import operator
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import IO, Any

from crfmap.model.dates import PartialDate
from crfmap.model.records import RECORD_TYPES, Coded, Coding, Quantity, Record, Subject
from crfmap.sources import SourceCell
from crfmap.sources.slots import slot_maker

BUFFER = 4_096  # records held before a run is written (a few MiB)
CHUNK = 128  # records per pickle: what each run holds in memory while merging
FAN_IN = 32  # runs merged at once; more are first merged into longer runs


class TemporarySpaceError(OSError):
    """The temporary folder refused a file (full, read-only) while a writer works: a merge pass's, while it reads
    the records, or one a writer sets its own output aside in (SDTM rows). `what` says which, for W147."""

    what = "the records set aside could not be merged"

    @classmethod
    def of(cls, problem: OSError, what: str | None = None) -> TemporarySpaceError:
        error = cls(problem.errno, problem.strerror or str(problem))
        if what is not None:
            error.what = what
        return error


def _sort_key(record: Record) -> tuple[object, ...]:
    return record.sort_key


# Pickling a frozen dataclass with slots goes through dataclasses' own __getstate__/__setstate__, which look the
# fields up again for every object: most of the spool's cost. Records and their values are written instead as
# (the class's maker, field values) and made again by a function made for the class that sets each slot directly
# (sources/slots.py): reading back took half as long as a loop over the slots, and the chunks are 13% smaller.
_DISPATCH: dict[type, Callable[[Any], Any]] = dict(copyreg.dispatch_table)


def _maker(cls: type) -> Callable[..., object]:
    """`cls`'s maker (sources/slots.py), kept as a global of this module, `_make_<class>`: pickle names a function
    by its module and name."""
    name = f"_make_{cls.__name__}"
    if name in globals():
        raise TypeError(f"two classes named {cls.__name__} to remake")
    maker = slot_maker(cls)
    maker.__module__, maker.__name__, maker.__qualname__ = __name__, name, name
    globals()[name] = maker
    return maker


def _reducer(cls: type) -> Callable[[Any], Any]:
    maker = _maker(cls)
    values = operator.attrgetter(*[item.name for item in fields(cls)])
    if len(fields(cls)) == 1:
        return lambda made: (maker, (values(made),))
    return lambda made: (maker, values(made))


for _cls in (SourceCell, PartialDate, Coding, Coded, Quantity, *RECORD_TYPES.values()):
    _DISPATCH[_cls] = _reducer(_cls)


def pickle_dispatch() -> dict[type, Callable[[Any], Any]]:
    """A pickler's dispatch table that writes records, their values and source cells as (class, field values): for
    other spills of the same objects (the SDTM rows' cells)."""
    return dict(_DISPATCH)


def _dump(batch: list[Record], file: IO[bytes]) -> None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(batch)
    file.write(buffer.getbuffer())


@dataclass(frozen=True, slots=True)
class _Run:
    """One sorted run: the file it is in, the offsets of its chunks, and the subjects whose records it does not
    give back (a run adopted from a partition whose subjects an earlier export has: R055)."""

    file: IO[bytes]
    offsets: tuple[int, ...]
    left_out: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SealedRecords:
    """A spool's records left in its named file for another process (`RecordSpool.seal`): the offsets of each
    sorted run's chunks, the number of records, each subject's number of records, and the subjects that have a
    Subject record."""

    path: str
    runs: tuple[tuple[int, ...], ...]
    count: int
    subjects: Mapping[str, int]
    with_record: frozenset[str]


class RecordSpool:
    """Records in, the same records out in sort-key order, as often as asked; `len` counts them.

    `leave_out(subjects)` drops every record of those subjects from what is given back (convert
    --allow-errors leaves out subjects that have no subject record). With `path`, the runs go to a new file of
    that name (in a folder only this user can read), to be sealed and adopted by another spool.
    """

    def __init__(self, buffer: int | None = None, chunk: int | None = None, fan_in: int | None = None,
                 path: str | None = None) -> None:
        # read when made, not when defined, so that a test may set the module's sizes small
        self.buffer_size, self.chunk, self.fan_in = buffer or BUFFER, chunk or CHUNK, fan_in or FAN_IN
        if self.fan_in < 2:
            raise ValueError("fan_in must be at least 2")
        self.buffer: list[Record] = []
        self.sorted = True  # the buffer is in sort-key order
        self.runs: list[_Run] = []
        self.file: IO[bytes] | None = None
        self.count = 0
        self.left_out: frozenset[str] = frozenset()
        self.left_out_count = 0
        self.subjects_with_record: set[str] = set()  # subjects that have a Subject record
        self.last_reader = False  # the next reading is the last: the records in memory go as they are given
        self.handed_over = False  # that reading began: reading again is an error, never an empty pass
        self.path = path
        self.subjects: Counter[str] | None = Counter() if path is not None else None  # records per subject

    @classmethod
    def of(cls, records: list[Record]) -> RecordSpool:
        """A spool of records already held in memory: sorted, never spilled."""
        spool = cls(buffer=len(records) + 1)
        spool.extend(records)
        return spool

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            self.buffer.append(record)
            self.count += 1
            if isinstance(record, Subject):
                self.subjects_with_record.add(record.subject_id)
            if self.subjects is not None:
                self.subjects[record.subject_id] += 1
            if len(self.buffer) >= self.buffer_size:
                self._spill()
        self.sorted = False

    def seal(self) -> SealedRecords:
        """Write what is held as a last run and leave every run in the spool's file (`path`) for another process
        to `adopt`; this spool is then closed. Raises OSError when the file cannot be written."""
        if self.path is None or self.subjects is None:
            raise ValueError("only a spool made with a path can be sealed")
        if self.file is not None and self.file.name != self.path:  # a reading merged the runs into another file
            raise ValueError("a spool can be sealed only before it is read")
        if self.buffer:
            self._spill()
        if self.file is not None:
            self.file.flush()
        sealed = SealedRecords(path=self.path, runs=tuple(run.offsets for run in self.runs), count=self.count,
                               subjects=dict(self.subjects), with_record=frozenset(self.subjects_with_record))
        self.close()
        return sealed

    def adopt(self, records: SealedRecords | Iterable[Record], left_out: Collection[str] = ()) -> None:
        """Give back, with this spool's own records, another's: sealed runs (read from their file, not held) or
        records (sorted or not, set aside as `extend` does), without the records of the subjects `left_out`."""
        excluded = frozenset(left_out)
        if not isinstance(records, SealedRecords):
            self.extend(record for record in records if record.subject_id not in excluded)
            return
        if records.runs:
            file = open(records.path, "rb")  # noqa: SIM115 — kept in the runs, closed by close()
            self.runs.extend(_Run(file, offsets, excluded) for offsets in records.runs)
        self.count += records.count - sum(records.subjects.get(subject, 0) for subject in excluded)
        self.subjects_with_record.update(records.with_record - excluded)

    def __len__(self) -> int:
        return self.count - self.left_out_count

    def __iter__(self) -> Iterator[Record]:
        if self.handed_over:
            raise RuntimeError("the records were handed over to their last reader and are gone")
        records = self._merged()
        self.handed_over = self.last_reader
        if not self.left_out:
            return records
        return (record for record in records if record.subject_id not in self.left_out)

    def leave_out(self, subjects: Iterable[str], count: int) -> None:
        """Give back no record of `subjects` from now on; `count` is how many records that leaves out."""
        self.left_out = frozenset(subjects)
        self.left_out_count = count

    def hand_over(self) -> None:
        """Make the next reading the last: it takes the records held in memory, each let go as it is given, so that
        memory falls as the reader goes (its own rows can take the place). Reading again raises RuntimeError."""
        self.last_reader = True

    def close(self) -> None:
        """Let go of the records and the spill files (done also when the spool is collected)."""
        self.buffer = []
        files = {id(run.file): run.file for run in self.runs}
        if self.file is not None:
            files[id(self.file)] = self.file
        self.runs, self.file = [], None
        for file in files.values():
            file.close()

    @property
    def spilled(self) -> int:
        """How many sorted runs are on disk (0: every record is in memory)."""
        return len(self.runs)

    def _spill(self) -> None:
        self.buffer.sort(key=_sort_key)
        if self.file is None:
            if self.path is not None:  # new, never another's: the folder is the run's own
                self.file = open(self.path, "xb+")  # noqa: SIM115 — closed by close()
            else:
                self.file = tempfile.TemporaryFile(prefix="crfmap-records-")  # noqa: SIM115 — closed by close()
        self.file.seek(0, 2)
        self.runs.append(self._write_run(self.file, self.buffer))
        self.buffer = []

    def _write_run(self, file: IO[bytes], records: Iterable[Record]) -> _Run:
        offsets: list[int] = []
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == self.chunk:
                offsets.append(file.tell())
                _dump(batch, file)
                batch = []
        if batch:
            offsets.append(file.tell())
            _dump(batch, file)
        return _Run(file, tuple(offsets))

    def _merged(self) -> Iterator[Record]:
        if not self.sorted:
            self.buffer.sort(key=_sort_key)
            self.sorted = True
        if self.last_reader:
            held, self.buffer = _given_away(self.buffer), []
        else:
            held = iter(list(self.buffer))
        if not self.runs:
            return held
        while len(self.runs) + 1 > self.fan_in:
            self._merge_runs()
        return heapq.merge(*(_read_run(run) for run in self.runs), held, key=_sort_key)

    def _merge_runs(self) -> None:
        """One pass: every group of `fan_in` runs becomes one run in a new file; the old files go."""
        old = {id(run.file): run.file for run in self.runs}
        try:
            new = tempfile.TemporaryFile(prefix="crfmap-records-")  # noqa: SIM115 — kept as self.file
        except OSError as problem:
            raise TemporarySpaceError.of(problem) from problem
        try:
            runs = [self._write_run(new, heapq.merge(*(_read_run(run) for run in group), key=_sort_key))
                    for group in _groups(self.runs, self.fan_in)]
        except OSError as problem:
            new.close()
            raise TemporarySpaceError.of(problem) from problem
        except BaseException:
            new.close()
            raise
        for file in old.values():
            file.close()
        self.file, self.runs = new, runs


def _given_away(records: list[Record]) -> Iterator[Record]:
    """`records` in their order, each let go as it is given (a list iterator would hold them all to the end)."""
    records.reverse()
    while records:
        yield records.pop()


def _groups(runs: list[_Run], size: int) -> Iterator[list[_Run]]:
    for start in range(0, len(runs), size):
        yield runs[start:start + size]


def _read_run(run: _Run) -> Iterator[Record]:
    """The run's records, a chunk at a time; other runs read the same file in between, hence the seek."""
    load: Callable[[IO[bytes]], list[Record]] = pickle.load
    file, left_out = run.file, run.left_out
    for offset in run.offsets:
        file.seek(offset)
        chunk = load(file)
        if left_out:
            chunk = [record for record in chunk if record.subject_id not in left_out]
        yield from chunk


__all__ = ["BUFFER", "RecordSpool", "SealedRecords", "TemporarySpaceError", "pickle_dispatch"]
