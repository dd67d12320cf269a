"""`convert-many`: several site exports of one study, converted as partitions on an executor and written as one
set of outputs, exactly as `convert` writes one export.

    outcome = convert_many(Path("exports"), Path("mappings/study"), ConvertOptions(out=Path("out")),
                           ManyOptions(executor="dask", scheduler="tcp://host:8786", partitions=4))

A partition is one export, or with `partitions` K > 1 one K-th of an export's subjects (api/selection.py).
Partitions run anywhere (api/executors); the driver merges them (api/partitions.py) in the order one process
reads them — exports by name, then each export's rows — checks what no partition can see alone (a subject in
two exports: R055), and hands the one merged validation to the same writer path `convert` uses
(`write_validated`), and OUT switches to the new set in one step. With one export the result, report included,
is byte for byte that of `crfmap convert` of it.

When every target's writer makes its output per subject (FHIR but for its one bundle of all subjects, SDTM),
the partitions make it too (api/partitions.py `PartsPlan`): they send back their subjects' parts instead of
records (FHIR bytes; SDTM rows and what decides the variables), and the driver writes the parts in subject
order; what needs the whole study (SDTM variables, define.xml) is done there. The run's provenance (the exports'
names and SHA-256) is then worked out before the partitions start, and checked against what they read.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

from crfmap.api.conversion import (
    ConvertOptions,
    ConvertOutcome,
    MadeParts,
    check_output_folder,
    check_targets,
    provenance_source,
    write_validated,
)
from crfmap.api.executors import EXECUTORS, ExecutorSettings
from crfmap.api.partitions import (
    ExportResult,
    Partition,
    PartitionResult,
    PartsPlan,
    convert_partition,
    coverage_lines,
    merge_partitions,
)
from crfmap.api.progress import Progress, phase
from crfmap.api.validation import SheetAccount, ValidationResult
from crfmap.issues import FatalIssue, Issue, Report, Severity, make_issue
from crfmap.issues.layout import SheetLayout
from crfmap.issues.waivers import apply_waivers
from crfmap.model.spool import RecordSpool
from crfmap.readers import ReadOptions
from crfmap.sources import SourceInfo, describe_source
from crfmap.study.models import StudyMapping
from crfmap.study.waivers import load_waivers
from crfmap.writers import WRITERS


@dataclass(frozen=True, slots=True)
class ManyOptions:
    """How to run: the executor's name (api.executors.EXECUTORS), a running cluster's scheduler address, the
    partitions per export (by subject hash), and the worker processes of a cluster started for the run."""

    executor: str = "local"
    scheduler: str | None = None
    partitions: int = 1
    workers: int = 2


@dataclass(frozen=True, slots=True)
class ExportSummary:
    name: str
    format: str | None
    size: int
    sha256: str
    partitions: int
    rows_read: int
    records: int
    errors: int
    warnings: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "format": self.format, "size": self.size, "sha256": self.sha256,
                "partitions": self.partitions, "rows_read": self.rows_read, "records": self.records,
                "errors": self.errors, "warnings": self.warnings}


@dataclass
class ManyOutcome(ConvertOutcome):
    exports: list[ExportSummary] = field(default_factory=list)


def list_exports(folder: Path) -> list[Path]:
    """The site exports in `folder`: each file or folder (a folder of csv files) not hidden, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        why = "does not exist" if not folder.exists() else "is not a folder"
        raise FatalIssue(make_issue("R056", value=folder.name or str(folder), file=folder.name,
                                    detail=f"the folder of site exports {why}"))
    exports = sorted((entry for entry in folder.iterdir() if not entry.name.startswith((".", "~$"))),
                     key=lambda entry: entry.name)
    if not exports:
        raise FatalIssue(make_issue("R056", value=folder.name, file=folder.name,
                                    detail="the folder holds no site export (hidden files are not read)"))
    return exports


