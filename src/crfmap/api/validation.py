"""Reading, validating and mapping one input: the first half of every run, with its coverage account.

Rows stream from the reader through validation and mapping one at a time; only compact cross-form state
(subject sets, identity keys, one row per subject of one-row-per-subject forms) and the canonical records
themselves are kept, plus, when an annotated copy is asked for, the cells read (see `CellGrid`).
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from crfmap import __version__
from crfmap.api.progress import Progress, last_row, rows_with_progress
from crfmap.api.selection import RowSelection
from crfmap.issues import FatalIssue, Issue, Report, Severity, make_issue
from crfmap.issues.layout import CoverageLine, RunHeader, SheetLayout
from crfmap.issues.waivers import apply_waivers
from crfmap.mapping.engine import MappingEngine
from crfmap.model import Record
from crfmap.model.spool import RecordSpool
from crfmap.readers import ReadOptions, open_workbook
from crfmap.sources import RawValue, Row, SheetInfo, SourceInfo, Workbook, column_letters, describe_source
from crfmap.sources.text import normalize_name
from crfmap.study import StudyMapping
from crfmap.study.models import Form
from crfmap.study.waivers import load_waivers
from crfmap.template import STAMP_SHEET
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import HeaderMap, locate_header, map_sibling_header
from crfmap.validate.plan import plan_forms
from crfmap.validate.select import selects
from crfmap.validate.sheets import count_cells_in, match_sheets
from crfmap.validate.wide import locate_form_header, validate_form_sheet
from crfmap.values.cells import display_raw
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
    records: list[Record] = field(default_factory=list)  # empty with keep_records=False; records_made counts them
    spool: RecordSpool | None = None  # with spill_records=True the records go here instead (sorted, on disk);
    # a convert that writes them puts them here too (in memory)
    left_out: list[FormRow] = field(default_factory=list)  # rows with errors: no records made from them
    records_made: int = 0
    keep_records: bool = True
    coverage: list[SheetAccount] = field(default_factory=list)
    rows_read: int = 0
    grid: CellGrid | None = None  # with keep_cells=True

    @property
    def written(self) -> bool:
        """Whether a convert handed the records to its last writer, which let them go as it read them: writing
        again needs a new validation."""
        return self.spool is not None and self.spool.handed_over


class RecordingWorkbook:
    """A workbook whose rows are also kept in a CellGrid as they stream by (only when a copy is wanted)."""

    def __init__(self, book: Workbook, grid: CellGrid) -> None:
        self.book = book
        self.grid = grid
        self.path, self.format, self.typed_cells = book.path, book.format, book.typed_cells
        self.date1904 = getattr(book, "date1904", False)

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
                      report_time: bool = False, selection: RowSelection | None = None,
                      keep_records: bool = True, spill_records: bool = False,
                      spool: RecordSpool | None = None) -> ValidationResult:
    """Read, validate and map one workbook. Raises FatalIssue when the mapping, the waivers file or the input
    is unusable.

    `study` None: the study a workbook made by `crfmap template` names (api/templates.py).
    `keep_cells` keeps every cell read in `result.grid`, for an annotated copy. `waivers` is a reviewed
    waivers.yaml: the issues it accepts become notes marked waived. `report_time` puts the time of the run in
    the report's header (otherwise reports are byte-identical for the same input). `selection` validates and
    maps one partition of the rows only (api/selection.py; api/partitions.py merges the partitions).
    `keep_records` False maps every valid row (the mapping's own checks still run) but keeps only the count of
    the records made: what `crfmap validate` needs, so that its memory is the cross-form state, not the data.
    `spill_records` puts them in `result.spool` instead of `result.records`: beyond a few thousand they wait on
    disk, sorted, so that a convert's memory does not grow with its input (model/spool.py); `spool` puts them
    in that spool (a convert-many partition's, to be sealed). Raises FatalIssue W147 when the temporary folder
    cannot take them.
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
    report = selection.report if selection is not None else Report()
    # The mapping's own notes (e.g. P013 unverified codes) belong to check-mapping, not to every data run.
    report.extend(issue for issue in mapping_issues if issue.severity is not Severity.INFO)
    result = ValidationResult(study=mapping, source=describe_source(workbook), report=report,
                              keep_records=keep_records,
                              spool=spool if spool is not None else RecordSpool() if spill_records else None)
    options = read_options or ReadOptions()
    headers: dict[str, tuple[str, HeaderMap | None]] = {}

    def add(issue: Issue) -> None:  # reading a template's hidden stamp is not news
        if not (issue.code == "R011" and issue.sheet == STAMP_SHEET):
            report.add(issue)

    out_of_memory = False
    try:
        with open_workbook(workbook, options, add) as opened:
            stamp = read_stamp(opened)
            book: Workbook = opened
            if stamp is not None:
                report.extend(check_stamp(stamp, mapping, result.source.file))
                book = WithoutTemplateSheets(opened, stamp.sheets)
            if keep_cells:
                recording = RecordingWorkbook(book, CellGrid())
                _validate_book(recording, mapping, result, progress, headers, selection)
                recording.record_unread(progress)
                result.grid = recording.grid
            else:
                _validate_book(book, mapping, result, progress, headers, selection)
            input_format, sheets = book.format, book.sheets()
    except MemoryError:
        out_of_memory = True
    if out_of_memory:  # outside the handler, so that the traceback (and all it holds) is freed first
        raise _out_of_memory(result)
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
        "records": result.records_made,
        "rows_left_out": len(result.left_out),
        "cells_unaccounted": sum(account.unaccounted for account in result.coverage),
    })
    return result


