"""Canonical records → SDTM datasets: the entry of the SDTM domain builders.

    build_sdtm(records, study) -> SdtmBuild(datasets, issues, methods)

Each record goes to the domain its concept's `sdtm:` target names. Subject reference dates (RFSTDTC …) come
from the EX records first, because every --DY depends on them. Datasets come back in a fixed order: DM, the
other domains alphabetically, their SUPP-- datasets, TS.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from pydantic import ValidationError

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.model import Event, Finding, Intervention, PartialDate, Record, Subject, Visit
from crfmap.model.spool import RecordSpool
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.define_metadata import DefineMethod
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft, Stage
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
from crfmap.writers.sdtm.domains.frame import DomainAssembly, DomainPiece, make_piece, sort_drafts
from crfmap.writers.sdtm.domains.interventions import draft_intervention
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets
from crfmap.writers.sdtm.domains.methods import methods_used
from crfmap.writers.sdtm.domains.rows import apply_variables
from crfmap.writers.sdtm.domains.supplemental import supplemental_drafts
from crfmap.writers.sdtm.domains.targets import SdtmTarget, catalog_of, read_study_sdtm, read_target
from crfmap.writers.sdtm.domains.trial_summary import build_trial_summary
from crfmap.writers.sdtm.domains.visits import draft_visit
from crfmap.writers.sdtm.trial_design.apply import DesignPiece, TrialDesignAssembly

__all__ = ["SdtmAssembly", "SdtmBuild", "SdtmPart", "SdtmPartMaker", "assemble_sdtm", "build_sdtm",
           "lint_sdtm_targets", "make_sdtm_parts"]

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
    sort-key order (a RecordSpool's, else sorted here), each block's rows are made in every domain (an
    `SdtmPart`), and the study's assembly keeps only the rows and what decides the datasets' variables, so the
    drafts and records of one block are held at a time. Every step before the datasets are made works within a
    subject, so the rows and issues are the same whatever the blocks are (`IssueLog` keeps the issues in the
    study-wide order). A convert-many partition makes the parts of its subjects (`make_sdtm_parts`) and the
    driver assembles every partition's in subject order (`assemble_sdtm`): the same code, other blocks."""
    maker = SdtmPartMaker(study)
    assembly = SdtmAssembly(study, maker.context)
    for part in maker.parts(records, block_records):
        assembly.take(part)
    return assembly.finish()


def make_sdtm_parts(records: Iterable[Record], study: StudyMapping) -> Iterator[SdtmPart]:
    """One part per subject of `records` (sorted by sort key), in subject order."""
    return SdtmPartMaker(study).parts(records, block_records=1)


def assemble_sdtm(parts: Iterable[SdtmPart], study: StudyMapping) -> SdtmBuild:
    """The SDTM datasets of parts made apart (`make_sdtm_parts`), taken in subject order: what `build_sdtm`
    gives for the same records."""
    assembly = SdtmAssembly(study, _study_context(study)[0])
    for part in parts:
        assembly.take(part)
    return assembly.finish()


@dataclass(slots=True)
class SdtmPart:
    """What a block of whole subjects adds to the study's SDTM (picklable): the domains its records went to, in
    the order first met; each dataset's piece (SUPP-- by parent domain); the trial design's piece; the DM values
    the trial summary counts; the subjects' RFSTDTC (SE's and the visits' study days); and the issues raised,
    with their stages."""

    subject_id: str  # the block's first subject (a convert-many part's only one)
    domains: list[str]
    pieces: dict[str, DomainPiece]
    supplements: dict[str, DomainPiece]
    design: DesignPiece
    subject_values: list[Mapping[str, object]]
    reference_start: dict[str, PartialDate]
    issues: list[tuple[Stage, Issue, tuple[str, ...] | None]]


def _study_context(study: StudyMapping) -> tuple[BuildContext, dict[str, SdtmTarget | None]]:
    try:
        settings = read_study_sdtm(study)
        targets = {concept.id: read_target(concept) for concept in study.concepts}
    except ValidationError:
        raise FatalIssue(*lint_sdtm_targets(study)) from None
    return BuildContext(study=study, settings=settings, catalog=catalog_of(study, settings)), targets