def convert_many(exports_folder: Path, study: Path | StudyMapping, options: ConvertOptions, many: ManyOptions,
                 *, read_options: ReadOptions | None = None, progress: Progress | None = None) -> ManyOutcome:
    """Convert every export in `exports_folder` as partitions on `many.executor`; write one set to
    `options.out`. Raises FatalIssue when the mapping, an export or the executor is unusable."""
    check_targets(options)
    if many.executor not in EXECUTORS:
        raise FatalIssue(make_issue("W145", value=many.executor, detail=f"there is no such executor; known: "
                                                                        f"{', '.join(EXECUTORS)}"))
    if many.partitions < 1:
        raise ValueError("partitions must be at least 1")
    exports = list_exports(exports_folder)
    out = Path(options.out)
    _check_out_beside(Path(exports_folder), out)
    for export in exports:
        check_output_folder(export, out, options.targets)
    mapping, mapping_issues = _load(study)
    accepted, waivers_sha256 = load_waivers(options.waivers) if options.waivers is not None else ([], None)
    partitions = [Partition(export.resolve(), index, many.partitions, position)
                  for position, export in enumerate(exports) for index in range(many.partitions)]
    settings = ExecutorSettings(scheduler=many.scheduler, workers=many.workers)
    executor = EXECUTORS[many.executor]
    here = executor.on_this_machine(settings)
    plan = _parts_plan(Path(exports_folder), exports, mapping, options, on_this_machine=here)
    with _spill_folder(here) as spill_folder:
        work = partial(convert_partition, mapping, read_options, plan=plan, spill_folder=spill_folder)
        with phase(progress, "partitions", f"converting {len(exports)} export(s) in {len(partitions)} "
                                           f"partition(s) ({many.executor})"):
            results: list[PartitionResult] = executor.run(work, partitions, settings)
        return _finish(Path(exports_folder), mapping, mapping_issues, results, len(exports), plan, options,
                       accepted, waivers_sha256, progress)


@contextmanager
def _spill_folder(wanted: bool) -> Iterator[str | None]:
    """A private temporary folder for what the partitions set aside for the driver (their parts or records),
    removed after the run (W147 when none can be made).
    Named before it is made, and made inside the block that removes it: a Ctrl-C just as it is made (between
    mkdir and anything that could record it, as with tempfile's) still removes it. 128 random bits: no other
    folder has the name, so what the block removes is this run's."""
    if not wanted:
        yield None
        return
    path = ""
    try:
        try:
            path = os.path.join(tempfile.gettempdir(), f"crfmap-parts-{secrets.token_hex(16)}")
            os.mkdir(path, 0o700)
        except OSError as problem:
            path = ""
            raise FatalIssue(make_issue("W147", detail=f"the partitions' work cannot be set aside: no temporary "
                                                       f"folder ({problem.strerror or problem}); nothing was "
                                                       "written")) from None
        yield path
    finally:
        if path:
            shutil.rmtree(path, ignore_errors=True)


def _finish(folder: Path, mapping: StudyMapping, mapping_issues: list[Issue], results: list[PartitionResult],
            exports: int, plan: PartsPlan | None, options: ConvertOptions, accepted: list[Any],
            waivers_sha256: str | None, progress: Progress | None) -> ManyOutcome:
    """The driver's part: merge the partitions, check what none can see alone, write."""
    fatal = _unique([issue for result in results for issue in result.fatal])
    if fatal:
        raise FatalIssue(*fatal)
    merged = [merge_partitions([result for result in results if result.partition.position == position])
              for position in range(exports)]
    results.clear()  # the merged exports hold what is kept of them
    validation, repeated = _merge_exports(folder, mapping, mapping_issues, merged, options, waivers_sha256)
    try:
        apply_waivers(validation.report, accepted)
        _add_facts(validation, merged)
        made = None
        if plan is not None:
            _check_plan_source(plan, validation.source, mapping)
            made = _made_parts(plan, merged, repeated)
        outcome = write_validated(validation, options, progress, made)
    finally:
        if validation.spool is not None:
            validation.spool.close()
    return ManyOutcome(report=outcome.report, validation=outcome.validation, written=outcome.written,
                       counts=outcome.counts, exit_status=outcome.exit_status, failure=outcome.failure,
                       exports=[_summary(export) for export in merged])


def _load(study: Path | StudyMapping) -> tuple[StudyMapping, list[Issue]]:
    if isinstance(study, StudyMapping):
        return study, []
    from crfmap.api.mapping import load_mapping

    mapping, issues = load_mapping(study)
    return mapping, list(issues)


