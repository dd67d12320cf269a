"""What the server's answer means for each entry of a unit, and the issues a user reads about it.

An answer is `accepted` when the server took every entry (a transaction- or batch-response whose entries all
have a 2xx status); `rejected` when it refused the request or any entry (4xx, or an entry status that is not
2xx: servers that do not roll transactions back, like Medplum, keep the entries before it); `unavailable` when
5xx/429 outlasted the retries; `unreachable` when no answer came at all; `unauthorised` on 401/403. A rejection is reported like a data
issue: at the first source cell of the refused resource (its `source-cells` extensions), naming the bundle,
the entry and the server's OperationOutcome diagnostics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.push.client import Answer
from crfmap.push.units import EntryInfo, Payload, Unit

ENTRY_IN_TEXT = re.compile(r"(?:Bundle\.)?entry\[(\d+)\]")
CELL = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!([A-Z]+)(\d+)$")


@dataclass
class UnitOutcome:
    unit: Unit
    status: str  # accepted | rejected | unavailable | unreachable | unauthorised | skipped | not-sent | refused
    http_status: int | None = None
    attempts: int = 0
    detail: str = ""
    locations: list[str] = field(default_factory=list)  # server ids of the entries (response.location)
    issues: list[Issue] = field(default_factory=list)
    operation_outcome: Any = None

    def log_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"unit": self.unit.name, "file": self.unit.origin, "digest": self.unit.digest,
                                  "status": self.status, "http": self.http_status, "attempts": self.attempts}
        if self.locations:
            record["locations"] = self.locations
        if self.operation_outcome is not None:
            record["outcome"] = self.operation_outcome
        if self.detail:
            record["detail"] = self.detail
        return record


def judge(unit: Unit, payload: Payload, answer: Answer, server: str) -> UnitOutcome:
    outcome = UnitOutcome(unit, "accepted", answer.status, answer.attempts)
    if answer.status is None:
        outcome.status, outcome.detail = "unreachable", answer.error or "no answer"
        outcome.issues.append(make_issue("W101", value=server, detail=f"{outcome.detail} (sending {unit.name})"))
        return outcome
    if answer.status in (429, 408) or answer.status >= 500:
        outcome.status, outcome.detail = "unavailable", f"HTTP {answer.status} {diagnostics(answer.body) or ''}"
        outcome.issues.append(make_issue("W102", value=unit.name, expected=answer.attempts,
                                         detail=outcome.detail.strip()))
        return outcome
    if answer.status in (401, 403):
        outcome.status, outcome.operation_outcome = "unauthorised", _operation_outcome(answer.body)
        outcome.detail = f"HTTP {answer.status} {diagnostics(answer.body) or answer.text[:200]}".strip()
        outcome.issues.append(make_issue("W104", value=f"{server} refused {unit.name}", detail=outcome.detail))
        return outcome
    if answer.status >= 300:
        outcome.status, outcome.operation_outcome = "rejected", _operation_outcome(answer.body)
        outcome.detail = f"HTTP {answer.status}"
        outcome.issues.extend(_refusal_issues(unit, payload, answer))
        return outcome
    _judge_response_bundle(outcome, payload, answer)
    return outcome


def _judge_response_bundle(outcome: UnitOutcome, payload: Payload, answer: Answer) -> None:
    unit, body = outcome.unit, answer.body
    expected = f"{unit.kind}-response"
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle" or body.get("type") != expected \
            or not isinstance(entries, list) or len(entries) != len(payload.entries):
        got = body.get("type") if isinstance(body, dict) else type(body).__name__
        outcome.status = "rejected"
        outcome.detail = f"expected a {expected} Bundle with {len(payload.entries)} entries, got {got}"
        outcome.issues.append(make_issue("W108", value=unit.name, detail=outcome.detail))
        return
    for info, method, entry in zip(payload.entries, payload.methods, entries, strict=True):
        response = entry.get("response") if isinstance(entry, dict) else None
        status = str((response or {}).get("status", ""))
        location = (response or {}).get("location")
        if isinstance(location, str):
            outcome.locations.append(location)
        if status[:1] != "2":
            outcome.status = "rejected"
            reason = diagnostics((response or {}).get("outcome")) or f"entry status {status or 'missing'}"
            outcome.issues.append(entry_issue(unit, info, method, f"{status} {reason}".strip()))
    if outcome.status == "rejected":
        outcome.detail = "some entries were refused"


def _refusal_issues(unit: Unit, payload: Payload, answer: Answer) -> list[Issue]:
    """A refused request: one issue per entry the OperationOutcome names, else one for the unit."""
    text = diagnostics(answer.body) or answer.text[:300] or "no diagnostics"
    named = sorted({int(match) for match in ENTRY_IN_TEXT.findall(_locations(answer.body) + " " + text)})
    issues = [entry_issue(unit, payload.entries[index], payload.methods[index], f"{answer.status} {text}")
              for index in named if index < len(payload.entries)]
    if not issues:
        issues.append(make_issue("W100", file=unit.origin, value=f"{unit.name} ({unit.kind} of {unit.size} entries)",
                                 detail=f"{answer.status} {text}"))
    return issues


def entry_issue(unit: Unit, info: EntryInfo, method: str, detail: str) -> Issue:
    """An issue about one refused entry, placed at the first cell the resource came from."""
    value = f"{unit.origin} {info.position} ({method} {info.reference})"
    located = [_split_cell(cell) for cell in info.cells]
    first = next((cell for cell in located if cell is not None), None)
    if first is None or info.source_file is None:
        return make_issue("W100", file=unit.origin, value=value, detail=detail)
    sheet, cell, row = first
    related = tuple(text for text, parsed in zip(info.cells, located, strict=True) if parsed is not first)
    return make_issue("W100", file=info.source_file, sheet=sheet, cell=cell, row=row, value=value, detail=detail,
                      related=related)


def _split_cell(text: str) -> tuple[str, str, int] | None:
    match = CELL.match(text)
    if not match:
        return None
    sheet = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return sheet, f"{match.group(3)}{match.group(4)}", int(match.group(4))


def diagnostics(outcome: Any) -> str | None:
    """The readable part of an OperationOutcome: each issue's severity, code, diagnostics/details and where."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return None
    parts = []
    for issue in outcome.get("issue", []):
        if not isinstance(issue, dict):
            continue
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code") or ""
        where = ", ".join(issue.get("expression") or issue.get("location") or [])
        parts.append(f"{issue.get('severity', 'error')}: {text}" + (f" at {where}" if where else ""))
    return "; ".join(parts) or None


def _locations(outcome: Any) -> str:
    if not isinstance(outcome, dict):
        return ""
    return " ".join(" ".join(issue.get("expression") or issue.get("location") or [])
                    for issue in outcome.get("issue", []) if isinstance(issue, dict))


def _operation_outcome(body: Any) -> Any:
    return body if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome" else None
