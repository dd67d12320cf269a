"""Reports for people and programs, chosen by the file's ending: the registry `REPORT_FORMATS`.

Every report takes its issues from `Report.presented` (reading order, the site's words, redaction), so the
text, JSON, HTML and spreadsheet reports and the annotated copy always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crfmap.issues import FatalIssue, Report, make_issue
from crfmap.writers.atomic import atomic_file


@dataclass(frozen=True, slots=True)
class ReportFormat:
    name: str
    extensions: tuple[str, ...]
    summary: str
    write: Callable[[Report, Path, bool, str | None], None]  # (report, target, redact, linked workbook)


def _write_html(report: Report, target: Path, redact: bool, linked: str | None) -> None:
    from crfmap.writers.report.html import write_html_report

    write_html_report(report, target, redact=redact)


def _write_xlsx(report: Report, target: Path, redact: bool, linked: str | None) -> None:
    from crfmap.writers.report.spreadsheet import write_spreadsheet_report

    write_spreadsheet_report(report, target, redact=redact, linked_workbook=linked)


def _write_json(report: Report, target: Path, redact: bool, linked: str | None) -> None:
    import orjson

    data = orjson.dumps(report.as_dict(redact=redact, coverage=True),
                        option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    with atomic_file(target) as stream:
        stream.write(data + b"\n")


def _write_text(report: Report, target: Path, redact: bool, linked: str | None) -> None:
    from crfmap.issues.text import render_coverage, render_report

    lines = [*render_report(report, redact=redact), *render_coverage(report.coverage)]
    with atomic_file(target) as stream:
        stream.write(("\n".join(lines) + "\n").encode("utf-8"))


REPORT_FORMATS: tuple[ReportFormat, ...] = (
    ReportFormat("html", (".html", ".htm"), "one self-contained page: summary, sortable and filterable issues",
                 _write_html),
    ReportFormat("xlsx", (".xlsx",), "Summary, Issue summary, Details (linked to the cells), Rules", _write_xlsx),
    ReportFormat("json", (".json",), "the JSON report with its run header and coverage", _write_json),
    ReportFormat("text", (".txt",), "the text report as the terminal shows it", _write_text),
)


def report_format(target: Path) -> ReportFormat:
    """The format a report file's ending asks for; W131 when crfmap writes no such report."""
    suffix = Path(target).suffix.lower()
    for entry in REPORT_FORMATS:
        if suffix in entry.extensions:
            return entry
    endings = ", ".join(ext for entry in REPORT_FORMATS for ext in entry.extensions)
    raise FatalIssue(make_issue("W131", value=Path(target).name, detail=f"crfmap writes reports ending {endings}"))


__all__ = ["REPORT_FORMATS", "ReportFormat", "report_format"]
