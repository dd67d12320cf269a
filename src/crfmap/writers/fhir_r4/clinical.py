"""Observation (findings, dispositions) and Condition (diagnosis, medical history).

Findings: the test's codings (LOINC …, NCI C-code) make `code`; a number is valueQuantity (UCUM), a coded
result valueCodeableConcept, text valueString. A negativity/detection threshold (MRD 0.01 %) is a
referenceRange with `high` = threshold: below it the result reads negative, which is what a reference
range tells a reader (R4 Observation.referenceRange, obs-3 satisfied by `high` and `text`). A specimen is a
contained Specimen with its type (Observation.specimen is a Reference in R4). Not performed → status
`cancelled` with dataAbsentReason `not-performed`.
Condition: Event.status (relapsed/refractory …) goes to clinicalStatus when it carries a
condition-clinical coding (e.g. `relapse`), else to a `record-field` extension; onset/abatement keep the
source precision. category = the target's condition-category code, by default `problem-list-item`: a diagnosis
or history item recorded on a CRF belongs to the subject's problem list, not to one encounter; it is also the
code HL7's mCODE PrimaryCancerCondition examples use to fill the required US Core category slice
(hl7.fhir.us.mcode 4.0.0, Condition-primary-cancer-condition-brian-l.json).
"""

from __future__ import annotations

from typing import Any

from crfmap.model import Event, Finding
from crfmap.study.systems import CODE_SYSTEMS
from crfmap.writers.fhir_r4.context import StudyContext, SubjectContext
from crfmap.writers.fhir_r4.datatypes import (
    make_codeable_concept,
    make_date_time,
    make_display_reference,
    make_quantity,
    make_text_concept,
)
from crfmap.writers.fhir_r4.extensions import (
    add_extensions,
    make_field_extensions,
    make_meta,
    make_qualifier_extensions,
)
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.targets import CONDITION_CATEGORIES, OBSERVATION_CATEGORIES

CONDITION_CLINICAL = CODE_SYSTEMS["condition-clinical"]
OBSERVATION_CATEGORY = CODE_SYSTEMS["observation-category"]
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
DEFAULT_CONDITION_CATEGORY = "problem-list-item"
DATA_ABSENT_REASON_CODES = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DISEASE_STATUS_PROFILE = "mcode-cancer-disease-status"
THRESHOLD_TEXT = "Negativity threshold: results below it are negative"


def start_resource(resource_type: str, handle: ResourceHandle, record: Event | Finding,
                   context: StudyContext) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": resource_type, "id": handle.id}
    meta = make_meta(record, context.target(record.concept).profile, context)
    if meta:
        resource["meta"] = meta
    add_extensions(resource, make_qualifier_extensions(record, context))
    return resource


def make_category(context: StudyContext, concept: str, fallback: str | None = None) -> list[dict[str, Any]] | None:
    """The target's category, else the record's own when it is an observation-category code."""
    code = context.target(concept).category or fallback
    if code not in OBSERVATION_CATEGORIES:
        return None
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": OBSERVATION_CATEGORIES[code]}]}]


def build_finding_observation(record: Finding, handle: ResourceHandle, subject_context: SubjectContext,
                              context: StudyContext) -> dict[str, Any]:
    resource = start_resource("Observation", handle, record, context)
    add_extensions(resource, make_field_extensions(record, ("visit", "visit_number"), context))
    if record.specimen is not None:
        resource["contained"] = [{"resourceType": "Specimen", "id": "specimen",
                                  "type": make_codeable_concept(record.specimen)}]
    not_done = record.performed is False
    resource["status"] = "cancelled" if not_done else "final"
    category = make_category(context, record.concept, record.category)
    if category:
        resource["category"] = category
    resource["code"] = make_codeable_concept(record.test, record.test.display)
    resource["subject"] = context.reference(subject_context.patient)
    _add_focus(resource, record.concept, subject_context, context)
    if record.date is not None:
        resource["effectiveDateTime"] = make_date_time(record.date, context.zone)
    if record.evaluator:
        resource["performer"] = [make_display_reference(record.evaluator)]
    _add_result(resource, record)
    if not_done:
        resource["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT_REASON_CODES, "code": "not-performed",
                                                    "display": "Not Performed"}]}
    notes = [text for text in (record.reason, _verbatim_note(record)) if text]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    if record.interpretation is not None:
        resource["interpretation"] = [make_codeable_concept(record.interpretation)]
    if record.method is not None:
        resource["method"] = make_codeable_concept(record.method)
    if record.specimen is not None:
        resource["specimen"] = {"reference": "#specimen"}
    if record.threshold is not None:
        resource["referenceRange"] = [{"high": make_quantity(record.threshold), "text": THRESHOLD_TEXT}]
    return resource


