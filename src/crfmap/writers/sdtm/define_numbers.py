"""Length and SignificantDigits of numeric ItemDefs, measured from the values (Define-XML 2.1 §4.3)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal


def measure_number(values: Iterable[object]) -> tuple[int, int]:
    """(digits, decimals): the most digits and the most decimals of any value, written in shortest form.

    3 → (1, 0); -12.5 → (3, 1); 0.00125 → (6, 5); no values → (1, 0). The sign is not a digit.
    """
    digits, decimals = 1, 0
    # each distinct number once (a column repeats a few: --SEQ, --DY, doses); 1 and 1.0 are one, and measure alike
    numbers = {value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)}
    for value in numbers:
        if math.isnan(value):
            continue
        whole, fraction = _split_digits(value)
        digits = max(digits, len(whole) + len(fraction))
        decimals = max(decimals, len(fraction))
    return digits, decimals


def _split_digits(value: float) -> tuple[str, str]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = format(Decimal(repr(value)).copy_abs(), "f")  # repr is the shortest round-tripping form
    whole, _, fraction = text.partition(".")
    return whole, fraction.rstrip("0")
