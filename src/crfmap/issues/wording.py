"""Messages in the site's words: a form column's name ('birth_date'), quoted in a message, becomes the header
text the site wrote above that column ('Дата рождения'). The JSON view keeps the names (machines want ids);
every view for people shows the site's words.

Only quoted names of columns found in the issue's own sheet are replaced, and never inside the quoted cell
value itself (a value that happens to spell a column name stays as the site typed it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from crfmap.issues.issue import Issue

_QUOTED = re.compile(r"'([^'\n]{1,200})'")


def in_site_words(issue: Issue, labels: Mapping[str, str]) -> Issue:
    """The issue with column names in its message replaced by the site's header texts (`labels`)."""
    from dataclasses import replace

    if not labels or "'" not in issue.message:
        return issue
    protected = _value_spans(issue, labels)

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in labels or any(start <= match.start() < end for start, end in protected):
            return match.group(0)
        return repr(labels[name])

    message = _QUOTED.sub(swap, issue.message)
    expected = issue.expected
    if expected and _only_names(expected, labels):  # "'birth_date', 'age_years'": names, not data
        expected = _QUOTED.sub(lambda match: repr(labels[match.group(1)]), expected)
    if (message, expected) == (issue.message, issue.expected):
        return issue
    return replace(issue, message=message, expected=expected)


def _value_spans(issue: Issue, labels: Mapping[str, str]) -> list[tuple[int, int]]:
    """Where the issue's own value (and a data value it was compared with) sit in the message. An `expected`
    that only lists column names ("'birth_date', 'age_years'") is no data and stays open to replacement."""
    spans = []
    for text in (issue.value, issue.expected):
        if not text or (text is issue.expected and _only_names(text, labels)):
            continue
        for needle in (repr(text), text):
            start = issue.message.find(needle)
            while start >= 0:
                spans.append((start, start + len(needle)))
                start = issue.message.find(needle, start + 1)
    return spans


def _only_names(text: str, labels: Mapping[str, str]) -> bool:
    names = _QUOTED.findall(text)
    return bool(names) and all(name in labels for name in names) and not _QUOTED.sub("", text).strip(", ")
