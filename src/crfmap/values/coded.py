"""Coded values: a site's text matched against a code list's values, displays and synonyms.

One index per code list, built once (a dict from the normalised text to the value); unmatched texts get
the closest spelling from difflib, computed once per distinct text.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field

from crfmap.model import Coded, Coding
from crfmap.sources.text import normalize_text, strip_text
from crfmap.study.models import Codelist, CodelistValue
from crfmap.study.systems import resolve_system
from crfmap.values.problems import Problem, fail

CLOSEST_CUTOFF = 0.6
MAX_REMEMBERED_MISSES = 10_000  # free text in a coded column must not grow memory without bound
MAX_REMEMBERED_SPELLINGS = 10_000


@dataclass
class CodelistIndex:
    codelist: Codelist
    by_text: dict[str, CodelistValue] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)  # normalised → as written in the code list
    coded: dict[str, Coded] = field(default_factory=dict)  # value id → Coded without verbatim
    misses: dict[str, Problem] = field(default_factory=dict)
    # (value id, verbatim) → Coded: a site writes the same few spellings on thousands of rows, and one frozen
    # Coded shared by all of them costs neither a dataclasses.replace per cell nor the memory of a copy per record
    spelled: dict[tuple[str, str], Coded] = field(default_factory=dict)

    def match(self, text: str) -> Coded:
        """The Coded for a site's text (verbatim kept); raises ValueProblem S104 with the closest value."""
        key = normalize_text(text)
        item = self.by_text.get(key)
        if item is None:
            problem = self.misses.get(key)
            if problem is None:
                problem = self.describe_miss(key)
                if len(self.misses) < MAX_REMEMBERED_MISSES:
                    self.misses[key] = problem
            raise fail(problem.code, problem.expected, problem.hint)
        if self.codelist.entry == "choice":  # a choice code is what the EDC stored, not what the site wrote
            return self.coded[item.value]
        return self.with_verbatim(item, strip_text(text))

    def with_verbatim(self, item: CodelistValue, verbatim: str) -> Coded:
        key = (item.value, verbatim)
        coded = self.spelled.get(key)
        if coded is None:
            coded = dataclasses.replace(self.coded[item.value], verbatim=verbatim)
            if len(self.spelled) < MAX_REMEMBERED_SPELLINGS:
                self.spelled[key] = coded
        return coded

    def describe_miss(self, key: str) -> Problem:
        closest = difflib.get_close_matches(key, self.spellings, n=1, cutoff=CLOSEST_CUTOFF)
        if closest:
            spelling = self.spellings[closest[0]]
            return Problem("S104", f"{self.codelist.id}; closest: {spelling!r}",
                           hint=f"Did you mean {spelling!r}? Otherwise add the site's spelling as a synonym.")
        allowed = ", ".join(repr(item.display) for item in self.codelist.values[:12])
        more = " …" if len(self.codelist.values) > 12 else ""
        return Problem("S104", f"{self.codelist.id} ({allowed}{more})")


def build_codelist_index(codelist: Codelist) -> CodelistIndex:
    """Every value, display and synonym of the code list by its matching form; the first claim wins
    (two values claiming one spelling is a mapping problem the study linter reports)."""
    index = CodelistIndex(codelist)
    for item in codelist.values:
        index.coded[item.value] = make_coded(codelist, item)
        for spelling in (item.display, item.value, *item.synonyms):
            key = normalize_text(spelling)
            if key and key not in index.by_text:
                index.by_text[key] = item
                index.spellings[key] = spelling
    return index


def make_coded(codelist: Codelist, item: CodelistValue) -> Coded:
    """The Coded for a code list value. Codings flagged `unverified` stay in the mapping for review and are
    never written to an output (a wrong code is worse than none); `check-mapping` lists them (P013)."""
    codings = tuple(
        Coding(system=resolve_system(entry.system) or entry.system, code=entry.code, display=entry.display,
               version=entry.version)
        for entry in item.codings if not entry.unverified)
    return Coded(codelist=codelist.id, value=item.value, display=item.display,
                 submission_value=item.value if codelist.cdisc else None, nci_code=item.nci_code,
                 codings=codings, score=item.score)


def build_codelist_indexes(codelists: dict[str, Codelist]) -> dict[str, CodelistIndex]:
    return {name: build_codelist_index(codelist) for name, codelist in codelists.items()}
