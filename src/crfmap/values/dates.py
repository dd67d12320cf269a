"""Dates as sites write them, read into PartialDate at the precision written (never padded to the 1st).

Accepted text: ISO 8601 (2019-05-14, 2019-05-14T08:30, 2019-05, 2019), basic ISO (20190514), numeric dates with
dots, slashes or hyphens (14.05.2019, 05/14/2019, 2019/05/14, 14.05.2019 08:30) in the order the form or column
declares (`date_format`: dmy, mdy, ymd; iso accepts ISO 8601 only), month and year (05.2019), unknown parts
written UN/UNK/XX (UN.05.2019, UNK.05.2019, UN.UN.2019), month names in English or Russian (14 May 2019,
14 мая 2019 г., май 2019). Two-digit years are refused (is 05.06.19 1919 or 2019?).
Without a declared order a numeric date is read only when one order gives a real date (14/05/2019, 05/14/2019);
03/04/2020, which reads both ways, is S115 ambiguous-date: never guessed.
A day with an unknown month (15.UN.2019) is refused: a partial date keeps only the left parts, and dropping
the day would lose what the site wrote.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from crfmap.model import PartialDate
from crfmap.model.dates import days_in_month
from crfmap.sources.text import normalize_text
from crfmap.values.problems import ValueProblem, fail

UNKNOWN_PART = r"(?:unk?|xx?|нд)"
ISO_DATE = re.compile(
    r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2}))?)?)?)?$")
BASIC_ISO_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DAY_FIRST = re.compile(
    rf"^(\d{{1,2}}|{UNKNOWN_PART})([./-])(\d{{1,2}}|{UNKNOWN_PART})\2(\d{{1,4}})"
    r"(?:,? (\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$")
YEAR_FIRST = re.compile(r"^(\d{4})([./])(\d{1,2})\2(\d{1,2})(?:,? (\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$")
MONTH_YEAR = re.compile(rf"^(\d{{1,2}}|{UNKNOWN_PART})[./-](\d{{1,4}})$")
UNKNOWN_DATE = re.compile(rf"^(?:{UNKNOWN_PART}|unknown|неизв(?:естно)?\.?)$")
NAMED_MONTH = re.compile(r"^(?:(\d{1,2}) )?([^\W\d_]+)\.? (\d{4})(?: ?г(?:ода?)?\.?)?$")
YEAR_SUFFIX = re.compile(r"(?<=\d)\s*г(?:ода?)?\.?$")  # "14.05.2019 г.": Russian "year" after the year
TIME_TEXT = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")

MONTH_STEMS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12, "янв": 1, "фев": 2, "мар": 3, "апр": 4, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # not calendar.month_name: messages must not depend on the locale
MAY_RUSSIAN = frozenset({"май", "мая", "мае"})

EXPECTED_DATE = "dd.mm.yyyy or yyyy-mm-dd"
EXPECTED_TIME = "a time of day, hh:mm"
TWO_DIGIT_YEAR_HINT = "Two-digit years are ambiguous (1919 or 2019?); write the year in full: dd.mm.yyyy."
# Integral numbers in this range in a date column are years typed as numbers, not Excel serials
# (serial 1800..2200 would be a day in 1904–1906, far before any patient of a modern study).
YEAR_NUMBERS = range(1800, 2201)
EXCEL_FICTITIOUS_LEAP_DAY = 60
EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31


def is_unknown_date(text: str) -> bool:
    """'UNK', 'UN', 'неизв.': the site says the whole date is unknown (read as empty)."""
    return bool(UNKNOWN_DATE.match(normalize_text(text)))


def parse_date_text(text: str, order: str | None = "dmy") -> PartialDate:
    """A date written as text, at the precision written, its numeric parts read in `order` (dmy, mdy, ymd; iso:
    ISO 8601 only; None: the only order that gives a real date). Raises ValueProblem (S103, S108, S115)."""
    cleaned = YEAR_SUFFIX.sub("", normalize_text(text))
    parts = match_iso(cleaned)
    if parts is not None:
        return build_partial_date(*parts)
    if order == "iso":
        raise fail("S103", "yyyy-mm-dd (the form declares date_format: iso)", hint=hint_for_date_text(cleaned))
    if order == "ymd" or YEAR_FIRST.match(cleaned):
        parts = match_year_first(cleaned)
        if parts is not None:
            return build_partial_date(*parts)
    if DAY_FIRST.match(cleaned):
        return read_numeric(cleaned, order)
    for parse in (match_month_year, match_named_month):
        parts = parse(cleaned)
        if parts is not None:
            return build_partial_date(*parts)
    raise fail("S103", expected_for(order), hint=hint_for_date_text(cleaned))


ORDER_NAMES = {"dmy": "dd.mm.yyyy", "mdy": "mm/dd/yyyy", "ymd": "yyyy/mm/dd", "iso": "yyyy-mm-dd"}


def expected_for(order: str | None) -> str:
    return EXPECTED_DATE if order in (None, "dmy") else f"{ORDER_NAMES[order]} or yyyy-mm-dd"


def read_numeric(text: str, order: str | None) -> PartialDate:
    """d/m/y or m/d/y text: in the declared order, or in the only order that gives a real date."""
    if order in ("dmy", "mdy"):
        return build_partial_date(*match_day_first(text, month_first=order == "mdy"))
    readings: dict[str, PartialDate] = {}
    problems = []
    for candidate in ("dmy", "mdy"):
        try:
            readings[candidate] = build_partial_date(*match_day_first(text, month_first=candidate == "mdy",
                                                                      lenient=True))
        except ValueProblem as problem:
            problems.append(problem)
    distinct = set(readings.values())
    if len(distinct) == 1:
        return distinct.pop()
    if len(distinct) > 1:
        first, second = readings["dmy"], readings["mdy"]
        raise fail("S115", f"{describe(first)} (dmy) or {describe(second)} (mdy)")
    raise problems[0]


def describe(day: PartialDate) -> str:
    """A date in words for messages, never locale-dependent: '3 April 2020'."""
    if day.month is None:
        return str(day.year)
    month = MONTH_NAMES[day.month - 1]
    return f"{day.day} {month} {day.year}" if day.day is not None else f"{month} {day.year}"


def match_year_first(text: str) -> Parts | None:
    match = YEAR_FIRST.match(text)
    if match is None:
        return None
    year, _, month, day, hour, minute, second = match.groups()
    return (int(year), int(month), int(day), int(hour) if hour else None, int(minute) if minute else None,
            int(second) if second else None)


Parts = tuple[int, "int | None", "int | None", "int | None", "int | None", "int | None"]


def match_iso(text: str) -> Parts | None:
    match = ISO_DATE.match(text) or BASIC_ISO_DATE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (
        [int(group) if group else None for group in match.groups()[:6]] + [None] * 6)[:6]
    assert year is not None  # both patterns require the year
    return (year, month, day, hour, minute, second)


def match_day_first(text: str, *, month_first: bool = False, lenient: bool = False) -> Parts:
    """The parts of a numeric date whose DAY_FIRST shape was checked: day first, or month first (mdy).
    `lenient` (trying both orders) skips the hint for the other order."""
    match = DAY_FIRST.match(text)
    assert match is not None  # callers match DAY_FIRST first
    first_text, separator, second_text, year_text, hour, minute, second = match.groups()
    day_text, month_text = (second_text, first_text) if month_first else (first_text, second_text)
    year = read_year(year_text)
    day, month = read_known(day_text), read_known(month_text)
    if not lenient and month is not None and day is not None and month > 12 >= day:
        declared, other = ("mdy", "dmy") if month_first else ("dmy", "mdy")
        written = f"{month:02d}/{day:02d}/{year:04d}" if month_first else f"{month:02d}.{day:02d}.{year:04d}"
        raise fail("S103", expected_for(declared),
                   hint=f"This looks like {'day/month/year' if month_first else 'month/day/year'}, but the form "
                        f"reads dates as {declared}: write {written}, or declare date_format: {other}.")
    if month is None and day is not None:
        raise fail("S103", EXPECTED_DATE, hint="A day with an unknown month cannot be kept; write UN.UN.yyyy "
                                               "if only the year is known.")
    if day is None and hour is not None:
        raise fail("S103", EXPECTED_DATE, hint="A time needs a full date.")
    del separator
    return (year, month, day, int(hour) if hour else None, int(minute) if minute else None,
            int(second) if second else None)


def match_month_year(text: str) -> Parts | None:
    match = MONTH_YEAR.match(text)
    if match is None:
        return None
    return (read_year(match[2]), read_known(match[1]), None, None, None, None)


def match_named_month(text: str) -> Parts | None:
    match = NAMED_MONTH.match(text)
    if match is None:
        return None
    month = read_month_name(match[2])
    if month is None:
        return None
    return (int(match[3]), month, int(match[1]) if match[1] else None, None, None, None)


def read_month_name(word: str) -> int | None:
    if word in MAY_RUSSIAN:
        return 5
    return MONTH_STEMS.get(word[:3]) if len(word) >= 3 else None


def read_year(text: str) -> int:
    if len(text) != 4:
        hint = TWO_DIGIT_YEAR_HINT if len(text) == 2 else "Write the year with four digits."
        raise fail("S103", EXPECTED_DATE, hint=hint)
    return int(text)


def read_known(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def build_partial_date(year: int, month: int | None, day: int | None, hour: int | None = None,
                       minute: int | None = None, second: int | None = None) -> PartialDate:
    """The PartialDate, or S108 when the parts name no real calendar day or time."""
    if year < 1 or (month is not None and not 1 <= month <= 12):
        raise fail("S108")
    if day is not None and not 1 <= day <= days_in_month(year, month or 1):
        days = days_in_month(year, month or 1)
        raise fail("S108", hint=f"{MONTH_NAMES[(month or 1) - 1]} {year} has {days} days; check day and month.")
    try:
        return PartialDate(year, month, day, hour, minute, second)
    except ValueError:
        raise fail("S108", hint="Check the time of day (00:00 to 23:59).") from None


def hint_for_date_text(text: str) -> str | None:
    if re.match(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2}$", text):
        return TWO_DIGIT_YEAR_HINT
    if re.match(r"^\d{5}(\.\d+)?$", text):
        return "This looks like an Excel date number exported as text; format the cell as a date."
    return None


def read_date_object(value: date) -> PartialDate:
    """A date or datetime cell. Whole-minute times drop the zero seconds that Excel formats hide."""
    if not isinstance(value, datetime):
        return PartialDate(value.year, value.month, value.day)
    second = value.second if value.second or value.microsecond else None
    return PartialDate(value.year, value.month, value.day, value.hour, value.minute, second)


def read_date_number(number: float, date1904: bool = False) -> PartialDate:
    """A number in a date column: a year typed as a number, or an Excel serial in the workbook's date system
    (1900, or 1904 where the workbook says so: serial 0 is 1 January 1904, and there is no fictitious day)."""
    lowest = 0 if date1904 else 1
    if not lowest <= number <= EXCEL_LAST_SERIAL:  # also NaN and infinities
        raise fail("S103", EXPECTED_DATE)
    if (isinstance(number, int) or float(number).is_integer()) and int(number) in YEAR_NUMBERS:
        return PartialDate(int(number))
    if date1904:
        epoch = datetime(1904, 1, 1)
    elif int(number) == EXCEL_FICTITIOUS_LEAP_DAY:
        raise fail("S108", hint="Excel day number 60 is 29 February 1900, a day that never existed.")
    else:  # serial 1 is 1900-01-01; from serial 61 on, Excel counts the fictitious 29 February 1900
        epoch = datetime(1899, 12, 31) if number < EXCEL_FICTITIOUS_LEAP_DAY else datetime(1899, 12, 30)
    milliseconds = round(number * 86_400_000)
    days, remainder = divmod(milliseconds, 86_400_000)
    moment = datetime.fromordinal(epoch.toordinal() + days)
    if remainder == 0:
        return PartialDate(moment.year, moment.month, moment.day)
    seconds = remainder // 1000
    hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
    return PartialDate(moment.year, moment.month, moment.day, hour, minute, second or None)


def parse_time_text(text: str) -> time:
    """'08:30', '8.30', '08:30:15'; raises ValueProblem (S103 not a time, S108 no such time)."""
    match = TIME_TEXT.match(normalize_text(text))
    if match is None:
        raise fail("S103", EXPECTED_TIME)
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if hour > 23 or minute > 59 or second > 59:
        raise fail("S108", EXPECTED_TIME, hint="A time of day runs from 00:00 to 23:59.")
    return time(hour, minute, second)


def read_time_number(number: float) -> time:
    """An Excel time serial: a fraction of a day."""
    if not 0 <= number < 1:
        raise fail("S103", EXPECTED_TIME)
    seconds = round(number * 86_400)
    if seconds >= 86_400:
        seconds = 86_399
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