class SdtmPartMaker:
    """Makes the parts of blocks of whole subjects, in subject order: every step that works within a subject
    (routing, reference dates, drafting, the derivations, DM, the trial design, SUPP-- rows). Its state across
    blocks is what it needs to say an issue once (`IssueLog`) and what it learnt of the domains."""

    def __init__(self, study: StudyMapping) -> None:
        self.context, self.targets = _study_context(study)
        self.design = TrialDesignAssembly(self.context)
        self.specs: dict[str, DomainSpec] = {}
        self.ranks: dict[str, int] = {}  # domain → its place in the order this maker met them (drafting order)
        self.fits: dict[tuple[str | None, str], bool] = {}  # (record kind, domain) → whether it takes such records

    def parts(self, records: Iterable[Record], block_records: int) -> Iterator[SdtmPart]:
        in_order = records if isinstance(records, RecordSpool) else sorted(records, key=attrgetter("sort_key"))
        block: list[Record] = []
        for _, subject_records in groupby(in_order, key=attrgetter("subject_id")):
            if len(block) >= block_records:
                yield self.make(block)
                block = []
            block.extend(subject_records)
        if block:
            yield self.make(block)

    def make(self, records: list[Record]) -> SdtmPart:
        """The part of whole subjects' records, in sort-key order, after the subjects of the blocks before."""
        context, specs, settings = self.context, self.specs, self.context.settings
        issues = context.issues
        issues.part, issues.stage = issues.part + 1, (0,)
        context.forget_records()  # the previous block's records go
        context.reference_start, context.exposure_start, context.reference_end = {}, {}, {}  # this block's
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
                issues.stage = (1, domain, 0)
                drafts[domain] = _draft_domain(specs[domain], routed[domain], context)
        last_dates = find_last_dates(record for pairs in routed.values() for record, _ in pairs)
        subject_values: list[Mapping[str, object]] = []
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
            subject_values = [draft.values for draft in drafts["DM"]]
        design = self.design.add_subjects(drafts, last_dates)  # SE, EPOCH, VISIT/VISITNUM, visits
        pieces: dict[str, DomainPiece] = {}
        supplements: dict[str, DomainPiece] = {}
        for domain, domain_drafts in drafts.items():
            spec = specs[domain]
            issues.stage = (4, domain != "DM", domain, 0)
            pieces[domain] = make_piece(spec, domain_drafts, context)
            supplemental = supplemental_drafts(spec, domain_drafts, context)
            if supplemental:
                issues.stage = (4, domain != "DM", domain, 1)
                supplements[domain] = make_piece(context.catalog.supp(domain), supplemental, context)
        assert not context.methods  # a block's rows give their methods as origins ("D:MT.SEQ"), read at `finish`
        return SdtmPart(subject_id=records[0].subject_id, domains=list(routed), pieces=pieces,
                        supplements=supplements, design=design, subject_values=subject_values,
                        reference_start=context.reference_start, issues=issues.drain())

    def _route(self, records: list[Record]) -> Routed:
        targets, context, specs, fits = self.targets, self.context, self.specs, self.fits
        routed: Routed = {}
        for record in records:
            target = targets.get(record.concept)
            if target is None:
                key = ("no target", record.concept)
                if context.issues.wants(key):
                    reason = "has no sdtm: target" if record.concept in targets else "is not a concept of the study"
                    context.issues.once(key, make_issue(
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


class SdtmAssembly:
    """The study's SDTM gathered from parts in subject order: which domains were met and in what order, each
    dataset's assembly, the trial design's, the DM values the trial summary counts, and the issues."""

    def __init__(self, study: StudyMapping, like: BuildContext) -> None:
        self.context = BuildContext(study=study, settings=like.settings, catalog=like.catalog)
        self.ranks: dict[str, int] = {}  # domain → its place in the order domains were first met in the records
        self.assemblies: dict[str, DomainAssembly] = {}
        self.supplements: dict[str, DomainAssembly] = {}  # parent domain → its SUPP-- dataset's assembly
        self.design = TrialDesignAssembly(self.context)
        self.subject_values: list[Mapping[str, object]] = []  # each DM row's values, for TS

    def take(self, part: SdtmPart) -> None:
        """The part of the subjects after those of the parts taken before."""
        context, catalog = self.context, self.context.catalog
        context.issues.part += 1
        for domain in part.domains:
            self.ranks.setdefault(domain, len(self.ranks))
        context.issues.take(part.issues)
        context.reference_start.update(part.reference_start)
        self.subject_values.extend(part.subject_values)
        self.design.take(part.design)
        for domain, piece in part.pieces.items():
            assembly = self.assemblies.get(domain)
            if assembly is None:
                spec = catalog.domain(domain)
                assert spec is not None  # the maker found it
                assembly = self.assemblies[domain] = DomainAssembly(spec, context)
            assembly.take(piece)
        for domain, piece in part.supplements.items():
            assembly = self.supplements.get(domain)
            if assembly is None:
                assembly = self.supplements[domain] = DomainAssembly(catalog.supp(domain), context)
            assembly.take(piece)

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
        return SdtmBuild(datasets=datasets, issues=context.issues.in_order(self.ranks),
                         methods=methods_used(context.methods))


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
