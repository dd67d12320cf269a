"""The one hook of the trial design into the domain builders: after some subjects' domains are drafted, sorted
and numbered,

    piece = TrialDesignAssembly(context).add_subjects(drafts, end_dates)   # where the block is built
    design = TrialDesignAssembly(context); design.take(piece) …; design.finish(drafted)

derives SE from the records, sets EPOCH (from SE) and VISIT/VISITNUM (as each concept's `sdtm.visit` says) on
the drafts of every observation domain (with their origin, D:MT.EPOCH or D:MT.VISIT, for Define-XML), and returns
TA/TE/TV/TI/SE and Subject Visits. Without a trial design it does nothing: EPOCH stays the concept's constant.

What a concept already gives is kept: an EPOCH or VISIT/VISITNUM collected, declared or derived by the concept's
own `sdtm.derive` (epoch, visit_number) is not replaced. Collected visits (a concept writing Subject Visits) make
that dataset; it is derived from the observations only when no concept writes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from crfmap.issues import make_issue
from crfmap.model import PartialDate, Record
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.catalog import subject_visits_name
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.targets import SdtmTarget, concept_targets
from crfmap.writers.sdtm.trial_design.datasets import design_datasets, rows_dataset, subject_elements_dataset
from crfmap.writers.sdtm.trial_design.elements import SubjectElement, derive_subject_elements, element_on
from crfmap.writers.sdtm.trial_design.models import TrialDesign
from crfmap.writers.sdtm.trial_design.visits import (
    SubjectVisit,
    VisitOf,
    subject_visit_row,
    unscheduled,
    visit_by_date,
    visit_from_value,
    visit_number,
    windows,
)

NO_EPOCH_WARNING = frozenset({"MH"})  # history before the study has no epoch (FDA FB2201 leaves MH out too)


@dataclass
class DesignResult:
    datasets: list[Dataset] = field(default_factory=list)  # TA, TE, TV, TI, SE, Subject Visits (those with rows)


@dataclass(slots=True)
class DesignPiece:
    """What applying the design to some subjects gathered (picklable: a convert-many partition's subjects')."""

    elements: dict[str, list[SubjectElement]] = field(default_factory=dict)  # subject → the elements it entered
    visits: dict[tuple[str, float], SubjectVisit] = field(default_factory=dict)  # (subject, VISITNUM) → its visit


class TrialDesignAssembly:
    """The trial design applied some subjects at a time (`add_subjects`, after their domains are drafted, sorted
    and numbered: a piece), the pieces taken in subject order (`take`), and its datasets made once every subject
    is in (`finish`)."""

    def __init__(self, context: BuildContext) -> None:
        self.context, self.design = context, context.settings.trial_design
        self.targets = {concept.id: target for concept, target in concept_targets(context.study)}
        self.visits_name = subject_visits_name(context.catalog.sdtmig)
        self.elements: dict[str, list[SubjectElement]] = {}  # subject → the elements it entered (SE)
        self.visits: dict[tuple[str, float], SubjectVisit] = {}  # (subject, VISITNUM) → its visit, as gathered

    def add_subjects(self, drafts: Mapping[str, list[Draft]], end_dates: Mapping[str, PartialDate]) -> DesignPiece:
        """Some subjects' drafts by domain (DM too), the domains in the order they were first drafted; each
        subject comes once. Sets EPOCH and VISIT/VISITNUM on the drafts; gives what the datasets need."""
        design, context = self.design, self.context
        piece = DesignPiece()
        if design is None:
            return piece
        arms = {draft.record.subject_id: _text(draft.values.get("ARMCD"))
                for draft in drafts.get("DM", []) if draft.record is not None}
        records: dict[str, list[Record]] = {}
        for domain, domain_drafts in drafts.items():
            for draft in domain_drafts:
                if domain != "DM" and draft.record is not None:
                    records.setdefault(draft.record.subject_id, []).append(draft.record)
        context.issues.stage = (3, 0, 0)
        elements, unplaced = derive_subject_elements(design, records, arms, end_dates)
        for found in unplaced:
            context.issues.append(make_issue("W083", subject=found, detail=(
                f"subject {found}: the data starts none of the elements of arm {arms.get(found)!r}, so the subject "
                "has no SE records and no derived EPOCH")))
        piece.elements.update(elements)
        pending: list[tuple[Draft, float, PartialDate]] = []  # records that make unscheduled visits
        for domain, domain_drafts in sorted(drafts.items()):
            spec = context.catalog.dataset(domain)
            if domain in ("DM", self.visits_name) or spec is None:
                continue
            context.issues.stage = (3, 1, domain)
            for draft in domain_drafts:
                target = self.targets.get(draft.record.concept) if draft.record is not None else None
                if draft.record is None or target is None:
                    continue
                if spec.has("EPOCH") and not _derived(draft, "EPOCH") and _set_epoch(
                        draft, domain, target, elements.get(draft.record.subject_id, []), context):
                    draft.origins["EPOCH"] = "D:MT.EPOCH"
                if draft.values.get("VISITNUM") is not None:  # collected, or the concept's own derivation
                    continue
                found_visit = _visit(draft, design, target, elements, arms, context, pending)
                if found_visit is not None:
                    _place(draft, found_visit, piece.visits)
        _number_unscheduled(pending, piece.visits)
        return piece

    def take(self, piece: DesignPiece) -> None:
        """A piece of subjects after those taken before."""
        self.elements.update(piece.elements)
        self.visits.update(piece.visits)

    def finish(self, drafted: Collection[str]) -> DesignResult:
        """TA/TE/TV/TI, SE and Subject Visits (derived only when no concept wrote it: `drafted` domains)."""
        design, context = self.design, self.context
        if design is None:
            return DesignResult()
        context.issues.stage = (3, 2, 0)
        result = DesignResult(datasets=design_datasets(design, context))
        se = subject_elements_dataset(design, self.elements, context)
        if se is not None:
            result.datasets.append(se)
        visits = [visit for visit in sorted(self.visits.values(),
                                            key=lambda item: (context.usubjid(item.subject_id), item.number))
                  if visit.number is not None]
        if visits and self.visits_name not in drafted:
            rows = (subject_visit_row(visit, self.visits_name, context.study_id, context.usubjid(visit.subject_id),
                                      context.reference_start) for visit in visits)
            result.datasets.append(rows_dataset(self.visits_name, rows, context))
        return result


def _derived(draft: Draft, variable: str) -> bool:
    """Whether the concept's own `sdtm.derive` filled the variable (its constant is replaced: see the docstring)."""
    return draft.values.get(variable) is not None and draft.origins.get(variable, "").startswith("D:")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _set_epoch(draft: Draft, domain: str, target: SdtmTarget, elements: list[SubjectElement],
               context: BuildContext) -> bool:
    """EPOCH from the element the record's date falls in, else the concept's `epoch`; True when derived."""
    assert draft.record is not None
    element = element_on(elements, draft.sort_date) if draft.sort_date is not None else None
    if element is not None:
        draft.values["EPOCH"] = element.step.epoch
        return True
    draft.values["EPOCH"] = target.epoch
    if target.epoch is not None:
        draft.origins["EPOCH"] = "A"
    if target.epoch is None and domain not in NO_EPOCH_WARNING:
        when = draft.sort_date
        undated = when is None
        reason = "has no date" if when is None else f"is dated {when.iso()}, outside the subject's elements (SE)"
        context.warn_once(("epoch", draft.record.concept, "undated" if undated else "outside"), draft.record,
                          f"EPOCH of concept {draft.record.concept!r} ({domain}) is left empty: a record {reason}; "
                          "declare the concept's sdtm.epoch for such records", code="W084")
    return False


