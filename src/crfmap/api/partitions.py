"""Conversion as a pure function of (mapping, one partition of an export's subjects), and the merge that puts
the partitions of one export back together exactly as one process would have made them.

    result = convert_partition(study, Partition(Path("site-01.xlsx"), index=2, count=4))   # anywhere
    export = merge_partitions([result0, result1, result2, result3])                       # on the driver

`convert_partition` reads, validates and maps the rows of its subjects (api/selection.py says how rows are
assigned and why every check still sees what it needs) and returns picklable results: left-out rows and issues,
each tagged with its place in the single-process order, and the canonical records sorted by (subject, concept,
key), as writers read them. It never raises for bad input: a refusal (FatalIssue) travels back as `fatal`,
because an exception crossing a process boundary loses its issues. `merge_partitions` interleaves the tags, so
issues, rows left out and the report's facts are those of one `validate_workbook` of the whole export; the
writers then run once on the driver (api/many.py), reading every partition's records merged by sort key (a
subject's records are all in one partition, so that is the order of the whole export's records sorted).

The records wait on disk as they are made, as in `convert` (model/spool.py). Where the partitions run on the
driver's machine (`spill_folder`), each leaves its sorted runs in a file of the run's private folder and sends
back the file's name (`SealedRecords`): the driver merges the runs from there, and neither holds the records.
From other machines the records travel back as a sorted list.

With a `PartsPlan` (every target's writer makes its output per subject: writers.base.SubjectParts) the partition
also writes: it makes its subjects' parts (for FHIR, each subject's bundle and NDJSON lines; for SDTM, each
subject's rows in every domain) and returns them instead of its records, so the per-subject work runs where the
partition runs; the driver writes them in subject order, as one process writes them. Where the partitions run
on the driver's machine (`spill_folder`), each sets its parts aside in a file there as it makes them and
returns the file (`SpilledParts`): the driver then reads one part per partition at a time, and its memory does
not grow with the output. From other machines they come back pickled, a chunk of parts at a time
(`PickledParts`), and the driver unpickles one chunk per partition at a time.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from crfmap.api.orphans import Orphan, find_orphans, subject_forms
from crfmap.api.selection import RowSelection
from crfmap.api.validation import SheetAccount, ValidationResult, validate_workbook
from crfmap.issues import FatalIssue, Issue, PackedIssues, make_issue
from crfmap.issues.layout import CoverageLine, RunHeader, SheetLayout
from crfmap.model import Record
from crfmap.model.spool import RecordSpool, SealedRecords, TemporarySpaceError
from crfmap.readers import ReadOptions
from crfmap.sources import SourceCell, SourceInfo
from crfmap.study.models import StudyMapping
from crfmap.values.row import FormRow
from crfmap.writers import WRITERS, PartRequest

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Partition:
    """Partition `index` of `count` of the export at `export` (an absolute path every worker can read);
    `position` is the export's place among the run's exports."""

    export: Path
    index: int = 0
    count: int = 1
    position: int = 0

    @property
    def name(self) -> str:
        return self.export.name if self.count == 1 else f"{self.export.name} [{self.index + 1}/{self.count}]"


@dataclass(frozen=True, slots=True)
class PartsPlan:
    """What a partition writes: the targets (each writer has `parts` that apply to its options), their option
    values, the run's input as provenance records it (the same in every partition), and --allow-errors."""

    targets: tuple[str, ...]
    options: Mapping[str, Mapping[str, Any]]
    source: SourceInfo
    allow_errors: bool


@dataclass(frozen=True, slots=True)
class SpilledParts:
    """A partition's parts of one target, set aside in a file of the driver's temporary folder; iterating reads
    them back one at a time. The file is the run's own (a folder only this user can read, made by the driver for
    this run), so what is unpickled is only what its partitions wrote."""

    path: str
    count: int

    def __iter__(self) -> Iterator[Any]:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 — closed below, after the last part
        except OSError as problem:  # the run's folder emptied under it (a cleaner of /tmp): W147, not OUT's W001
            raise TemporarySpaceError.of(problem, "the output the partitions set aside could not be read back") \
                from problem
        with file:
            for _ in range(self.count):
                yield pickle.load(file)


def spill_parts(parts: Iterable[Any], path: Path) -> SpilledParts:
    count = 0
    with open(path, "wb") as file:
        for part in parts:
            pickle.dump(part, file, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1
    return SpilledParts(str(path), count)


PICKLED_CHUNK = 64  # parts pickled together when they travel back: they share what they repeat (names, files)


@dataclass(frozen=True, slots=True)
class PickledParts:
    """A partition's parts of one target as they travel back from another machine: pickled and compressed a chunk
    of parts at a time. The driver holds every partition's output as these bytes, and unpickles one chunk per
    partition at a time as it writes. (As objects a part takes several times its pickled size; FHIR's JSON and
    SDTM's rows compress several times over, for less time than the network takes to carry the difference.)"""

    chunks: tuple[bytes, ...]
    count: int

    def __iter__(self) -> Iterator[Any]:
        for chunk in self.chunks:
            yield from pickle.loads(zlib.decompress(chunk))


def pickle_parts(parts: Iterable[Any]) -> PickledParts:
    chunks: list[bytes] = []
    count = 0
    chunk: list[Any] = []
    for part in parts:
        chunk.append(part)
        if len(chunk) == PICKLED_CHUNK:
            chunks.append(_packed(chunk))
            count, chunk = count + len(chunk), []
    if chunk:
        chunks.append(_packed(chunk))
        count += len(chunk)
    return PickledParts(tuple(chunks), count)


def _packed(chunk: list[Any]) -> bytes:
    return zlib.compress(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL), 1)  # level 1: ≈10× on FHIR JSON


