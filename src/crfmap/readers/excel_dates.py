"""Which number formats are dates, and how Excel date serials become dates.

Excel's 1900 date system counts 29 February 1900 (serial 60), a day that never existed, kept for Lotus 1-2-3
compatibility. Turning it into 28 Feb or 1 Mar would invent a date, so serial 60 (and serials below 1, which
Excel shows as "0 January 1900") stay raw numbers and the validator reports them as invalid dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47})
BUILTIN_TIME_ONLY = frozenset({18, 19, 20, 21, 45, 46, 47})
BUILTIN_DATE_ONLY = frozenset({14, 15, 16, 17})

# Parts of a format code that never mean date or time: quoted text, [colours]/[$-locales]/[conditions],
# escaped characters, and the _x / *x padding instructions.
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_LETTERS = re.compile(r"[dmy]", re.IGNORECASE)
_TIME_LETTERS = re.compile(r"[hs]", re.IGNORECASE)

EPOCH_1900 = datetime(1899, 12, 31)  # serial 1 = 1900-01-01, for serials below 60
EPOCH_1900_AFTER_LEAP = datetime(1899, 12, 30)  # serial 61 = 1900-03-01: skips the fictitious day
EPOCH_1904 = datetime(1904, 1, 1)
FICTITIOUS_LEAP_DAY = 60


class DateKind:
    NONE = 0
    DATE = 1  # a date part only
    TIME = 2  # a time part only
    DATETIME = 3


def classify_format(format_id: int, custom_codes: dict[int, str]) -> int:
    """The DateKind of a cell style's number format."""
    code = custom_codes.get(format_id)
    if code is None:
        if format_id not in BUILTIN_DATE_FORMATS:
            return DateKind.NONE
        if format_id in BUILTIN_TIME_ONLY:
            return DateKind.TIME
        return DateKind.DATE if format_id in BUILTIN_DATE_ONLY else DateKind.DATETIME
    return classify_code(code)


def classify_code(code: str) -> int:
    section = _NOT_DATE_PARTS.sub("", code.split(";", 1)[0])
    section = re.sub(r"(?i)AM/PM|A/P", "", section)  # the M of AM/PM is not a month
    has_time = bool(_TIME_LETTERS.search(section))
    # "m" right after h or before s means minutes, not months.
    without_minutes = re.sub(r"(?i)(h+[^dmy]*?)m+|m+(?=[^dmy]*?s)", r"\1", section)
    has_date = bool(_DATE_LETTERS.search(without_minutes))
    if has_date and has_time:
        return DateKind.DATETIME
    if has_date:
        return DateKind.DATE
    if has_time or re.search(r"(?i)\[(h+|m+|s+)\]", code):
        return DateKind.TIME
    return DateKind.NONE


def convert_serial(serial: float, kind: int, date1904: bool) -> date | datetime | time | float | int:
    """A date-formatted number as date/datetime/time; impossible or fictitious serials stay numbers."""
    if kind == DateKind.TIME and 0 <= serial < 1:
        moment = to_datetime(EPOCH_1904, serial)
        return serial if moment is None else moment.time()
    if date1904:
        if serial < 0:
            return serial
        moment = to_datetime(EPOCH_1904, serial)
    elif serial < 1 or int(serial) == FICTITIOUS_LEAP_DAY:
        return serial
    elif serial < FICTITIOUS_LEAP_DAY:
        moment = to_datetime(EPOCH_1900, serial)
    else:
        moment = to_datetime(EPOCH_1900_AFTER_LEAP, serial)
    if moment is None:
        return serial
    if kind == DateKind.DATE and moment.time() == time(0):
        return moment.date()
    return moment  # a date format over a value with a time part keeps the time: no data lost


def to_datetime(epoch: datetime, serial: float) -> datetime | None:
    """Excel keeps milliseconds; rounding there removes float noise like 12:59:59.999998."""
    milliseconds = round(serial * 86_400_000)
    try:
        return epoch + timedelta(milliseconds=milliseconds)
    except OverflowError:
        return None
