"""Make a Dataset ready for submission files: transliterate where asked, check the SAS XPORT v5 limits, set lengths.

Every file writer (XPT, Dataset-JSON, Define-XML, CSV) should see the same prepared Dataset, so that the
lengths in define.xml and Dataset-JSON are the lengths in the .xpt and the values are the same values.
`prepare_dataset` never changes its input; it returns a new Dataset and the issues it found. Nothing is
truncated or dropped: a value that does not fit is an error, and the caller decides not to write.

Limits (SAS XPORT v5, as FDA/PMDA require): dataset and variable names 1–8 characters [A-Z_][A-Z0-9_]*,
labels up to 40 characters, character values up to 200 bytes, ASCII only, numbers inside the IBM double
range. A character variable's length is its longest value, at least 1.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.stored_rows import StoredRows, columns_of_rows
from crfmap.writers.sdtm.ibm_float import is_representable
from crfmap.writers.sdtm.transliteration import transliterate_text

NUMERIC_TYPES = frozenset({"integer", "float"})
NAME_PATTERN = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")
LABEL_LIMIT = 40
TEXT_LIMIT = 200
VARIABLE_LIMIT = 9999  # the NAMESTR header holds the count in four digits
_IBM_LARGEST = 16.0 ** 63
_IBM_SMALLEST = 16.0 ** -65

Transliterate = bool | Collection[str]  # True: every text variable; a collection: those variable names


def is_numeric(variable: Variable) -> bool:
    """Numeric in XPT and Dataset-JSON: integer and float; every date type is ISO 8601 text."""
    return variable.data_type in NUMERIC_TYPES


def prepare_dataset(dataset: Dataset, transliterate: Transliterate = False) -> tuple[Dataset, list[Issue]]:
    """A copy of `dataset` with transliterated values (where asked) and text lengths set, plus its issues."""
    rows = _transliterate_rows(dataset, transliterate)
    prepared = dataclasses.replace(dataset, rows=rows)
    issues = list(check_metadata(prepared))
    if isinstance(rows, StoredRows):  # on disk: checked and measured a block at a time
        lengths = _check_and_measure_blocks(prepared, rows, issues)
    else:
        columns = columns_of(prepared)  # taken once, for the checks and the lengths
        issues.extend(check_values(prepared, columns))
        lengths = measure_lengths(prepared, columns)
    prepared.variables = [
        dataclasses.replace(variable, length=lengths[variable.name]) if variable.name in lengths else variable
        for variable in prepared.variables
    ]
    return prepared, issues


def _check_and_measure_blocks(dataset: Dataset, rows: StoredRows, issues: list[Issue]) -> dict[str, int]:
    """`check_values` and `measure_lengths` of a stored dataset, a block at a time; its issues in the order of one
    pass over the whole dataset (variable by variable)."""
    by_variable: list[list[Issue]] = [[] for _ in dataset.variables]
    lengths = {variable.name: 1 for variable in dataset.variables if not is_numeric(variable)}
    for start, _, columns in rows.column_blocks([variable.name for variable in dataset.variables]):
        for position, issue in _check_columns(dataset, columns, start):
            by_variable[position].append(issue)
        for name, length in measure_lengths(dataset, columns).items():
            lengths[name] = max(lengths.get(name, 1), length)
    for found in by_variable:
        issues.extend(found)
    return lengths  # stored rows hold exactly the dataset's variables: no undeclared name to report


def measure_lengths(dataset: Dataset, columns: Mapping[str, Sequence[Any]] | None = None) -> dict[str, int]:
    """Longest value (in characters, = bytes for ASCII) of every text variable, at least 1."""
    columns = columns_of(dataset) if columns is None else columns
    lengths = {}
    for variable in dataset.variables:
        if not is_numeric(variable):
            column = columns[variable.name]
            texts = [value for value in column if isinstance(value, str)]
            lengths[variable.name] = max(max(map(len, texts), default=1), 1)
    return lengths


def check_metadata(dataset: Dataset) -> Iterator[Issue]:
    """Names, labels and variable count against the XPT v5 limits."""
    if not NAME_PATTERN.fullmatch(dataset.name):
        yield _limit(dataset, f"dataset name {dataset.name!r} must be 1–8 characters A–Z, 0–9, _ (upper case, "
                              "not starting with a digit)")
    yield from _check_label(dataset, dataset.label, f"dataset {dataset.name} label")
    if len(dataset.variables) > VARIABLE_LIMIT:
        yield _limit(dataset, f"dataset {dataset.name} has {len(dataset.variables)} variables; at most "
                              f"{VARIABLE_LIMIT} fit")
    seen: set[str] = set()
    for variable in dataset.variables:
        if not NAME_PATTERN.fullmatch(variable.name):
            yield _limit(dataset, f"variable name {variable.name!r} in {dataset.name} must be 1–8 characters "
                                  "A–Z, 0–9, _ (upper case, not starting with a digit)")
        if variable.name in seen:
            yield _limit(dataset, f"variable {variable.name} appears twice in {dataset.name}")
        seen.add(variable.name)
        yield from _check_label(dataset, variable.label, f"variable {dataset.name}.{variable.name} label")


def check_values(dataset: Dataset, columns: Mapping[str, Sequence[Any]] | None = None) -> Iterator[Issue]:
    """Every value against its variable's type and the XPT limits, naming dataset, variable, row and cell.

    A column is first checked as a whole with C-speed builtins; only a column that fails is walked row by row
    to say where.
    """
    columns = columns_of(dataset) if columns is None else columns
    for _, issue in _check_columns(dataset, columns):
        yield issue
    yield from _check_names(dataset, dataset.rows)


def _check_columns(dataset: Dataset, columns: Mapping[str, Sequence[Any]],
                   start: int = 0) -> Iterator[tuple[int, Issue]]:
    """(the variable's position, issue) of each value in `columns` (rows from `start`) that does not fit."""
    for position, variable in enumerate(dataset.variables):
        column = columns[variable.name]
        numeric = is_numeric(variable)
        if _is_clean_numbers(variable, column) if numeric else _is_clean_text(column):
            continue
        check = _check_number if numeric else _check_text
        for index, value in enumerate(column, start):
            if value is not None and (issue := check(dataset, variable, index, value)) is not None:
                yield position, issue


def _check_names(dataset: Dataset, rows: Iterable[Mapping[str, Any]], start: int = 0) -> Iterator[Issue]:
    """A value under a name that is not one of the dataset's variables (rows from `start`)."""
    names = {variable.name for variable in dataset.variables}
    for index, row in enumerate(rows, start):
        if row.keys() <= names:
            continue
        for name in sorted(row.keys() - names):
            yield make_issue("W030", value=row[name], expected="a declared variable",
                             detail=f"{_where(dataset, name, index)}: {name} is not a variable of {dataset.name}",
                             **locate_row(dataset, index, name))


def columns_of(dataset: Dataset, rows: Sequence[dict[str, Any]] | None = None) -> dict[str, Sequence[Any]]:
    """Every variable's values in row order (of `rows`: some of the dataset's; all by default)."""
    return columns_of_rows(dataset.rows if rows is None else rows, [variable.name for variable in dataset.variables])


def _is_clean_text(column: Sequence[Any]) -> bool:
    strings = [value for value in column if value is not None]
    return (set(map(type, strings)) <= {str} and "".join(strings).isascii()
            and max(map(len, strings), default=0) <= TEXT_LIMIT)


def _is_clean_numbers(variable: Variable, column: Sequence[Any]) -> bool:
    numbers = [value for value in column if value is not None]
    kinds = set(map(type, numbers))
    if not kinds <= {int, float} or not all(map(math.isfinite, numbers)):
        return False
    if variable.data_type == "integer" and float in kinds and not all(
            value.is_integer() for value in numbers if isinstance(value, float)):
        return False
    magnitudes = list(filter(None, map(abs, numbers)))
    return not magnitudes or (max(magnitudes) < _IBM_LARGEST and min(magnitudes) >= _IBM_SMALLEST)


def locate_row(dataset: Dataset, index: int, variable: str | None = None) -> dict:
    """make_issue keywords pointing at the input cells of row `index` (0-based), where they are known: the
    variable's own cells when the builder recorded them, else the row's.

    One cell: that cell. Several: the first as the place, all of them as `related`.
    """
    cells = dataset.cells_at(index, variable)
    if not cells:
        return {}
    related = tuple(f"{cell.sheet}!{cell.a1}" for cell in cells) if len(cells) > 1 else ()
    return {"at": cells[0], "related": related}


def _where(dataset: Dataset, name: str, index: int) -> str:
    return f"dataset {dataset.name}, variable {name}, row {index + 1}"


def _check_number(dataset: Dataset, variable: Variable, index: int, value: object) -> Issue | None:
    where = _where(dataset, variable.name, index)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return make_issue("W030", value=value, expected=f"a number ({variable.data_type})", detail=where,
                          **locate_row(dataset, index, variable.name))
    if isinstance(value, float) and math.isnan(value):
        return None  # NaN is written as missing, like None
    if variable.data_type == "integer" and isinstance(value, float) and not value.is_integer():
        return make_issue("W030", value=value, expected="an integer", detail=where,
                          **locate_row(dataset, index, variable.name))
    if not is_representable(float(value)):
        return make_issue("W003", value=value, detail=f"{where}: {value!r} is outside the range of SAS numbers "
                                                      "(about ±7.2E75, finite)",
                          **locate_row(dataset, index, variable.name))
    return None


def _check_text(dataset: Dataset, variable: Variable, index: int, value: object) -> Issue | None:
    where = _where(dataset, variable.name, index)
    if not isinstance(value, str):
        return make_issue("W030", value=value, expected=f"text ({variable.data_type})", detail=where,
                          **locate_row(dataset, index, variable.name))
    if not value.isascii():
        offending = "".join(sorted({character for character in value if not character.isascii()}))
        return make_issue("W002", value=value, detail=f"{where}; characters {offending!r}",
                          **locate_row(dataset, index, variable.name))
    if len(value) > TEXT_LIMIT:
        return make_issue("W003", value=value, detail=f"{where}: {len(value)} characters, at most {TEXT_LIMIT} fit "
                                                      "in an XPT v5 character variable",
                          **locate_row(dataset, index, variable.name))
    return None


def _check_label(dataset: Dataset, label: str, what: str) -> Iterator[Issue]:
    if len(label) > LABEL_LIMIT:
        yield _limit(dataset, f"{what} {label!r} has {len(label)} characters; at most {LABEL_LIMIT} fit")
    if not label.isascii():
        yield make_issue("W002", value=label, detail=what)


def _limit(dataset: Dataset, detail: str) -> Issue:
    return make_issue("W003", detail=detail)


def _transliterate_rows(dataset: Dataset, transliterate: Transliterate) -> Sequence[dict[str, Any]]:
    if transliterate is False or not transliterate:
        return dataset.rows
    text_names = [variable.name for variable in dataset.variables if not is_numeric(variable)]
    names = text_names if transliterate is True else [name for name in text_names if name in transliterate]
    if isinstance(dataset.rows, StoredRows):  # once; the blocks changed are written again
        return dataset.rows.rewritten(lambda count, columns: _transliterate_columns(columns, names))
    columns = columns_of(dataset)
    rows: list[dict[str, Any]] | Sequence[dict[str, Any]] = dataset.rows
    copied: set[int] = set()  # rows already copied (the dataset's own rows are not changed)
    for name in names:
        column = columns[name]
        if "".join([value for value in column if isinstance(value, str)]).isascii():
            continue  # the usual column: nothing to transliterate, nothing copied
        if rows is dataset.rows:
            rows = list(rows)
        assert isinstance(rows, list)
        for index, value in enumerate(column):
            if isinstance(value, str) and not value.isascii():
                if index not in copied:
                    rows[index] = dict(rows[index])
                    copied.add(index)
                rows[index][name] = transliterate_text(value)
    return rows


def _transliterate_columns(columns: Mapping[str, list[Any]], names: list[str]) -> dict[str, list[Any]] | None:
    """`_transliterate_rows` of a block of stored rows, as columns: the changed columns (a copy), or None."""
    changed: dict[str, list[Any]] | None = None
    for name in names:
        column = columns.get(name)
        if column is None or "".join([value for value in column if isinstance(value, str)]).isascii():
            continue
        if changed is None:
            changed = dict(columns)
        changed[name] = [transliterate_text(value) if isinstance(value, str) and not value.isascii() else value
                         for value in column]
    return changed
