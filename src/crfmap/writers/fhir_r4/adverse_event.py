"""AdverseEvent (R4) from an adverse-event Event record.

event = the dictionary-coded term (MedDRA PT + SNOMED CT codings) with the verbatim term as text;
date = onset. The CTCAE grade is not R4 `severity` (mild/moderate/severe): it goes to the published HL7
AE Clinical Research R4 Backport (STU1, 1.0.1) extensions `ae-grade` (CodeableConcept) and the end date to
`resolve-date` (dateTime). seriousness = serious / non-serious; causality to the study treatment is a
suspectEntity per exposure MedicationAdministration of the subject, with causality.assessment = the
relation; with no exposure resources the relation stays a `record-field` extension.
"""

from __future__ import annotations

from typing import Any

from crfmap.model import Event
from crfmap.study.systems import CODE_SYSTEMS
from crfmap.writers.fhir_r4.context import StudyContext, SubjectContext
from crfmap.writers.fhir_r4.datatypes import make_codeable_concept, make_date_time, make_text_concept
from crfmap.writers.fhir_r4.extensions import (
    add_extensions,
    make_field_extensions,
    make_meta,
    make_qualifier_extensions,
)
from crfmap.writers.fhir_r4.ids import ResourceHandle

AE_BACKPORT = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition"
GRADE_URL = f"{AE_BACKPORT}/ae-grade"
RESOLVE_DATE_URL = f"{AE_BACKPORT}/resolve-date"
SERIOUSNESS = CODE_SYSTEMS["adverse-event-seriousness"]


def make_seriousness(serious: bool) -> dict[str, Any]:
    code, display = ("serious", "Serious") if serious else ("non-serious", "Non-serious")
    return {"coding": [{"system": SERIOUSNESS, "code": code, "display": display}]}


def build_adverse_event(record: Event, handle: ResourceHandle, subject_context: SubjectContext,
                        context: StudyContext) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "AdverseEvent", "id": handle.id}
    meta = make_meta(record, context.target(record.concept).profile, context)
    if meta:
        resource["meta"] = meta
    extensions: list[dict[str, Any]] = []
    if record.grade is not None:
        extensions.append({"url": GRADE_URL, "valueCodeableConcept": make_codeable_concept(record.grade)})
    if record.end is not None:
        extensions.append({"url": RESOLVE_DATE_URL, "valueDateTime": make_date_time(record.end, context.zone)})
    add_extensions(resource, extensions)
    add_extensions(resource, make_qualifier_extensions(record, context))
    unmapped = ["action", "body_site", "ongoing", "status", "visit", "visit_number"]
    if not subject_context.exposures:
        unmapped.append("relation")
    add_extensions(resource, make_field_extensions(record, sorted(unmapped), context))
    resource["actuality"] = "actual"
    resource["event"] = _make_event(record)
    resource["subject"] = context.reference(subject_context.patient)
    if record.start is not None:
        resource["date"] = make_date_time(record.start, context.zone)
    if record.serious is not None:
        resource["seriousness"] = make_seriousness(record.serious)
    if record.outcome is not None:
        resource["outcome"] = make_codeable_concept(record.outcome)
    suspects = _make_suspects(record, subject_context, context)
    if suspects:
        resource["suspectEntity"] = suspects
    resource["study"] = [context.reference(context.research_study)]
    return resource


def _make_event(record: Event) -> dict[str, Any]:
    if record.decoded is not None:
        return make_codeable_concept(record.decoded, record.term)
    return make_text_concept(record.term or record.concept)


def _make_suspects(record: Event, subject_context: SubjectContext, context: StudyContext) -> list[dict[str, Any]]:
    if record.relation is None:
        return []
    assessment = make_codeable_concept(record.relation)
    return [{"instance": context.reference(exposure), "causality": [{"assessment": assessment}]}
            for exposure in subject_context.exposures]
