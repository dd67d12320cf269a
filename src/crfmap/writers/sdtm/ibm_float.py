"""IEEE 754 doubles to the IBM System/370 hexadecimal floats that SAS XPORT v5 stores.

An IBM double is a sign bit, a 7-bit base-16 exponent biased by 64 and a 56-bit fraction 0.F with
1/16 <= F < 1. An IEEE double has 53 significant bits, so every finite IEEE value in IBM range converts
exactly: the fraction is the IEEE significand shifted left by 0–3 bits, no rounding involved.

Values outside the IBM range (|x| >= 16**63, or 0 < |x| < 16**-65) cannot be stored; callers check
`is_representable` first and report them rather than let them overflow or vanish silently.
SAS missing ('.') is 0x2E followed by seven zero bytes.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Sequence

MISSING = b"\x2e" + b"\x00" * 7
ZERO = b"\x00" * 8
_LARGEST_EXPONENT = 63  # 16**63 is the first power of 16 that no longer fits
_SMALLEST_EXPONENT = -64
_PACK = struct.Struct(">Q").pack


def is_representable(value: float) -> bool:
    """True when `value` is finite and inside the IBM double range (zero included)."""
    if not math.isfinite(value):
        return False
    if value == 0:
        return True
    exponent = _hex_exponent(value)
    return _SMALLEST_EXPONENT <= exponent <= _LARGEST_EXPONENT


def to_ibm(value: float | None) -> bytes:
    """The 8 IBM bytes of one value; None and NaN become SAS missing."""
    if value is None or math.isnan(value):
        return MISSING
    if value == 0:
        return ZERO
    mantissa, binary_exponent = math.frexp(abs(value))  # abs(value) = mantissa * 2**binary_exponent, 0.5 <= m < 1
    exponent = -(-binary_exponent // 4)  # ceil: value = fraction * 16**exponent
    shift = 4 * exponent - binary_exponent  # 0..3 bits to the right
    significand = int(mantissa * (1 << 53))  # exact: 53 significant bits
    fraction = significand << (3 - shift)  # 56-bit fraction
    sign = 0x80 if value < 0 else 0
    return _PACK(((sign | (exponent + 64)) << 56) | fraction)


NUMPY_FROM = 50_000  # values: importing numpy (≈0.1 s) costs as much as converting ≈100,000 of them one by one


def to_ibm_column(values: Sequence[float | None]) -> list[bytes]:
    """8-byte IBM values for a whole column; uses numpy when it is installed (same bytes, faster) and the column
    is long enough to pay for importing it, or it is imported already."""
    if len(values) < NUMPY_FROM and "numpy" not in sys.modules:
        return [to_ibm(value) for value in values]
    try:
        import numpy  # noqa: F401  (optional speed-up; crfmap does not require it)
    except ImportError:
        return [to_ibm(value) for value in values]
    return _to_ibm_numpy(values)


def _hex_exponent(value: float) -> int:
    _, binary_exponent = math.frexp(abs(value))
    return -(-binary_exponent // 4)


def _to_ibm_numpy(values: Sequence[float | None]) -> list[bytes]:
    import numpy

    column = numpy.array([numpy.nan if value is None else value for value in values], dtype=numpy.float64)
    missing = numpy.isnan(column)
    zero = column == 0
    mantissa, binary_exponent = numpy.frexp(numpy.abs(numpy.where(missing | zero, 1.0, column)))
    exponent = -((-binary_exponent) // 4)
    shift = (4 * exponent - binary_exponent).astype(numpy.uint64)
    significand = (mantissa * float(1 << 53)).astype(numpy.uint64)
    fraction = significand << (numpy.uint64(3) - shift)
    sign = numpy.where(column < 0, 0x80, 0).astype(numpy.uint64)
    head = (sign | (exponent + 64).astype(numpy.uint64)) << numpy.uint64(56)
    words = head | fraction
    words[zero] = 0
    words[missing] = numpy.uint64(0x2E << 56)
    raw = words.astype(">u8").tobytes()
    return [raw[start:start + 8] for start in range(0, len(raw), 8)]