def _out_of_memory(result: ValidationResult) -> FatalIssue:
    """R007 instead of an internal error when what a run keeps (records, cross-form state) outgrows the memory
    ceiling: what was kept is let go first, so that the refusal itself can be made (the command line keeps the
    echoes of the same MemoryError from finalised generators off stderr: cli.run)."""
    rows = result.rows_read
    result.records.clear()
    if result.spool is not None:
        result.spool.close()
    result.left_out.clear()
    result.report.issues.clear()
    result.grid = None
    gc.collect()
    return FatalIssue(make_issue("R007", file=result.source.file, detail=(
        f"the run needs more memory than is available after {rows:,} rows (each row's records are kept until "
        "they are written); split the file, or raise CRFMAP_MAX_MEMORY_MB")))


def _cannot_spill(result: ValidationResult, problem: OSError) -> FatalIssue:
    """W147: the temporary folder refused the records set aside (full, read-only); nothing is written."""
    if result.spool is not None:
        result.spool.close()
    return FatalIssue(make_issue("W147", file=result.source.file, detail=(
        f"after {result.rows_read:,} rows, the records could not be set aside in the temporary folder "
        f"{tempfile.gettempdir()!r} ({problem.strerror or problem})")))


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
                   progress: Progress | None, headers: dict[str, tuple[str, HeaderMap | None]],
                   selection: RowSelection | None = None) -> None:
    report = result.report
    # An xlsx workbook says which date system its serials count in; other formats have none (False).
    context = ValidationContext(mapping, report.add, result.source.file, native_types=book.typed_cells,
                                date1904=getattr(book, "date1904", False))
    engine = MappingEngine(mapping, context.subject_row, report.add)
    sheets = book.sheets()
    count_sheet = count_cells_in(book)
    unused_counts: dict[str, int] = {}  # sheets no form reads, counted once by match_sheets

    def count_cells(sheet: str) -> int:
        unused_counts[sheet] = count_sheet(sheet)
        return unused_counts[sheet]

    matched, sheet_issues = match_sheets(mapping, sheets, file_name=result.source.file, count_cells=count_cells)
    report.extend(sheet_issues)
    ordered = plan_forms(mapping)
    groups: dict[str, list[Form]] = {}
    for form in ordered:
        if form.name in matched:
            groups.setdefault(matched[form.name].name, []).append(form)
    for form in ordered:
        info = matched.get(form.name)
        if info is not None:
            step = SheetPass(book, form, info, tuple(groups[info.name]), context)
            _read_form(step, engine, result, progress, headers, selection)
    ignored = {normalize_name(name) for name in mapping.study.ignore_sheets}
    read_by_forms = {sheet.name for sheet in matched.values()}
    for info in sheets:  # sheets no form reads: counted once by match_sheets (the others here)
        if info.name in read_by_forms:
            continue
        account = SheetAccount(sheet=info.name, form=None)
        if info.name in unused_counts:
            account.non_empty = account.unmapped = unused_counts[info.name]
        elif normalize_name(info.name_in_file) in ignored:
            account.non_empty = account.ignored = count_sheet(info.name)
        else:  # one of several sheets a form's names match (S006): no form reads it
            account.non_empty = account.unmapped = count_sheet(info.name)
        if account.non_empty:
            result.coverage.append(account)
    context.finish()


