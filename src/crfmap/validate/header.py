"""locate_header: find the form's header row and map sheet columns to form columns.

Headers match by a column's name, label and `headers`, tolerant of case, spacing, punctuation, line breaks,
ё/е and bracketed notes ("Дата рождения (дд.мм.гггг)*"); order does not matter. Without a fixed
`header_row`, the row among the first SEARCH_ROWS that names the most form columns is the header.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain

from crfmap.issues import Issue, make_issue
from crfmap.sources import Row, column_letters
from crfmap.sources.text import normalize_name, normalize_name_loosely
from crfmap.study.models import Column, Form
from crfmap.validate.context import ValidationContext
from crfmap.values.cells import display_raw

SEARCH_ROWS = 30


@dataclass
class HeaderMap:
    """Where a form's columns are in a sheet."""

    row: int  # the header's row number
    columns: dict[int, str]  # sheet column number → form column name
    ignored: frozenset[int] = frozenset()  # under a header the form ignores on purpose
    rejected: frozenset[int] = frozenset()  # a second header for one column (reported once, as S005)
    positions: dict[str, int] = field(default_factory=dict)  # form column name → sheet column number
    titles: dict[int, str] = field(default_factory=dict)  # sheet column number → header text as the site wrote it
    title_rows: frozenset[int] = frozenset()  # rows above `row` that belong to the header (a wide sheet's groups)

    def __post_init__(self) -> None:
        self.positions = {name: number for number, name in self.columns.items()}

    def is_accounted(self, column: int) -> bool:
        """Whether cells in this sheet column are read, ignored on purpose, or already reported."""
        return column in self.columns or column in self.ignored or column in self.rejected


@dataclass(frozen=True)
class HeaderKeys:
    """The matching forms of a form's column spellings and of its ignored headers."""

    strict: dict[str, str]  # normalised spelling → column name
    loose: dict[str, str]
    spellings: dict[str, str]  # normalised spelling → the column's label, for "closest" suggestions
    ignored: frozenset[str]

    def column_for(self, text: str) -> str | None:
        return self.strict.get(normalize_name(text)) or self.loose.get(normalize_name_loosely(text))

    def is_ignored(self, text: str) -> bool:
        return normalize_name(text) in self.ignored or normalize_name_loosely(text) in self.ignored


def build_header_keys(form: Form) -> HeaderKeys:
    strict: dict[str, str] = {}
    loose: dict[str, str] = {}
    spellings: dict[str, str] = {}
    for column in form.columns:
        for spelling in (column.name, column.label, *column.headers):
            strict.setdefault(normalize_name(spelling), column.name)
            loose.setdefault(normalize_name_loosely(spelling), column.name)
            spellings.setdefault(normalize_name(spelling), column.label)
    ignored = {normalize_name(text) for text in form.ignore_columns}
    ignored |= {normalize_name_loosely(text) for text in form.ignore_columns}
    strict.pop("", None)
    loose.pop("", None)
    return HeaderKeys(strict, loose, spellings, frozenset(ignored - {""}))


def locate_header(form: Form, sheet: str, rows: Iterator[Row], context: ValidationContext,
                  siblings: tuple[Form, ...] = (), report_above: bool = True) -> tuple[HeaderMap | None, Iterator[Row]]:
    """The header map and the rows after the header (rows read ahead while searching come first).

    Issues: S002 no header (the sheet is then not read), S003 required column missing, S004 unknown
    header, S005 two headers for one column, S301 for cells above the header (when `report_above`: one of the
    forms sharing a sheet reports them). A header of a `siblings` form (sharing the sheet) is not unknown.
    """
    keys = build_header_keys(form)
    above, header, after = read_until_header(form, keys, rows)
    if header is None:
        limit = form.header_row or SEARCH_ROWS
        context.emit(make_issue("S002", file=context.file_name, sheet=sheet, form=form.name,
                                detail=limit if form.header_row is None else f"{limit} (header_row)"))
        return None, iter(())
    context.start_form(form.name)  # only now do its subjects count: no S203 cascade after S001/S002
    if report_above:
        for row in above:
            report_cells_above(form, sheet, row, context)
    sibling_keys = [build_header_keys(other) for other in siblings]
    return map_header(form, sheet, header, keys, context, sibling_keys), chain(after, rows)


