"""Canonical records → SDTM datasets: the entry of the SDTM domain builders.

    build_sdtm(records, study) -> SdtmBuild(datasets, issues, methods)

Each record goes to the domain its concept's `sdtm:` target names. Subject reference dates (RFSTDTC …) come
from the EX records first, because every --DY depends on them. Datasets come back in a fixed order: DM, the
other domains alphabetically, their SUPP-- datasets, TS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.model import Event, Finding, Intervention, Record, Subject
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.dataset import Dataset, Origin
from crfmap.writers.sdtm.define_metadata import DefineMethod
from crfmap.writers.sdtm.domains.baseline import flag_last_before_exposure
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.demographics import (
    draft_subject,
    find_deaths,
    find_exposure,
    find_last_dates,
)
from crfmap.writers.sdtm.domains.events import draft_event
from crfmap.writers.sdtm.domains.findings import draft_finding
from crfmap.writers.sdtm.domains.frame import COLLECTED, DERIVED, make_dataset, number_drafts, sort_drafts
from crfmap.writers.sdtm.domains.interventions import draft_intervention
from crfmap.writers.sdtm.domains.methods import methods_used
from crfmap.writers.sdtm.domains.rows import apply_variables
from crfmap.writers.sdtm.domains.specs import DOMAINS
from crfmap.writers.sdtm.domains.supplemental import build_supplemental
from crfmap.writers.sdtm.domains.targets import SdtmTarget, lint_sdtm_targets, read_study_sdtm, read_target
from crfmap.writers.sdtm.domains.trial_summary import build_trial_summary
from crfmap.writers.sdtm.trial_design.apply import apply_trial_design

__all__ = ["SdtmBuild", "build_sdtm", "lint_sdtm_targets"]


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
    context = BuildContext(study=study, settings=settings)
    routed = _route_records(records, targets, context)
    exposure = find_exposure(record for record, _ in routed.get("EX", []))  # type: ignore[misc]
    context.reference_start = {subject: found.first for subject, found in exposure.items() if found.first}
    drafts = {domain: _draft_domain(domain, pairs, context) for domain, pairs in routed.items() if domain != "DM"}
    deaths = find_deaths(drafts.get("DS", []))
    last_dates = find_last_dates(record for pairs in routed.values() for record, _ in pairs)
    dm_drafts = [draft_subject(record, target, context, exposure.get(record.subject_id),  # type: ignore[arg-type]
                               last_dates.get(record.subject_id),
                               (record.subject_id in deaths, deaths.get(record.subject_id)))
                 for record, target in routed.get("DM", [])]
    for draft, (_, target) in zip(dm_drafts, routed.get("DM", []), strict=True):
        apply_variables(draft, DOMAINS["DM"], target)
    drafts["DM"] = sort_drafts(dm_drafts, context)
    design = apply_trial_design(drafts, context, last_dates)  # SE, EPOCH, VISIT/VISITNUM, SV, TA/TE/TV/TI
    datasets = _assemble(drafts, context, design.derived)
    special = [dataset for dataset in design.datasets if dataset.name in ("SE", "SV")]
    trial = [dataset for dataset in design.datasets if dataset.name not in ("SE", "SV")]
    summary = build_trial_summary(context, [draft.values for draft in drafts["DM"]], special)
    datasets[1:1] = special  # DM, SE, SV, the observation domains, SUPP--, then TA, TE, TI, TS, TV
    datasets.extend(sorted([*trial, summary], key=lambda dataset: dataset.name))
    return SdtmBuild(datasets=datasets, issues=context.issues, methods=methods_used(context.methods))


def _route_records(records: Iterable[Record], targets: dict[str, SdtmTarget | None],
                   context: BuildContext) -> dict[str, list[tuple[Record, SdtmTarget]]]:
    known = set(targets)
    routed: dict[str, list[tuple[Record, SdtmTarget]]] = {}
    missing: set[str] = set()
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
        if (target.domain == "DM") != isinstance(record, Subject):
            context.warn_once(("kind", record.concept), record,
                              f"a {type(record).__name__} record of concept {record.concept!r} cannot go to "
                              f"{target.domain}")
            continue
        routed.setdefault(target.domain, []).append((record, target))
    return routed


_DRAFTERS = {Event: draft_event, Intervention: draft_intervention, Finding: draft_finding}


def _draft_domain(domain: str, pairs: list[tuple[Record, SdtmTarget]], context: BuildContext) -> list[Draft]:
    drafts = []
    for record, target in pairs:
        drafter = _DRAFTERS[type(record)]
        draft = drafter(record, target, context)  # type: ignore[operator]
        apply_variables(draft, DOMAINS[domain], target)
        drafts.append(draft)
    ordered = sort_drafts(drafts, context)
    number_drafts(DOMAINS[domain], ordered, context)
    flag_last_before_exposure(DOMAINS[domain], ordered, context)
    return ordered


def _assemble(drafts: dict[str, list[Draft]], context: BuildContext, derived: dict[str, set[str]]) -> list[Dataset]:
    order = ["DM"] + sorted(domain for domain in drafts if domain != "DM")
    datasets, supplements = [], []
    for domain in order:
        if not drafts.get(domain):
            continue
        spec = DOMAINS[domain]
        origins = {**_origins(domain, drafts[domain]), **{name: DERIVED for name in derived.get(domain, ())}}
        datasets.append(make_dataset(spec, drafts[domain], context, origins))
        supplement = build_supplemental(spec, drafts[domain], context)
        if supplement is not None:
            supplements.append(supplement)
    return datasets + supplements


def _origins(domain: str, drafts: list[Draft]) -> dict[str, Origin]:
    """AGE is Collected when every age was collected, Derived (MT.AGE) when any was computed."""
    if domain != "DM":
        return {}
    if any(draft.values.get("_AGE_DERIVED") for draft in drafts):
        return {}
    return {"AGE": COLLECTED, "AGEU": COLLECTED}
