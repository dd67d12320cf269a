"""FormRow: one validated row of a form, typed values by column name, each with its source cell.

Validation produces these; the mapping engine consumes them. A value that failed validation is absent from
`values` (its issue is in the report) and the row's `has_errors` is set, so mapping can leave it out.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from crfmap.model import Coded, PartialDate
from crfmap.sources import SourceCell
from crfmap.study.models import Condition

# A typed cell value: str, int, Decimal, bool, PartialDate (date, datetime and partial dates alike),
# datetime.time, or Coded (for coded columns: the code list value matched, with the verbatim text).
TypedValue = Any


@dataclass(slots=True)
class FormRow:
    form: str
    sheet: str
    file: str
    number: int  # the spreadsheet row number
    subject_id: str | None
    values: dict[str, TypedValue] = field(default_factory=dict)
    cells: MutableMapping[str, SourceCell] = field(default_factory=dict)  # column name → where it was read
    raw: dict[str, Any] = field(default_factory=dict)  # column name → the raw cell value, as read
    has_errors: bool = False

    def date(self, column: str) -> PartialDate | None:
        value = self.values.get(column)
        return value if isinstance(value, PartialDate) else None

    def coded(self, column: str) -> Coded | None:
        value = self.values.get(column)
        return value if isinstance(value, Coded) else None


def value_text(value: TypedValue) -> str:
    """A typed value as text for keys and conditions: stable, no Python reprs (a coded value by its code, a
    boolean as Y/N, a date in ISO 8601)."""
    if isinstance(value, Coded):
        return value.value
    if isinstance(value, PartialDate):
        return value.iso()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def condition_holds(condition: Condition, values: dict[str, TypedValue]) -> bool:
    """Whether a row's typed values meet a `when:`/`select:` condition (present / equals / in); a multi-valued
    column meets equals/in when one of its values does."""
    value = values.get(condition.column)
    if condition.present is not None:
        return (value not in (None, "", ())) is condition.present
    if isinstance(value, tuple):
        wanted = [condition.equals] if condition.equals is not None else list(condition.in_ or ())
        return any(value_text(item) in wanted for item in value)
    text = value_text(value) if value is not None else None
    if condition.equals is not None:
        return text == condition.equals
    return text in (condition.in_ or ())
