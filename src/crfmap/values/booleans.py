"""Yes/no answers in the languages sites write them.

Decision: a lone "x" or "v" (a ticked box) is NOT read as yes: in a yes/no column a cross may just as well
cross the question out, so it is reported (S109) instead of guessed.
"""

from __future__ import annotations

from crfmap.sources.text import normalize_text
from crfmap.values.problems import fail

YES_WORDS = frozenset({"yes", "y", "true", "1", "+", "да", "д", "истина", "имеется", "есть", "si", "ja"})
NO_WORDS = frozenset({"no", "n", "false", "0", "-", "нет", "н", "ложь", "отсутствует", "не было"})
EXPECTED_BOOLEAN = "yes/no (да/нет, Y/N, 1/0)"


def parse_boolean_text(text: str) -> bool:
    """Raises ValueProblem S109 when the text is neither a yes nor a no."""
    word = normalize_text(text).rstrip(".")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise fail("S109", EXPECTED_BOOLEAN)


def read_boolean_number(value: float) -> bool:
    if value in (0, 1):
        return bool(value)
    raise fail("S109", EXPECTED_BOOLEAN)
