"""One subject's records to its resources, in a fixed order: Patient, ResearchSubject, the age
Observation, then the records by (concept, key). Every resource gets an id and, where it has no natural
business identifier, a record identifier: system `<canonical base>/identifier/<study>/record` (one namespace
per study), value the record's UUID v5 (study, subject, concept, key), so conditional creates find it again.

The value is the bare UUID, never the entry's `urn:uuid:` fullUrl: servers rewrite every string equal to a
fullUrl (Medplum stores it as `Type/<new id>`, so the next load matches nothing and duplicates), and it holds
no `|` or `,`, whose FHIR search escapes not every server honours (Medplum does not unescape an escaped bar)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.model import Event, Finding, Intervention, Record, Subject, Visit
from crfmap.writers.fhir_r4.adverse_event import build_adverse_event
from crfmap.writers.fhir_r4.clinical import build_condition, build_event_observation, build_finding_observation
from crfmap.writers.fhir_r4.context import StudyContext, SubjectContext
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.interventions import build_medication_administration, build_procedure
from crfmap.writers.fhir_r4.subject import build_age_observation, build_patient, build_research_subject
from crfmap.writers.fhir_r4.targets import ALLOWED, choose_resource

Built = tuple[ResourceHandle, dict[str, Any]]
Builder = Callable[[Any, ResourceHandle, SubjectContext, StudyContext], dict[str, Any]]

BUILDERS: dict[tuple[type[Record], str], Builder] = {
    (Intervention, "MedicationAdministration"): build_medication_administration,
    (Intervention, "Procedure"): build_procedure,
    (Event, "AdverseEvent"): build_adverse_event,
    (Event, "Condition"): build_condition,
    (Event, "Observation"): build_event_observation,
    (Finding, "Observation"): build_finding_observation,
}
KINDS: dict[type[Record], str] = {Subject: "subject", Intervention: "intervention", Event: "event",
                                  Finding: "finding", Visit: "visit"}
SINGLE_IDENTIFIER = {"AdverseEvent"}  # R4 AdverseEvent.identifier is 0..1


def plan_records(records: Sequence[Record], context: StudyContext,
                 issues: list[Issue]) -> tuple[SubjectContext, Subject | None, list[tuple[Record, ResourceHandle]]]:
    """Handles for every record first, so that any resource can refer to any other of the subject."""
    subject_id = records[0].subject_id
    patient = context.make_handle("Patient", subject_id, "Patient", subject_id)
    subject_context = SubjectContext(subject_id=subject_id, patient=patient)
    subject: Subject | None = None
    planned: list[tuple[Record, ResourceHandle]] = []
    for record in records:
        if isinstance(record, Subject):
            if subject is None:
                subject = record
            else:
                issues.append(_skipped(record, "a second demographics record for the subject; the first is used"))
            continue
        resource_type = _resource_type(record, context)
        if resource_type is None:
            kind = KINDS[type(record)]
            if ALLOWED[kind]:
                issues.append(_skipped(record, "its concept's fhir: resource cannot hold this kind of record"))
            elif record.concept not in context.unwritten:  # no resource for the kind: said once per concept
                context.unwritten[record.concept] = len(issues)
                issues.append(make_issue("W042", subject=record.subject_id, detail=f"{kind} records of concept "
                                         f"{record.concept!r} have no FHIR resource in crfmap; they are written to "
                                         "SDTM only"))
            continue
        handle = context.make_handle(resource_type, subject_id, record.concept, record.key)
        planned.append((record, handle))
        category = getattr(record, "category", None)
        if resource_type == "Condition" and category == "diagnosis":
            subject_context.conditions.append(handle)
        if resource_type == "MedicationAdministration" and category == "exposure" \
                and getattr(record, "occurred", None) is not False:
            subject_context.exposures.append(handle)
    subject_context.patient_record_present = subject is not None
    return subject_context, subject, planned


def _resource_type(record: Record, context: StudyContext) -> str | None:
    kind = KINDS[type(record)]
    resource_type = choose_resource(kind, getattr(record, "category", None), context.target(record.concept))
    return resource_type if resource_type in ALLOWED[kind] else None


def _skipped(record: Record, reason: str) -> Issue:
    return make_issue("W042", subject=record.subject_id,
                      detail=f"record {record.concept}/{record.key} of subject {record.subject_id} "
                             f"is not written to FHIR: {reason}")


def build_subject_resources(records: Sequence[Record], context: StudyContext,
                            issues: list[Issue]) -> Iterator[Built]:
    """The subject's resources, made one at a time (nothing is held beyond the current one)."""
    subject_context, subject, planned = plan_records(records, context, issues)
    yield subject_context.patient, build_patient(subject, subject_context, context)
    subject_id = subject_context.subject_id
    research_subject = context.make_handle("ResearchSubject", subject_id, "ResearchSubject", subject_id)
    yield research_subject, build_research_subject(subject, research_subject, subject_context, context)
    if subject is not None and subject.age is not None:
        age = context.make_handle("Observation", subject_id, subject.concept, subject.key, "age")
        yield age, add_record_identifier(build_age_observation(subject, age, subject_context, context), age,
                                         context)
    for record, handle in planned:
        builder = BUILDERS[(type(record), handle.resource_type)]
        yield handle, add_record_identifier(builder(record, handle, subject_context, context), handle, context)


def add_record_identifier(resource: dict[str, Any], handle: ResourceHandle, context: StudyContext) -> dict[str, Any]:
    """The record's business identifier, placed after id/meta/extension as R4's element order has it."""
    identifier = {"use": "secondary", "system": context.record_system, "value": handle.id}
    value: Any = identifier if handle.resource_type in SINGLE_IDENTIFIER else [identifier]
    return insert_after(resource, ("resourceType", "id", "meta", "extension", "contained"), "identifier", value)


def insert_after(resource: dict[str, Any], leading: tuple[str, ...], key: str, value: Any) -> dict[str, Any]:
    """`resource` with `key` placed after its `leading` keys (dicts keep insertion order; output is not sorted)."""
    ordered = {name: resource[name] for name in leading if name in resource}
    ordered[key] = value
    ordered.update((name, item) for name, item in resource.items() if name not in ordered)
    return ordered


def group_by_subject(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Consecutive runs of one subject's records (the input is sorted by subject first)."""
    group: list[Record] = []
    for record in records:
        if group and record.subject_id != group[0].subject_id:
            yield group
            group = []
        group.append(record)
    if group:
        yield group
