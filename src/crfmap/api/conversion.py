"""`convert`: validate, then write the chosen targets from the output registry, all of them or none.

Every writer fills an empty folder of one new version inside OUT; only when all have finished does that
version become the current set, in one rename (`writers.publish`): OUT/fhir and OUT/sdtm switch together, a
failed or killed run leaves the previous set as it was, and what a killed run left is cleared by the next.
Nothing is staged twice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crfmap import __version__
from crfmap.api.orphans import Orphan, find_orphans, report_orphans, subject_forms
from crfmap.api.progress import Progress, phase
from crfmap.api.validation import ValidationResult, validate_workbook
from crfmap.issues import ExitStatus, FatalIssue, Issue, Report, Severity, make_issue
from crfmap.model.spool import RecordSpool, TemporarySpaceError
from crfmap.readers import ReadOptions
from crfmap.sources import SourceInfo
from crfmap.study.models import StudyMapping
from crfmap.writers import WRITERS, WriteRequest
from crfmap.writers.publish import CONTROL, CURRENT, abandon_run, publish_run, start_run, version_of


@dataclass(frozen=True)
class ConvertOptions:
    """What to write and where. `writer_options` holds each target's own option values by name (see the
    writer's OptionSpecs); what is not given takes the writer's default."""

    targets: tuple[str, ...] = tuple(WRITERS)
    out: Path = Path("out")
    writer_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    allow_errors: bool = False
    allow_unmapped: bool = False
    waivers: Path | None = None  # a reviewed waivers.yaml (see crfmap.study.waivers)
    report_time: bool = False  # the time of the run in the report's header

    def options_of(self, target: str) -> dict[str, Any]:
        return {**WRITERS[target].default_options(), **self.writer_options.get(target, {})}


@dataclass
class ConvertOutcome:
    report: Report
    validation: ValidationResult | None = None
    written: dict[str, list[str]] = field(default_factory=dict)  # target → files (relative to OUT/<target>)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    exit_status: ExitStatus = ExitStatus.OK
    failure: tuple[Issue, ...] = ()  # what stopped the run from writing (W001: the disk), apart from the report

    def summary_lines(self) -> list[str]:
        if not self.written:
            return ["nothing was written"]
        lines = []
        for target, files in self.written.items():
            counts = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.get(target, {}).items()))
            lines.append(f"{target}: {len(files)} file(s) in {target}/ ({counts})")
        return lines


def convert_workbook(workbook: Path, study: Path | StudyMapping | None, options: ConvertOptions, *,
                     read_options: ReadOptions | None = None, progress: Progress | None = None,
                     keep_cells: bool = False) -> ConvertOutcome:
    check_targets(options)
    check_output_folder(Path(workbook), Path(options.out), options.targets)
    validation = validate_workbook(workbook, study, read_options=read_options, progress=progress,
                                   keep_cells=keep_cells, waivers=options.waivers, report_time=options.report_time,
                                   spill_records=all(WRITERS[target].streams_records for target in options.targets))
    try:
        return write_validated(validation, options, progress)
    finally:
        if validation.spool is not None:
            validation.spool.close()


def published_version(out: Path) -> str | None:
    """The name of the version OUT shows now (None: none yet, or unreadable). Taken before a run and again after
    it was interrupted, it tells whether the run had already switched OUT to its new output."""
    try:
        found = version_of(Path(out) / CONTROL / CURRENT)
    except OSError:
        return None
    return None if found is None else found.name


def check_targets(options: ConvertOptions) -> None:
    unknown = [target for target in options.targets if target not in WRITERS]
    if unknown:
        raise FatalIssue(make_issue("W001", detail=f"unknown output target(s) {', '.join(unknown)}; known: "
                                                   f"{', '.join(WRITERS)}"))


@dataclass
class MadeParts:
    """Output convert-many's partitions made per subject where they ran (writers' `SubjectParts`): by target, every
    subject's part in subject order; the subjects without subject record they found, whose parts they did not
    make (--allow-errors); and how many records were written into the parts (the driver never holds them)."""

    parts: Mapping[str, Iterable[Any]]
    orphans: dict[str, Orphan]
    records: int
    failure: tuple[Issue, ...] = ()  # what stopped a writer from making parts (e.g. W040), raised where it writes


def write_validated(validation: ValidationResult, options: ConvertOptions, progress: Progress | None = None,
                    made: MadeParts | None = None) -> ConvertOutcome:
    """The second half of `convert` (and of `convert-many`, whose partitions were merged into one validation):
    refuse or write every target into one new version of OUT, switched in at once. With `made`, the writers
    write the partitions' parts instead of records."""
    if validation.written:  # its records are gone: a second write would write none, silently
        raise ValueError("this validation's records were handed to the writers of an earlier convert, which let "
                         "them go as they read them; validate the export again to write it again")
    report = validation.report
    outcome = ConvertOutcome(report=report, validation=validation)
    if not _may_write(validation, options, report):
        outcome.exit_status = ExitStatus.DATA_ERRORS
        return outcome
    mapping = validation.study
    # Sorted by (subject, concept, key) as writers expect; beyond a few thousand they are read back from disk.
    records = validation.spool if validation.spool is not None else RecordSpool.of(validation.records)
    if made is not None:
        if options.allow_errors and subject_forms(mapping):
            report_orphans(validation, made.orphans, report)
        count = made.records - sum(orphan.records for orphan in made.orphans.values())
    else:
        if options.allow_errors:
            _leave_out_subjects_without_record(validation, records, report)
        count = len(records)
    source = provenance_source(validation.source, mapping)
    out = Path(options.out)
    try:
        run = start_run(out, WRITERS)
    except OSError as problem:
        return _cannot_write(outcome, out, problem)
    if made is None:  # the spool holds the records now, and the last writer lets each go as it reads it
        validation.spool, validation.records = records, []
    try:
        try:
            for number, target in enumerate(options.targets, start=1):
                if number == len(options.targets):
                    records.hand_over()  # nothing reads the records after the last writer
                folder = run.folder / target
                folder.mkdir()
                request = WriteRequest(records=records, study=mapping, folder=folder, source=source,
                                       options=options.options_of(target))
                with phase(progress, f"write:{target}", f"writing {target} ({count:,} records)"):
                    writer = WRITERS[target]
                    if made is None:
                        result = writer.write(request)
                    elif made.failure:
                        raise FatalIssue(*made.failure)
                    else:
                        assert writer.parts is not None
                        result = writer.parts.write(request, made.parts[target])
                report.extend(result.issues)
                outcome.written[target], outcome.counts[target] = result.files, result.counts
            publish_run(run, options.targets, WRITERS)
        except OSError as problem:  # the disk, not the data: full, read-only, locked
            abandon_run(run)
            return _cannot_write(outcome, out, problem)
    except FatalIssue as failure:  # a data problem found while writing (e.g. Cyrillic text for XPT)
        abandon_run(run)
        report.extend(failure.issues)
        outcome.written.clear()
        outcome.exit_status = ExitStatus.DATA_ERRORS
        return outcome
    except BaseException:  # interrupted (Ctrl-C) or a bug: the previous set stays, this run's version goes
        abandon_run(run)
        raise
    # Written; with --allow-errors the data may still have errors, and the status says so.
    outcome.exit_status = report.exit_status
    return outcome


