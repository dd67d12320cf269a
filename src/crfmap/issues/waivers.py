"""Waivers: issues a data manager reviewed and accepted. A waived issue stays in every report, as a note marked
waived (with the reason, who and when); a waiver that no longer matches any issue is itself reported (P062),
so the file cannot silently go stale.

A waiver names a code and either one cell ("Sheet!D14") or one subject (optionally on one sheet). Only issues
found in the data can be waived: reading (R), validation (S) and mapping (M) issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from crfmap.issues.catalogue.entries import Severity
from crfmap.issues.issue import Issue, WaiverNote, make_issue
from crfmap.issues.packed import PackedIssues
from crfmap.issues.report import Report

WAIVABLE_STAGES = ("R", "S", "M")


@dataclass(frozen=True, slots=True)
class Waiver:
    code: str
    reason: str
    by: str
    date: str  # yyyy-mm-dd, as reviewed
    sheet: str | None = None
    cell: str | None = None  # A1, with `sheet`
    subject: str | None = None
    file: str = "waivers.yaml"
    line: int | None = None

    @property
    def target(self) -> str:
        """What it waives, in words: 'Терапия!G13', 'subject 03-001 on НЯ'."""
        if self.cell is not None:
            return f"{self.sheet}!{self.cell}"
        return f"subject {self.subject}" + (f" on {self.sheet}" if self.sheet else "")

    def matches(self, issue: Issue) -> bool:
        if issue.code != self.code:
            return False
        if self.cell is not None:
            return issue.sheet == self.sheet and issue.cell == self.cell
        return issue.subject == self.subject and (self.sheet is None or issue.sheet == self.sheet)

    def note(self, severity: Severity) -> WaiverNote:
        return WaiverNote(reason=self.reason, by=self.by, date=self.date, file=self.file, line=self.line,
                          severity=severity)


def apply_waivers(report: Report, waivers: Sequence[Waiver]) -> None:
    """Turn every issue a waiver matches into a note marked waived; report each waiver that matched nothing."""
    if not waivers:
        return
    used: set[int] = set()
    accepted = PackedIssues()
    for issue in report.issues:
        index = next((number for number, waiver in enumerate(waivers)
                      if issue.waived is None and waiver.matches(issue)), None)
        if index is None:
            accepted.append(issue)
            continue
        used.add(index)
        accepted.append(replace(issue, severity=Severity.INFO, waived=waivers[index].note(issue.severity)))
    report.issues = accepted
    for number, waiver in enumerate(waivers):
        if number not in used:
            report.add(make_issue("P062", file=waiver.file, line=waiver.line, value=waiver.code,
                                  expected=waiver.target))
