"""The trial design and TS, checked before any data is read.

P044 for a reference that does not resolve (an arm that is not one of study.yaml's `arms`, an element, a concept,
a record field or qualifier, a visit window's element, a duplicate code); P045, one warning listing them, for the
Trial Summary parameters FDA expects that neither study.yaml nor crfmap's derivations provide, in a study that
declares its trial design (the step from a quick conversion to a submission).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from crfmap.issues import Issue, make_issue
from crfmap.model import record_field_names
from crfmap.study.locations import MappingSource
from crfmap.study.models import ConceptSpec, StudyMapping
from crfmap.writers.sdtm.domains.targets import read_study_sdtm, read_target
from crfmap.writers.sdtm.trial_design.models import ElementStart, RecordFilter, TrialDesign
from crfmap.writers.sdtm.trial_design.parameters import FDA_EXPECTED, derived_parameters

DATE_FIELDS = {"intervention": ("start", "end"), "event": ("start", "end"), "finding": ("date",)}


def lint_trial_design(study: StudyMapping) -> list[Issue]:
    where = study.locations
    try:
        settings = read_study_sdtm(study)
    except ValidationError:
        return []
    issues: list[Issue] = []
    design = settings.trial_design
    if design is not None:
        issues.extend(_lint_design(study, design, where))
    issues.extend(_lint_concept_visits(study, design, where))
    declared = {entry.parmcd for entry in settings.ts}
    missing = [code for code in FDA_EXPECTED if code not in declared and code not in derived_parameters(study)]
    if missing and design is not None:  # a study that declares its design is held to FDA's TS expectations
        issues.append(make_issue("P045", value=", ".join(missing), **where.at_study(("sdtm", "ts")),
                                 detail="FDA Study Data Technical Conformance Guide / CDISC SDTM-MSG v2 TS"))
    return issues


def _problem(place: dict[str, Any], detail: str) -> Issue:
    return make_issue("P044", **place, detail=f"sdtm.trial_design: {detail}")


def _lint_design(study: StudyMapping, design: TrialDesign, where: MappingSource) -> Iterator[Issue]:
    def at(*path: Any) -> dict[str, Any]:
        return where.at_study(("sdtm", "trial_design", *path))

    yield from _duplicates([element.code for element in design.elements], "element code", lambda i: at("elements", i))
    yield from _duplicates([visit.number for visit in design.visits], "visit number", lambda i: at("visits", i))
    yield from _duplicates([visit.name for visit in design.visits], "visit name", lambda i: at("visits", i))
    yield from _duplicates([value for visit in design.visits for value in visit.values], "visit value",
                           lambda i: at("visits"))
    yield from _duplicates([criterion.code for criterion in design.criteria], "criterion code",
                           lambda i: at("criteria", i))
    arm_codes = {arm.code for arm in study.study.arms}
    for armcd, steps in design.arms.items():
        if armcd not in arm_codes:
            yield _problem(at("arms", armcd), f"arm {armcd!r} is not one of study.yaml arms "
                                              f"({', '.join(sorted(arm_codes)) or 'none declared'})")
        for index, step in enumerate(steps):
            if design.element(step.element) is None:
                yield _problem(at("arms", armcd, index, "element"), f"arm {armcd}: element {step.element!r} is not "
                                                                    "one of the design's elements")
            if step.starts is not None:
                yield from _lint_start(study, step.starts, at("arms", armcd, index, "starts"))
    for code in sorted(arm_codes - set(design.arms)) if design.arms else ():
        yield _problem(at("arms"), f"arm {code!r} of study.yaml has no elements (TA)")
    for index, visit in enumerate(design.visits):
        if visit.window is not None and visit.window.element is not None \
                and design.element(visit.window.element) is None:
            yield _problem(at("visits", index, "window", "element"),
                           f"visit {visit.name!r}: window element {visit.window.element!r} is not one of the "
                           "design's elements")
        for armcd in visit.arms:
            if armcd not in design.arms:
                yield _problem(at("visits", index, "arms"), f"visit {visit.name!r}: arm {armcd!r} has no elements")


def _duplicates(values: list[Any], what: str, place: Any) -> Iterator[Issue]:
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield _problem(place(index), f"{what} {value!r} is given twice")
        seen.add(value)


def _lint_start(study: StudyMapping, start: ElementStart, place: dict[str, Any]) -> Iterator[Issue]:
    concept = next((concept for concept in study.concepts if concept.id == start.concept), None)
    if concept is None:
        yield _problem(place, f"starts.concept {start.concept!r} is not a concept of the study")
        return
    if start.field not in DATE_FIELDS.get(concept.record, ()):
        yield _problem(place, f"starts.field {start.field!r} is not a date of {concept.record} records "
                              f"({', '.join(DATE_FIELDS.get(concept.record, ())) or 'none'})")
    if start.where is not None:
        yield from _lint_filter(concept, start.where, place)


def _lint_filter(concept: ConceptSpec, where: RecordFilter, place: dict[str, Any]) -> Iterator[Issue]:
    if where.qualifier is not None and where.qualifier not in concept.qualifiers:
        yield _problem(place, f"where.qualifier {where.qualifier!r} is not a qualifier of concept {concept.id!r}")
    if where.field is not None and where.field not in record_field_names(concept.record):
        yield _problem(place, f"where.field {where.field!r} is not a field of {concept.record} records")


def _lint_concept_visits(study: StudyMapping, design: TrialDesign | None, where: MappingSource) -> Iterator[Issue]:
    for concept in study.concepts:
        try:
            target = read_target(concept)
        except ValidationError:
            continue
        visit = target.visit if target is not None else None
        if visit is None:
            continue
        place = where.at_concept(concept.id, ("sdtm", "visit"))
        if design is None or not design.visits:
            yield _problem(place, f"concept {concept.id!r} asks for visits, but the trial design declares none")
            continue
        if visit.qualifier is not None and visit.qualifier not in concept.qualifiers:
            yield _problem(place, f"concept {concept.id!r}: visit qualifier {visit.qualifier!r} is not one of its "
                                  "qualifiers")
        if visit.field is not None and visit.field not in record_field_names(concept.record):
            yield _problem(place, f"concept {concept.id!r}: visit field {visit.field!r} is not a field of "
                                  f"{concept.record} records")
        if visit.by_date and not any(planned.window for planned in design.visits):
            yield _problem(place, f"concept {concept.id!r} assigns visits by date, but no visit has a window")
