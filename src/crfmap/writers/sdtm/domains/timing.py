"""Standard timing rules of SDTMIG, once: --SEQ (section 4.1.5 / MT.SEQ) and --DY (section 4.4.4 / MT.DY)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crfmap.model import PartialDate


def study_day(when: PartialDate | None, reference: PartialDate | None) -> int | None:
    """Study day of `when` relative to RFSTDTC: no day 0 (day 1 is RFSTDTC, the day before is -1).

    Only when both dates are complete to the day: a partial date gives no --DY (nothing imputed).
    """
    if when is None or reference is None:
        return None
    day, start = when.to_date(), reference.to_date()
    if day is None or start is None:
        return None
    difference = (day - start).days
    return difference + 1 if difference >= 0 else difference


def date_sort_key(when: PartialDate | None) -> tuple[Any, ...]:
    """Dated records first in date order, undated ones after them."""
    return (1,) if when is None else (0, *when.sort_key())


def assign_sequence(rows: Sequence[dict[str, Any]], variable: str) -> None:
    """Number `rows` 1, 2, 3 … within each USUBJID, in the order given (the caller sorts them)."""
    counters: dict[Any, int] = {}
    for row in rows:
        subject = row["USUBJID"]
        counters[subject] = counters.get(subject, 0) + 1
        row[variable] = counters[subject]
