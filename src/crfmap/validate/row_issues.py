"""RowIssues: builds the issues of one row with its position filled in, and remembers whether any was an
error (the FormRow's `has_errors`)."""

from __future__ import annotations

from typing import Any

from crfmap.issues import Severity, lookup, make_issue
from crfmap.sources import Row, column_letters
from crfmap.values.cells import display_raw
from crfmap.values.problems import Problem


class RowIssues:
    def __init__(self, emit: Any, file: str, sheet: str, form: str, row: int, positions: Row | None = None) -> None:
        self.emit = emit
        self.positions = positions  # the row read, when its cells have a format's own path and line (ODM, REDCap)
        self.file = file
        self.sheet = sheet
        self.form = form
        self.row = row
        self.subject: str | None = None
        self.has_errors = False

    def cell_name(self, column_number: int | None) -> str | None:
        return None if column_number is None else f"{column_letters(column_number)}{self.row}"

    def reference(self, column_number: int | None, row: int | None = None) -> str | None:
        """'Sheet!A5' for `related`."""
        if column_number is None:
            return None
        return f"{self.sheet}!{column_letters(column_number)}{row or self.row}"

    def add(self, code: str, *, column: str | None, at: int | None, raw: Any = None,
            expected: Any = None, hint: str | None = None, detail: Any = "",
            related: tuple[str | None, ...] = ()) -> None:
        """One issue at sheet column `at` of this row (`at` None: the row, without a cell)."""
        if lookup(code).severity is Severity.ERROR:
            self.has_errors = True
        positions = self.positions
        source = None
        if positions is not None and at is not None and (positions.items or positions.line or positions.lines):
            source = positions.source(self.file, self.sheet, at)
        self.emit(make_issue(
            code, at=source, file=self.file, sheet=self.sheet, row=self.row, cell=self.cell_name(at), column=column,
            form=self.form, subject=self.subject, value=show_raw(raw),
            expected=expected, hint=hint, detail=detail,
            related=tuple(reference for reference in related if reference)))

    def add_problem(self, problem: Problem, *, column: str, at: int, raw: Any) -> None:
        self.add(problem.code, column=column, at=at, raw=raw, expected=problem.expected, hint=problem.hint,
                 detail=problem.detail or "")


def show_raw(raw: Any) -> str | None:
    """The cell as the user sees it: text exactly as typed (a trailing space is worth seeing)."""
    if raw is None:
        return None
    return raw if isinstance(raw, str) else display_raw(raw)
