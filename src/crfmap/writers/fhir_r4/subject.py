"""ResearchStudy, Patient, ResearchSubject (and an age Observation) from the study and a Subject record.

birthDate is written at the source's precision (YYYY, YYYY-MM or full). When only an age is known no
birth date is made up: the age becomes an Observation (LOINC 30525-0 Age, UCUM `a`/`mo`), with what it
is measured from in its note.

A study subject is pseudonymous: its Patient.name is a HumanName that only says, with the data-absent-reason
`masked`, that the name is withheld (what US Core's us-core-6, which mCODE's CancerPatient inherits, asks for
instead of a made-up name). The subject id is an identifier of type v2-0203 `ANON` (an identifier of a person
whose identity is protected), use `secondary` on the Patient (it identifies the person only within the study)
and `usual` on the ResearchSubject, in the study's own system, so a patient index never takes it for a medical
record number. R4's extensible identifier-type value set has no code for a study subject id; ANON, from the
same code system, is the one that fits.
"""

from __future__ import annotations

from typing import Any

from crfmap.model import Coded, Subject
from crfmap.study.systems import CODE_SYSTEMS
from crfmap.writers.fhir_r4.context import StudyContext, SubjectContext
from crfmap.writers.fhir_r4.datatypes import (
    DATA_ABSENT_REASON,
    make_date,
    make_display_reference,
    make_period,
    make_quantity,
)
from crfmap.writers.fhir_r4.extensions import (
    add_extensions,
    make_field_extensions,
    make_meta,
    make_qualifier_extensions,
)
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.targets import StudyFhirSettings

GENDER_SYSTEM = CODE_SYSTEMS["administrative-gender"]
IDENTIFIER_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ANON",
                               "display": "Anonymous identifier"}], "text": "Study subject identifier"}
MASKED_NAME = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}
RESEARCH_SUBJECT_STATUS = CODE_SYSTEMS["research-subject-status"]
# CDISC SEX submission values (C66731) to administrative-gender codes.
CDISC_SEX = {"M": "male", "F": "female", "U": "unknown", "UNDIFFERENTIATED": "other"}
AGE_CODE = {"system": CODE_SYSTEMS["loinc"], "code": "30525-0", "display": "Age"}
PATIENT_FIELDS = ("race", "ethnicity")  # no core element; US Core race/ethnicity need OMB codes
RESEARCH_SUBJECT_FIELDS = ("site", "consent_date")  # consent is a Reference(Consent) in R4
# Fields whose cells are traced on ResearchSubject (and age's on the age Observation); the rest on Patient.
ENROLMENT_FIELDS = ("site", "consent_date", "enrolment_date", "status", "arm", "actual_arm")
AGE_FIELDS = ("age", "age_reference")


