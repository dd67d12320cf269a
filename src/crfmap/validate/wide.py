"""Wide sheets: one row per subject, a group of columns per record (AE1_term, AE2_term …; blasts_d0,
blasts_d15; or a group row above the column titles), declared by a form's `wide:` layout.

Each group of a sheet row is validated as one row of the form, as if the sheet were long: the group's own cells,
the columns shared by every group (the subject), and the values the group gives columns the sheet does not hold
(its timepoint, its number). Every cell keeps its real position; a group's given value is positioned at the cell
that names the group. A group with no value of its own makes no row. A form with a wide layout still reads long
sheets: the header decides which layout a sheet has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from crfmap.issues import make_issue
from crfmap.sources import RawValue, Row, SourceCell, column_letters
from crfmap.sources.text import normalize_name, normalize_name_loosely
from crfmap.study.models import Column, Form
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import (
    SEARCH_ROWS,
    HeaderKeys,
    HeaderMap,
    build_header_keys,
    count_matches,
    locate_header,
    report_cells_above,
)
from crfmap.validate.row_issues import RowIssues
from crfmap.validate.sheet import SheetValidator, is_blank, validate_sheet
from crfmap.values.cells import display_raw
from crfmap.values.dates import parse_date_text
from crfmap.values.problems import ValueProblem
from crfmap.values.row import FormRow

VIRTUAL_COLUMNS = 10_000_000  # column numbers for given values, beyond any sheet's columns


@dataclass
class GroupColumns:
    """One group of a wide sheet: where its columns are, what it gives other columns, where it is named."""

    name: str  # as shown in messages: the label or the number
    order: tuple[int, int]  # declared group index, number: the order groups are read in
    given: dict[str, str] = field(default_factory=dict)  # form column → value
    positions: dict[str, int] = field(default_factory=dict)  # form column → sheet column
    named_at: tuple[int, int] = (0, 0)  # (row, column) of the cell that names the group


@dataclass
class WideHeaderMap(HeaderMap):
    """A wide sheet's header: `columns` maps every read sheet column to its form column (for accounting);
    `shared` and `groups` say how rows are cut."""

    shared: dict[str, int] = field(default_factory=dict)
    groups: list[GroupColumns] = field(default_factory=list)


class WideKeys:
    """How a header cell names (group, column): a group label before or after a column spelling, or a column
    spelling under a group label in the row above."""

    def __init__(self, form: Form, keys: HeaderKeys) -> None:
        wide = form.wide
        assert wide is not None
        self.keys = keys
        self.shared = set(wide.shared or [form.identity.subject])
        self.given = {name for group in wide.groups for name in group.values} | (
            {wide.number_column} if wide.number_column else set())
        self.labels = sorted(((normalize_name(label), index) for index, group in enumerate(wide.groups)
                              for label in group.labels), key=lambda item: -len(item[0]))
        self.numbered = None
        if wide.numbered:
            before, after = (normalize_name(part) for part in wide.numbered.split("{n}", 1))
            self.numbered = re.compile(f"^{re.escape(before)}(\\d+){re.escape(after)}$")
            self.numbered_prefix = re.compile(f"^{re.escape(before)}(\\d+){re.escape(after)}(.+)$")
            self.numbered_suffix = re.compile(f"^(.+?){re.escape(before)}(\\d+){re.escape(after)}$")

    def column(self, text: str) -> str | None:
        name = self.keys.strict.get(text) or self.keys.loose.get(text)
        return name if name is not None and name not in self.shared and name not in self.given else None

    def group_of_label(self, text: str) -> tuple[int, int] | None:
        """(group index, number) of a group row's label."""
        key = normalize_name(text)
        for label, index in self.labels:
            if key == label:
                return index, 0
        if self.numbered is not None and (match := self.numbered.match(key)):
            return -1, int(match[1])
        return None

    def split(self, text: str) -> tuple[tuple[int, int], str] | None:
        """((group index, number), form column) of a header that carries its group label."""
        for key in dict.fromkeys((normalize_name(text), normalize_name_loosely(text))):
            for label, index in self.labels:
                for rest in (key[len(label):] if key.startswith(label) else None,
                             key[:-len(label)] if key.endswith(label) else None):
                    if rest and (name := self.column(rest)):
                        return (index, 0), name
            if self.numbered is not None:
                for pattern, number_at, rest_at in ((self.numbered_prefix, 1, 2), (self.numbered_suffix, 2, 1)):
                    match = pattern.match(key)
                    if match and (name := self.column(match[rest_at])):
                        return (-1, int(match[number_at])), name
        return None


