"""Excel serial numbers in date columns, checked against openpyxl's own converter (an independent
implementation of the 1900 date system), including the fictitious 29 February 1900 (serial 60)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from crfmap.values.dates import read_date_number
from crfmap.values.problems import ValueProblem

LAST_SERIAL = 2_958_465  # 9999-12-31


@given(st.integers(min_value=1, max_value=LAST_SERIAL).filter(lambda serial: serial != 60 and
                                                              not 1800 <= serial <= 2200))
def test_whole_serials_match_openpyxl(serial: int) -> None:
    expected = from_excel(serial)
    assert read_date_number(serial).iso() == expected.date().isoformat()


@given(st.integers(min_value=61, max_value=80_000), st.integers(min_value=1, max_value=1439))
def test_serials_with_minutes_match_openpyxl(day: int, minute_of_day: int) -> None:
    serial = day + minute_of_day / 1440
    expected: datetime = from_excel(serial)
    parsed = read_date_number(serial)
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == (
        expected.year, expected.month, expected.day, expected.hour, expected.minute)


def test_serial_60_is_the_fictitious_leap_day() -> None:
    try:
        read_date_number(60)
    except ValueProblem as problem:
        assert problem.problem.code == "S108"
    else:
        raise AssertionError("serial 60 (29.02.1900, which never existed) must not be read as a date")


def test_numbers_in_the_year_range_are_years_not_serials() -> None:
    assert read_date_number(2019).iso() == "2019"
    assert read_date_number(2019.0).iso() == "2019"
