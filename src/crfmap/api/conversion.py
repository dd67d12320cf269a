"""`convert`: validate, then write the chosen targets from the output registry, all of them or none.

Every writer fills an empty folder inside one staging folder in OUT; only when all have finished are the
folders moved onto OUT/<target> together (`replace_folders`): a failed run leaves the previous outputs as
they were. Nothing is staged twice.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crfmap import __version__
from crfmap.api.progress import Progress, phase
from crfmap.api.validation import ValidationResult, validate_workbook
from crfmap.issues import ExitStatus, FatalIssue, Report, make_issue
from crfmap.readers import ReadOptions
from crfmap.sources import SourceInfo
from crfmap.study.models import StudyMapping
from crfmap.writers import WRITERS, WriteRequest
from crfmap.writers.atomic import TEMP_PREFIX, replace_folders


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
    unknown = [target for target in options.targets if target not in WRITERS]
    if unknown:
        raise FatalIssue(make_issue("W001", detail=f"unknown output target(s) {', '.join(unknown)}; known: "
                                                   f"{', '.join(WRITERS)}"))
    _check_output_folder(Path(workbook), Path(options.out), options.targets)
    validation = validate_workbook(workbook, study, read_options=read_options, progress=progress,
                                   keep_cells=keep_cells, waivers=options.waivers, report_time=options.report_time)
    report = validation.report
    outcome = ConvertOutcome(report=report, validation=validation)
    if not _may_write(validation, options, report):
        outcome.exit_status = ExitStatus.DATA_ERRORS
        return outcome
    records = sorted(validation.records, key=lambda record: record.sort_key)
    mapping = validation.study
    source = SourceInfo(file=validation.source.file, sha256=validation.source.sha256, size=validation.source.size,
                        mapping_sha256=mapping.sha256, mapping_version=mapping.study.version,
                        crfmap_version=__version__)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=out))
    try:
        try:
            for target in options.targets:
                folder = staging / target
                folder.mkdir()
                with phase(progress, f"write:{target}", f"writing {target} ({len(records):,} records)"):
                    result = WRITERS[target].write(WriteRequest(records=records, study=mapping, folder=folder,
                                                                source=source, options=options.options_of(target)))
                report.extend(result.issues)
                outcome.written[target], outcome.counts[target] = result.files, result.counts
            replace_folders([(staging / target, out / target) for target in options.targets])
        except OSError as problem:  # the disk, not the data: full, read-only, locked
            raise FatalIssue(make_issue("W001", file=out.name, detail=f"the output could not be written "
                                        f"({problem.strerror or problem}); the previous output was kept")) from problem
    except FatalIssue as failure:  # a data problem found while writing (e.g. Cyrillic text for XPT), or W001
        report.extend(failure.issues)
        outcome.written.clear()
        cannot_write = any(issue.code == "W001" for issue in failure.issues)
        outcome.exit_status = ExitStatus.CANNOT_RUN if cannot_write else ExitStatus.DATA_ERRORS
        return outcome
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # Written; with --allow-errors the data may still have errors, and the status says so.
    outcome.exit_status = report.exit_status
    return outcome


def _check_output_folder(workbook: Path, out: Path, targets: tuple[str, ...]) -> None:
    """Refuse an OUT that is a file, or whose replaced folders would swallow the input itself."""
    if out.exists() and not out.is_dir():
        raise FatalIssue(make_issue("W001", file=out.name, detail=f"--out {out.name!r} is a file, not a folder"))
    source = workbook.resolve()
    for target in targets:
        folder = (out / target).resolve()
        if source == folder or folder in source.parents:
            raise FatalIssue(make_issue("W001", file=workbook.name,
                                        detail=f"the input is inside {target}/ of --out, which convert replaces "
                                               "as a whole; choose another --out"))


def _may_write(validation: ValidationResult, options: ConvertOptions, report: Report) -> bool:
    errors = len(report.errors)
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