def locate_form_header(form: Form, sheet: str, rows: Iterator[Row],
                       context: ValidationContext) -> tuple[HeaderMap | None, Iterator[Row]]:
    """The header of the form's sheet, long or (for a form with a `wide:` layout) wide, and the rows after it."""
    if form.wide is None:
        return locate_header(form, sheet, rows, context)
    keys = build_header_keys(form)
    wide_keys = WideKeys(form, keys)
    buffer: list[Row] = []
    best: tuple[int, WideHeaderMap | None, list[tuple[int, str]]] = (0, None, [])
    long_score = 0
    for row in rows:
        buffer.append(row)
        above = buffer[-2] if len(buffer) > 1 and buffer[-2].number == row.number - 1 else None
        header, unknown = match_wide_header(form, row, above, wide_keys)
        score = len(header.columns) if header.groups else 0
        if score > best[0]:
            best = (score, header, unknown)
        long_score = max(long_score, count_matches(row, keys))
        if row.number >= SEARCH_ROWS:
            break
    score, found, unknown = best
    if found is None or score <= long_score:
        return locate_header(form, sheet, chain(buffer, rows), context)
    header = found
    context.start_form(form.name)
    first_header_row = min(header.title_rows | {header.row})
    for row in buffer:
        if row.number < first_header_row:
            report_cells_above(form, sheet, row, context)
    for number, text in unknown:
        context.emit(make_issue("S004", value=text, expected="none", file=context.file_name, sheet=sheet,
                                row=header.row, cell=f"{column_letters(number)}{header.row}", form=form.name))
    report_missing_wide_columns(form, sheet, header, context)
    after = [row for row in buffer if row.number > header.row]
    return header, chain(after, rows)


def match_wide_header(form: Form, row: Row, above: Row | None,
                      wide_keys: WideKeys) -> tuple[WideHeaderMap, list[tuple[int, str]]]:
    carried = carry_group_labels(above, wide_keys, max(row.cells, default=0) + 1) if above is not None else {}
    shared: dict[str, int] = {}
    groups: dict[tuple[int, int], GroupColumns] = {}
    ignored: set[int] = set()
    rejected: set[int] = set()
    unknown: list[tuple[int, str]] = []
    for number in sorted(row.cells):
        text = display_raw(row.cells[number])
        name = wide_keys.keys.column_for(text)
        if name is not None and name in wide_keys.shared:
            (rejected.add(number) if name in shared else shared.__setitem__(name, number))
            continue
        found = None
        named_at = (row.number, number)
        if number in carried and (column := wide_keys.column(normalize_name(text)) or wide_keys.column(
                normalize_name_loosely(text))):
            found = (carried[number][0], column)
            named_at = (above.number if above else row.number, carried[number][1])
        elif (split := wide_keys.split(text)) is not None:
            found = split
        if found is None:
            (ignored.add(number) if wide_keys.keys.is_ignored(text) else unknown.append((number, text)))
            continue
        key, column_name = found
        group = groups.setdefault(key, new_group(form, key, named_at))
        if column_name in group.positions:
            rejected.add(number)
            continue
        group.positions[column_name] = number
    columns = {number: name for name, number in shared.items()}
    for group in groups.values():
        columns.update({number: name for name, number in group.positions.items()})
    header = WideHeaderMap(row.number, columns, frozenset(ignored), frozenset(rejected),
                           title_rows=frozenset({above.number}) if carried and above is not None else frozenset(),
                           shared=shared, groups=sorted(groups.values(), key=lambda group: group.order))
    return header, unknown


def carry_group_labels(above: Row, wide_keys: WideKeys, limit: int) -> dict[int, tuple[tuple[int, int], int]]:
    """Sheet column → (group, column of its label) for a group row: a label covers its column and those to its
    right up to the next label (merged cells keep their text in the first cell only); the last one up to `limit`,
    the column after the header row's last (the label's own column at least)."""
    labels = [(number, wide_keys.group_of_label(display_raw(value))) for number, value in sorted(above.cells.items())]
    found = [(number, group) for number, group in labels if group is not None]
    carried: dict[int, tuple[tuple[int, int], int]] = {}
    for index, (number, group) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else max(number + 1, limit)
        for column in range(number, end):
            carried[column] = (group, number)
    return carried


