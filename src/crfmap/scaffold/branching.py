"""REDCap branching logic as `required_if` conditions, where the mapping format can say the same thing.

A required field with branching logic is required only when it is shown. Translated: `[f] = "v"` (equals),
`[f] <> ""` (present), `[f] = ""` (absent), `[f] = "a" or [f] = "b"` (in), `[f(c)] = "1"` (checkbox choice c
ticked), and any of these joined by `and` (all must hold). Anything else (numbers compared with < or >,
parentheses, other events' fields, functions) is left to the person, with the logic quoted in a comment.
"""

from __future__ import annotations

import re
from typing import Any

CLAUSE = re.compile(r"""^\[(?P<field>\w+)(?:\((?P<code>[\w-]+)\))?\]\s*(?P<op>=|<>|!=)\s*(?P<quote>['"]?)(?P<value>[^'"]*)(?P=quote)$""")
AND = re.compile(r"\s+and\s+", re.IGNORECASE)
OR = re.compile(r"\s+or\s+", re.IGNORECASE)


def translate_branching(logic: str) -> list[dict[str, Any]] | None:
    """The conditions (all must hold), or None when the logic cannot be said as conditions."""
    text = " ".join(logic.split())
    grouping = strip_choice_codes(text)
    if not text or "(" in grouping or ")" in grouping:
        return None
    conditions = []
    for part in AND.split(text):
        condition = translate_clause(part)
        if condition is None:
            return None
        conditions.append(condition)
    return conditions


def strip_choice_codes(text: str) -> str:
    """The logic without checkbox choice references like [f(2)], whose parentheses are not grouping."""
    return re.sub(r"\[\w+\([\w-]+\)\]", "[f]", text)


def translate_clause(text: str) -> dict[str, Any] | None:
    alternatives = OR.split(text)
    if len(alternatives) > 1:
        parsed = [CLAUSE.match(item.strip()) for item in alternatives]
        if any(match is None for match in parsed):
            return None
        fields = {match["field"] for match in parsed if match}
        if len(fields) != 1 or any(match["op"] != "=" or match["code"] or not match["value"]
                                   for match in parsed if match):
            return None
        return {"column": fields.pop(), "in": [match["value"] for match in parsed if match]}
    match = CLAUSE.match(text.strip())
    if match is None:
        return None
    field, code, operator, value = match["field"], match["code"], match["op"], match["value"]
    if code is not None:  # a checkbox choice: ticked is "1"
        if operator == "=" and value == "1":
            return {"column": field, "equals": code}
        return None
    if value == "":
        return {"column": field, "present": operator != "="}
    if operator == "=":
        return {"column": field, "equals": value}
    return None
