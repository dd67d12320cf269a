"""PartialDate: a date (or date-time) that keeps the precision the source had. Never padded to the 1st."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))  # "00" … "59": months, days, hours, minutes, seconds


def days_in_month(year: int, month: int) -> int:
    """calendar.monthrange(year, month)[1] without its weekday computation (every date read asks)."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS[month - 1]


@dataclass(frozen=True, slots=True, order=False)
class PartialDate:
    """ISO 8601 with right-truncation only, as SDTM --DTC and FHIR dateTime both allow.

    year is required; month, day, hour, minute, second may be absent from the right. (SDTM also allows
    missing middle parts, e.g. "2019---15"; sites never produce that meaningfully, so it is not modelled.)
    """

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None

    def __post_init__(self) -> None:
        parts = (self.month, self.day, self.hour, self.minute, self.second)
        seen_missing = False
        for part in parts:
            if part is None:
                seen_missing = True
            elif seen_missing:
                raise ValueError("a partial date may only omit parts from the right")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} out of range")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} out of range")
        if self.day is not None:
            last = days_in_month(self.year, self.month or 1)
            if not 1 <= self.day <= last:
                raise ValueError(f"day {self.day} out of range for {self.year:04d}-{self.month:02d}")
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValueError(f"hour {self.hour} out of range")
        if self.minute is not None and not 0 <= self.minute <= 59:
            raise ValueError(f"minute {self.minute} out of range")
        if self.second is not None and not 0 <= self.second <= 59:
            raise ValueError(f"second {self.second} out of range")

    @classmethod
    def from_date(cls, value: date) -> PartialDate:
        if isinstance(value, datetime):
            return cls(value.year, value.month, value.day, value.hour, value.minute, value.second)
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> str:
        """'year', 'month', 'day', 'minute' or 'second'."""
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        if self.hour is None:
            return "day"
        if self.second is None:
            return "minute" if self.minute is not None else "hour"
        return "second"

    @property
    def is_complete_date(self) -> bool:
        return self.day is not None

    def iso(self) -> str:
        """ISO 8601 at the source's precision: 2019, 2019-05, 2019-05-14, 2019-05-14T08:30."""
        # Asked of every date written: two-digit parts are looked up, not formatted (half the time of format specs).
        year = self.year
        text = str(year) if year >= 1000 else f"{year:04d}"
        if self.month is None:
            return text
        if self.day is None:
            return f"{text}-{TWO_DIGITS[self.month]}"
        text = f"{text}-{TWO_DIGITS[self.month]}-{TWO_DIGITS[self.day]}"
        if self.hour is None:
            return text
        text = f"{text}T{TWO_DIGITS[self.hour]}"
        if self.minute is None:
            return text
        text = f"{text}:{TWO_DIGITS[self.minute]}"
        if self.second is None:
            return text
        return f"{text}:{TWO_DIGITS[self.second]}"

    def to_date(self) -> date | None:
        """The calendar date when day precision or better is known, else None."""
        if self.day is None or self.month is None:
            return None
        return date(self.year, self.month, self.day)

    def earliest(self) -> datetime:
        """The first instant the value could mean (for ordering checks, never for output)."""
        return datetime(self.year, self.month or 1, self.day or 1, self.hour or 0, self.minute or 0,
                        self.second or 0)

    def latest(self) -> datetime:
        """The last instant the value could mean (for ordering checks, never for output)."""
        month = self.month or 12
        day = self.day or days_in_month(self.year, month)
        return datetime(self.year, month, day, 23 if self.hour is None else self.hour,
                        59 if self.minute is None else self.minute, 59 if self.second is None else self.second)

    def sort_key(self) -> tuple[int, ...]:
        return (self.year, self.month or 0, self.day or 0, self.hour or 0, self.minute or 0, self.second or 0)

    def __str__(self) -> str:
        return self.iso()
