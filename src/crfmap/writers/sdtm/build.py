"""Canonical records → SDTM datasets: the entry of the SDTM domain builders.

    build_sdtm(records, study) -> SdtmBuild(datasets, issues, methods)

Each record goes to the domain its concept's `sdtm:` target names. Subject reference dates (RFSTDTC …) come
from the EX records first, because every --DY depends on them. Datasets come back in a fixed order: DM, the
other domains alphabetically, their SUPP-- datasets, TS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from pydantic import ValidationError

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.model import Event, Finding, Intervention, Record, Subject, Visit
from crfmap.model.spool import RecordSpool
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.define_metadata import DefineMethod
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.demographics import (
    draft_subject,
    find_deaths,
    find_exposure,
    find_last_dates,
    find_reference_starts,
)
from crfmap.writers.sdtm.domains.derivations import run_derivations
from crfmap.writers.sdtm.domains.events import draft_event
from crfmap.writers.sdtm.domains.findings import draft_finding
from crfmap.writers.sdtm.domains.frame import DomainAssembly, sort_drafts
from crfmap.writers.sdtm.domains.interventions import draft_intervention
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets
from crfmap.writers.sdtm.domains.methods import methods_used
from crfmap.writers.sdtm.domains.rows import apply_variables
from crfmap.writers.sdtm.domains.supplemental import supplemental_drafts
from crfmap.writers.sdtm.domains.targets import SdtmTarget, catalog_of, read_study_sdtm, read_target
from crfmap.writers.sdtm.domains.trial_summary import build_trial_summary
from crfmap.writers.sdtm.domains.visits import draft_visit
from crfmap.writers.sdtm.trial_design.apply import TrialDesignAssembly

__all__ = ["SdtmBuild", "build_sdtm", "lint_sdtm_targets"]

Routed = dict[str, list[tuple[Record, SdtmTarget]]]


@dataclass(frozen=True, slots=True)
class SdtmBuild:
    datasets: list[Dataset]
    issues: list[Issue]
    methods: tuple[DefineMethod, ...] = field(default=())  # MethodDefs the datasets refer to


BLOCK_RECORDS = 4096  # subjects are built together until their records reach this many


def build_sdtm(records: Iterable[Record], study: StudyMapping, block_records: int = BLOCK_RECORDS) -> SdtmBuild:
    """SDTM datasets of `records`, for a study whose `sdtm:` targets are linted (by the loader, or by
    `write_sdtm` for a study built in code); a malformed one raises FatalIssue (P011) saying which.

    Built a block of subjects at a time (whole subjects, about `block_records` records): the records come in
    sort-key order (a RecordSpool's, else sorted here), each block's rows are made in every domain, and only the
    rows and what decides the datasets' variables are kept (`DomainAssembly`), so the drafts and records of one
    block are held at a time. Every step before the datasets are made works within a subject, so the rows and
    issues are the same whatever the blocks are (`IssueLog` keeps the issues in the study-wide order)."""
    try:
        settings = read_study_sdtm(study)
        targets = {concept.id: read_target(concept) for concept in study.concepts}
    except ValidationError:
        raise FatalIssue(*lint_sdtm_targets(study)) from None
    context = BuildContext(study=study, settings=settings, catalog=catalog_of(study, settings))
    build = _StudyBuild(context, targets)
    in_order = records if isinstance(records, RecordSpool) else sorted(records, key=attrgetter("sort_key"))
    block: list[Record] = []
    for _, subject_records in groupby(in_order, key=attrgetter("subject_id")):
        if len(block) >= block_records:
            build.add_block(block)
            block = []
        block.extend(subject_records)
    if block:
        build.add_block(block)
    return build.finish()


class _StudyBuild:
    """The build's state across blocks of subjects: which domains were met and in what order, each dataset's
    assembly, the trial design's, and the DM values the trial summary counts."""

    def __init__(self, context: BuildContext, targets: dict[str, SdtmTarget | None]) -> None:
        self.context, self.targets = context, targets
        self.specs: dict[str, DomainSpec] = {}
        self.ranks: dict[str, int] = {}  # domain → its place in the order domains were first met in the records
        self.missing: set[str] = set()  # concepts said to have no target (W006 once each)
        self.fits: dict[tuple[str | None, str], bool] = {}  # (record kind, domain) → whether it takes such records
        self.assemblies: dict[str, DomainAssembly] = {}
        self.supplements: dict[str, DomainAssembly] = {}  # parent domain → its SUPP-- dataset's assembly
        self.design = TrialDesignAssembly(context)
        self.subject_values: list[Mapping[str, object]] = []  # each DM row's values, for TS

    def add_block(self, records: list[Record]) -> None:
        """Whole subjects' records, in sort-key order, after the subjects of the blocks before."""
        context, specs, settings = self.context, self.specs, self.context.settings
        issues = context.issues
        issues.part, issues.stage = issues.part + 1, (0,)
        context.forget_records()  # the previous block's records go
        routed = self._route(records)
        exposure = find_exposure(record for record, _ in routed.get("EX", []))  # type: ignore[misc]
        starts = {subject: found.first for subject, found in exposure.items() if found.first}
        context.exposure_start.update(starts)
        context.reference_end.update({subject: found.last for subject, found in exposure.items() if found.last})
        context.reference_start.update(find_reference_starts(settings.reference_start, starts,
                                                             [record for record, _ in routed.get("DM", [])]))
        drafts: dict[str, list[Draft]] = {}
        for domain in sorted(routed, key=self.ranks.__getitem__):
            if domain != "DM":
                issues.stage = (1, self.ranks[domain], 0)
                drafts[domain] = _draft_domain(specs[domain], routed[domain], context)
        last_dates = find_last_dates(record for pairs in routed.values() for record, _ in pairs)
        if "DM" in routed:
            deaths = find_deaths(drafts.get("DS", []))
            issues.stage = (2, 0, 0)
            dm_drafts = [draft_subject(record, specs["DM"], target, context,  # type: ignore[arg-type]
                                       exposure.get(record.subject_id), last_dates.get(record.subject_id),
                                       (record.subject_id in deaths, deaths.get(record.subject_id)))
                         for record, target in routed["DM"]]
            for draft in dm_drafts:
                apply_variables(draft, specs["DM"], draft.target)  # type: ignore[arg-type]
            drafts["DM"] = sort_drafts(dm_drafts, context)
            run_derivations(specs["DM"], drafts["DM"], context)
            self.subject_values.extend(draft.values for draft in drafts["DM"])
        self.design.add_subjects(drafts, last_dates)  # SE, EPOCH, VISIT/VISITNUM, visits
        for domain, domain_drafts in drafts.items():
            spec = specs[domain]
            issues.stage = (4, domain != "DM", domain, 0)
            self._assembly(self.assemblies, domain, spec).add(domain_drafts)
            supplemental = supplemental_drafts(spec, domain_drafts, context)
            if supplemental:
                issues.stage = (4, domain != "DM", domain, 1)
                self._assembly(self.supplements, domain, context.catalog.supp(domain)).add(supplemental)

    def finish(self) -> SdtmBuild:
        context = self.context
        design = self.design.finish(drafted=self.ranks.keys())  # TA/TE/TV/TI, SE, visits
        order = sorted(self.assemblies, key=lambda domain: (domain != "DM", domain))
        datasets = [self.assemblies[domain].finish() for domain in order]
        datasets += [self.supplements[domain].finish() for domain in order if domain in self.supplements]
        special = [dataset for dataset in design.datasets if dataset.klass == "SPECIAL PURPOSE"]  # SE, visits
        trial = [dataset for dataset in design.datasets if dataset.klass != "SPECIAL PURPOSE"]
        context.issues.stage = (5,)
        summary = build_trial_summary(context, self.subject_values, special)
        datasets[1 if "DM" in self.assemblies else 0:0] = special  # DM, SE, visits, the other domains, SUPP--, TA … TV
        datasets.extend(sorted([*trial, summary], key=lambda dataset: dataset.name))
        return SdtmBuild(datasets=datasets, issues=context.issues.in_order(), methods=methods_used(context.methods))

    def _assembly(self, assemblies: dict[str, DomainAssembly], domain: str, spec: DomainSpec) -> DomainAssembly:
        found = assemblies.get(domain)
        if found is None:
            found = assemblies[domain] = DomainAssembly(spec, self.context)
        return found

    def _route(self, records: list[Record]) -> Routed:
        targets, context, specs, fits = self.targets, self.context, self.specs, self.fits
        routed: Routed = {}
        for record in records:
            target = targets.get(record.concept)
            if target is None:
                if record.concept not in self.missing:
                    self.missing.add(record.concept)
                    reason = "has no sdtm: target" if record.concept in targets else "is not a concept of the study"
                    context.issues.append(make_issue(
                        "W006", subject=record.subject_id,
                        detail=f"records of concept {record.concept!r} are not written to SDTM: the concept {reason}"))
                continue
            kind = _KINDS.get(type(record))
            accepted = fits.get((kind, target.domain))
            if accepted is None:
                spec = specs.get(target.domain) or context.catalog.domain(target.domain)
                accepted = fits[(kind, target.domain)] = (
                    spec is not None and kind is not None and context.catalog.accepts(kind, spec))
                if spec is not None and accepted:
                    specs[target.domain] = spec
            if not accepted:
                context.warn_once(("kind", record.concept), record,
                                  f"a {type(record).__name__} record of concept {record.concept!r} cannot go to "
                                  f"{target.domain}")
                continue
            routed.setdefault(target.domain, []).append((record, target))
            self.ranks.setdefault(target.domain, len(self.ranks))
        return routed


_KINDS = {Subject: "subject", Intervention: "intervention", Event: "event", Finding: "finding", Visit: "visit"}
_DRAFTERS = {Event: draft_event, Intervention: draft_intervention, Finding: draft_finding, Visit: draft_visit}


def _draft_domain(spec: DomainSpec, pairs: list[tuple[Record, SdtmTarget]], context: BuildContext) -> list[Draft]:
    drafts = []
    for record, target in pairs:
        drafter = _DRAFTERS[type(record)]
        draft = drafter(record, spec, target, context)  # type: ignore[operator]
        apply_variables(draft, spec, target)
        drafts.append(draft)
    ordered = sort_drafts(drafts, context)
    run_derivations(spec, ordered, context)
    if not spec.has(f"{spec.prefix}SEQ"):  # Subject Visits: keyed by VISITNUM, in its order within the subject
        ordered.sort(key=lambda draft: (draft.values["USUBJID"], _number(draft.values.get("VISITNUM"))))
    return ordered


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else float("inf")
