"""parse_cell: the one entry point that turns a raw cell into the typed value its column declares.

Raw cells come from the readers: csv gives text only; xlsx gives native numbers, booleans, dates and times
too (`ParseContext.native_types`), which is when "typed as text" warnings (S112, S113) make sense.
Decision: "UNK" (or "UN", "неизв.") alone in a date column means the site says the date is unknown: the
value is empty (`unknown=True`), so a required date column reports S101 with a hint, an optional one
nothing; the raw text stays in the FormRow, so it is not lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from crfmap.model import PartialDate
from crfmap.sources import EXCEL_ERROR, FlawedText
from crfmap.sources.text import strip_text
from crfmap.study.models import Column
from crfmap.values.booleans import parse_boolean_text, read_boolean_number
from crfmap.values.coded import CodelistIndex
from crfmap.values.dates import (
    EXPECTED_DATE,
    EXPECTED_TIME,
    is_unknown_date,
    parse_date_text,
    parse_time_text,
    read_date_number,
    read_date_object,
    read_time_number,
)
from crfmap.values.numbers import parse_number_text, read_native_number
from crfmap.values.problems import Problem, ValueProblem, fail

MULTIPLE_SEPARATOR = "|"  # between the values of a multi-valued cell ('1 | 5')
DATE_TYPES = frozenset({"date", "datetime", "partial_date"})
FULL_DATE_TYPES = frozenset({"date", "datetime"})
EXCEL_FIRST_YEAR = 1900


@dataclass(frozen=True, slots=True)
class ParsedCell:
    """The typed value (None when empty or unreadable) and what was wrong with the cell."""

    value: Any
    problems: tuple[Problem, ...] = ()
    unknown: bool = False  # the site wrote that the value is unknown ("UNK")


@dataclass(frozen=True, slots=True)
class ParseContext:
    codelists: dict[str, CodelistIndex]
    native_types: bool = False  # xlsx: cells carry their own types
    date1904: bool = False  # the workbook counts date serials from 1904 (Excel for Mac's old default)


EMPTY = ParsedCell(None)


def parse_cell(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    """The cell's typed value by the column's type; problems instead of exceptions."""
    if raw is None or (isinstance(raw, str) and not strip_text(raw)):
        return EMPTY
    if isinstance(raw, str):
        flaw = text_flaw(raw)
        if flaw is not None:
            return ParsedCell(None, (flaw,))
    try:
        parsed = PARSERS[column.type](raw, column, context)
    except ValueProblem as problem:
        return ParsedCell(None, (problem.problem,))
    if isinstance(raw, str) and INNER_BREAKS.search(strip_text(raw)):
        return ParsedCell(parsed.value, (*parsed.problems, Problem("S152", detail=describe_breaks(raw))),
                          parsed.unknown)
    return parsed


# C0 controls but tab, line feed and carriage return (which sites type: Alt+Enter), DEL and C1 controls.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
INNER_BREAKS = re.compile("[\t\n\r]")
BREAK_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}


def text_flaw(raw: str) -> Problem | None:
    """Why a text cannot be a value at all: an Excel error, undecodable bytes, control characters."""
    if isinstance(raw, FlawedText):
        if raw.flaw == EXCEL_ERROR:
            return Problem("S150")
        return Problem("R018", detail=raw.detail or "text in the file's encoding")
    found = CONTROL_CHARACTERS.search(raw)
    if found is not None:
        return Problem("S151", detail=f"U+{ord(found[0]):04X}")
    return None


def describe_breaks(raw: str) -> str:
    found = sorted(set(INNER_BREAKS.findall(strip_text(raw))))
    return " and ".join(BREAK_NAMES[character] for character in found)


def parse_string(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    return ParsedCell(display_raw(raw))


def parse_number(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    integer = column.type == "integer"
    if isinstance(raw, str):
        number = parse_number_text(raw, integer=integer, percent_unit=column.unit == "%")
        return ParsedCell(number, typed_as_text("S112", str(number), context))
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise fail("S102", "whole number" if integer else "number")
    return ParsedCell(read_native_number(raw, integer=integer))


def parse_date(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    warnings: tuple[Problem, ...] = ()
    if isinstance(raw, str):
        if is_unknown_date(raw):
            return ParsedCell(None, unknown=True)
        value = parse_date_text(raw, column.date_format)
        if value.is_complete_date and value.year >= EXCEL_FIRST_YEAR:  # Excel has no dates before 1900
            warnings = typed_as_text("S113", value.iso(), context)
    elif isinstance(raw, datetime) and column.type != "datetime" and raw.time() == time(0):
        value = read_date_object(raw.date())  # a date cell shown with a time format: midnight is no time
    elif isinstance(raw, (date, datetime)):
        value = read_date_object(raw)
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = read_date_number(raw, context.date1904)
    else:
        raise fail("S103", EXPECTED_DATE)
    if column.type in FULL_DATE_TYPES and not value.is_complete_date:
        raise fail("S111", value.iso())
    return ParsedCell(value, warnings)


def parse_time(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    if isinstance(raw, time):
        return ParsedCell(raw)
    if isinstance(raw, str):
        return ParsedCell(parse_time_text(raw))
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ParsedCell(read_time_number(raw))
    raise fail("S103", EXPECTED_TIME)


def parse_boolean(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    if isinstance(raw, bool):
        return ParsedCell(raw)
    if isinstance(raw, (int, float)):
        return ParsedCell(read_boolean_number(raw))
    if isinstance(raw, str):
        return ParsedCell(parse_boolean_text(raw))
    raise fail("S109", "yes/no (да/нет, Y/N, 1/0)")


def parse_coded(raw: Any, column: Column, context: ParseContext) -> ParsedCell:
    index = context.codelists.get(column.codelist or "")
    if index is None:  # the study linter reports unknown code lists; here the cell cannot be read
        raise fail("S104", column.codelist or "(none)")
    if column.multiple:  # several values in one cell (a REDCap checkbox): each must be in the code list
        parts = [part for part in (strip_text(text) for text in display_raw(raw).split(MULTIPLE_SEPARATOR)) if part]
        return ParsedCell(tuple(index.match(part) for part in parts) or None)
    return ParsedCell(index.match(display_raw(raw)))


def typed_as_text(code: str, read_as: str, context: ParseContext) -> tuple[Problem, ...]:
    return (Problem(code, read_as),) if context.native_types else ()


def display_raw(raw: Any) -> str:
    """A raw cell as the user sees it in the spreadsheet (also the text a string column stores)."""
    if isinstance(raw, str):
        return strip_text(raw)
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return format(raw, ".15g") if not raw.is_integer() else str(int(raw))
    if isinstance(raw, datetime):
        return PartialDate.from_date(raw).iso() if raw.time() != time(0) else raw.date().isoformat()
    if isinstance(raw, (date, time)):
        return raw.isoformat()
    return str(raw)


PARSERS: dict[str, Callable[[Any, Column, ParseContext], ParsedCell]] = {
    "string": parse_string,
    "integer": parse_number,
    "decimal": parse_number,
    "date": parse_date,
    "datetime": parse_date,
    "partial_date": parse_date,
    "time": parse_time,
    "boolean": parse_boolean,
    "coded": parse_coded,
}
