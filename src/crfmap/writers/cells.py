"""Cell text safety for spreadsheet outputs (csv, annotated xlsx)."""

from __future__ import annotations

from typing import Any

# A spreadsheet program treats text starting with these as a formula (or DDE command): CWE-1236.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
