"""`convert`: validate, then write the chosen standards. Part of the api layer; no format logic.

Outputs are staged in a temporary folder inside OUT and moved into OUT/fhir and OUT/sdtm, all or none,
only when every requested standard was written: a failed run leaves the previous outputs as they were.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from crfmap import __version__
from crfmap.api import ValidationResult, validate_workbook
from crfmap.issues import ExitStatus, FatalIssue, Report, make_issue
from crfmap.readers.base import ReadOptions
from crfmap.study.models import StudyMapping
from crfmap.writers.atomic import TEMP_PREFIX, replace_folders


@dataclass(frozen=True)
class ConvertOptions:
    targets: tuple[str, ...] = ("fhir", "sdtm")
    out: Path = Path("out")
    bundle: Literal["transaction", "collection"] = "transaction"
    single: bool = False
    ndjson: bool = False
    request: Literal["conditional", "put"] = "conditional"
    pretty: bool = False
    strict: bool = False
    fhir_schema: Path | None = None
    recorded: str | None = None
    sdtm_formats: tuple[str, ...] = ("xpt", "json")
    transliterate: bool = False
    allow_errors: bool = False
    allow_unmapped: bool = False


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


def convert_workbook(workbook: Path, study: Path | StudyMapping, options: ConvertOptions, *,
                     read_options: ReadOptions | None = None,
                     progress: Callable[[str, int], None] | None = None) -> ConvertOutcome:
    _check_output_folder(Path(workbook), Path(options.out), options.targets)
    validation = validate_workbook(workbook, study, read_options=read_options, progress=progress)
    report = validation.report
    outcome = ConvertOutcome(report=report, validation=validation)
    if not _may_write(validation, options, report):
        outcome.exit_status = ExitStatus.DATA_ERRORS
        return outcome
    records = sorted(validation.records, key=lambda record: record.sort_key)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=out))
    try:
        try:
            for target in options.targets:
                written, counts = WRITERS[target](records, validation, staging / target, options)
                outcome.written[target], outcome.counts[target] = written, counts
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


def _write_fhir(records: list[Any], validation: ValidationResult, target: Path,
                options: ConvertOptions) -> tuple[list[str], dict[str, int]]:
    from crfmap.writers.fhir_r4 import FhirOptions, SourceInfo, write_fhir

    fhir_options = FhirOptions(bundle=options.bundle, ndjson=options.ndjson, single=options.single,
                               request=options.request, pretty=options.pretty, strict=options.strict,
                               recorded=options.recorded)
    source = SourceInfo(file_name=validation.source.file, sha256=validation.source.sha256,
                        mapping_sha256=validation.study.sha256, mapping_version=validation.study.study.version,
                        crfmap_version=__version__)
    result = write_fhir(records, validation.study, target, fhir_options, source, schema=options.fhir_schema)
    validation.report.extend(result.issues)
    if not validation.study.study.fhir.get("timezone"):
        from crfmap.writers.fhir_r4.datatypes import count_times_of_day

        dropped = count_times_of_day(records)
        if dropped:
            validation.report.add(make_issue(
                "W043", file=validation.source.file,
                detail=f"{dropped} date(s) have a time of day, but study.yaml gives no fhir.timezone; FHIR needs a "
                       "zone with a time, so those FHIR values carry the date only"))
    return result.files, result.counts


def _write_sdtm(records: list[Any], validation: ValidationResult, target: Path,
                options: ConvertOptions) -> tuple[list[str], dict[str, int]]:
    from crfmap.writers.sdtm.writer import SdtmOptions, write_sdtm

    result = write_sdtm(records, validation.study, target,
                        SdtmOptions(formats=options.sdtm_formats, transliterate=options.transliterate), __version__)
    validation.report.extend(issue for issue in result.issues if issue.severity.value != "error")
    return result.files, result.rows


WRITERS = {"fhir": _write_fhir, "sdtm": _write_sdtm}