def _check_out_beside(folder: Path, out: Path) -> None:
    """OUT inside the exports folder would be read as an export by the next run."""
    exports, target = folder.resolve(), out.resolve()
    if target == exports or exports in target.parents:
        raise FatalIssue(make_issue("W001", file=str(out), detail="--out lies inside the folder of site exports, "
                                    "where the next convert-many would read it as an export; choose another --out"))


def _merge_exports(folder: Path, mapping: StudyMapping, mapping_issues: list[Issue], exports: list[ExportResult],
                   options: ConvertOptions, waivers_sha256: str | None) -> tuple[ValidationResult, list[set[str]]]:
    """The run's one validation: the mapping's issues, then each export's in order, then R055; the report's
    header, sheets and coverage (for one export, exactly that export's). Also, per export, the subjects whose
    records it does not write (R055)."""
    report = Report()
    report.extend(issue for issue in mapping_issues if issue.severity is not Severity.INFO)
    source = exports[0].source if len(exports) == 1 else _manifest(folder, [export.source for export in exports])
    result = ValidationResult(study=mapping, source=source, report=report)
    for export in exports:
        report.extend(export.issues)
        result.left_out.extend(export.left_out)
        result.rows_read += export.rows_read
    repeated = _repeated_subjects(exports, report, options.allow_errors)
    # every partition's records, sorted, merged by sort key as the writers read them (model/spool.py)
    result.spool = RecordSpool()
    try:
        for export, left_out in zip(exports, repeated, strict=True):
            for records in export.records:
                result.spool.adopt(records, left_out)
            export.records = []
    except OSError as problem:  # the run's folder emptied under it (a cleaner of /tmp), or the disk failed
        result.spool.close()
        raise FatalIssue(make_issue("W147", file=source.file, detail=(
            f"the records the partitions set aside in the temporary folder could not be read back "
            f"({problem.strerror or problem}); nothing was written"))) from None
    if len(exports) == 1:
        report.sheets, result.coverage = exports[0].sheets, exports[0].coverage
        run = exports[0].run
    else:
        report.sheets, result.coverage = _common_sheets(exports), _summed_coverage(exports)
        formats = sorted({export.run.input_format or "?" for export in exports})
        run = replace(exports[0].run, input_name=source.file, input_size=source.size,
                             input_sha256=source.sha256, input_format=", ".join(formats))
    report.coverage = coverage_lines(result.coverage)
    waivers = options.waivers
    report.run = replace(run, waivers_name=None if waivers is None else Path(waivers).name,
                         waivers_sha256=waivers_sha256, generated_at=_now() if options.report_time else None)
    return result, repeated


def _repeated_subjects(exports: list[ExportResult], report: Report, allow_errors: bool) -> list[set[str]]:
    """Per export, the subjects an earlier export already has: their records from it are not written (R055: one
    subject's records from two sites would be merged into one Patient / one DM row)."""
    owner: dict[str, str] = {}
    repeated_by_export: list[set[str]] = []
    for export in exports:
        name = export.source.file
        repeated: set[str] = set()
        for subject, cell in export.subjects.items():
            if subject in owner:
                repeated.add(subject)
                report.add(make_issue(
                    "R055", at=cell, file=name, subject=subject, expected=owner[subject],
                    detail="its records from this export are not written" if allow_errors else
                           "nothing was written"))
            else:
                owner[subject] = name
        repeated_by_export.append(repeated)
    return repeated_by_export


def _parts_plan(folder: Path, exports: list[Path], mapping: StudyMapping, options: ConvertOptions,
                on_this_machine: bool = False) -> PartsPlan | None:
    """Partitions write when every target's writer makes its output per subject with these options, and it pays
    where they run (`SubjectParts.on_this_machine`)."""
    for target in options.targets:
        parts = WRITERS[target].parts
        if parts is None or not parts.applies(options.options_of(target)):
            return None
        if on_this_machine and not parts.on_this_machine:
            return None
    sources = [describe_source(export) for export in exports]
    source = sources[0] if len(sources) == 1 else _manifest(folder, sources)
    return PartsPlan(targets=options.targets, options={target: options.options_of(target) for target in options.targets},
                     source=provenance_source(source, mapping), allow_errors=options.allow_errors)


