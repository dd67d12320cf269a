"""Problem: what went wrong with one value, before anyone knows where the value sits.

Parsers in `values` raise or return Problems; `validate` turns them into Issues with file, sheet and cell.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """A catalogue code with what was expected; `hint` replaces the catalogue's hint when given."""

    code: str
    expected: str | None = None
    hint: str | None = None
    detail: str | None = None


class ValueProblem(ValueError):
    """Raised by a parser when a value cannot be read; carries the Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def fail(code: str, expected: str | None = None, hint: str | None = None, detail: str | None = None) -> ValueProblem:
    """The exception to raise for a value that cannot be read: `raise fail("S102", "a number")`."""
    return ValueProblem(Problem(code, expected, hint, detail))

