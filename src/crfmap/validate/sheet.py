"""validate_sheet: stream a form's rows, parse and check every cell, run the row rules, yield FormRows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from crfmap.sources import Row
from crfmap.sources.text import strip_text
from crfmap.study.models import Column, Form
from crfmap.validate.checks import check_value, plan_checks
from crfmap.validate.context import ValidationContext
from crfmap.validate.duplicates import check_duplicate_keys, check_duplicate_subject, key_column_sets
from crfmap.validate.header import HeaderMap
from crfmap.validate.row_issues import RowIssues
from crfmap.validate.rules import check_row_rules
from crfmap.values.cells import EMPTY, ParsedCell, display_raw, parse_cell
from crfmap.values.problems import Problem
from crfmap.values.row import FormRow

# A column's readings are remembered by raw value: sites and lab systems repeat the same few codes, units, dates
# and results on thousands of rows, and a cell's typed value and problems depend only on its raw value and its
# column (positions are added per cell). Only exact builtin types are keys: a FlawedText equals its plain text
# but reads differently. The bound keeps memory flat on free-text columns.
MEMO_TYPES = frozenset({str, int, float, bool, date, datetime})
MEMO_LIMIT = 4096  # distinct raw values remembered per column
Reading = tuple[ParsedCell, tuple[Problem, ...]]  # the parsed cell and what the column's checks found in it

EMPTY_READING: Reading = (EMPTY, ())  # an absent cell, as parse_cell reads None for every column


class ColumnPlan(NamedTuple):
    """What reading one form column on every row needs, looked up once per sheet."""

    column: Column
    name: str
    number: int  # the sheet column it is read from
    readings: dict[tuple[type, Any], Reading]  # the column's remembered readings (SheetValidator.reading)
    must_have_value: bool  # required, or the subject id: empty is S101
    is_subject: bool


UNKNOWN_HINT = "The cell says the value is unknown; a required value must be found in the source document."
SPACES_HINT = "The cell holds only spaces."


def validate_sheet(form: Form, sheet: str, rows: Iterator[Row], header: HeaderMap,
                   context: ValidationContext) -> Iterator[FormRow]:
    """One FormRow per row with a value in a form column; issues go to the context's sink as found."""
    validator = SheetValidator(form, sheet, header, context)
    for row in rows:
        form_row = validator.validate_row(row)
        if form_row is not None:
            yield form_row