def _check_plan_source(plan: PartsPlan, read: SourceInfo, mapping: StudyMapping) -> None:
    """The partitions' provenance was worked out before they read the exports: an export changed in between."""
    if plan.source != provenance_source(read, mapping):
        raise FatalIssue(make_issue("R057", value=read.file, file=read.file,
                                    detail="the exports changed while they were read (SHA-256); nothing was "
                                           "written"))


def _made_parts(plan: PartsPlan, exports: list[ExportResult], repeated: list[set[str]]) -> MadeParts:
    """Every export's parts by target, in subject order, without the subjects R055 leaves out."""
    failures = [issue for export in exports for issue in export.write_failure]
    orphans = {subject: orphan for export, left_out in zip(exports, repeated, strict=True)
               for subject, orphan in export.orphans.items() if subject not in left_out}
    if failures:
        return MadeParts(parts={}, orphans=orphans, records=0, failure=tuple(_unique(failures)))
    parts = {target: heapq.merge(*(_kept(partition, left_out)
                                   for export, left_out in zip(exports, repeated, strict=True)
                                   if export.parts is not None for partition in export.parts[target]),
                                 key=attrgetter("subject_id"))
             for target in plan.targets}
    return MadeParts(parts=parts, orphans=orphans, records=sum(export.records_made for export in exports))


def _kept(parts: Iterable[Any], left_out: set[str]) -> Iterator[Any]:
    return (part for part in parts if part.subject_id not in left_out)


def _manifest(folder: Path, sources: list[SourceInfo]) -> SourceInfo:
    """The exports as one input for provenance: the folder's name, their total size, and the SHA-256 of the
    lines `<sha256>  <name>` in name order (what `sha256sum *` prints in the folder)."""
    lines = "".join(f"{source.sha256}  {source.file}\n" for source in sources)
    return SourceInfo(file=folder.resolve().name, sha256=hashlib.sha256(lines.encode("utf-8")).hexdigest(),
                      size=sum(source.size for source in sources))


def _common_sheets(exports: list[ExportResult]) -> list[SheetLayout]:
    """Sheet layouts every export that has the sheet agrees on (tab, header row and texts); a sheet whose layout
    differs between exports is left out, so that no issue is shown under another export's header text."""
    layouts: dict[str, SheetLayout | None] = {}
    for export in exports:
        for layout in export.sheets:
            if layout.name not in layouts:
                layouts[layout.name] = layout
            elif layouts[layout.name] != layout:
                layouts[layout.name] = None
    return [layout for layout in layouts.values() if layout is not None]


def _summed_coverage(exports: list[ExportResult]) -> list[SheetAccount]:
    summed: dict[tuple[str, str | None], SheetAccount] = {}
    for export in exports:
        for account in export.coverage:
            total = summed.setdefault((account.sheet, account.form), SheetAccount(account.sheet, account.form))
            total.non_empty += account.non_empty
            total.header += account.header
            total.mapped += account.mapped
            total.ignored += account.ignored
            total.unmapped += account.unmapped
    return list(summed.values())


def _add_facts(validation: ValidationResult, exports: list[ExportResult]) -> None:
    """The facts `validate_workbook` gives, for the whole run; with several exports, each export's too."""
    validation.report.facts.update({
        "rows_read": validation.rows_read,
        "records": sum(export.records_made for export in exports),
        "rows_left_out": len(validation.left_out),
        "cells_unaccounted": sum(account.unaccounted for account in validation.coverage),
    })
    if len(exports) > 1:
        validation.report.facts["exports"] = [_summary(export).as_dict() for export in exports]


def _summary(export: ExportResult) -> ExportSummary:
    tally = export.issues.tally()
    errors = sum(count for kind, count in tally.items() if kind.severity is Severity.ERROR)
    warnings = sum(count for kind, count in tally.items() if kind.severity is Severity.WARNING)
    return ExportSummary(name=export.source.file, format=export.run.input_format, size=export.source.size,
                         sha256=export.source.sha256, partitions=export.partitions, rows_read=export.rows_read,
                         records=export.records_made, errors=errors, warnings=warnings)


def _unique(issues: Sequence[Issue]) -> list[Issue]:
    """Every partition of a refused export refuses it alike: say it once."""
    seen: list[Issue] = []
    for issue in issues:
        if issue not in seen:
            seen.append(issue)
    return seen


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["ExportSummary", "ManyOptions", "ManyOutcome", "convert_many", "list_exports"]