def new_group(form: Form, key: tuple[int, int], named_at: tuple[int, int]) -> GroupColumns:
    wide = form.wide
    assert wide is not None
    index, number = key
    if index >= 0:
        declared = wide.groups[index]
        return GroupColumns(declared.labels[0], (index, 0), dict(declared.values), named_at=named_at)
    given = {wide.number_column: str(number)} if wide.number_column else {}
    return GroupColumns((wide.numbered or "{n}").replace("{n}", str(number)), (len(wide.groups), number), given,
                        named_at=named_at)


def report_missing_wide_columns(form: Form, sheet: str, header: WideHeaderMap, context: ValidationContext) -> None:
    present = set(header.shared) | {name for group in header.groups for name in (*group.positions, *group.given)}
    for column in form.columns:
        if (column.required or column.name == form.identity.subject) and column.name not in present:
            context.emit(make_issue("S003", file=context.file_name, sheet=sheet, row=header.row, form=form.name,
                                    column=column.name, detail="none"))


def validate_form_sheet(form: Form, sheet: str, rows: Iterator[Row], header: HeaderMap,
                        context: ValidationContext) -> Iterator[FormRow]:
    """The form's rows from a long sheet, or one per filled group of each row of a wide one."""
    if not isinstance(header, WideHeaderMap):
        yield from validate_sheet(form, sheet, rows, header, context)
        return
    readers = [GroupReader(form, sheet, header, group, context) for group in header.groups]
    for row in rows:
        issues = RowIssues(context.emit, context.file_name, sheet, form.name, row.number, positions=row)
        for number in sorted(row.cells):
            if not header.is_accounted(number):
                issues.add("S301", column=None, at=number, raw=row.cells[number])
        for reader in readers:
            form_row = reader.read(row)
            if form_row is not None:
                yield form_row


class GroupReader:
    """Validates one group of every row with a SheetValidator that sees the group as a long row."""

    def __init__(self, form: Form, sheet: str, header: WideHeaderMap, group: GroupColumns,
                 context: ValidationContext) -> None:
        self.group = group
        self.sheet = sheet
        self.context = context
        self.given: dict[int, RawValue] = {}
        columns = {number: name for name, number in header.shared.items()}
        columns.update({number: name for name, number in group.positions.items()})
        for offset, (name, text) in enumerate(group.given.items()):
            column = form.column(name)
            if column is not None and name not in group.positions:
                columns[VIRTUAL_COLUMNS + offset] = name
                self.given[VIRTUAL_COLUMNS + offset] = given_raw(column, text, context.parsing.native_types)
        self.own = set(group.positions.values())
        self.shared = set(header.shared.values())
        self.validator = SheetValidator(form, sheet, HeaderMap(header.row, columns), context)

    def read(self, row: Row) -> FormRow | None:
        if not any(number in row.cells and not is_blank(row.cells[number]) for number in self.own):
            return None
        cells = {number: value for number, value in row.cells.items() if number in self.own or number in self.shared}
        form_row = self.validator.validate_row(Row(row.number, {**cells, **self.given}, row.items, row.line,
                                                   row.lines))
        if form_row is None:
            return None
        named_row, named_column = self.group.named_at
        for number in self.given:
            name = self.validator.header.columns[number]
            if name in form_row.cells:
                form_row.cells[name] = SourceCell(self.context.file_name, self.sheet, named_row, named_column)
        return form_row


def given_raw(column: Column, text: str, native: bool) -> RawValue:
    """A group's given value as the cell a long sheet would hold, so that it is read without "typed as text"
    warnings in a workbook that keeps types."""
    if not native:
        return text
    try:
        if column.type == "integer":
            return int(text)
        if column.type == "decimal":
            return float(text)
        if column.type == "boolean":
            return text.strip().lower() in ("y", "yes", "true", "1")
        if column.type in ("date", "datetime"):
            value: Any = parse_date_text(text)
            if value.is_complete_date:
                return date(value.year, value.month, value.day)
    except (ValueError, ValueProblem):
        return text
    return text
