"""The Report: every issue of a run, its counts, its views and the exit status it implies."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue, replaced
from crfmap.issues.layout import CoverageLine, RunHeader, SheetLayout
from crfmap.issues.packed import IssueKind, PackedIssues

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
    """Collects issues in the order found (packed beyond a block: `PackedIssues`); sorts only when viewed. The counts
    come from their tally, without reading the issues back."""

    issues: PackedIssues = field(default_factory=PackedIssues)  # any iterable of issues given is packed
    facts: dict[str, Any] = field(default_factory=dict)  # counts the run wants to show (rows read, …)
    run: RunHeader | None = None  # which crfmap, mapping and input made the report
    sheets: list[SheetLayout] = field(default_factory=list)  # the input's tabs in order, with header texts
    coverage: list[CoverageLine] = field(default_factory=list)  # where every non-empty cell went

    def __post_init__(self) -> None:
        if not isinstance(self.issues, PackedIssues):
            self.issues = PackedIssues(self.issues)

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
        return self.count(Severity.ERROR) > 0

    def count(self, severity: Severity) -> int:
        """How many issues have this severity (from the tally)."""
        return sum(count for kind, count in self.issues.tally().items() if kind.severity is severity)

    def tally(self) -> Counter[IssueKind]:
        """How many issues of each kind (code, severity, sheet, form, waived …)."""
        return self.issues.tally()

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.DATA_ERRORS if self.has_errors else ExitStatus.OK

    def sorted(self) -> list[Issue]:
        """Issues in reading order: mapping files first, then by sheet in the workbook's tab order (sheets
        the report does not know after, by name), row, column; stable otherwise."""
        tabs = {sheet.name: sheet.index for sheet in self.sheets}
        return sorted(self.issues, key=lambda issue: _reading_order(issue, tabs))

    def sheet_order(self) -> list[str]:
        """Every sheet named by the layout or an issue: tab order first, then the others by name."""
        known = [sheet.name for sheet in sorted(self.sheets, key=lambda sheet: sheet.index)]
        others = sorted({kind.sheet for kind in self.issues.tally() if kind.sheet is not None} - set(known))
        return known + others

    def layout_of(self, sheet: str | None) -> SheetLayout | None:
        return next((layout for layout in self.sheets if layout.name == sheet), None)

    def flatten(self, fields: Iterable[str] = ("code", "sheet", "cell")) -> list[tuple[Any, ...]]:
        """Tuples of the named fields, in reading order: what tests assert on."""
        names = tuple(fields)
        return [tuple(getattr(issue, name) for name in names) for issue in self.sorted()]

    def summary(self) -> dict[str, Any]:
        by_severity: Counter[str] = Counter()
        by_form: dict[str, Counter[str]] = {}
        by_code: Counter[str] = Counter()
        by_sheet: dict[str, Counter[str]] = {}
        waived = 0
        for kind, count in self.issues.tally().items():
            severity = kind.severity.value
            by_severity[severity] += count
            by_form.setdefault(kind.form or "(workbook)", Counter())[severity] += count
            by_code[kind.code] += count
            if kind.sheet is not None:
                by_sheet.setdefault(kind.sheet, Counter())[severity] += count
            waived += count if kind.waived else 0
        return {
            "errors": by_severity.get("error", 0),
            "warnings": by_severity.get("warning", 0),
            "infos": by_severity.get("info", 0),
            "waived": waived,
            "by_sheet": {sheet: dict(sorted(by_sheet[sheet].items())) for sheet in self.sheet_order()
                         if sheet in by_sheet},
            "by_form": {form: dict(sorted(counts.items())) for form, counts in sorted(by_form.items())},
            "by_code": dict(sorted(by_code.items())),
            **self.facts,
        }

    def presented(self, *, redact: bool = False, site_words: bool = True) -> list[Issue]:
        """The issues as every view shows them (text, JSON, HTML, spreadsheet, annotated copy): in reading
        order, each with the site's header text of its column, with messages in the site's words unless
        `site_words` is False (JSON keeps mapping names), and with nothing taken from cells when `redact` —
        the one place redaction is applied."""
        from crfmap.issues.wording import in_site_words

        labels = {sheet.name: sheet.labels() for sheet in self.sheets}
        shown = []
        for issue in self.sorted():
            layout = self.layout_of(issue.sheet)
            if layout is not None and issue.header is None and issue.item is None:
                below_header = layout.header_row is not None and (issue.row or 0) > layout.header_row
                header = layout.title_at(issue.cell) if below_header else None
                if header is None and issue.column is not None:
                    header = labels[layout.name].get(issue.column)
                if header is not None:  # a copy only when there is something to add
                    issue = replaced(issue, header=header)
            if site_words and issue.sheet in labels:
                issue = in_site_words(issue, labels[issue.sheet])
            shown.append(redact_issue(issue) if redact else issue)
        return shown

    def as_dict(self, *, redact: bool = False, coverage: bool = False) -> dict[str, Any]:
        """The JSON view: the run header, the issues (mapping names in messages; the site's header text in
        `header`), the counts, and with `coverage` where every non-empty cell went."""
        data: dict[str, Any] = {} if self.run is None else {"run": self.run.as_dict()}
        data["issues"] = [issue.as_dict() for issue in self.presented(redact=redact, site_words=False)]
        data["summary"] = self.summary()
        if coverage:
            data["coverage"] = [line.as_dict() for line in self.coverage]
        return data


def redact_issue(issue: Issue) -> Issue:
    """The issue without anything taken from cells (which may be patient data); positions, codes, column and
    subject ids stay, so the user can still find every problem.

    Data reaches an issue through its value, but also through `expected` (the other value of a conflict), the
    message's details (the other date of an order check) and sharpened hints (a date's month). So the message
    and hint are rebuilt from the catalogue's own words rather than scrubbed.
    """
    from crfmap.issues.catalogue import lookup

    entry = lookup(issue.code)
    column = issue.header or issue.column
    message = entry.title + (f" (column {column!r})" if column else "")
    return replace(issue, message=message, hint=entry.hint,
                   value=None if issue.value is None else REDACTED, expected=None)


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _reading_order(issue: Issue, tabs: dict[str, int]) -> tuple[Any, ...]:
    return (
        issue.line is None or issue.item is not None,  # mapping problems first (an input's lines come later)
        issue.file or "",
        issue.line or 0,
        tabs.get(issue.sheet or "", len(tabs)),
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
