"""TA, TE, TV and TI from the declared trial design (SDTMIG 3.4 sections 7.2–7.5), and SE and Subject Visits rows as datasets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from crfmap.model import PartialDate
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains import stored_rows
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.frame import DomainAssembly, make_piece
from crfmap.writers.sdtm.domains.timing import study_day
from crfmap.writers.sdtm.trial_design.elements import SubjectElement
from crfmap.writers.sdtm.trial_design.models import TrialDesign
from crfmap.writers.sdtm.trial_design.specs import design_origins, design_spec
from crfmap.writers.sdtm.trial_design.visits import visit_number


def design_datasets(design: TrialDesign, context: BuildContext) -> list[Dataset]:
    """TA, TE, TV, TI: one dataset each for what the design declares (none for an empty part)."""
    study_id = context.study_id
    arm_names = {arm.code: arm.name for arm in context.study.study.arms}
    ta: list[dict[str, object]] = [{"STUDYID": study_id, "DOMAIN": "TA", "ARMCD": armcd, "ARM": arm_names.get(armcd), "TAETORD": order,
           "ETCD": step.element, "ELEMENT": _element_name(design, step.element), "TABRANCH": step.branch,
           "TATRANS": step.transition, "EPOCH": step.epoch}
          for armcd, steps in sorted(design.arms.items()) for order, step in enumerate(steps, start=1)]
    te: list[dict[str, object]] = [{"STUDYID": study_id, "DOMAIN": "TE", "ETCD": element.code, "ELEMENT": element.name,
           "TESTRL": element.start_rule, "TEENRL": element.end_rule, "TEDUR": element.duration}
          for element in design.elements]
    tv: list[dict[str, object]] = []
    for visit in sorted(design.visits, key=lambda planned: planned.number):
        arms: list[str | None] = list(visit.arms) or [None]
        for armcd in arms:
            tv.append({"STUDYID": study_id, "DOMAIN": "TV", "VISITNUM": visit_number(visit.number),
                       "VISIT": visit.name, "VISITDY": visit.day, "ARMCD": armcd,
                       "ARM": arm_names.get(armcd) if armcd else None, "TVSTRL": visit.start_rule,
                       "TVENRL": visit.end_rule})
    ti: list[dict[str, object]] = [{"STUDYID": study_id, "DOMAIN": "TI", "IETESTCD": criterion.code, "IETEST": criterion.text,
           "IECAT": criterion.category, "IESCAT": criterion.subcategory, "TIRL": criterion.rule,
           "TIVERS": design.criteria_version} for criterion in design.criteria]
    return [rows_dataset(name, rows, context) for name, rows in (("TA", ta), ("TE", te), ("TV", tv), ("TI", ti))
            if rows]


def subject_elements_dataset(design: TrialDesign, elements: Mapping[str, list[SubjectElement]],
                             context: BuildContext) -> Dataset | None:
    if not any(elements.values()):
        return None
    return rows_dataset("SE", _subject_element_rows(design, elements, context), context)


def _subject_element_rows(design: TrialDesign, elements: Mapping[str, list[SubjectElement]],
                          context: BuildContext) -> Iterator[dict[str, object]]:
    for subject in sorted(elements, key=context.usubjid):
        start = context.reference_start.get(subject)
        for sequence, element in enumerate(elements[subject], start=1):
            yield {"STUDYID": context.study_id, "DOMAIN": "SE", "USUBJID": context.usubjid(subject),
                   "SESEQ": sequence, "ETCD": element.step.element,
                   "ELEMENT": _element_name(design, element.step.element), "TAETORD": element.order,
                   "EPOCH": element.step.epoch, "SESTDTC": element.start.iso(), "SEENDTC": _iso(element.end),
                   "SESTDY": study_day(element.start, start), "SEENDY": study_day(element.end, start)}


def rows_dataset(name: str, rows: Iterable[dict[str, object]], context: BuildContext) -> Dataset:
    """A dataset of study-level or derived rows (no input cells of their own), made a block of rows at a time: SE
    and Subject Visits have a few rows per subject, and their rows wait on disk as a domain's do."""
    spec = design_spec(name, context.catalog.sdtmig)
    origins = design_origins(name, [variable.name for variable in spec.variables])
    assembly = DomainAssembly(spec, context)
    rows = iter(rows)
    while block := list(islice(rows, stored_rows.BLOCK_ROWS)):  # read when called: a test may set it small
        drafts = [Draft(values=row, record=None, sort_date=None, origins=dict(origins)) for row in block]
        assembly.take(make_piece(spec, drafts, context))
    return assembly.finish()


def _element_name(design: TrialDesign, code: str) -> str | None:
    element = design.element(code)
    return element.name if element is not None else None


def _iso(when: PartialDate | None) -> str | None:
    return None if when is None else when.iso()
