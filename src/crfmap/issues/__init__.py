"""Issues: the catalogue of codes, the Issue record and the Report."""

from crfmap.issues.catalogue import CATALOGUE, IssueType, Severity, lookup
from crfmap.issues.issue import Issue, Located, make_issue
from crfmap.issues.packed import PackedIssues
from crfmap.issues.report import ExitStatus, FatalIssue, Report, redact_issue

__all__ = [
    "CATALOGUE",
    "ExitStatus",
    "FatalIssue",
    "Issue",
    "IssueType",
    "Located",
    "PackedIssues",
    "Report",
    "Severity",
    "lookup",
    "make_issue",
    "redact_issue",
]
