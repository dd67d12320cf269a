"""The shape of one catalogue entry."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class IssueType:
    """One kind of problem: what it is called, how bad it is, and what to do about it.

    `template` is a str.format template over the issue's fields (value, expected, column, subject and any
    extra keyword the raiser passes); `hint` is the default advice, which a raiser may sharpen.
    """

    code: str
    slug: str
    severity: Severity
    title: str
    template: str
    hint: str = ""
