"""Reports and the annotated copy, written after a run from its Report (and, for the copy, the cells read)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from crfmap.api.progress import Progress, phase
from crfmap.api.validation import ValidationResult
from crfmap.issues import FatalIssue, Report, make_issue
from crfmap.writers.report import REPORT_FORMATS, ReportFormat, report_format

MACRO_SUFFIX = ".xlsm"


def check_report_targets(targets: Sequence[Path]) -> list[ReportFormat]:
    """The format of each report path, checked before any work is done (W131 for an unknown ending)."""
    return [report_format(Path(target)) for target in targets]


def annotate_workbook(result: ValidationResult, target: Path, workbook: Path, *, redact: bool = False,
                      progress: Progress | None = None) -> tuple[Path, int]:
    """Write the annotated copy of `workbook`, with the report's issues as presented (redacted when asked);
    returns the path written and how many cells were marked. An .xlsm target is written as .xlsx (the copy
    holds the cells read, not the macros), and either case of macros left behind adds W130 to the report."""
    from crfmap.api.annotation import write_annotation

    target = Path(target)
    report = result.report
    written = target.with_suffix(".xlsx") if target.suffix.lower() == MACRO_SUFFIX else target
    reasons = []
    if Path(workbook).suffix.lower() == MACRO_SUFFIX:
        reasons.append(f"{Path(workbook).name} has macros; the copy holds its cells only")
    if written != target:
        reasons.append(f"an .xlsm name was asked for, but the copy is an .xlsx workbook; {target.name} was not "
                       "written")
    if reasons:
        report.add(make_issue("W130", file=written.name, value=written.name, detail="; ".join(reasons)))
    with phase(progress, "annotate", f"writing {written.name}"):
        marked = write_annotation(result, written, report.presented(redact=redact), workbook)
    return written, marked


def write_reports(report: Report, targets: Sequence[Path], *, redact: bool = False,
                  linked_workbook: Path | None = None, progress: Progress | None = None) -> list[Path]:
    """Write each report in the format its name asks for (see REPORT_FORMATS). `linked_workbook` (the annotated
    copy, or the input) is what the spreadsheet report's cell links open. Raises FatalIssue W001 when a report
    cannot be written, W131 for an unknown ending."""
    written = []
    for target, entry in zip(targets, check_report_targets(targets), strict=True):
        target = Path(target)
        linked = None
        if linked_workbook is not None:
            linked = Path(os.path.relpath(Path(linked_workbook).resolve(), target.resolve().parent)).as_posix()
        try:
            with phase(progress, f"report:{target}", f"writing {target.name}"):
                entry.write(report, target, redact, linked)
        except OSError as problem:
            raise FatalIssue(make_issue("W001", file=target.name, detail=f"the report cannot be written "
                                        f"({problem.strerror or problem})")) from problem
        written.append(target)
    return written


def html_report(report: Report, *, redact: bool = False, downloads: Sequence[tuple[str, str]] = ()) -> str:
    """The HTML report as text, with (label, link) downloads under its title (for crfmap serve)."""
    from crfmap.writers.report.html import render_html_report

    return render_html_report(report, redact=redact, downloads=downloads)


def page_policy(style: str, script: str, *, form_action: str = "'none'") -> str:
    """A Content-Security-Policy that admits exactly this inline style and script and nothing else."""
    from crfmap.writers.report.html import content_policy

    return content_policy(style, script, form_action=form_action)


__all__ = ["REPORT_FORMATS", "annotate_workbook", "check_report_targets", "html_report", "page_policy",
           "write_reports"]
