"""Issues: the catalogue of codes, the Issue record and the Report."""

from crfmap.issues.catalogue import CATALOGUE, IssueType, Severity, lookup
from crfmap.issues.issue import Issue, Located, make_issue
from crfmap.issues.log import IssueLog
from crfmap.issues.report import ExitStatus, FatalIssue, Report, redact_issue

__all__ = [
    "CATALOGUE", "ExitStatus", "FatalIssue", "Issue", "IssueLog", "IssueType", "Located", "Report", "Severity",
    "lookup", "make_issue", "redact_issue",
]
