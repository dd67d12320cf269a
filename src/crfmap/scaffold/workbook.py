"""A draft mapping from a site's own workbook (xlsx or csv): one form per sheet, its header row found, each
column typed by the values under it, code lists proposed from a column's few distinct values, and numbered
column groups (AE1_term, AE2_term …) proposed as a wide layout."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from crfmap.scaffold.draft import DraftColumn, DraftForm, DraftStudy, identifier, unique
from crfmap.sources import Row, Workbook
from crfmap.sources.text import normalize_name, normalize_text, strip_text
from crfmap.values.booleans import parse_boolean_text
from crfmap.values.dates import parse_date_text, parse_time_text
from crfmap.values.numbers import parse_number_text
from crfmap.values.problems import ValueProblem

SEARCH_ROWS = 30
MAX_DISTINCT = 12  # more distinct texts than this is free text, not a code list
SUBJECT_WORDS = ("subject", "patient", "participant", "record", "пациент", "субъект", "id", "№")
NUMBERED = re.compile(r"^(?P<prefix>[A-Za-zА-Яа-я]+)[ _-]?(?P<number>\d+)[ _.-]+(?P<field>.+)$")


@dataclass
class ColumnValues:
    header: str
    number: int
    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    distinct: Counter[str] = field(default_factory=Counter)


def draft_from_workbook(workbook: Workbook, source: str, study_id: str) -> DraftStudy:
    study = DraftStudy(id=study_id, title=f"{study_id} (site workbook, draft)", source=source)
    names: set[str] = set()
    for info in workbook.sheets():
        form = draft_sheet(workbook, info.name, study, names)
        if form is not None:
            study.forms.append(form)
            names.add(form.name)
    if not study.forms:
        study.notes.append("No sheet had a header row with at least two column titles.")
    return study


def draft_sheet(workbook: Workbook, sheet: str, study: DraftStudy, names: set[str]) -> DraftForm | None:
    rows = workbook.iter_rows(sheet)
    header = find_header(rows)
    if header is None:
        return None
    values = {number: ColumnValues(strip_text(str(text)), number) for number, text in sorted(header.cells.items())}
    subjects: Counter[str] = Counter()
    subject_number = pick_subject(values)
    for row in rows:
        for number, raw in row.cells.items():
            column = values.get(number)
            if column is not None:
                observe(column, raw, workbook.typed_cells)
        subjects[str(row.cells.get(subject_number, ""))] += 1
    columns = []
    taken: set[str] = set()
    for number, column in values.items():
        drafted = infer_column(column, study, coded=number != subject_number)
        drafted.name = unique(drafted.name, taken)
        taken.add(drafted.name)
        columns.append(drafted)
    subject = columns[list(values).index(subject_number)]
    subject.required, subject.ignore = True, False
    subject.notes.insert(0, "guessed to be the subject id")
    repeating = any(count > 1 for key, count in subjects.items() if key)
    form = DraftForm(name=unique(identifier(sheet.lower(), "form"), names), label=sheet, sheets=[sheet],
                     subject=subject.name, columns=columns, repeating=repeating)
    form.notes.append(f"Header found in row {header.number} of sheet {sheet!r}.")
    propose_wide(form, values)
    return form


def find_header(rows: Any) -> Row | None:
    """The first row among the first 30 with at least two cells, most of them text."""
    for row in rows:
        if row.number > SEARCH_ROWS:
            return None
        texts = [value for value in row.cells.values() if isinstance(value, str) and not looks_numeric(value)]
        if len(row.cells) >= 2 and len(texts) * 2 > len(row.cells):
            return row
    return None


def looks_numeric(text: str) -> bool:
    try:
        parse_number_text(text, integer=False, percent_unit=False)
    except ValueProblem:
        return False
    return True


def pick_subject(values: dict[int, ColumnValues]) -> int:
    for number, column in values.items():
        words = normalize_name(column.header)
        if any(normalize_name(word) and normalize_name(word) in words for word in SUBJECT_WORDS):
            return number
    return next(iter(values))


def observe(column: ColumnValues, raw: Any, typed: bool) -> None:
    column.count += 1
    column.kinds[kind_of(raw, typed)] += 1
    if len(column.distinct) <= MAX_DISTINCT * 4:
        column.distinct[strip_text(str(raw))] += 1


def kind_of(raw: Any, typed: bool = False) -> str:
    """The column type a value suggests. In a workbook that keeps types (xlsx), a number or date typed as text
    stays text: '01' is a code, not the number 1."""
    if isinstance(raw, str) and typed:
        kind = kind_of_text(strip_text(raw))
        return kind if kind == "boolean" else "string"
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, datetime):
        return "datetime" if raw.time() != time(0) else "date"
    if isinstance(raw, date):
        return "date"
    if isinstance(raw, time):
        return "time"
    if isinstance(raw, int):
        return "integer"
    if isinstance(raw, float):
        return "integer" if raw.is_integer() else "decimal"
    return kind_of_text(strip_text(str(raw)))


def kind_of_text(text: str) -> str:
    for kind, parse in (("integer", lambda: parse_number_text(text, integer=True, percent_unit=False)),
                        ("decimal", lambda: parse_number_text(text, integer=False, percent_unit=False)),
                        ("boolean", lambda: parse_boolean_text(text)), ("time", lambda: parse_time_text(text))):
        try:
            parse()
        except ValueProblem:
            continue
        return kind
    try:
        value = parse_date_text(text)
    except ValueProblem:
        return "string"
    return "date" if value.is_complete_date and value.hour is None else (
        "datetime" if value.hour is not None else "partial_date")


def infer_column(column: ColumnValues, study: DraftStudy, coded: bool = True) -> DraftColumn:
    drafted = DraftColumn(identifier(column.header.lower() or f"column_{column.number}", "column"),
                          column.header or f"Column {column.number}")
    kinds = set(column.kinds)
    if not kinds:
        drafted.notes = ["no values under this header: typed as text"]
        return drafted
    if kinds <= {"integer", "boolean"} and set(column.distinct) <= {"0", "1"}:
        kinds = {"boolean"}  # a 0/1 column is a yes/no
    chosen = choose_type(kinds)
    distinct = list({normalize_text(text): text for text, _count in column.distinct.most_common()}.values())
    if coded and chosen == "string" and 1 < len(distinct) <= MAX_DISTINCT and column.count > len(distinct):
        drafted.type = "coded"
        values = [(text, text) for text in sorted(distinct)]
        drafted.codelist = study.add_codelist(drafted.name, column.header, values,
                                              f"Proposed from the distinct values of column {column.header!r}: "
                                              "give each its standard code")
        drafted.notes = [f"{len(distinct)} distinct values: proposed as a code list"]
        return drafted
    drafted.type = chosen
    shown = ", ".join(f"{kind} {count}" for kind, count in column.kinds.most_common())
    drafted.notes = [f"typed from {column.count} value(s): {shown}"]
    return drafted


def choose_type(kinds: set[str]) -> str:
    if kinds == {"integer"}:
        return "integer"
    if kinds <= {"integer", "decimal"}:
        return "decimal"
    if kinds == {"boolean"}:
        return "boolean"
    if kinds <= {"date"}:
        return "date"
    if kinds <= {"date", "datetime"}:
        return "datetime"
    if kinds <= {"date", "partial_date"}:
        return "partial_date"
    if kinds == {"time"}:
        return "time"
    return "string"


def propose_wide(form: DraftForm, values: dict[int, ColumnValues]) -> None:
    """Headers like AE1_term, AE2_term, AE1_grade: one form row per numbered group, its columns the fields."""
    groups: dict[str, dict[int, list[str]]] = {}
    for observed in values.values():
        found = NUMBERED.match(observed.header)
        if found:
            groups.setdefault(found["prefix"], {}).setdefault(int(found["number"]), []).append(found["field"])
    prefix = next((name for name, numbers in groups.items() if len(numbers) >= 2), None)
    if prefix is None:
        return
    fields = groups[prefix][min(groups[prefix])]
    grouped: list[tuple[DraftColumn, re.Match[str]]] = []
    shared: list[DraftColumn] = []
    for column in form.columns:
        match = NUMBERED.match(column.label)
        if match is not None and match["prefix"] == prefix:
            grouped.append((column, match))
        else:
            shared.append(column)
    kept: dict[str, DraftColumn] = {}
    for column, match in grouped:
        field_name = identifier(match["field"].lower(), "column")
        if field_name not in kept:
            column.name, column.label = field_name, match["field"]
            kept[field_name] = column
    number_column = DraftColumn(identifier(f"{prefix.lower()}_number"), f"{prefix} number", "integer",
                                notes=["the group's number (AE1 → 1)"])
    form.columns = shared + list(kept.values()) + [number_column]
    form.repeating = True
    form.keys = [number_column.name]
    form.wide = {"shared": [column.name for column in shared], "numbered": f"{prefix}{{n}}",
                 "number_column": number_column.name}
    form.notes.append(f"Columns {prefix}1_… to {prefix}{max(groups[prefix])}_… look like numbered groups of "
                      f"{', '.join(fields)}: proposed as a wide layout, one row per group.")
