"""Length and SignificantDigits of a numeric column (Define-XML 2.1 §4.3): the most digits and decimals of any
value in shortest form, whatever repeats, whatever is not a number."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crfmap.writers.sdtm.define_numbers import measure_number


def digits_of(value: float) -> tuple[int, int]:
    """One number's (digits, decimals), from its shortest decimal text by other means than the code under test."""
    text = repr(float(value)) if isinstance(value, float) else str(value)
    number = Decimal(text).copy_abs().normalize()
    exponent = int(number.as_tuple().exponent)
    decimals = max(0, -exponent)
    whole = len(str(int(number))) if number >= 1 else 1
    return whole + decimals if number >= 1 else 1 + decimals, decimals


def test_examples():
    assert measure_number([3]) == (1, 0)
    assert measure_number([-12.5]) == (3, 1)
    assert measure_number([0.00125]) == (6, 5)
    assert measure_number([]) == (1, 0)
    assert measure_number([None, True, "12345", math.nan, 7, 7.0, 7]) == (1, 0)
    assert measure_number([1, 1.0, 10.25, 10.25, 3]) == (4, 2)


values = st.one_of(st.none(), st.booleans(), st.text(max_size=3),
                   st.integers(-10**9, 10**9), st.floats(-1e9, 1e9), st.just(math.nan))


@given(st.lists(values, max_size=40))
def test_repeats_and_non_numbers_change_nothing(column):
    numbers = [value for value in column if isinstance(value, (int, float)) and not isinstance(value, bool)
               and not (isinstance(value, float) and math.isnan(value))]
    expected = (max([1, *(digits_of(value)[0] for value in numbers)]), max([0, *(digits_of(value)[1] for value in numbers)]))
    assert measure_number(column) == expected
    assert measure_number(column + column[::-1]) == expected
