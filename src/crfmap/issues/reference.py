"""The issue-code reference, generated from the catalogue (the README's table is this output)."""

from __future__ import annotations

import json

from crfmap.issues.catalogue import CATALOGUE

STAGES = {"P": "mapping folder", "R": "reading", "S": "validation", "M": "mapping", "W": "writing"}


def render_codes(output_format: str = "text") -> str:
    entries = sorted(CATALOGUE.values(), key=lambda entry: entry.code)
    if output_format == "json":
        return json.dumps([{"code": entry.code, "slug": entry.slug, "severity": entry.severity.value,
                            "title": entry.title, "hint": entry.hint} for entry in entries],
                          ensure_ascii=False, indent=2)
    if output_format == "markdown":
        lines = ["| code | slug | severity | stage | what it means | what to do |", "|---|---|---|---|---|---|"]
        for entry in entries:
            hint = entry.hint.replace("|", "\\|")
            lines.append(f"| {entry.code} | `{entry.slug}` | {entry.severity.value} | {STAGES[entry.code[0]]} | "
                         f"{entry.title} | {hint} |")
        return "\n".join(lines)
    return "\n".join(f"{entry.code} {entry.slug:<28} {entry.severity.value:<8} {entry.title}" for entry in entries)
