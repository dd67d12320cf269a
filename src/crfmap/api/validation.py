"""Reading, validating and mapping one input: the first half of every run, with its coverage account.

Rows stream from the reader through validation and mapping one at a time; only compact cross-form state
(subject sets, identity keys, one row per subject of one-row-per-subject forms) and the canonical records
themselves are kept, plus, when an annotated copy is asked for, the cells read (see `CellGrid`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from crfmap import __version__
from crfmap.api.progress import Progress, last_row, rows_with_progress
from crfmap.issues import Issue, Report, Severity
from crfmap.issues.layout import CoverageLine, RunHeader, SheetLayout
from crfmap.issues.waivers import apply_waivers
from crfmap.mapping.engine import MappingEngine
from crfmap.model import Record
from crfmap.readers import ReadOptions, open_workbook
from crfmap.sources import RawValue, Row, SheetInfo, SourceInfo, Workbook, describe_source
from crfmap.study import StudyMapping
from crfmap.study.waivers import load_waivers
from crfmap.template import STAMP_SHEET
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import HeaderMap
from crfmap.validate.plan import plan_forms
from crfmap.validate.sheets import count_cells_in, match_sheets
from crfmap.validate.wide import locate_form_header, validate_form_sheet
from crfmap.values.row import FormRow


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
class CellGrid:
    """Every non-empty cell the reader gave, per sheet in the workbook's tab order: what an annotated copy is
    built from, so that it shows exactly what crfmap read and never re-reads the file with another reader."""

    sheets: list[SheetInfo] = field(default_factory=list)
    cells: dict[str, dict[tuple[int, int], RawValue]] = field(default_factory=dict)  # sheet → (row, column)


@dataclass
class ValidationResult:
    study: StudyMapping
    source: SourceInfo
    report: Report
    records: list[Record] = field(default_factory=list)
    left_out: list[FormRow] = field(default_factory=list)  # rows with errors: no records made from them
    coverage: list[SheetAccount] = field(default_factory=list)
    rows_read: int = 0
    grid: CellGrid | None = None  # with keep_cells=True


class RecordingWorkbook:
    """A workbook whose rows are also kept in a CellGrid as they stream by (only when a copy is wanted)."""

    def __init__(self, book: Workbook, grid: CellGrid) -> None:
        self.book = book
        self.grid = grid
        self.path, self.format, self.typed_cells = book.path, book.format, book.typed_cells

    def sheets(self) -> list[SheetInfo]:
        return self.book.sheets()

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        cells = self.grid.cells.setdefault(sheet, {})
        for row in self.book.iter_rows(sheet):
            for column, value in row.cells.items():
                cells[(row.number, column)] = value
            yield row

    def close(self) -> None:
        self.book.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record_unread(self, progress: Progress | None = None) -> None:
        """Read the sheets validation had no reason to read, so the copy has every sheet."""
        self.grid.sheets = self.book.sheets()
        for info in self.grid.sheets:
            if info.name not in self.grid.cells:
                for _ in rows_with_progress(self.iter_rows(info.name), progress, f"copy:{info.name}",
                                            f"reading {info.name}", last_row(info.dimension)):
                    pass


def validate_workbook(workbook: Path, study: Path | StudyMapping | None, *, read_options: ReadOptions | None = None,
                      progress: Progress | None = None, keep_cells: bool = False, waivers: Path | None = None,
                      report_time: bool = False) -> ValidationResult:
    """Read, validate and map one workbook. Raises FatalIssue when the mapping, the waivers file or the input
    is unusable.

    `study` None: the study a workbook made by `crfmap template` names (api/templates.py).
    `keep_cells` keeps every cell read in `result.grid`, for an annotated copy. `waivers` is a reviewed
    waivers.yaml: the issues it accepts become notes marked waived. `report_time` puts the time of the run in
    the report's header (otherwise reports are byte-identical for the same input).
    """
    from crfmap.api.templates import WithoutTemplateSheets, check_stamp, find_study, read_stamp

    workbook = Path(workbook)
    if study is None:
        study = find_study(workbook, read_options or ReadOptions())
    mapping_issues: list[Issue]
    if isinstance(study, StudyMapping):
        mapping, mapping_issues = study, []
    else:
        from crfmap.api.mapping import load_mapping

        mapping, mapping_issues = load_mapping(study)
    accepted, waivers_sha256 = load_waivers(waivers) if waivers is not None else ([], None)
    report = Report()
    # The mapping's own notes (e.g. P013 unverified codes) belong to check-mapping, not to every data run.
    report.extend(issue for issue in mapping_issues if issue.severity is not Severity.INFO)
    result = ValidationResult(study=mapping, source=describe_source(workbook), report=report)
    options = read_options or ReadOptions()
    headers: dict[str, tuple[str, HeaderMap | None]] = {}

    def add(issue: Issue) -> None:  # reading a template's hidden stamp is not news
        if not (issue.code == "R011" and issue.sheet == STAMP_SHEET):
            report.add(issue)

    with open_workbook(workbook, options, add) as opened:
        stamp = read_stamp(opened)
        book: Workbook = opened
        if stamp is not None:
            report.extend(check_stamp(stamp, mapping, result.source.file))
            book = WithoutTemplateSheets(opened, stamp.sheets)
        if keep_cells:
            recording = RecordingWorkbook(book, CellGrid())
            _validate_book(recording, mapping, result, progress, headers)
            recording.record_unread(progress)
            result.grid = recording.grid
        else:
            _validate_book(book, mapping, result, progress, headers)
        input_format, sheets = book.format, book.sheets()
    report.sheets = [_layout(info, headers.get(info.name)) for info in sheets]
    report.coverage = [CoverageLine(account.sheet, account.form, account.non_empty, account.header,
                                    account.mapped, account.ignored, account.unmapped)
                       for account in result.coverage]
    report.run = RunHeader(
        crfmap_version=__version__, input_name=result.source.file, input_size=result.source.size,
        input_sha256=result.source.sha256, input_format=input_format, mapping_id=mapping.study.id,
        mapping_version=mapping.study.version, mapping_sha256=mapping.sha256,
        waivers_name=None if waivers is None else Path(waivers).name, waivers_sha256=waivers_sha256,
        generated_at=_now() if report_time else None)
    apply_waivers(report, accepted)
    report.facts.update({
        "rows_read": result.rows_read,
        "records": len(result.records),
        "rows_left_out": len(result.left_out),
        "cells_unaccounted": sum(account.unaccounted for account in result.coverage),
    })
    return result


def _layout(info: SheetInfo, found: tuple[str, HeaderMap | None] | None) -> SheetLayout:
    form, header = found if found is not None else (None, None)
    if header is None:
        return SheetLayout(name=info.name, index=info.index, hidden=info.hidden, form=form)
    return SheetLayout(name=info.name, index=info.index, hidden=info.hidden, form=form, header_row=header.row,
                       titles=dict(header.titles), columns=dict(header.positions))


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def _validate_book(book: Workbook, mapping: StudyMapping, result: ValidationResult,
                   progress: Progress | None, headers: dict[str, tuple[str, HeaderMap | None]]) -> None:
    report = result.report
    context = ValidationContext(mapping, report.add, result.source.file, native_types=book.typed_cells)
    engine = MappingEngine(mapping, context.subject_row, report.add)
    sheets = book.sheets()
    count_sheet = count_cells_in(book)
    unused_counts: dict[str, int] = {}  # sheets no form reads, counted once by match_sheets

    def count_cells(sheet: str) -> int:
        unused_counts[sheet] = count_sheet(sheet)
        return unused_counts[sheet]

    matched, sheet_issues = match_sheets(mapping, sheets, file_name=result.source.file, count_cells=count_cells)
    report.extend(sheet_issues)
    for form in plan_forms(mapping):
        info = matched.get(form.name)
        if info is None:
            continue
        account = SheetAccount(sheet=info.name, form=form.name)
        result.coverage.append(account)
        counter = _CellCounter(account, {column.name for column in form.columns if column.ignore})
        read = rows_with_progress(book.iter_rows(info.name), progress, f"sheet:{info.name}",
                                  f"checking {info.name}", last_row(info.dimension))
        counted = counter.count(read)
        header, rows = locate_form_header(form, info.name, counted, context)
        counter.header = header
        headers[info.name] = (form.name, header)
        if header is None:  # S002 was reported; the sheet's cells are all unmapped
            counter.settle()
            counter.no_header = True
            for _ in counted:
                pass
            continue
        for form_row in validate_form_sheet(form, info.name, rows, header, context):
            result.rows_read += 1
            if form_row.has_errors:
                result.left_out.append(form_row)
            else:
                result.records.extend(engine.map_row(form_row))
        for _ in rows:  # anything validation left unread still counts
            pass
        counter.settle()
    for info in sheets:  # sheets no form reads: counted once by match_sheets (ignored sheets here)
        if any(info.name == sheet.name for sheet in matched.values()):
            continue
        account = SheetAccount(sheet=info.name, form=None)
        if info.name in unused_counts:
            account.non_empty = account.unmapped = unused_counts[info.name]
        elif info.name in mapping.study.ignore_sheets:
            account.non_empty = account.ignored = count_sheet(info.name)
        if account.non_empty:
            result.coverage.append(account)
    context.finish()


class _CellCounter:
    """Counts a sheet's non-empty cells by where they go, using the header map once it is known.

    Cells seen before the header is found are settled afterwards: the header row's cells are titles, cells
    above it are unmapped (validation reports each as S301). Below the header a cell is mapped (its column is
    read), ignored (column `ignore: true` or a header in `ignore_columns`), or unmapped (no column; reported).
    """

    def __init__(self, account: SheetAccount, ignored_columns: set[str]) -> None:
        self.account = account
        self.ignored_columns = ignored_columns
        self.header: HeaderMap | None = None
        self.pending: list[Row] = []
        self.no_header = False

    def count(self, rows: Iterator[Row]) -> Iterator[Row]:
        for row in rows:
            self.account.non_empty += len(row.cells)
            if self.no_header:
                self.account.unmapped += len(row.cells)
            elif self.header is None:
                self.pending.append(Row(row.number, dict.fromkeys(row.cells, "")))  # positions only, no values
            else:
                self._classify(row)
            yield row

    def settle(self) -> None:
        for row in self.pending:
            if self.header is not None and (row.number == self.header.row or row.number in self.header.title_rows):
                self.account.header += len(row.cells)
            elif self.header is None or row.number < self.header.row:
                self.account.unmapped += len(row.cells)
            else:
                self._classify(row)
        self.pending.clear()

    def _classify(self, row: Row) -> None:
        header = self.header
        assert header is not None
        for column in row.cells:
            name = header.columns.get(column)
            if name is not None and column not in header.rejected:
                if name in self.ignored_columns:
                    self.account.ignored += 1
                else:
                    self.account.mapped += 1
            elif column in header.ignored:
                self.account.ignored += 1
            else:
                self.account.unmapped += 1


__all__ = ["CellGrid", "SheetAccount", "ValidationResult", "validate_workbook"]