@dataclass
class PartitionResult:
    """What one partition made; lists of the same name and `_ticks` run in parallel (see api/selection.py)."""

    partition: Partition
    fatal: tuple[Issue, ...] = ()
    source: SourceInfo | None = None
    run: RunHeader | None = None
    sheets: list[SheetLayout] = field(default_factory=list)
    coverage: list[SheetAccount] = field(default_factory=list)
    issues: Sequence[Issue] = field(default_factory=list)  # a PackedIssues: packed as it was kept
    issue_ticks: list[int] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # sorted by sort key; from another machine only
    sealed: SealedRecords | None = None  # or left in the driver's folder, sorted runs (model/spool.py)
    left_out: list[FormRow] = field(default_factory=list)
    left_out_ticks: list[int] = field(default_factory=list)
    rows_read: int = 0
    subjects: dict[str, tuple[int, SourceCell | None]] = field(default_factory=dict)  # → (tick, first cell)
    records_made: int = 0
    # with a PartsPlan: the parts by target (records then stay behind), the subjects left out for want of a subject
    # record (--allow-errors), and what stopped a writer from making parts at all (it stops the run's writing)
    parts: dict[str, Iterable[Any]] | None = None  # PickledParts, or SpilledParts
    orphans: dict[str, Orphan] = field(default_factory=dict)
    write_failure: tuple[Issue, ...] = ()


@dataclass
class ExportResult:
    """One export, merged: what `validate_workbook` of the whole export gives (without waivers or the mapping's
    own issues, which the driver adds once for the run), plus the first cell of each subject."""

    source: SourceInfo
    run: RunHeader
    sheets: list[SheetLayout]
    coverage: list[SheetAccount]
    issues: PackedIssues
    records: list[list[Record] | SealedRecords]  # each partition's, sorted by sort key
    left_out: list[FormRow]
    rows_read: int
    partitions: int
    subjects: dict[str, SourceCell | None] = field(default_factory=dict)  # subject → where first named
    records_made: int = 0
    parts: dict[str, list[Iterable[Any]]] | None = None  # by target, each partition's, in subject order
    orphans: dict[str, Orphan] = field(default_factory=dict)
    write_failure: tuple[Issue, ...] = ()


def convert_partition(study: StudyMapping, read_options: ReadOptions | None, partition: Partition,
                      plan: PartsPlan | None = None, spill_folder: str | None = None) -> PartitionResult:
    """Read, validate and map one partition of one export; with `plan`, also make its subjects' output parts.
    `spill_folder`: a private folder of the driver's, on this machine, for what the partition sets aside for it
    (its parts, else its records). Pure: the same arguments give the same result on any machine. (Arguments in
    this order so that `functools.partial(convert_partition, study, options, plan=plan, spill_folder=…)` is the
    one-argument function an executor maps over partitions.)"""
    selection = RowSelection(partition.index, partition.count)
    # the records wait on disk as they are made; left for the driver in its folder when it writes from them
    sealed_at = (None if plan is not None or spill_folder is None
                 else str(Path(spill_folder) / f"{partition.position}-{partition.index}.records"))
    spool = RecordSpool(path=sealed_at)
    try:
        try:
            validation = validate_workbook(partition.export, study, read_options=read_options, selection=selection,
                                           spool=spool)
        except FatalIssue as fatal:
            return PartitionResult(partition, fatal=tuple(fatal.issues))
        report = validation.report
        result = PartitionResult(
            partition, source=validation.source, run=report.run, sheets=report.sheets,
            coverage=validation.coverage, issues=report.issues, issue_ticks=selection.report.ticks,
            left_out=validation.left_out, left_out_ticks=selection.left_out_ticks, rows_read=validation.rows_read,
            subjects=_first_cells(study, validation, selection), records_made=validation.records_made)
        if plan is not None:
            _make_parts(study, plan, result, spool, spill_folder)
        elif sealed_at is not None:
            result.sealed = spool.seal()
        else:
            result.records = list(spool)
        return result
    except OSError as problem:  # the temporary folder is full or gone: the run stops, as convert's W147 does
        return PartitionResult(partition, fatal=(_cannot_set_aside(partition, "records", problem),))
    finally:
        spool.close()


def _cannot_set_aside(partition: Partition, what: str, problem: OSError) -> Issue:
    return make_issue("W147", file=partition.export.name, detail=(
        f"the {what} of {partition.name} could not be set aside in the temporary folder: "
        f"{problem.strerror or problem}; nothing was written"))


