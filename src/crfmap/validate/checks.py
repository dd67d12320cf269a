"""Checks on one typed value against its column: range, pattern, length, data cut-off. Each returns the
Problem it finds, or None."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from crfmap.model import PartialDate
from crfmap.study.models import Column
from crfmap.values.problems import Problem


def check_range(column: Column, value: Any) -> Problem | None:
    if column.min is None and column.max is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    too_low = column.min is not None and value < column.min
    too_high = column.max is not None and value > column.max
    if not (too_low or too_high):
        return None
    return Problem("S105", describe_range(column))


def describe_range(column: Column) -> str:
    unit = f" {column.unit}" if column.unit else ""
    if column.min is not None and column.max is not None:
        return f"{column.min} to {column.max}{unit}"
    if column.min is not None:
        return f"at least {column.min}{unit}"
    return f"at most {column.max}{unit}"


def check_pattern(column: Column, value: Any) -> Problem | None:
    if column.pattern is None or not isinstance(value, str):
        return None
    compiled = compile_pattern(column.pattern)
    if compiled is None or compiled.fullmatch(value):
        return None
    return Problem("S106", f"the pattern {column.pattern}")


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # the study linter reports broken patterns; a cell cannot be blamed for one
        return None


def check_length(column: Column, value: Any) -> Problem | None:
    if column.max_length is None or not isinstance(value, str) or len(value) <= column.max_length:
        return None
    return Problem("S110", str(column.max_length), detail=str(len(value)))


def check_cutoff(column: Column, value: Any, cutoff: PartialDate | None) -> Problem | None:
    """A date certainly after the data cut-off (a partial date only when its earliest reading is after)."""
    if cutoff is None or column.allow_future or not isinstance(value, PartialDate):
        return None
    if value.earliest() <= cutoff.latest():
        return None
    return Problem("S107", cutoff.iso())


ValueCheck = Callable[[Any], "Problem | None"]


def plan_checks(column: Column, cutoff: PartialDate | None) -> tuple[ValueCheck, ...]:
    """Only the checks the column declares, decided once per sheet rather than once per cell."""
    checks: list[ValueCheck] = []
    if column.min is not None or column.max is not None:
        checks.append(partial(check_range, column))
    if column.pattern is not None:
        checks.append(partial(check_pattern, column))
    if column.max_length is not None:
        checks.append(partial(check_length, column))
    if cutoff is not None and not column.allow_future and column.type in ("date", "datetime", "partial_date"):
        checks.append(plan_cutoff(cutoff))
    return tuple(checks)


def plan_cutoff(cutoff: PartialDate) -> ValueCheck:
    """check_cutoff with the cut-off's last instant computed once: a value's earliest instant compared as a
    (year, month, day, hour, minute, second) tuple, the order datetimes have, without building one per cell."""
    latest = cutoff.latest()
    bound = (latest.year, latest.month, latest.day, latest.hour, latest.minute, latest.second)

    def check(value: Any) -> Problem | None:
        if not isinstance(value, PartialDate):
            return None
        earliest = (value.year, value.month or 1, value.day or 1, value.hour or 0, value.minute or 0,
                    value.second or 0)
        return None if earliest <= bound else Problem("S107", cutoff.iso())

    return check


def check_value(checks: tuple[ValueCheck, ...], value: Any) -> list[Problem]:
    found = [check(value) for check in checks]
    return [problem for problem in found if problem is not None]
