"""PartialDate.iso builds its text from looked-up parts: it must be ISO 8601 exactly as Python's datetime writes it,
cut at the date's own precision, for every precision and for years below 1000 (zero-padded to four digits)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from crfmap.model import PartialDate

# the length of datetime.isoformat() (YYYY-MM-DDTHH:MM:SS) at each number of parts a partial date keeps
LENGTH_BY_PARTS = {1: 4, 2: 7, 3: 10, 4: 13, 5: 16, 6: 19}


@given(moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
       parts=st.integers(min_value=1, max_value=6))
def test_iso_is_datetimes_own_text_cut_at_the_precision(moment: datetime, parts: int) -> None:
    values = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)[:parts]
    expected = moment.replace(microsecond=0).isoformat()[:LENGTH_BY_PARTS[parts]]
    assert PartialDate(*values).iso() == expected


def test_years_below_a_thousand_and_every_precision_by_hand() -> None:
    assert PartialDate(7).iso() == "0007"
    assert PartialDate(999, 12).iso() == "0999-12"
    assert PartialDate(2019, 5, 14).iso() == "2019-05-14"
    assert PartialDate(2019, 5, 14, 8).iso() == "2019-05-14T08"
    assert PartialDate(2019, 5, 14, 8, 30).iso() == "2019-05-14T08:30"
    assert PartialDate(2019, 5, 14, 0, 0, 59).iso() == "2019-05-14T00:00:59"
