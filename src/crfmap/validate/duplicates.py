"""Duplicate rows (S204), subjects listed twice in a non-repeating form (S205) and the values that then
conflict (S206). Only keys are remembered for repeating forms, each as a 16-byte digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from decimal import Decimal
from typing import Any

from crfmap.model import Coded, PartialDate
from crfmap.study.models import Form, UniqueRule
from crfmap.validate.context import FirstSeen, ValidationContext
from crfmap.validate.header import HeaderMap
from crfmap.validate.row_issues import RowIssues
from crfmap.values.cells import display_raw
from crfmap.values.row import FormRow

WHOLE_ROW: tuple[str, ...] = ()


def key_column_sets(form: Form) -> list[tuple[str, ...]]:
    """The column sets whose values (with the subject) may appear once: identity keys of a repeating form,
    each `unique` rule, and for a repeating form without either, the whole row."""
    sets: list[tuple[str, ...]] = []
    if form.repeating and form.identity.keys:
        sets.append(tuple(form.identity.keys))
    for rule in form.rules:
        if isinstance(rule, UniqueRule) and tuple(rule.columns) not in sets:
            sets.append(tuple(rule.columns))
    if form.repeating and not sets:
        sets.append(WHOLE_ROW)
    return sets


def comparable(value: Any) -> Hashable:
    """What two values must share to be the same answer (a coded value by its code, not its spelling)."""
    if isinstance(value, Coded):
        return ("coded", value.codelist, value.value)
    if isinstance(value, tuple):  # a multi-valued cell: the same values in the same order
        return tuple(comparable(item) for item in value)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def canonical_text(value: Any) -> str:
    if isinstance(value, PartialDate):  # asked first: a key's date is the commonest value, and comparable keeps it
        return value.iso()
    return repr(comparable(value))


def row_key(columns: tuple[str, ...], row: FormRow) -> bytes | None:
    """A 16-byte digest of the row's key: what is remembered of every row of a repeating form while the file is
    read, so that the index stays small (≈230 bytes a row with its first position; the values themselves took
    twice that)."""
    if row.subject_id is None:
        return None
    if columns == WHOLE_ROW:
        text = "\x1f".join(f"{name}={canonical_text(row.values[name])}" for name in sorted(row.values))
        return hashlib.blake2b(b"row\x1e" + text.encode("utf-8"), digest_size=16).digest()
    parts = [repr(row.subject_id)]
    for name in columns:
        value = row.values.get(name)
        if value is None:
            return None  # an incomplete key identifies nothing
        parts.append(canonical_text(value))
    # repr() of text escapes the separators, so no two keys share a text
    text = "\x1f".join([*columns, "\x1e", *parts])
    return hashlib.blake2b(b"key\x1e" + text.encode("utf-8"), digest_size=16).digest()


def check_duplicate_keys(form: Form, row: FormRow, header: HeaderMap, issues: RowIssues,
                         context: ValidationContext, key_sets: list[tuple[str, ...]]) -> None:
    seen = context.first_seen[form.name]
    subject_position = header.positions.get(form.identity.subject)
    for columns in key_sets:
        key = row_key(columns, row)
        if key is None:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = (FirstSeen(issues.row, issues.sheet, subject_position) if subject_position is not None
                         else FirstSeen(row.number, row.sheet, None))
            continue
        what = "values" if columns == WHOLE_ROW else "subject and " + ", ".join(repr(name) for name in columns)
        issues.add("S204", column=form.identity.subject, at=subject_position,
                   raw=row.raw.get(form.identity.subject), expected=first.row, detail=what,
                   related=(first.cell,))


def check_duplicate_subject(form: Form, row: FormRow, header: HeaderMap, issues: RowIssues,
                            context: ValidationContext) -> None:
    if row.subject_id is None:
        return
    first = context.subject_row(form.name, row.subject_id)
    if first is None:
        context.rows_by_subject[form.name][row.subject_id] = context.kept(row)
        return
    subject_column = form.identity.subject
    first_cell = first.cells.get(subject_column)
    issues.add("S205", column=subject_column, at=header.positions.get(subject_column),
               raw=row.raw.get(subject_column), expected=f"row {first.number}",
               related=(str(first_cell) if first_cell else None,))
    for name, value in row.values.items():
        if name == subject_column or name not in first.values:
            continue
        if comparable(value) != comparable(first.values[name]):
            other_cell = first.cells.get(name)
            issues.add("S206", column=name, at=header.positions.get(name), raw=row.raw.get(name),
                       expected=f"{display_raw(first.raw.get(name))!r} (row {first.number})",
                       related=(str(other_cell) if other_cell else None,))