def provenance_source(source: SourceInfo, mapping: StudyMapping) -> SourceInfo:
    """The input as the writers record it in provenance: the file, and the mapping and crfmap that read it."""
    return SourceInfo(file=source.file, sha256=source.sha256, size=source.size, mapping_sha256=mapping.sha256,
                      mapping_version=mapping.study.version, crfmap_version=__version__)


def _cannot_write(outcome: ConvertOutcome, out: Path, problem: OSError) -> ConvertOutcome:
    """W001 for a disk that refuses: it stops the run (exit 2) and is said on its own, apart from the data's
    report, naming OUT as the user gave it. W147 when it is the temporary folder (a merge pass of the records while
    a writer reads them, or the SDTM rows a writer sets aside)."""
    reason = problem.strerror or str(problem)
    if isinstance(problem, TemporarySpaceError):
        source = outcome.validation.source.file if outcome.validation is not None else None
        failure = make_issue("W147", file=source, detail=(
            f"{problem.what} in the temporary folder {tempfile.gettempdir()!r} ({reason})"))
    else:
        failure = make_issue("W001", file=str(out), detail=f"the output could not be written ({reason}); "
                                                           "the previous output was kept")
    outcome.failure = (failure,)
    outcome.written.clear()
    outcome.exit_status = ExitStatus.CANNOT_RUN
    return outcome


def check_output_folder(workbook: Path, out: Path, targets: tuple[str, ...]) -> None:
    """Refuse an OUT that is a file or lies under one, whose target names are taken by something crfmap did not
    make, or whose replaced folders would swallow the input itself."""
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                what = "is a file" if folder == out else f"lies under {str(folder)!r}, which is a file"
                raise FatalIssue(make_issue("W001", file=str(out), detail=f"--out {str(out)!r} {what}, not a folder"))
            break
    for target in WRITERS:
        path = out / target
        ours = path.is_symlink() and os.readlink(path) == f"{CONTROL}/{CURRENT}/{target}"
        if (path.is_symlink() and not ours) or (path.exists() and not path.is_dir()):
            raise FatalIssue(make_issue("W001", file=str(out), detail=f"{target} in --out is a file or a link "
                                        f"crfmap did not make; crfmap keeps OUT/{target} itself: move it away"))
    source = workbook.resolve()
    for target in targets:
        folder = (out / target).resolve()
        if source == folder or folder in source.parents:
            raise FatalIssue(make_issue("W001", file=workbook.name,
                                        detail=f"the input is inside {target}/ of --out, which convert replaces "
                                               "as a whole; choose another --out"))


def _leave_out_subjects_without_record(validation: ValidationResult, records: RecordSpool, report: Report) -> None:
    """--allow-errors: the records of subjects without subject record are not written (api/orphans.py)."""
    if not subject_forms(validation.study):
        return
    orphans = find_orphans(records, records.subjects_with_record)
    records.leave_out(orphans, sum(orphan.records for orphan in orphans.values()))
    report_orphans(validation, orphans, report)


def _may_write(validation: ValidationResult, options: ConvertOptions, report: Report) -> bool:
    errors = report.count(Severity.ERROR)
    if errors and not options.allow_errors:
        report.add(make_issue("W005", file=validation.source.file,
                              detail=f"{errors} error(s) in the workbook; nothing was written"))
        return False
    unmapped = sum(account.unmapped for account in validation.coverage)
    if unmapped and not options.allow_unmapped:
        report.add(make_issue("W005", file=validation.source.file,
                              detail=f"{unmapped} non-empty cell(s) are read by no form (S301/S007 above); "
                                     "nothing was written. Declare them ignored in the mapping, or pass "
                                     "--allow-unmapped"))
        return False
    for row in validation.left_out:
        report.add(make_issue("M004", file=row.file, sheet=row.sheet, row=row.number,
                              cell=f"A{row.number}", form=row.form, subject=row.subject_id,
                              detail=f"row {row.number} of {row.sheet!r} has errors; no record was made from it"))
    return True
