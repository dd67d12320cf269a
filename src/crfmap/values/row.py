"""FormRow: one validated row of a form, typed values by column name, each with its source cell.

Validation produces these; the mapping engine consumes them. A value that failed validation is absent from
`values` (its issue is in the report) and the row's `has_errors` is set, so mapping can leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crfmap.model import Coded, PartialDate
from crfmap.sources import SourceCell

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
    cells: dict[str, SourceCell] = field(default_factory=dict)  # column name → where it was read
    raw: dict[str, Any] = field(default_factory=dict)  # column name → the raw cell value, as read
    has_errors: bool = False

    def date(self, column: str) -> PartialDate | None:
        value = self.values.get(column)
        return value if isinstance(value, PartialDate) else None

    def coded(self, column: str) -> Coded | None:
        value = self.values.get(column)
        return value if isinstance(value, Coded) else None