def _add_result(resource: dict[str, Any], record: Finding) -> None:
    if record.value_quantity is not None:
        resource["valueQuantity"] = make_quantity(record.value_quantity)
    elif record.value_coded is not None:
        resource["valueCodeableConcept"] = make_codeable_concept(record.value_coded)
    elif record.value_text:
        resource["valueString"] = record.value_text


def _verbatim_note(record: Finding) -> str | None:
    return f"As recorded: {record.verbatim}" if record.verbatim else None


def _add_focus(resource: dict[str, Any], concept: str, subject_context: SubjectContext,
               context: StudyContext) -> None:
    """mCODE CancerDiseaseStatus: focus on the cancer Condition(s) the status is about."""
    if context.target(concept).has_profile(DISEASE_STATUS_PROFILE) and subject_context.conditions:
        resource["focus"] = [context.reference(handle) for handle in subject_context.conditions]


def build_event_observation(record: Event, handle: ResourceHandle, subject_context: SubjectContext,
                            context: StudyContext) -> dict[str, Any]:
    """A disposition (death, progression, last contact) as an Observation: what happened and when."""
    resource = start_resource("Observation", handle, record, context)
    add_extensions(resource, make_field_extensions(
        record, ("grade", "serious", "relation", "action", "outcome", "ongoing", "body_site", "visit",
                 "visit_number"), context))
    resource["status"] = "final"
    category = make_category(context, record.concept)
    if category:
        resource["category"] = category
    resource["code"] = _event_code(record)
    resource["subject"] = context.reference(subject_context.patient)
    _add_focus(resource, record.concept, subject_context, context)
    if record.start is not None and record.end is not None:
        resource["effectivePeriod"] = {"start": make_date_time(record.start, context.zone),
                                       "end": make_date_time(record.end, context.zone)}
    elif record.start is not None:
        resource["effectiveDateTime"] = make_date_time(record.start, context.zone)
    if record.status is not None:
        resource["valueCodeableConcept"] = make_codeable_concept(record.status)
    return resource


def _event_code(record: Event) -> dict[str, Any]:
    if record.decoded is not None:
        return make_codeable_concept(record.decoded, record.term)
    return make_text_concept(record.term or record.concept)


def build_condition(record: Event, handle: ResourceHandle, subject_context: SubjectContext,
                    context: StudyContext) -> dict[str, Any]:
    resource = start_resource("Condition", handle, record, context)
    clinical = record.status.coding(CONDITION_CLINICAL) if record.status is not None else None
    unmapped = ["grade", "serious", "relation", "action", "outcome", "visit", "visit_number"]
    if record.status is not None and clinical is None:
        unmapped.append("status")
    if record.end is None:
        unmapped.append("ongoing")
    add_extensions(resource, make_field_extensions(record, sorted(unmapped), context))
    if clinical is not None and record.status is not None:
        resource["clinicalStatus"] = make_codeable_concept(record.status)
    category = context.target(record.concept).category or DEFAULT_CONDITION_CATEGORY
    resource["category"] = [{"coding": [{"system": CONDITION_CATEGORY, "code": category,
                                         "display": CONDITION_CATEGORIES[category]}]}]
    resource["code"] = _event_code(record)
    if record.body_site is not None:
        resource["bodySite"] = [make_codeable_concept(record.body_site)]
    resource["subject"] = context.reference(subject_context.patient)
    if record.start is not None:
        resource["onsetDateTime"] = make_date_time(record.start, context.zone)
    if record.end is not None:
        resource["abatementDateTime"] = make_date_time(record.end, context.zone)
    return resource
