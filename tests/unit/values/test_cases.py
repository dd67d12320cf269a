"""Runs the YAML cases in cases/: one raw cell, one column type, the value read or the issue code.

Expected values are written by hand from the calendar and the text of the case, not from crfmap's output.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from crfmap.model import Coded, PartialDate
from crfmap.study.models import Column
from crfmap.values.cells import ParseContext, parse_cell
from tests.unit.values.codelists import INDEXES

CASES = Path(__file__).resolve().parent / "cases"


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES.glob("*.yaml")):
        for number, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")), start=1):
            cases.append(pytest.param(case, id=f"{path.stem}-{number}-{case['raw']!r}"))
    return cases


def render(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return value.iso()
    if isinstance(value, Coded):
        return value.value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return str(value)
    return value


def raw_cell(raw: Any) -> Any:
    if isinstance(raw, dict) and "time" in raw:
        return time.fromisoformat(raw["time"])
    return raw


@pytest.mark.parametrize("case", load_cases())
def test_case(case: dict[str, Any]) -> None:
    column = Column(name="item", label="Item", type=case["type"], unit=case.get("unit"),
                    codelist=case.get("codelist"), date_format=case.get("date_format"))
    context = ParseContext(INDEXES, native_types=case.get("native", False), date1904=case.get("date1904", False))
    parsed = parse_cell(raw_cell(case["raw"]), column, context)
    codes = [problem.code for problem in parsed.problems]
    if "code" in case:
        assert (parsed.value, codes) == (None, [case["code"]])
        if "expected" in case:
            assert parsed.problems[0].expected == case["expected"]
        return
    assert render(parsed.value) == case["value"]
    assert codes == ([case["warning"]] if "warning" in case else [])
    kind = case.get("kind")
    if kind == "int":
        assert type(parsed.value) is int
    elif kind == "decimal":
        assert isinstance(parsed.value, Decimal)
    if "verbatim" in case:
        assert parsed.value.verbatim == case["verbatim"]
