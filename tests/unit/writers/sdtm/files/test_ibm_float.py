"""IBM 370 doubles: known bytes, exact round trips through an independent decoder, numpy and pure paths agree."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies

from crfmap.writers.sdtm.ibm_float import MISSING, _to_ibm_numpy, is_representable, to_ibm


def decode_ibm(data: bytes) -> float | None:
    """Independent decoder, straight from the format definition: (-1)^s * 0.F * 16^(e-64)."""
    if data == MISSING:
        return None
    word = int.from_bytes(data, "big")
    sign = -1 if word >> 63 else 1
    exponent = ((word >> 56) & 0x7F) - 64
    fraction = word & ((1 << 56) - 1)
    return sign * math.ldexp(fraction, 4 * exponent - 56)


@pytest.mark.parametrize("value, expected", [
    (1.0, "4110000000000000"),  # 1 = 0x0.1 * 16^1
    (-2.5, "c128000000000000"),
    (0.0, "0000000000000000"),
    (100.0, "4264000000000000"),  # 100 = 0x64 = 0x0.64 * 16^2
    (0.5, "4080000000000000"),
    (None, "2e00000000000000"),
    (float("nan"), "2e00000000000000"),
])
def test_known_values(value, expected):
    assert to_ibm(value).hex() == expected


finite = strategies.floats(allow_nan=False, allow_infinity=False, min_value=-1e75, max_value=1e75)


@given(finite)
def test_round_trip_is_exact(value):
    if value != 0 and abs(value) < 1e-75:
        return
    assert decode_ibm(to_ibm(value)) == value


@given(strategies.lists(strategies.one_of(strategies.none(), finite), max_size=50))
def test_numpy_path_matches_pure_path(values):
    values = [value for value in values if value is None or value == 0 or abs(value) >= 1e-75]
    assert _to_ibm_numpy(values) == [to_ibm(value) for value in values]


def test_range_limits():
    assert is_representable(7.2e75) and not is_representable(7.3e75)
    assert not is_representable(float("inf")) and not is_representable(float("nan"))
    assert is_representable(0.0) and not is_representable(1e-80)


def test_same_bytes_as_pyreadstat_for_a_column(tmp_path):
    """pyreadstat's own writer is a second, independent encoder: its data bytes must equal ours."""
    pandas = pytest.importorskip("pandas")
    pyreadstat = pytest.importorskip("pyreadstat")
    values = [1.0, -2.5, 0.0, 123456789.125, 1e-9, -7.0, 2.5e20, 1 / 3]
    path = tmp_path / "x.xpt"
    pyreadstat.write_xport(pandas.DataFrame({"X": values}), str(path), file_format_version=5)
    data = path.read_bytes()
    start = data.index(b"OBS     HEADER RECORD") + 60
    theirs = [data[start + 8 * index:start + 8 * index + 8] for index in range(len(values))]
    assert theirs == [to_ibm(value) for value in values]
