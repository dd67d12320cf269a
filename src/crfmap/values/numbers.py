"""Numbers as sites write them: comma or point decimals, space/NBSP/apostrophe thousands, a % sign in a
percent column. Decimal keeps the digits written ("12.50" stays 12.50).

Decisions:
- "12%" is read as 12 in a column whose unit is "%"; a % sign anywhere else is an error (S102).
  A percent-formatted xlsx cell holds 0.12 and the reader cannot see the format: such numbers are kept as
  they are, so a percent column should be typed as plain numbers (the template says so).
- A comparator ("<0,01", "≥ 5") is not a measured value: it is refused with S114 rather than read as the
  limit, so nothing is silently turned into a different result; the site writes the result in the
  qualitative column (negative/positive) and the limit in the threshold column.
- A single comma is always the decimal separator ("1,234" is 1.234, as in Russian practice); a comma and
  a point together mean the last one is the decimal separator.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from crfmap.sources.text import strip_text
from crfmap.values.problems import fail

GROUPED = re.compile(r"^\d{1,3}(?:[ '\u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?$")
PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$|^[.,]\d+$")
COMPARATOR = re.compile(r"^(<=|>=|=<|=>|<|>|≤|≥|less than|more than|менее|более|меньше|больше)\s*")
SIGN = re.compile(r"^[+\-\u2212]")

EXPECTED_NUMBER = "number"
EXPECTED_INTEGER = "whole number"


def parse_number_text(text: str, *, integer: bool, percent_unit: bool) -> int | Decimal:
    """A number typed as text; raises ValueProblem (S102 not a number, S114 a comparator)."""
    cleaned = strip_text(text)
    if COMPARATOR.match(cleaned.lower()):
        raise fail("S114", "measured number", hint=(
            "A comparator such as '<' is not a result: write the qualitative result (e.g. negative) in its "
            "own column and the detection limit in the threshold column."))
    cleaned = strip_percent(cleaned, percent_unit)
    negative = bool(SIGN.match(cleaned))
    if negative or cleaned.startswith("+"):
        cleaned = cleaned[1:].lstrip()
    digits = normalize_separators(cleaned)
    if digits is None:
        raise fail("S102", expected_kind(integer), hint=hint_for_number_text(cleaned))
    number = Decimal(digits)
    number = -number if negative else number
    return as_integer(number) if integer else number


def strip_percent(text: str, percent_unit: bool) -> str:
    if not text.endswith("%"):
        return text
    if not percent_unit:
        raise fail("S102", EXPECTED_NUMBER, hint="This column is not measured in percent; write the number "
                                                 "without the % sign, in the column's unit.")
    return text[:-1].rstrip()


def normalize_separators(text: str) -> str | None:
    """Digits with a point as the decimal separator, or None when the text is not one number."""
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        whole, _, fraction = text.rpartition(decimal_mark)
        if not re.match(rf"^\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+$", whole) or not fraction.isdigit():
            return None
        return whole.replace(thousands, "") + "." + fraction
    if GROUPED.match(text):
        text = re.sub(r"[ '\u00a0\u202f\u2009]", "", text)
    if not PLAIN.match(text):
        return None
    return text.replace(",", ".")


def hint_for_number_text(text: str) -> str | None:
    if re.match(r"^\d+(?:[.,]\d+)?\s*\D+$", text):
        return "Write the unit in the column header or the unit column, not in the cell."
    if re.match(r"^\d+(?:[.,]\d+)?\s*[-–]\s*\d+(?:[.,]\d+)?$", text):
        return "A range is not one value; write a single number."
    return None


def read_native_number(value: float, *, integer: bool) -> int | Decimal:
    """An xlsx number. Floats are read at Excel's 15 significant digits, which removes binary noise."""
    if isinstance(value, int):
        return value if integer else Decimal(value)
    if not math.isfinite(value):
        raise fail("S102", expected_kind(integer))
    number = Decimal(format(value, ".15g"))
    return as_integer(number) if integer else number


def as_integer(number: Decimal) -> int:
    try:
        if number == number.to_integral_value():
            return int(number)
    except InvalidOperation:
        pass
    raise fail("S102", EXPECTED_INTEGER, hint="This column takes whole numbers only.")


def expected_kind(integer: bool) -> str:
    return EXPECTED_INTEGER if integer else EXPECTED_NUMBER
