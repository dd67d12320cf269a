"""Row rules: conditions between the values of one row, or between a row and another form's row.

Each rule reads the row's typed values, which hold only values that parsed: a cell that already has an
error never raises a second one here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crfmap.model import Coded, PartialDate
from crfmap.sources.text import normalize_text
from crfmap.study.models import Condition, DateOrderRule, Form, NotBeforeRule, RequiredOneOfRule, SubjectExistsRule
from crfmap.validate.context import ValidationContext
from crfmap.validate.header import HeaderMap
from crfmap.validate.row_issues import RowIssues
from crfmap.values.booleans import NO_WORDS, YES_WORDS
from crfmap.values.row import FormRow


def condition_holds(condition: Condition, values: Mapping[str, Any]) -> bool:
    value = values.get(condition.column)
    if condition.present is not None:
        return (value is not None) == condition.present
    if value is None:
        return False
    wanted = [condition.equals] if condition.equals is not None else list(condition.in_ or ())
    return any(value_equals(value, text) for text in wanted)


def value_equals(value: Any, text: str) -> bool:
    """A typed value against a condition's text: a coded value by its code list value, a boolean by
    yes/no words, anything else by its normalised text."""
    key = normalize_text(text)
    if isinstance(value, tuple):  # a multi-valued column: one of its values
        return any(value_equals(item, text) for item in value)
    if isinstance(value, Coded):
        return normalize_text(value.value) == key
    if isinstance(value, bool):
        return key in (YES_WORDS if value else NO_WORDS)
    if isinstance(value, PartialDate):
        return value.iso() == key
    return normalize_text(str(value)) == key


def describe_condition(condition: Condition) -> str:
    if condition.present is not None:
        return f"{condition.column!r} is {'filled in' if condition.present else 'empty'}"
    if condition.equals is not None:
        return f"{condition.column!r} is {condition.equals!r}"
    return f"{condition.column!r} is one of {', '.join(repr(text) for text in condition.in_ or ())}"


def check_required_if(form: Form, row: FormRow, header: HeaderMap, issues: RowIssues,
                      failed: set[str]) -> None:
    for column in form.columns:
        if column.required_if is None:  # most columns: asked before `conditions`, which builds a list per call
            continue
        conditions = column.conditions
        if not conditions or column.name in row.values or column.name in failed:
            continue
        if column.name not in header.positions or not all(condition_holds(item, row.values) for item in conditions):
            continue
        issues.add("S207", column=column.name, at=header.positions[column.name],
                   detail=" and ".join(describe_condition(item) for item in conditions))


def check_date_order(rule: DateOrderRule, row: FormRow, header: HeaderMap, issues: RowIssues,
                     context: ValidationContext, failed: set[str]) -> None:
    start, end = row.date(rule.start), row.date(rule.end)
    if start is None or end is None or end.latest() >= start.earliest():
        return
    issues.add("S201", column=rule.end, at=header.positions.get(rule.end), raw=row.raw.get(rule.end),
               detail=f"{rule.start!r} {start.iso()!r}",
               related=(issues.reference(header.positions.get(rule.start)),))


def check_required_one_of(rule: RequiredOneOfRule, row: FormRow, header: HeaderMap, issues: RowIssues,
                          context: ValidationContext, failed: set[str]) -> None:
    if any(name in row.values or name in failed for name in rule.columns):
        return
    present = [name for name in rule.columns if name in header.positions]
    if not present:  # none of the columns is in the sheet: S003 already says so
        return
    issues.add("S202", column=present[0], at=header.positions[present[0]], expected=rule.columns,
               related=tuple(issues.reference(header.positions[name]) for name in present[1:]))


def check_subject_exists(rule: SubjectExistsRule, row: FormRow, header: HeaderMap, issues: RowIssues,
                         context: ValidationContext, failed: set[str]) -> None:
    if row.subject_id is None or context.has_subject(rule.form, row.subject_id) is not False:
        return
    subject_column = context.study.forms[row.form].identity.subject
    issues.add("S203", column=subject_column, at=header.positions.get(subject_column),
               raw=row.raw.get(subject_column), expected=f"form {rule.form!r}")


def check_not_before(rule: NotBeforeRule, row: FormRow, header: HeaderMap, issues: RowIssues,
                     context: ValidationContext, failed: set[str]) -> None:
    value = row.date(rule.column)
    other_row = context.subject_row(rule.form, row.subject_id) if row.subject_id else None
    other = other_row.date(rule.other) if other_row else None
    if value is None or other is None or value.latest() >= other.earliest():
        return
    other_cell = other_row.cells.get(rule.other) if other_row else None
    issues.add("S208", column=rule.column, at=header.positions.get(rule.column), raw=row.raw.get(rule.column),
               detail=f"{rule.column!r} {value.iso()!r} is before {rule.other!r} {other.iso()!r} of form "
                      f"{rule.form!r} for the same subject",
               related=(str(other_cell) if other_cell else None,))


# Every row rule has one signature: (rule, row, header, issues, context, failed columns).
# `unique` is not here: it is checked with the duplicate rows (validate/duplicates.py).
RowRule = Callable[[Any, FormRow, HeaderMap, RowIssues, ValidationContext, set[str]], None]
ROW_RULES: dict[type, RowRule] = {
    DateOrderRule: check_date_order,
    RequiredOneOfRule: check_required_one_of,
    SubjectExistsRule: check_subject_exists,
    NotBeforeRule: check_not_before,
}


def check_row_rules(form: Form, row: FormRow, header: HeaderMap, issues: RowIssues, context: ValidationContext,
                    failed: set[str]) -> None:
    """Every column's required_if and every rule of the form, in the order the form declares them."""
    check_required_if(form, row, header, issues, failed)
    for rule in form.rules:
        check = ROW_RULES.get(type(rule))
        if check is not None:
            check(rule, row, header, issues, context, failed)