def read_until_header(form: Form, keys: HeaderKeys,
                      rows: Iterator[Row]) -> tuple[list[Row], Row | None, list[Row]]:
    """Rows above the header, the header row, and rows after it that were read while searching."""
    buffer: list[Row] = []
    if form.header_row is not None:
        for row in rows:
            if row.number == form.header_row:
                return buffer, row, []
            if row.number > form.header_row:
                return buffer, None, []
            buffer.append(row)
        return buffer, None, []
    best_index, best_score = -1, 0
    for row in rows:
        buffer.append(row)
        score = count_matches(row, keys)
        if score > best_score:
            best_index, best_score = len(buffer) - 1, score
        if score == len(form.columns) or row.number >= SEARCH_ROWS:
            break
    if best_index < 0:
        return buffer, None, []
    return buffer[:best_index], buffer[best_index], buffer[best_index + 1:]


def count_matches(row: Row, keys: HeaderKeys) -> int:
    names = {keys.column_for(display_raw(value)) for value in row.cells.values()}
    names.discard(None)
    return len(names)


def map_header(form: Form, sheet: str, header: Row, keys: HeaderKeys, context: ValidationContext | None,
               sibling_keys: list[HeaderKeys] | None = None) -> HeaderMap:
    """The form's columns in the header row; issues go to `context` (None: only the map, no issues)."""
    def emit(issue: Issue) -> None:
        if context is not None:
            context.emit(issue)

    file_name = context.file_name if context is not None else ""
    columns: dict[int, str] = {}
    ignored: set[int] = set()
    rejected: set[int] = set()
    unknown: dict[int, str] = {}
    texts = {number: display_raw(value) for number, value in header.cells.items()}
    for number in sorted(header.cells):
        text = texts[number]
        name = keys.column_for(text)
        cell = f"{column_letters(number)}{header.number}"
        if name is not None and name in columns.values():
            rejected.add(number)
            emit(make_issue("S005", value=text, column=name, file=file_name, sheet=sheet,
                            row=header.number, cell=cell, form=form.name))
        elif name is not None:
            columns[number] = name
        elif keys.is_ignored(text):
            ignored.add(number)
        elif any(other.column_for(text) is not None or other.is_ignored(text) for other in sibling_keys or ()):
            continue  # another form on this sheet reads it: not unknown, yet not this form's (S301 in its rows)
        else:
            unknown[number] = text
            closest = closest_text(normalize_name(text), keys.spellings)
            emit(make_issue("S004", value=text, expected=closest or "none", file=file_name,
                            sheet=sheet, row=header.number, cell=cell, form=form.name))
    if context is not None:
        report_missing_columns(form, sheet, header.number, columns, unknown, context)
    return HeaderMap(header.number, columns, frozenset(ignored), frozenset(rejected), titles=texts)


def map_sibling_header(form: Form, header: HeaderMap) -> HeaderMap:
    """Where another form sharing the sheet has its columns, from the header row already read (no issues)."""
    row = Row(header.row, dict(header.titles))
    return map_header(form, "", row, build_header_keys(form), None)


def report_missing_columns(form: Form, sheet: str, row: int, columns: dict[int, str], unknown: dict[int, str],
                           context: ValidationContext) -> None:
    present = set(columns.values())
    candidates = {normalize_name(text): text for text in unknown.values()}
    for column in form.columns:
        needed = column.required or column.name == form.identity.subject
        if not needed or column.name in present:
            continue
        closest = closest_header(column, candidates)
        context.emit(make_issue("S003", file=context.file_name, sheet=sheet, row=row, form=form.name,
                                column=column.name, detail=repr(closest) if closest else "none"))


def closest_header(column: Column, candidates: dict[str, str]) -> str | None:
    """The unknown header most like any spelling of the column."""
    best, best_ratio = None, 0.0
    for spelling in (column.label, *column.headers, column.name):
        for key, text in candidates.items():
            ratio = difflib.SequenceMatcher(None, normalize_name(spelling), key).ratio()
            if ratio > best_ratio:
                best, best_ratio = text, ratio
    return best if best_ratio >= 0.5 else None


def closest_text(key: str, spellings: dict[str, str]) -> str | None:
    found = difflib.get_close_matches(key, spellings, n=1, cutoff=0.5)
    return spellings[found[0]] if found else None


def report_cells_above(form: Form, sheet: str, row: Row, context: ValidationContext) -> None:
    for number in sorted(row.cells):
        context.emit(make_issue("S301", file=context.file_name, sheet=sheet, row=row.number,
                                cell=f"{column_letters(number)}{row.number}", form=form.name,
                                value=display_raw(row.cells[number])))