@dataclass
class SheetPass:
    """One form reading its sheet. Forms that share a sheet (`select:`) each read it; the first of them (in the
    order forms are read) also accounts for its cells and reports the rows no form selects."""

    book: Workbook
    form: Form
    info: SheetInfo
    group: tuple[Form, ...]
    context: ValidationContext

    @property
    def sheet(self) -> str:
        return self.info.name

    @property
    def owner(self) -> bool:
        return self.group[0] is self.form


def _read_form(step: SheetPass, engine: MappingEngine, result: ValidationResult, progress: Progress | None,
               headers: dict[str, tuple[str, HeaderMap | None]], selection: RowSelection | None = None) -> None:
    form, context = step.form, step.context
    counter = None
    shown = f"checking {step.sheet}" + (f" ({form.name})" if len(step.group) > 1 else "")
    rows: Iterator[Row] = rows_with_progress(step.book.iter_rows(step.sheet), progress,
                                             f"sheet:{step.sheet}:{form.name}", shown, last_row(step.info.dimension))
    if step.owner:
        account = SheetAccount(sheet=step.sheet, form=" + ".join(member.name for member in step.group))
        result.coverage.append(account)
        counter = _CellCounter(account)
        rows = counter.count(rows)
    siblings = tuple(member for member in step.group if member is not form)
    if siblings or form.select is not None:  # a shared sheet is long: one row per instrument
        header, rows = locate_header(form, step.sheet, rows, context, siblings, report_above=step.owner)
    else:  # a sheet of its own may also be wide (the form's `wide:` layout)
        header, rows = locate_form_header(form, step.sheet, rows, context)
    names = " + ".join(member.name for member in step.group)
    if step.owner:
        headers[step.sheet] = (names, header)
    if header is None:  # S002 was reported; the sheet's cells are all unmapped
        if counter is not None:
            counter.give_up()
        for _ in rows:
            pass
        return
    maps = {form.name: header} | {member.name: map_sibling_header(member, header) for member in siblings}
    if step.owner and siblings:  # the sheet's layout names every form's columns
        merged = {number: name for member in step.group for number, name in maps[member.name].columns.items()}
        headers[step.sheet] = (names, HeaderMap(header.row, merged, titles=header.titles))
    if counter is not None:
        counter.settle(header)

    # What each sheet column counts as depends only on which forms read the row: worked out once per such set.
    kinds_by_readers: dict[tuple[str, ...], dict[int, str]] = {}

    every_row = len(step.group) == 1 and form.select is None  # the usual sheet: one form reads all its rows

    def selected(rows: Iterator[Row]) -> Iterator[Row]:
        for row in rows:
            chosen = step.group if every_row else tuple(
                member for member in step.group if selects(member, maps[member.name], row, context.parsing))
            if counter is not None:
                readers = tuple(member.name for member in chosen)
                kinds = kinds_by_readers.get(readers)
                if kinds is None:
                    kinds = kinds_by_readers[readers] = column_kinds(
                        [(maps[member.name], _ignored(member)) for member in chosen])
                counter.classify(row, kinds)
                if not chosen and row.cells:
                    _report_unselected(step, header, row)
            if form in chosen:
                yield row

    # A partition (api/selection.py) validates its subjects' rows only; the sheet's own accounting above sees all.
    own_rows = selected(rows) if selection is None else selection.select(form, header, selected(rows), context)
    for form_row in validate_form_sheet(form, step.sheet, own_rows, header, context):
        result.rows_read += 1
        if form_row.has_errors:
            result.left_out.append(form_row)
        else:
            made = list(engine.map_row(form_row))
            result.records_made += len(made)
            if result.spool is not None:
                try:
                    result.spool.extend(made)
                except OSError as problem:
                    raise _cannot_spill(result, problem) from problem
            elif result.keep_records:
                result.records.extend(made)
            if selection is not None:
                selection.note_records(made)
        if selection is not None:
            selection.note_left_out(len(result.left_out))


