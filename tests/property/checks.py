"""Assertions shared by the property tests: a run ends in a report with catalogue codes."""

from __future__ import annotations

from pathlib import Path

from crfmap.api import ValidationResult, validate_workbook
from crfmap.issues import FatalIssue, Issue
from crfmap.issues.catalogue import lookup
from crfmap.study.models import StudyMapping


def assert_catalogued(issues: list[Issue]) -> None:
    for issue in issues:
        assert lookup(issue.code).code == issue.code, issue
        assert issue.message, issue


def validate_or_refuse(workbook: Path, study: StudyMapping) -> ValidationResult | None:
    """Validation returns a result whose cells are all accounted for, or refuses the file with catalogued
    issues (a FatalIssue, exit status 2). Any other exception fails the test."""
    try:
        result = validate_workbook(workbook, study)
    except FatalIssue as refusal:
        assert refusal.issues
        assert_catalogued(list(refusal.issues))
        return None
    assert_catalogued(result.report.issues)
    assert sum(account.unaccounted for account in result.coverage) == 0, result.coverage
    return result
