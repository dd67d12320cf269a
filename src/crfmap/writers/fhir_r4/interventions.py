"""MedicationAdministration (drug exposure) and Procedure (e.g. haploidentical HSCT).

Dose: a dose per unit of time (UCUM unit ending in /d, /h, /min, /wk …, e.g. blinatumomab ug/m2/d)
is a rate, so it goes to `dosage.rateQuantity`; R4 defines rate[x] as the speed of administration
"expressed as a rate per unit of time" (MedicationAdministration.dosage.rate[x]); a plain amount goes to
`dosage.dose`. Frequency has no element in R4 MedicationAdministration.dosage: its display goes to
`dosage.text` and the coded value to a `record-field` extension. effective[x] is 1..1: with no dates it is
a Period marked data-absent `unknown`. Not done (occurred = False) → status `not-done` with statusReason.
"""

from __future__ import annotations

import re
from typing import Any

from crfmap.model import Intervention
from crfmap.writers.fhir_r4.context import StudyContext, SubjectContext
from crfmap.writers.fhir_r4.datatypes import (
    make_absent_period,
    make_codeable_concept,
    make_date_time,
    make_display_reference,
    make_period,
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

RATE_UNIT = re.compile(r"/(\d*)(s|min|h|d|wk|mo|a)$")
MEDICATION_PROFILE = "mcode-cancer-related-medication-administration"
PROCEDURE_PROFILES = ("mcode-cancer-related-surgical-procedure", "mcode-radiotherapy-course-summary")


def start_resource(resource_type: str, handle: ResourceHandle, record: Intervention,
                   context: StudyContext, unmapped: tuple[str, ...]) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": resource_type, "id": handle.id}
    meta = make_meta(record, context.target(record.concept).profile, context)
    if meta:
        resource["meta"] = meta
    add_extensions(resource, make_qualifier_extensions(record, context))
    add_extensions(resource, make_field_extensions(record, unmapped + ("visit", "visit_number"), context))
    return resource


def make_treatment(record: Intervention) -> dict[str, Any]:
    if record.treatment is not None:
        return make_codeable_concept(record.treatment, record.verbatim)
    return make_text_concept(record.verbatim or record.concept)


def is_rate(unit: str | None) -> bool:
    return bool(unit and RATE_UNIT.search(unit))


def build_medication_administration(record: Intervention, handle: ResourceHandle,
                                    subject_context: SubjectContext, context: StudyContext) -> dict[str, Any]:
    not_done = record.occurred is False
    unmapped = ("frequency", "sequence_in_subject") + (() if not_done else ("reason",))
    resource = start_resource("MedicationAdministration", handle, record, context, unmapped)
    resource["status"] = "not-done" if not_done else "completed"
    if not_done and record.reason:
        resource["statusReason"] = [make_text_concept(record.reason)]
    resource["medicationCodeableConcept"] = make_treatment(record)
    resource["subject"] = context.reference(subject_context.patient)
    resource["effectivePeriod"] = make_period(record.start, record.end, context.zone) or make_absent_period()
    if record.performer:
        resource["performer"] = [{"actor": make_display_reference(record.performer)}]
    if context.target(record.concept).has_profile(MEDICATION_PROFILE) and subject_context.conditions:
        resource["reasonReference"] = [context.reference(item) for item in subject_context.conditions]
    dosage = make_dosage(record)
    if dosage:
        resource["dosage"] = dosage
    return resource


def make_dosage(record: Intervention) -> dict[str, Any] | None:
    dosage: dict[str, Any] = {}
    if record.frequency is not None:
        dosage["text"] = record.frequency.display
    if record.body_site is not None:
        dosage["site"] = make_codeable_concept(record.body_site)
    if record.route is not None:
        dosage["route"] = make_codeable_concept(record.route)
    if record.dose is not None:
        element = "rateQuantity" if is_rate(record.dose.unit) else "dose"
        dosage[element] = make_quantity(record.dose)
    return dosage or None


def build_procedure(record: Intervention, handle: ResourceHandle, subject_context: SubjectContext,
                    context: StudyContext) -> dict[str, Any]:
    not_done = record.occurred is False
    unmapped = ("dose", "route", "frequency", "sequence_in_subject") + (() if not_done else ("reason",))
    resource = start_resource("Procedure", handle, record, context, unmapped)
    resource["status"] = "not-done" if not_done else "completed"
    if not_done and record.reason:
        resource["statusReason"] = make_text_concept(record.reason)
    resource["code"] = make_treatment(record)
    resource["subject"] = context.reference(subject_context.patient)
    if record.start is not None and record.end is not None and record.end != record.start:
        resource["performedPeriod"] = make_period(record.start, record.end, context.zone)
    elif record.start is not None:
        resource["performedDateTime"] = make_date_time(record.start, context.zone)
    elif record.end is not None:
        resource["performedPeriod"] = make_period(None, record.end, context.zone)
    if record.performer:
        resource["performer"] = [{"actor": make_display_reference(record.performer)}]
    target = context.target(record.concept)
    if any(target.has_profile(name) for name in PROCEDURE_PROFILES) and subject_context.conditions:
        resource["reasonReference"] = [context.reference(item) for item in subject_context.conditions]
    if record.body_site is not None:
        resource["bodySite"] = [make_codeable_concept(record.body_site)]
    return resource