def _visit(draft: Draft, design: TrialDesign, target: SdtmTarget, elements: Mapping[str, list[SubjectElement]],
           arms: Mapping[str, str | None], context: BuildContext,
           pending: list[tuple[Draft, float, PartialDate]]) -> VisitOf | None:
    assert draft.record is not None
    asked = target.visit
    if asked is None:
        return None
    subject = draft.record.subject_id
    if not asked.by_date:
        found = visit_from_value(design, asked, draft.record)
        if found is not None and found.number is None:
            cells = draft.record.sources.get(f"qualifiers.{asked.qualifier}") or draft.record.all_sources
            context.issues.append(make_issue("W085", at=cells[0] if cells else None, subject=subject,
                                             value=found.name,
                                             expected=", ".join(visit.name for visit in design.visits)))
        return found
    spans = windows(design, elements.get(subject, []), context.reference_start.get(subject), arms.get(subject))
    found, base = visit_by_date(spans, draft.sort_date)
    if found is None and draft.sort_date is not None and draft.sort_date.to_date() is not None:
        pending.append((draft, base, draft.sort_date))
    return found


def _place(draft: Draft, found: VisitOf, visits: dict[tuple[str, float], SubjectVisit]) -> None:
    assert draft.record is not None
    draft.values["VISIT"] = found.name
    draft.values["VISITNUM"] = visit_number(found.number) if found.number is not None else None
    draft.origins["VISIT"] = draft.origins["VISITNUM"] = "D:MT.VISIT"
    if found.number is None:
        return
    key = (draft.record.subject_id, found.number)
    visit = visits.setdefault(key, SubjectVisit(draft.record.subject_id, found.number, found.name, found.planned))
    visit.add(draft.sort_date)


def _number_unscheduled(pending: list[tuple[Draft, float, PartialDate]],
                        visits: dict[tuple[str, float], SubjectVisit]) -> None:
    """Unscheduled visits: one per subject and distinct date after the same planned visit, numbered in date order."""
    ranks: dict[tuple[str, float], list[tuple[int, ...]]] = {}
    for draft, base, when in pending:
        assert draft.record is not None
        dates = ranks.setdefault((draft.record.subject_id, base), [])
        key = when.to_date().timetuple()[:3]  # type: ignore[union-attr]
        if key not in dates:
            dates.append(key)
    for dates in ranks.values():
        dates.sort()
    for draft, base, when in pending:
        assert draft.record is not None
        rank = ranks[(draft.record.subject_id, base)].index(when.to_date().timetuple()[:3]) + 1  # type: ignore[union-attr]
        _place(draft, unscheduled(base, rank), visits)