class SheetValidator:
    def __init__(self, form: Form, sheet: str, header: HeaderMap, context: ValidationContext) -> None:
        self.form = form
        self.sheet = sheet
        self.header = header
        self.context = context
        self.subject_column = form.column(form.identity.subject)
        # the subject first: every other issue of the row names it; each column with the form's date order
        self.columns = sorted((with_date_format(form, column) for column in form.columns
                               if column.name in header.positions),
                              key=lambda column: column.name != form.identity.subject)
        self.key_sets = key_column_sets(form)
        self.checks = {column.name: plan_checks(column, context.data_cutoff) for column in self.columns}
        self.readings: dict[str, dict[tuple[type, Any], Reading]] = {column.name: {} for column in self.columns}
        self.memo_limit = MEMO_LIMIT
        # Asked of every row, so worked out once: the header map does not change once it is located.
        self.accounted = frozenset(header.columns) | header.ignored | header.rejected
        self.form_columns = tuple(header.columns)
        self.plans = tuple(ColumnPlan(column, column.name, header.positions[column.name], self.readings[column.name],
                                      column.required or column.name == form.identity.subject,
                                      column.name == form.identity.subject)
                           for column in self.columns)

    def validate_row(self, row: Row) -> FormRow | None:
        issues = RowIssues(self.context.emit, self.context.file_name, self.sheet, self.form.name, row.number,
                           positions=row)
        self.report_unmapped(row, issues)
        if not self.has_values(row):
            return None
        form_row = FormRow(form=self.form.name, sheet=self.sheet, file=self.context.file_name,
                           number=row.number, subject_id=None)
        failed: set[str] = set()
        for plan in self.plans:
            self.read_cell(plan, row, form_row, issues, failed)
            if plan.is_subject:
                form_row.subject_id = issues.subject = read_subject_id(form_row.values.get(plan.name))
        check_row_rules(self.form, form_row, self.header, issues, self.context, failed)
        self.check_identity(form_row, issues)
        form_row.has_errors = issues.has_errors
        return form_row

    def report_unmapped(self, row: Row, issues: RowIssues) -> None:
        cells = row.cells
        if cells.keys() <= self.accounted:  # the usual row: every cell under a header the form knows
            return
        for number in sorted(cells.keys() - self.accounted):
            issues.add("S301", column=None, at=number, raw=cells[number])

    def has_values(self, row: Row) -> bool:
        cells = row.cells
        for number in self.form_columns:
            if number in cells and not is_blank(cells[number]):
                return True
        return False

    def read_cell(self, plan: ColumnPlan, row: Row, form_row: FormRow, issues: RowIssues, failed: set[str]) -> None:
        name, number = plan.name, plan.number
        raw = row.cells.get(number)
        if raw is None:
            parsed, problems = EMPTY_READING
        else:
            kind = type(raw)
            known = (plan.readings.get((kind, raw))
                     if kind in MEMO_TYPES and not (kind is float and raw == 0) else None)  # as `reading` has it
            parsed, problems = known if known is not None else self.reading(plan.column, raw)
            form_row.raw[name] = raw
            form_row.cells[name] = row.source(self.context.file_name, self.sheet, number)
        for problem in parsed.problems:
            issues.add_problem(problem, column=name, at=number, raw=raw)
        if parsed.value is None:
            if parsed.problems:
                failed.add(name)
            elif plan.must_have_value:
                issues.add("S101", column=name, at=number, raw=raw, hint=empty_hint(raw, parsed))
            return
        for problem in problems:
            issues.add_problem(problem, column=name, at=number, raw=raw)
        if problems:
            failed.add(name)
            return
        form_row.values[name] = parsed.value

    def reading(self, column: Column, raw: Any) -> Reading:
        """The cell's parsed value and the column checks' problems, remembered for raw values seen before."""
        kind = type(raw)
        # -0.0 equals 0.0 (and hashes alike) but need not read alike: zeros are not remembered
        key = (kind, raw) if kind in MEMO_TYPES and not (kind is float and raw == 0) else None
        readings = self.readings[column.name]
        if key is not None:
            known = readings.get(key)
            if known is not None:
                return known
        parsed = parse_cell(raw, column, self.context.parsing)
        checks = self.checks[column.name]
        problems = tuple(check_value(checks, parsed.value)) if checks and parsed.value is not None else ()
        reading = (parsed, problems)
        if key is not None and len(readings) < self.memo_limit:
            readings[key] = reading
        return reading

    def check_identity(self, form_row: FormRow, issues: RowIssues) -> None:
        if form_row.subject_id is None:
            return
        self.context.subjects[self.form.name].add(form_row.subject_id)
        if not self.form.repeating:
            check_duplicate_subject(self.form, form_row, self.header, issues, self.context)
        check_duplicate_keys(self.form, form_row, self.header, issues, self.context, self.key_sets)


def with_date_format(form: Form, column: Column) -> Column:
    """The column with the date order it reads in: its own `date_format`, else the form's."""
    if column.date_format is not None or form.date_format is None:
        return column
    return column.model_copy(update={"date_format": form.date_format})


def read_subject_id(value: Any) -> str | None:
    """The subject id as text. Ids typed as numbers (7, 7.0) read as '7'; text ids such as '01-007' stay
    as written (only their ends are stripped by parsing)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, str):
        return value
    return display_raw(value) if not hasattr(value, "value") else str(value.value)


def is_blank(raw: Any) -> bool:
    return isinstance(raw, str) and not strip_text(raw)


def empty_hint(raw: Any, parsed: ParsedCell) -> str | None:
    if parsed.unknown:
        return UNKNOWN_HINT
    if is_blank(raw):
        return SPACES_HINT
    return None
