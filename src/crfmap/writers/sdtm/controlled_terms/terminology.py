"""A study's CDISC Controlled Terminology: the NCI EVS release it declares, plus the sponsor terms it declares.

    terms = StudyTerminology.of(study)          # None when standards.ct is not a shipped release (P040)
    verdict = terms.judge("LAST CONTACT", ("C66727", "C114118", "C150811"))
    verdict.kind                                 # "term" | "declared" | "undeclared" | "not-in-ct"

CT matching is exact (case and spaces count). A value is fine when it is a term of one of the code lists bound
to its variable, or a sponsor term declared for one of them that is extensible. Otherwise it is an undeclared
extension (some bound code list is extensible: a warning) or outside CT (none is: an error).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from crfmap.standards import Codelist, StandardNotAvailable, Term, Terminology, load_sdtm_ct, sdtm_ct_versions
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.controlled_terms.models import SponsorTerm, as_sponsor_term

VerdictKind = Literal["term", "declared", "undeclared", "not-in-ct"]


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    codelist: Codelist | None = None  # the code list that holds the term, or takes the sponsor term
    term: Term | None = None
    hint: str | None = None  # a term that differs only in case or spaces, when there is one

    @property
    def ok(self) -> bool:
        return self.kind in ("term", "declared")


@dataclass(frozen=True)
class StudyTerminology:
    release: Terminology
    # code list C-code → sponsor terms by value
    extensions: dict[str, dict[str, SponsorTerm]] = field(default_factory=dict)

    @classmethod
    def of(cls, study: StudyMapping, declared: dict[str, list[str | SponsorTerm]] | None = None,
           ) -> StudyTerminology | None:
        """The study's release and its declared sponsor terms (from `sdtm.ct_extensions` and from study code lists
        linked to extensible CDISC code lists); None when the declared release is not shipped."""
        try:
            release = load_sdtm_ct(study.study.standards.ct)
        except StandardNotAvailable:
            return None
        extensions: dict[str, dict[str, SponsorTerm]] = {}
        for name, entries in (declared or {}).items():
            codelist = find_codelist(release, name)
            if codelist is None or not codelist.extensible:
                continue  # the linter reports it (P041)
            for entry in entries:
                term = as_sponsor_term(entry)
                if term.value not in codelist:
                    extensions.setdefault(codelist.code, {})[term.value] = term
        for source in study.codelists.values():
            link = source.cdisc
            codelist = release.codelists.get(link.nci_code) if link is not None else None
            if codelist is None or not codelist.extensible:
                continue
            for item in source.values:
                if item.nci_code is None and item.value not in codelist:
                    extensions.setdefault(codelist.code, {})[item.value] = SponsorTerm(value=item.value,
                                                                                      decode=item.display)
        return cls(release, extensions)

    def codelists(self, codes: Iterable[str]) -> list[Codelist]:
        return [self.release.codelists[code] for code in codes if code in self.release.codelists]

    def judge(self, value: str, codes: Iterable[str]) -> Verdict:
        """Whether `value` may go to a variable bound to the code lists `codes` (C-codes)."""
        lists = self.codelists(codes)
        for codelist in lists:
            term = codelist.term(value)
            if term is not None:
                return Verdict("term", codelist, term)
        for codelist in lists:
            if codelist.extensible and value in self.extensions.get(codelist.code, {}):
                return Verdict("declared", codelist)
        hint = _near_miss(value, lists)
        extensible = next((codelist for codelist in lists if codelist.extensible), None)
        if extensible is not None:
            return Verdict("undeclared", extensible, hint=hint)
        return Verdict("not-in-ct", lists[0] if lists else None, hint=hint)

    def describe(self, codes: Iterable[str]) -> str:
        """'NCOMPLT (C66727, extensible) or OTHEVENT (C150811, extensible)' for messages."""
        parts = [f"{codelist.submission_value} ({codelist.code}, "
                 f"{'extensible' if codelist.extensible else 'not extensible'})" for codelist in self.codelists(codes)]
        return f"CDISC CT {self.release.version} " + " or ".join(parts)


def find_codelist(release: Terminology, name: str) -> Codelist | None:
    """A code list by its submission short name (EPOCH) or C-code (C99079)."""
    if name in release.codelists:
        return release.codelists[name]
    try:
        return release.codelist_named(name)
    except KeyError:
        return None


def shipped_versions() -> str:
    return ", ".join(sdtm_ct_versions())


def _near_miss(value: str, lists: list[Codelist]) -> str | None:
    squeezed = " ".join(value.split()).upper()
    for codelist in lists:
        for term in codelist:
            if " ".join(term.submission_value.split()).upper() == squeezed:
                return term.submission_value
    return None