def _ignored(form: Form) -> frozenset[str]:
    return frozenset(column.name for column in form.columns if column.ignore)


def _report_unselected(step: SheetPass, header: HeaderMap, row: Row) -> None:
    """S116 at the first form's selector cell: a row of the shared sheet that no form reads."""
    first = step.group[0]
    condition = first.select
    if condition is None:
        return
    position = header.positions.get(condition.column)
    raw = row.cells.get(position) if position is not None else None
    expected = "; ".join(f"{member.name}: " + (
        f"= {member.select.equals!r}" if member.select.equals is not None else
        f"in {member.select.in_}" if member.select.in_ is not None else
        f"{'present' if member.select.present else 'empty'}") for member in step.group if member.select is not None)
    step.context.emit(make_issue(
        "S116", file=step.context.file_name, sheet=step.sheet, row=row.number,
        cell=f"{column_letters(position)}{row.number}" if position is not None else None,
        column=condition.column, value="" if raw is None else display_raw(raw), expected=expected))


class _CellCounter:
    """Counts a sheet's non-empty cells by where they go, once the header map is known.

    Cells seen before the header is found are settled afterwards: the header row's cells are titles, cells
    above it are unmapped (validation reports each as S301). Below the header a cell is mapped (a column of a
    form that selects the row, and a concept reads it), ignored (column `ignore: true` or a header in
    `ignore_columns`), or unmapped (no column of a form that reads the row; reported as S301 or S116).
    """

    def __init__(self, account: SheetAccount) -> None:
        self.account = account
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
            yield row

    def settle(self, header: HeaderMap) -> None:
        """The header is known: the rows read while looking for it, up to the header, are counted."""
        self.header = header
        for row in self.pending:
            if row.number == header.row or row.number in header.title_rows:  # a wide sheet's group labels too
                self.account.header += len(row.cells)
            elif row.number < header.row:
                self.account.unmapped += len(row.cells)
        self.pending.clear()

    def give_up(self) -> None:
        self.no_header = True
        self.account.unmapped += sum(len(row.cells) for row in self.pending)
        self.pending.clear()

    def classify(self, row: Row, kinds: dict[int, str]) -> None:
        """One row below the header; `kinds` (from column_kinds) says what each sheet column counts as for the
        forms that read the row, and a column it does not name is unmapped."""
        mapped = ignored = 0
        for column in row.cells:
            kind = kinds.get(column)
            if kind == "mapped":
                mapped += 1
            elif kind == "ignored":
                ignored += 1
        account = self.account
        account.mapped += mapped
        account.ignored += ignored
        account.unmapped += len(row.cells) - mapped - ignored


def column_kinds(readers: list[tuple[HeaderMap, frozenset[str]]]) -> dict[int, str]:
    """What a cell in each sheet column counts as, "mapped" or "ignored", when the forms given as (header map,
    ignored columns) read its row; a column left out counts as unmapped (as every column does when none reads
    the row). A column mapped by one form and ignored by another is mapped."""
    kinds: dict[int, str] = {}
    for column in {number for header, _ in readers for number in (*header.columns, *header.ignored)}:
        kind = "unmapped"
        for header, ignored in readers:
            name = header.columns.get(column)
            if name is not None and column not in header.rejected:
                kind = "mapped" if name not in ignored else kind if kind == "mapped" else "ignored"
            elif column in header.ignored and kind == "unmapped":
                kind = "ignored"
        if kind != "unmapped":
            kinds[column] = kind
    return kinds


__all__ = ["CellGrid", "SheetAccount", "ValidationResult", "validate_workbook"]
