"""The one catalogue of issue codes.

A code is a stage letter and three digits: P project/mapping, R read, S schema/validation, M mapping,
W write. A code never changes meaning and is never reused; retire one by leaving it in place.
Each stage keeps its entries in its own module so that the people working on a stage own one file.
"""

from __future__ import annotations

from crfmap.issues.catalogue import mapping, project, push, read, schema, write
from crfmap.issues.catalogue.entries import IssueType, Severity

CATALOGUE: dict[str, IssueType] = {}
for _module in (project, read, schema, mapping, write, push):
    for _entry in _module.ENTRIES:
        if _entry.code in CATALOGUE:
            raise RuntimeError(f"issue code {_entry.code} is defined twice")
        CATALOGUE[_entry.code] = _entry

BY_SLUG: dict[str, IssueType] = {entry.slug: entry for entry in CATALOGUE.values()}


def lookup(code_or_slug: str) -> IssueType:
    """The catalogue entry for a code ("S104") or a slug ("value-not-in-codelist")."""
    entry = CATALOGUE.get(code_or_slug) or BY_SLUG.get(code_or_slug)
    if entry is None:
        raise KeyError(f"no issue code or slug {code_or_slug!r} in the catalogue")
    return entry


__all__ = ["CATALOGUE", "IssueType", "Severity", "lookup"]
