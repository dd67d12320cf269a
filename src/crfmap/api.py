"""Orchestration: read → validate → map → write. Returns outputs and a Report; holds no format logic.

Rows stream from the reader through validation and mapping one at a time; only compact cross-form state
(subject sets, identity keys, one row per subject of one-row-per-subject forms) and the canonical records
themselves are kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from crfmap import __version__
from crfmap.issues import Issue, Report, Severity, make_issue
from crfmap.mapping.engine import MappingEngine
from crfmap.model import Record
from crfmap.readers import ReadOptions, Row, Workbook, open_workbook
from crfmap.study import StudyMapping, load_study, load_study_with_issues
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import locate_header
from crfmap.validate.plan import plan_forms
from crfmap.validate.rows import validate_sheet
from crfmap.validate.sheets import match_sheets
from crfmap.values.row import FormRow

Progress = Callable[[str, int], None]  # (what, how many rows so far)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The input as provenance needs it: file name only (never a machine path) and its SHA-256."""

    file: str
    sha256: str
    size: int


@dataclass(slots=True)
class SheetAccount:
    """Where every non-empty cell of one sheet went."""

    sheet: str
    form: str | None
    non_empty: int = 0
    header: int = 0  # column titles
    mapped: int = 0  # in a declared column that a concept reads
    ignored: int = 0  # declared ignored (column `ignore: true`, `ignore_columns`, `ignore_sheets`)
    unmapped: int = 0  # reported as S301 (or a whole unused sheet, S007)

    @property
    def unaccounted(self) -> int:
        return self.non_empty - self.header - self.mapped - self.ignored - self.unmapped


@dataclass
class ValidationResult:
    study: StudyMapping
    source: SourceInfo
    report: Report
    records: list[Record] = field(default_factory=list)
    left_out: list[FormRow] = field(default_factory=list)  # rows with errors: no records made from them
    coverage: list[SheetAccount] = field(default_factory=list)
    rows_read: int = 0


def load_mapping(study_dir: Path) -> tuple[StudyMapping, list[Issue]]:
    """Load and lint a mapping folder, including the writers' targets; FatalIssue on errors."""
    from crfmap.writers.targets import lint_targets

    mapping, issues = load_study_with_issues(Path(study_dir))
    if mapping is not None:
        issues = issues + lint_targets(mapping)
    errors = [issue for issue in issues if issue.severity is Severity.ERROR]
    if mapping is None or errors:
        from crfmap.issues import FatalIssue

        raise FatalIssue(*(errors or issues))
    return mapping, issues


def describe_source(path: Path) -> SourceInfo:
    digest = hashlib.sha256()
    size = 0
    if path.is_file():
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    return SourceInfo(file=path.name, sha256=digest.hexdigest(), size=size)


def validate_workbook(workbook: Path, study: Path | StudyMapping, *, read_options: ReadOptions | None = None,
                      progress: Progress | None = None) -> ValidationResult:
    """Read, validate and map one workbook. Raises FatalIssue when the mapping or the file is unusable."""
    workbook = Path(workbook)
    if isinstance(study, StudyMapping):
        mapping, mapping_issues = study, []
    else:
        mapping, mapping_issues = load_mapping(study)
    report = Report()
    report.extend(mapping_issues)
    result = ValidationResult(study=mapping, source=describe_source(workbook), report=report)
    options = read_options or ReadOptions()
    with open_workbook(workbook, options, report.add) as book:
        _validate_book(book, mapping, result, progress)
    report.facts.update({
        "rows_read": result.rows_read,
        "records": len(result.records),
        "rows_left_out": len(result.left_out),
        "cells_unaccounted": sum(account.unaccounted for account in result.coverage),
    })
    return result


def _validate_book(book: Workbook, mapping: StudyMapping, result: ValidationResult,
                   progress: Progress | None) -> None:
    report = result.report
    context = ValidationContext(mapping, report.add, result.source.file, native_types=book.format != "csv")
    engine = MappingEngine(mapping, context.subject_row, report.add)
    sheets = book.sheets()
    matched, sheet_issues = match_sheets(mapping, sheets, file_name=result.source.file)
    report.extend(sheet_issues)
    used = {info.name for info in matched.values()}
    for form in plan_forms(mapping):
        info = matched.get(form.name)
        if info is None:
            continue
        account = SheetAccount(sheet=info.name, form=form.name)
        result.coverage.append(account)
        rows = _counting(book.iter_rows(info.name), account)
        header = locate_header(form, info.name, rows, context)
        if header is None:
            account.unmapped = account.non_empty  # the S002 issue covers the sheet
            continue
        account.header = len(header.row_cells) if hasattr(header, "row_cells") else 0
        ignored_columns = {column.name for column in form.columns if column.ignore}
        for form_row in validate_sheet(form, info.name, rows, header, context):
            result.rows_read += 1
            _account_row(form_row, ignored_columns, account)
            if form_row.has_errors:
                result.left_out.append(form_row)
            else:
                result.records.extend(engine.map_row(form_row))
            if progress is not None and result.rows_read % 1000 == 0:
                progress(form.name, result.rows_read)
        for _ in rows:  # anything validate_sheet left unread still counts
            pass
    for info in sheets:
        if info.name in used:
            continue
        account = SheetAccount(sheet=info.name, form=None)
        for row in book.iter_rows(info.name):
            account.non_empty += len(row.cells)
        if info.name in mapping.study.ignore_sheets:
            account.ignored = account.non_empty
        else:
            account.unmapped = account.non_empty
        if account.non_empty:
            result.coverage.append(account)
    context.finish()
    _account_unmapped(report, result.coverage)


def _counting(rows: Iterator[Row], account: SheetAccount) -> Iterator[Row]:
    for row in rows:
        account.non_empty += len(row.cells)
        yield row


def _account_row(form_row: FormRow, ignored_columns: set[str], account: SheetAccount) -> None:
    for column in form_row.raw:
        if column in ignored_columns:
            account.ignored += 1
        else:
            account.mapped += 1


def _account_unmapped(report: Report, coverage: list[SheetAccount]) -> None:
    by_sheet = {account.sheet: account for account in coverage if account.form is not None}
    for issue in report.issues:
        if issue.code == "S301" and issue.sheet in by_sheet:
            by_sheet[issue.sheet].unmapped += 1


def tool_version() -> str:
    return __version__


__all__ = ["SheetAccount", "SourceInfo", "ValidationResult", "describe_source", "load_mapping", "load_study",
           "tool_version", "validate_workbook", "make_issue"]
