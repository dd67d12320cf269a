"""The Report: every issue of a run, its counts, its views and the exit status it implies."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue

REDACTED = "‹redacted›"


class ExitStatus(enum.IntEnum):
    """What `crfmap` returns to the shell."""

    OK = 0  # no errors (warnings allowed)
    DATA_ERRORS = 1  # the data has errors; the report says where
    CANNOT_RUN = 2  # missing file, unreadable workbook, broken mapping, bad options


class FatalIssue(Exception):
    """Raised when an issue makes the run impossible (unreadable file, broken mapping).

    Carries the issue(s) so the CLI can print them as one line each and exit 2, never a traceback.
    """

    def __init__(self, *issues: Issue) -> None:
        super().__init__("; ".join(f"{issue.code} {issue.message}" for issue in issues))
        self.issues = issues


@dataclass
class Report:
    """Collects issues in the order found; sorts only when viewed."""

    issues: list[Issue] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # counts the run wants to show (rows read, …)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity is Severity.ERROR]

    @property
    def has_errors(self) -> bool:
        return any(issue.severity is Severity.ERROR for issue in self.issues)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.DATA_ERRORS if self.has_errors else ExitStatus.OK

    def sorted(self) -> list[Issue]:
        """Issues in reading order: mapping files first, then by sheet, row, column; stable otherwise."""
        return sorted(self.issues, key=_reading_order)

    def flatten(self, fields: Iterable[str] = ("code", "sheet", "cell")) -> list[tuple[Any, ...]]:
        """Tuples of the named fields, in reading order: what tests assert on."""
        names = tuple(fields)
        return [tuple(getattr(issue, name) for name in names) for issue in self.sorted()]

    def summary(self) -> dict[str, Any]:
        by_severity = Counter(issue.severity.value for issue in self.issues)
        by_form: dict[str, Counter[str]] = {}
        for issue in self.issues:
            by_form.setdefault(issue.form or "(workbook)", Counter())[issue.severity.value] += 1
        by_code = Counter(issue.code for issue in self.issues)
        return {
            "errors": by_severity.get("error", 0),
            "warnings": by_severity.get("warning", 0),
            "infos": by_severity.get("info", 0),
            "by_form": {form: dict(sorted(counts.items())) for form, counts in sorted(by_form.items())},
            "by_code": dict(sorted(by_code.items())),
            **self.facts,
        }

    def presented(self, *, redact: bool = False) -> list[Issue]:
        """The issues as every view shows them (text, JSON, annotated copy): in reading order, and with
        nothing taken from cells when `redact` — the one place redaction is applied."""
        return [redact_issue(issue) if redact else issue for issue in self.sorted()]

    def as_dict(self, *, redact: bool = False) -> dict[str, Any]:
        return {"issues": [issue.as_dict() for issue in self.presented(redact=redact)], "summary": self.summary()}


def redact_issue(issue: Issue) -> Issue:
    """The issue without anything taken from cells (which may be patient data); positions, codes, column and
    subject ids stay, so the user can still find every problem.

    Data reaches an issue through its value, but also through `expected` (the other value of a conflict), the
    message's details (the other date of an order check) and sharpened hints (a date's month). So the message
    and hint are rebuilt from the catalogue's own words rather than scrubbed.
    """
    from crfmap.issues.catalogue import lookup

    entry = lookup(issue.code)
    message = entry.title + (f" (column {issue.column!r})" if issue.column else "")
    return replace(issue, message=message, hint=entry.hint,
                   value=None if issue.value is None else REDACTED, expected=None)


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _reading_order(issue: Issue) -> tuple[Any, ...]:
    return (
        issue.line is None or issue.item is not None,  # mapping problems first (an input's lines come later)
        issue.file or "",
        issue.line or 0,
        issue.sheet or "",
        issue.row or 0,
        _cell_column(issue.cell),
        issue.code,
    )


def _cell_column(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    letters = "".join(character for character in cell if character.isalpha())
    return (len(letters), letters)
