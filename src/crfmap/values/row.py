"""FormRow: one validated row of a form, typed values by column name, each with its source cell.

Validation produces these; the mapping engine consumes them. A value that failed validation is absent from
`values` (its issue is in the report) and the row's `has_errors` is set, so mapping can leave it out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from crfmap.model import Coded, PartialDate
from crfmap.sources import KeptRowMap, SourceCell
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
    values: MutableMapping[str, TypedValue] = field(default_factory=dict)
    cells: MutableMapping[str, SourceCell] = field(default_factory=dict)  # column name → where it was read
    raw: MutableMapping[str, Any] = field(default_factory=dict)  # column name → the raw cell value, as read
    has_errors: bool = False

    def date(self, column: str) -> PartialDate | None:
        value = self.values.get(column)
        return value if isinstance(value, PartialDate) else None

    def coded(self, column: str) -> Coded | None:
        value = self.values.get(column)
        return value if isinstance(value, Coded) else None


class KeptValues(KeptRowMap[Any]):
    """A row's values by column name as a tuple, with the map of names to places shared by every row of the same
    columns: what a row kept for the whole run holds instead of a dict (a dict of ten values costs about 650
    bytes, this about 180). Read-only; iterates in the order the dict had."""

    __slots__ = ("_in_order", "_places")  # not `items`/`values`: those are Mapping's methods

    def __init__(self, places: Mapping[str, int], in_order: tuple[Any, ...]) -> None:
        self._places, self._in_order = places, in_order

    @classmethod
    def of(cls, values: Mapping[str, Any], shared: dict[tuple[str, ...], Mapping[str, int]]) -> KeptValues:
        """`values` kept; `shared` keeps each distinct map of names once."""
        names = tuple(values)
        places = shared.get(names)
        if places is None:
            places = shared[names] = {name: place for place, name in enumerate(names)}
        return cls(places, tuple(values.values()))

    def __getitem__(self, name: str) -> Any:
        return self._in_order[self._places[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._in_order)

    def __contains__(self, name: object) -> bool:
        return name in self._places

    def __repr__(self) -> str:
        return f"KeptValues({dict(self)!r})"


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


def condition_holds(condition: Condition, values: Mapping[str, TypedValue]) -> bool:
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
