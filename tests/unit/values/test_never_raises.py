"""Bad input never makes a traceback: any raw cell, any column type → a value or catalogue problems."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crfmap.issues import CATALOGUE
from crfmap.study.models import Column
from crfmap.values.cells import ParseContext, parse_cell
from tests.unit.values.codelists import INDEXES

RAW = st.one_of(
    st.text(),
    st.from_regex(r"[\dUNKun.,/ :%<-]{0,16}", fullmatch=True),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e300, 60.0, 0.999999999]),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
COLUMNS = [Column(name="item", label="Item", type=kind, codelist="sex" if kind == "coded" else None,
                  unit="%" if kind == "decimal" else None)
           for kind in ("string", "integer", "decimal", "date", "datetime", "partial_date", "time", "boolean",
                        "coded")]


@settings(max_examples=600)
@given(raw=RAW, column=st.sampled_from(COLUMNS), native=st.booleans())
def test_any_cell_gives_a_value_or_catalogue_problems(raw: object, column: Column, native: bool) -> None:
    parsed = parse_cell(raw, column, ParseContext(INDEXES, native_types=native))
    assert all(problem.code in CATALOGUE for problem in parsed.problems)
    if parsed.value is None:
        assert parsed.problems or parsed.unknown or raw is None or (isinstance(raw, str) and not raw.strip(
            " \t\r\n\u00a0\u202f\u2007\u2009\u2002\u2003\u200b\u200c\u200d\u2060\ufeff"))
