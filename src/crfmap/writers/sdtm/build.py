"""Canonical records → SDTM datasets: the entry of the SDTM domain builders.

    build_sdtm(records, study) -> SdtmBuild(datasets, issues, methods)

Each record goes to the domain its concept's `sdtm:` target names. Subject reference dates (RFSTDTC …) come
from the EX records first, because every --DY depends on them. Datasets come back in a fixed order: DM, the
other domains alphabetically, their SUPP-- datasets, TS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.model import Event, Finding, Intervention, Record, Subject, Visit
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
from crfmap.writers.sdtm.domains.frame import make_dataset, sort_drafts
from crfmap.writers.sdtm.domains.interventions import draft_intervention
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets
from crfmap.writers.sdtm.domains.methods import methods_used
from crfmap.writers.sdtm.domains.rows import apply_variables
from crfmap.writers.sdtm.domains.supplemental import build_supplemental
from crfmap.writers.sdtm.domains.targets import SdtmTarget, catalog_of, read_study_sdtm, read_target
from crfmap.writers.sdtm.domains.trial_summary import build_trial_summary
from crfmap.writers.sdtm.domains.visits import draft_visit
from crfmap.writers.sdtm.trial_design.apply import apply_trial_design

__all__ = ["SdtmBuild", "build_sdtm", "lint_sdtm_targets"]

Routed = dict[str, list[tuple[Record, SdtmTarget]]]


@dataclass(frozen=True, slots=True)
class SdtmBuild:
    datasets: list[Dataset]
    issues: list[Issue]
    methods: tuple[DefineMethod, ...] = field(default=())  # MethodDefs the datasets refer to


def build_sdtm(records: Iterable[Record], study: StudyMapping) -> SdtmBuild:
    """SDTM datasets of `records`, for a study whose `sdtm:` targets are linted (by the loader, or by
    `write_sdtm` for a study built in code); a malformed one raises FatalIssue (P011) saying which."""
    try:
        settings = read_study_sdtm(study)
        targets = {concept.id: read_target(concept) for concept in study.concepts}
    except ValidationError:
        raise FatalIssue(*lint_sdtm_targets(study)) from None
    context = BuildContext(study=study, settings=settings, catalog=catalog_of(study, settings))
    specs: dict[str, DomainSpec] = {}
    routed = _route_records(records, targets, context, specs)
    exposure = find_exposure(record for record, _ in routed.get("EX", []))  # type: ignore[misc]
    context.exposure_start = {subject: found.first for subject, found in exposure.items() if found.first}
    context.reference_end = {subject: found.last for subject, found in exposure.items() if found.last}
    context.reference_start = find_reference_starts(settings.reference_start, context.exposure_start,
                                                    [record for record, _ in routed.get("DM", [])])
    drafts = {domain: _draft_domain(specs[domain], pairs, context) for domain, pairs in routed.items()
              if domain != "DM"}
    deaths = find_deaths(drafts.get("DS", []))
    last_dates = find_last_dates(record for pairs in routed.values() for record, _ in pairs)
    if "DM" in routed:
        dm_drafts = [draft_subject(record, specs["DM"], target, context,  # type: ignore[arg-type]
                                   exposure.get(record.subject_id), last_dates.get(record.subject_id),
                                   (record.subject_id in deaths, deaths.get(record.subject_id)))
                     for record, target in routed["DM"]]
        for draft in dm_drafts:
            apply_variables(draft, specs["DM"], draft.target)  # type: ignore[arg-type]
        drafts["DM"] = sort_drafts(dm_drafts, context)
        run_derivations(specs["DM"], drafts["DM"], context)
    design = apply_trial_design(drafts, context, last_dates)  # SE, EPOCH, VISIT/VISITNUM, visits, TA/TE/TV/TI
    has_dm = "DM" in drafts
    subject_values: list[Mapping[str, object]] = [draft.values for draft in drafts.get("DM", [])]
    datasets = _assemble(drafts, specs, context)  # lets each domain's drafts go once its datasets are made
    special = [dataset for dataset in design.datasets if dataset.klass == "SPECIAL PURPOSE"]  # SE, visits
    trial = [dataset for dataset in design.datasets if dataset.klass != "SPECIAL PURPOSE"]
    summary = build_trial_summary(context, subject_values, special)
    datasets[1 if has_dm else 0:0] = special  # DM, SE, visits, the other domains, SUPP--, then TA … TV
    datasets.extend(sorted([*trial, summary], key=lambda dataset: dataset.name))
    return SdtmBuild(datasets=datasets, issues=context.issues, methods=methods_used(context.methods))


def _route_records(records: Iterable[Record], targets: dict[str, SdtmTarget | None], context: BuildContext,
                   specs: dict[str, DomainSpec]) -> Routed:
    known = set(targets)
    routed: Routed = {}
    missing: set[str] = set()
    fits: dict[tuple[str | None, str], bool] = {}  # (record kind, domain) → whether it takes such records
    for record in records:
        target = targets.get(record.concept)
        if target is None:
            if record.concept not in missing:
                missing.add(record.concept)
                reason = "has no sdtm: target" if record.concept in known else "is not a concept of the study"
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


def _assemble(drafts: dict[str, list[Draft]], specs: dict[str, DomainSpec], context: BuildContext) -> list[Dataset]:
    order = ["DM"] + sorted(domain for domain in drafts if domain != "DM")
    datasets, supplements = [], []
    for domain in order:
        domain_drafts = drafts.pop(domain, None)  # each domain's drafts go once made into rows: less held at once
        if not domain_drafts:
            continue
        spec = specs[domain]
        datasets.append(make_dataset(spec, domain_drafts, context))
        supplement = build_supplemental(spec, domain_drafts, context)
        if supplement is not None:
            supplements.append(supplement)
    return datasets + supplements
