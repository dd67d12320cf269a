"""UCUM (the Unified Code for Units of Measure, ucum.org): is a unit code valid, and how to convert between two.

Both answers come from `ucumvert` (PyPI, MIT): its parser implements the full UCUM grammar with the unit atoms
and prefixes of the official ucum-essence.xml (UCUM 2.2), and its pint registry holds every UCUM unit for
conversion. Validity needs only the grammar (cheap: lark, no pint), so the mapping linter can check every unit
a mapping declares; pint is loaded only when a value is actually converted.

Conversions are done in Decimal (no float noise: 150 [lb_av] is 68.0388555 kg), and only between units of the
same dimension; annotations ({beats}/min) are unity, as UCUM defines them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

Converter = Callable[[Decimal], Decimal]


class UcumUnavailable(RuntimeError):
    """ucumvert is not installed (it is a dependency of crfmap: reinstall crfmap)."""


@cache
def _parser() -> Any:
    from lark import Lark  # ucumvert's own dependency

    spec = importlib.util.find_spec("ucumvert")  # locates the package without importing it (and pint with it)
    if spec is None or not spec.submodule_search_locations:
        raise UcumUnavailable("the UCUM library ucumvert is not installed")
    grammar = Path(next(iter(spec.submodule_search_locations))) / "ucum_grammar.lark"
    if not grammar.is_file():  # a ucumvert that keeps its grammar elsewhere: ask it (imports pint, slower)
        from ucumvert import get_ucum_parser

        return get_ucum_parser()
    return Lark(grammar.read_text(encoding="utf-8"), start="main_term", strict=True)


# Units clinical mappings declare most, each checked against the full grammar by a test
# (tests/unit/standards/test_ucum_known.py): answering them without the parser spares a small run the ≈0.1 s of
# building it (lark's Earley parser over ucumvert's grammar), most of a 14-patient conversion's start-up.
KNOWN_VALID = frozenset({
    "%", "a", "d", "h", "min", "s", "wk", "mo", "ms", "kg", "g", "mg", "ug", "cm", "m", "m2", "mm", "L", "mL", "dL",
    "mg/dL", "g/dL", "g/L", "mg/L", "ug/L", "ng/mL", "mmol/L", "umol/L", "10*9/L", "10*12/L", "/min", "mm[Hg]",
    "kg/m2", "g/kg/d", "ug/m2/d", "mg/m2", "mg/kg", "Cel", "[degF]", "[lb_av]", "[in_i]", "[iU]/L", "U/L", "fL",
    "pg", "{beats}/min", "1", "mg/d", "mL/min",
})


@cache
def is_valid_ucum(code: str) -> bool:
    """Whether `code` is a valid UCUM expression (case-sensitive, as UCUM's c/s form is)."""
    if code in KNOWN_VALID:
        return True
    if not code or code != code.strip():
        return False
    from lark.exceptions import LarkError

    try:
        _parser().parse(code)
    except LarkError:
        return False
    return True


@cache
def _registry() -> Any:
    from ucumvert import PintUcumRegistry

    return PintUcumRegistry(non_int_type=Decimal)


@cache
def converter(source: str, target: str) -> Converter | None:
    """A function converting a value in `source` to `target`, or None when the units are not of one dimension
    (or either is not valid UCUM)."""
    if source == target:
        return lambda value: value
    if not (is_valid_ucum(source) and is_valid_ucum(target)):
        return None
    from pint.errors import DimensionalityError, OffsetUnitCalculusError, UndefinedUnitError

    registry = _registry()
    try:
        source_unit, target_unit = registry.from_ucum(source), registry.from_ucum(target)
        registry.Quantity(Decimal(1), source_unit).to(target_unit)
    except (DimensionalityError, OffsetUnitCalculusError, UndefinedUnitError):
        return None

    def convert(value: Decimal) -> Decimal:
        converted = registry.Quantity(value, source_unit).to(target_unit).magnitude
        return Decimal(converted).normalize() if not isinstance(converted, Decimal) else _tidy(converted)

    return convert


def _tidy(value: Decimal) -> Decimal:
    """Trailing zeros of the arithmetic removed; never exponent form for ordinary magnitudes (68.03885550 →
    68.0388555, 177.80000 → 177.8, 60 stays 60)."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


def convert(value: Decimal, source: str, target: str, decimals: int | None = None) -> Decimal | None:
    """`value` in `source` expressed in `target` (rounded half-even to `decimals` when given); None if it cannot
    be converted."""
    function = converter(source, target)
    if function is None:
        return None
    result = function(value)
    if decimals is not None:
        result = result.quantize(Decimal(1).scaleb(-decimals))
    return result