def _make_parts(study: StudyMapping, plan: PartsPlan, result: PartitionResult, records: RecordSpool,
                spill_folder: str | None) -> None:
    """The partition's output parts by target, made from its records (sorted), which then stay behind."""
    if plan.allow_errors and subject_forms(study):
        result.orphans = find_orphans(records, records.subjects_with_record)
        records.leave_out(result.orphans, sum(orphan.records for orphan in result.orphans.values()))
    result.parts = {}
    try:
        for target in plan.targets:
            writer_parts = WRITERS[target].parts
            assert writer_parts is not None
            made = writer_parts.make(PartRequest(records=records, study=study, source=plan.source,
                                                 options=plan.options[target]))
            if spill_folder is None:
                result.parts[target] = pickle_parts(made)
            else:
                partition = result.partition
                name = f"{partition.position}-{partition.index}-{target}.parts"
                result.parts[target] = spill_parts(made, Path(spill_folder) / name)
    except FatalIssue as failure:  # e.g. W040: no fixed time for Provenance; said where the driver writes
        result.parts, result.write_failure = None, tuple(failure.issues)
    except OSError as problem:  # the temporary folder is full or gone: the run stops, as convert's W147 does
        result.parts = None
        result.fatal = (_cannot_set_aside(result.partition, "output", problem),)


def _first_cells(study: StudyMapping, validation: ValidationResult,
                 selection: RowSelection) -> dict[str, tuple[int, SourceCell | None]]:
    """Each subject of the partition with the tick and cell of its first row (records and rows left out)."""
    found: dict[str, tuple[int, SourceCell | None]] = {}
    named = [(tick, subject, cell) for subject, (tick, cell) in selection.first_records.items()]
    named += [(tick, row.subject_id, row.cells.get(study.forms[row.form].identity.subject))
              for tick, row in zip(selection.left_out_ticks, validation.left_out, strict=True)
              if row.subject_id is not None]
    for tick, subject, cell in sorted(named, key=lambda entry: entry[0]):
        found.setdefault(subject, (tick, cell))
    return found


def merge_partitions(results: Sequence[PartitionResult]) -> ExportResult:
    """The partitions of one export (all of them, in index order, none fatal) as one export. Raises R057 when
    they did not all read the same bytes."""
    first = results[0]
    assert first.source is not None and first.run is not None
    digests = {result.source.sha256 for result in results if result.source is not None}
    if len(digests) > 1:
        raise FatalIssue(make_issue("R057", value=first.partition.export.name, file=first.partition.export.name,
                                    detail=f"its {len(results)} partitions read {len(digests)} different contents "
                                           "(SHA-256); nothing was written"))
    issues = PackedIssues(_interleave([(result.issues, result.issue_ticks) for result in results]))
    records = [result.sealed if result.sealed is not None else result.records for result in results]
    left_out = list(_interleave([(result.left_out, result.left_out_ticks) for result in results]))
    firsts = sorted(((tick, subject, cell) for result in results for subject, (tick, cell) in result.subjects.items()),
                    key=lambda entry: (entry[0], entry[1]))
    subjects = {subject: cell for _tick, subject, cell in firsts}
    # Sheets, headers and coverage are the whole export's in every partition (each reads all of it).
    export = ExportResult(source=first.source, run=first.run, sheets=first.sheets, coverage=first.coverage,
                          issues=issues, records=records, left_out=left_out,
                          rows_read=sum(result.rows_read for result in results), partitions=len(results),
                          subjects=subjects, records_made=sum(result.records_made for result in results))
    _merge_parts(results, export)
    return export


def _merge_parts(results: Sequence[PartitionResult], export: ExportResult) -> None:
    """Each target's parts of every partition (each in subject order; no subject is in two partitions); the
    driver reads them merged by subject (api/many.py)."""
    failures = [issue for result in results for issue in result.write_failure]
    if failures:
        # every partition fails alike: said once
        export.write_failure = tuple(issue for index, issue in enumerate(failures) if issue not in failures[:index])
        return
    made = [result.parts for result in results if result.parts is not None]
    if not made:
        return
    export.parts = {target: [parts[target] for parts in made] for target in made[0]}
    for result in results:
        export.orphans.update(result.orphans)


def coverage_lines(accounts: Sequence[SheetAccount]) -> list[CoverageLine]:
    return [CoverageLine(account.sheet, account.form, account.non_empty, account.header, account.mapped,
                         account.ignored, account.unmapped) for account in accounts]


def _interleave(tagged: Sequence[tuple[Sequence[Item], Sequence[int]]]) -> Iterator[Item]:
    """Items of every partition in tick order. Ticks rise within a partition and no two partitions own the same
    tick, so this is the order one process makes them in."""
    streams = [zip(ticks, range(len(items)), items, strict=True) for items, ticks in tagged]
    return (item for _tick, _index, item in heapq.merge(*streams, key=lambda entry: (entry[0], entry[1])))