def build_research_study(context: StudyContext) -> dict[str, Any]:
    study = context.study.study
    settings = study.target_settings("fhir", StudyFhirSettings)
    resource: dict[str, Any] = {"resourceType": "ResearchStudy", "id": context.research_study.id}
    identifiers: list[dict[str, Any]] = [{"system": study.identifier_systems.study, "value": study.id}]
    if study.protocol and study.protocol != study.id:
        identifiers.append({"type": {"text": "Protocol"}, "value": study.protocol})
    resource["identifier"] = identifiers
    resource["title"] = study.title
    status = settings.study_status
    if status:
        resource["status"] = str(status)
    else:  # required, but a mapping may not know it: say so rather than guess
        resource["_status"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    if study.phase:
        resource["phase"] = {"text": study.phase}
    if study.sponsor:
        resource["sponsor"] = make_display_reference(study.sponsor)
    if study.arms:
        resource["arm"] = [_make_arm(arm.code, arm.name, arm.description) for arm in study.arms]
    return resource


def _make_arm(code: str, name: str, description: str | None) -> dict[str, Any]:
    arm: dict[str, Any] = {"name": code, "type": {"text": name}}
    if description:
        arm["description"] = description
    return arm


def build_patient(subject: Subject | None, subject_context: SubjectContext,
                  context: StudyContext) -> dict[str, Any]:
    """The Patient; with only an identifier when the subject has no demographics record."""
    resource: dict[str, Any] = {"resourceType": "Patient", "id": subject_context.patient.id}
    profiles = context.target(subject.concept).profile if subject else []
    patient_fields = set(subject.sources) - set(ENROLMENT_FIELDS) - set(AGE_FIELDS) if subject else set()
    meta = make_meta(subject, profiles, context, patient_fields)
    if meta:
        resource["meta"] = meta
    if subject is not None:
        add_extensions(resource, make_qualifier_extensions(subject, context))
    resource["identifier"] = [make_subject_identifier("secondary", subject_context, context)]
    resource["name"] = [MASKED_NAME]
    if subject is None:
        return resource
    if subject.sex is not None:
        resource["gender"] = choose_gender(subject.sex)
        if not _gender_is_exact(subject.sex):  # keep what was recorded when it had to become "unknown"
            add_extensions(resource, make_field_extensions(subject, ("sex",), context))
    if subject.birth_date is not None:
        resource["birthDate"] = make_date(subject.birth_date)
    if subject.country:
        resource["address"] = [{"country": subject.country}]
    add_extensions(resource, make_field_extensions(subject, PATIENT_FIELDS, context))
    return resource


def make_subject_identifier(use: str, subject_context: SubjectContext, context: StudyContext) -> dict[str, Any]:
    return {"use": use, "type": IDENTIFIER_TYPE, "system": context.study.study.identifier_systems.subject,
            "value": subject_context.subject_id}


def choose_gender(sex: Coded) -> str:
    """administrative-gender from the coding in that system, else from the CDISC SEX value; else unknown."""
    coding = sex.coding(GENDER_SYSTEM)
    if coding is not None:
        return coding.code
    value = (sex.submission_value or sex.value or "").upper()
    return CDISC_SEX.get(value, "unknown")


def _gender_is_exact(sex: Coded) -> bool:
    value = (sex.submission_value or sex.value or "").upper()
    return sex.coding(GENDER_SYSTEM) is not None or value in CDISC_SEX


def build_research_subject(subject: Subject | None, handle: ResourceHandle, subject_context: SubjectContext,
                           context: StudyContext) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "ResearchSubject", "id": handle.id}
    meta = make_meta(subject, [], context, ENROLMENT_FIELDS)
    if meta:
        resource["meta"] = meta
    if subject is not None:
        unmapped = RESEARCH_SUBJECT_FIELDS + (() if _research_status(subject.status) else ("status",))
        add_extensions(resource, make_field_extensions(subject, unmapped, context))
    resource["identifier"] = [make_subject_identifier("usual", subject_context, context)]
    # the subject's own status when it carries a research-subject-status coding, else the study's declared one
    declared = context.study.study.target_settings("fhir", StudyFhirSettings).subject_status
    status = _research_status(subject.status if subject else None) or declared
    if status:
        resource["status"] = status
    else:
        resource["_status"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    period = make_period(subject.enrolment_date, None) if subject else None
    if period:
        resource["period"] = period
    resource["study"] = context.reference(context.research_study)
    resource["individual"] = context.reference(subject_context.patient)
    if subject is not None and subject.arm is not None:
        resource["assignedArm"] = subject.arm.submission_value or subject.arm.value
    if subject is not None and subject.actual_arm is not None:
        resource["actualArm"] = subject.actual_arm.submission_value or subject.actual_arm.value
    return resource


def _research_status(status: Coded | None) -> str | None:
    if status is None:
        return None
    coding = status.coding(RESEARCH_SUBJECT_STATUS)
    return coding.code if coding else None


def build_age_observation(subject: Subject, handle: ResourceHandle, subject_context: SubjectContext,
                          context: StudyContext) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Observation", "id": handle.id}
    meta = make_meta(subject, [], context, AGE_FIELDS)
    if meta:
        resource["meta"] = meta
    resource["status"] = "final"
    resource["code"] = {"coding": [dict(AGE_CODE)], "text": "Age"}
    resource["subject"] = context.reference(subject_context.patient)
    if subject.age is not None:
        resource["valueQuantity"] = make_quantity(subject.age)
    if subject.age_reference:
        resource["note"] = [{"text": f"Age at {subject.age_reference}"}]
    return resource

