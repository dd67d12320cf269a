"""Every real calendar day, written the ways sites write it, reads back as that day (checked against
Python's own calendar); every day that does not exist is S108."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crfmap.values.dates import parse_date_text
from crfmap.values.problems import ValueProblem

FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y%m%d")


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.sampled_from(FORMATS))
def test_real_days_read_back(day: date, layout: str) -> None:
    text = layout.replace("%Y", f"{day.year:04d}").replace("%m", f"{day.month:02d}").replace("%d", f"{day.day:02d}")
    assert parse_date_text(text).to_date() == day


@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=1, max_value=12),
       st.integers(min_value=29, max_value=31))
def test_days_past_the_end_of_the_month_are_impossible(year: int, month: int, day: int) -> None:
    if day <= calendar.monthrange(year, month)[1]:
        return
    with pytest.raises(ValueProblem) as raised:
        parse_date_text(f"{day:02d}.{month:02d}.{year:04d}")
    assert raised.value.problem.code == "S108"
