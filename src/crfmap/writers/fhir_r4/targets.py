"""The `fhir:` dict of a concept: its model, the default resource per record kind, and its lint (P011)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crfmap.issues import Issue, make_issue
from crfmap.study.models import ConceptSpec, StudyMapping

ResourceName = Literal["Observation", "MedicationAdministration", "Procedure", "AdverseEvent", "Condition"]

# Observation.category codes of http://terminology.hl7.org/CodeSystem/observation-category (R4), with displays.
OBSERVATION_CATEGORIES: dict[str, str] = {
    "social-history": "Social History", "vital-signs": "Vital Signs", "imaging": "Imaging",
    "laboratory": "Laboratory", "procedure": "Procedure", "survey": "Survey", "exam": "Exam",
    "therapy": "Therapy", "activity": "Activity",
}

# Condition.category codes of http://terminology.hl7.org/CodeSystem/condition-category (R4), with displays.
CONDITION_CATEGORIES: dict[str, str] = {
    "problem-list-item": "Problem List Item", "encounter-diagnosis": "Encounter Diagnosis",
}

# Which resources each record kind (and category) may become. Visits have none yet: they are written to SDTM only
# (W042 once per concept).
ALLOWED: dict[str, frozenset[str]] = {
    "subject": frozenset(),
    "intervention": frozenset({"MedicationAdministration", "Procedure"}),
    "event": frozenset({"AdverseEvent", "Condition", "Observation"}),
    "finding": frozenset({"Observation"}),
    "visit": frozenset(),
}

# FHIR R4's vital signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html): an Observation that claims one of
# them must carry the vital-signs category (their category slice VSCat is 1..1), as US Core's do.
VITAL_SIGNS_PROFILES = frozenset(f"http://hl7.org/fhir/StructureDefinition/{name}" for name in (
    "vitalsigns", "vitalspanel", "resprate", "heartrate", "oxygensat", "bodytemp", "bodyheight", "headcircum",
    "bodyweight", "bmi", "bp"))

DEFAULTS: dict[tuple[str, str | None], str] = {
    ("intervention", "procedure"): "Procedure",
    ("intervention", None): "MedicationAdministration",
    ("event", "adverse_event"): "AdverseEvent",
    ("event", "diagnosis"): "Condition",
    ("event", "medical_history"): "Condition",
    ("event", "disposition"): "Observation",
    ("finding", None): "Observation",
}


class FhirTarget(BaseModel):
    """A concept's `fhir:` keys: which resource its records become, the profiles they claim, their category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resource: ResourceName | None = Field(
        default=None, description="The resource type; default by record kind and category (finding → Observation, "
                                  "adverse_event → AdverseEvent …)")
    profile: list[str] = Field(
        default_factory=list, description="Canonical URLs of the profiles the resources claim in meta.profile (they "
                                          "must then conform: tests check them with HL7's packages)")
    category: str | None = Field(
        default=None, description="Observation.category, an R4 observation-category code (vital-signs, laboratory, "
                                  "survey, exam, imaging, procedure, social-history, therapy, activity; default: the "
                                  "record's category when it is one), or Condition.category (problem-list-item, "
                                  "encounter-diagnosis)")

    def has_profile(self, suffix: str) -> bool:
        return any(url.endswith("/" + suffix) for url in self.profile)


def read_target(concept: ConceptSpec) -> FhirTarget:
    """The concept's target; an empty one when it has no `fhir:` keys (lint reports bad ones first)."""
    return concept.target("fhir", FhirTarget) or FhirTarget()


def choose_resource(kind: str, category: str | None, target: FhirTarget) -> str | None:
    """The resource type a record becomes: the target's choice, else the default for its kind/category (None when
    the kind has no resource)."""
    if target.resource:
        return target.resource
    return DEFAULTS.get((kind, category)) or DEFAULTS.get((kind, None))


# ResearchStudy.status codes of R4 (research-study-status, required binding).
STUDY_STATUSES = frozenset({
    "active", "administratively-completed", "approved", "closed-to-accrual", "closed-to-accrual-and-intervention",
    "completed", "disapproved", "in-review", "temporarily-closed-to-accrual",
    "temporarily-closed-to-accrual-and-intervention", "withdrawn",
})
# ResearchSubject.status codes of R4 (research-subject-status, required binding).
SUBJECT_STATUSES = frozenset({
    "candidate", "eligible", "follow-up", "ineligible", "not-registered", "off-study", "on-study",
    "on-study-intervention", "on-study-observation", "pending-on-study", "potential-candidate", "screening",
    "withdrawn",
})
CANONICAL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
ZONE = re.compile(r"^(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)$")


class StudyFhirSettings(BaseModel):
    """The study-level `fhir:` options of study.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    study_status: str | None = Field(None, description="ResearchStudy.status (required in R4; else data-absent)")
    timezone: str | None = Field(None, description="UTC offset of the sites' times, e.g. +01:00; without it "
                                                   "times of day are cut to their date")
    subject_status: str | None = Field(None, description="ResearchSubject.status of subjects whose data has no "
                                                         "status of its own, e.g. off-study for a closed study")
    canonical_base: str | None = Field(None, description="The study's canonical base URL: crfmap's extensions "
                                                         "(<base>/StructureDefinition/…) and record identifiers "
                                                         "(<base>/identifier/<study>/record) live under it")
    extension_base: str | None = Field(None, description="Canonical base URL of crfmap's extensions (older "
                                                         "setting; prefer canonical_base)")


def lint_fhir_targets(study: StudyMapping) -> list[Issue]:
    """P011 issues for the study's `fhir:` options and every concept `fhir:` dict the writer cannot use."""
    issues: list[Issue] = lint_study_settings(study)
    for concept in study.concepts:
        if concept.target_data("fhir") is None:
            continue
        issues.extend(lint_concept(study, concept))
    return issues


def lint_study_settings(study: StudyMapping) -> list[Issue]:
    def _invalid_study(detail: str) -> Issue:
        return make_issue("P011", **study.locations.at_study(("fhir",)), value="fhir", detail=f"study.yaml: {detail}")

    try:
        settings = study.study.target_settings("fhir", StudyFhirSettings)
    except ValidationError as problem:
        return [_invalid_study(f"{_location(error['loc'])}: {error['msg']}") for error in problem.errors()]
    issues = []
    if settings.study_status is not None and settings.study_status not in STUDY_STATUSES:
        issues.append(_invalid_study(f"fhir.study_status {settings.study_status!r} is not a ResearchStudy status; "
                                     f"expected one of: {', '.join(sorted(STUDY_STATUSES))}"))
    if settings.timezone is not None and not ZONE.match(settings.timezone):
        issues.append(_invalid_study(f"fhir.timezone {settings.timezone!r} is not a UTC offset such as +01:00 or Z"))
    if settings.subject_status is not None and settings.subject_status not in SUBJECT_STATUSES:
        issues.append(make_issue("P015", **study.locations.at_study(("fhir", "subject_status")),
                                 value=settings.subject_status, expected=", ".join(sorted(SUBJECT_STATUSES)),
                                 detail="fhir.subject_status"))
    issues.extend(lint_canonical(settings, lambda name: study.locations.at_study(("fhir", name))))
    return issues


def lint_canonical(settings: StudyFhirSettings,
                   locate: Callable[[str], dict[str, Any]] = lambda name: {"file": "study.yaml"}) -> list[Issue]:
    """P014: canonical URLs crfmap builds other URLs on must be absolute http(s) URLs without query or fragment."""
    issues = []
    for name in ("canonical_base", "extension_base"):
        value = getattr(settings, name)
        if value is not None and not CANONICAL.match(value):
            issues.append(make_issue("P014", **locate(name), value=value, detail=f"fhir.{name}"))
    base, extensions = settings.canonical_base, settings.extension_base
    if base and extensions and extensions.rstrip("/") != f"{base.rstrip('/')}/StructureDefinition":
        issues.append(make_issue("P014", **locate("extension_base"), value=extensions,
                                 detail=f"fhir.extension_base (it must be {base.rstrip('/')}/StructureDefinition "
                                        "when canonical_base is given; give canonical_base alone)"))
    return issues


def lint_concept(study: StudyMapping, concept: ConceptSpec) -> list[Issue]:
    def _invalid(concept: ConceptSpec, detail: str) -> Issue:
        return make_issue("P011", **study.locations.at_concept(concept.id, ("fhir",)), value=concept.id,
                          detail=f"concept {concept.id!r}: {detail}")

    try:
        target = read_target(concept)
    except ValidationError as problem:
        return [_invalid(concept, f"{_location(error['loc'])}: {error['msg']}") for error in problem.errors()]
    issues = []
    allowed = ALLOWED[concept.record]
    if target.resource and target.resource not in allowed:
        expected = ", ".join(sorted(allowed)) or "none (subjects become Patient and ResearchSubject)"
        issues.append(_invalid(concept, f"resource {target.resource!r} cannot hold a {concept.record} record; "
                                        f"expected one of: {expected}"))
    for url in target.profile:
        if not url.startswith(("http://", "https://")):
            issues.append(_invalid(concept, f"profile {url!r} is not a canonical URL (http:// or https://)"))
    if target.category is not None:
        resource = target.resource or ("Observation" if concept.record == "finding" else None)
        if resource == "Condition":
            if target.category not in CONDITION_CATEGORIES:
                issues.append(_invalid(concept, f"category {target.category!r} is not a condition-category code; "
                                                f"expected one of: {', '.join(CONDITION_CATEGORIES)}"))
        elif resource != "Observation":
            issues.append(_invalid(concept, "category is only used for Observation and Condition targets"))
        elif target.category not in OBSERVATION_CATEGORIES:
            issues.append(_invalid(concept, f"category {target.category!r} is not an observation-category code; "
                                            f"expected one of: {', '.join(OBSERVATION_CATEGORIES)}"))
    if VITAL_SIGNS_PROFILES.intersection(target.profile) and _category(concept, target) != "vital-signs":
        issues.append(_invalid(concept, "a vital signs profile needs the vital-signs category (its VSCat slice is "
                                        "required); set fhir.category: vital-signs"))
    return issues


def _category(concept: ConceptSpec, target: FhirTarget) -> str | None:
    """The Observation category the records will get: the target's, else a constant record category."""
    if target.category is not None:
        return target.category
    operation = concept.fields.get("category")
    value = getattr(operation, "value", None) if getattr(operation, "op", None) == "constant" else None
    return str(value) if value is not None else None


def _location(parts: tuple[object, ...]) -> str:
    return "fhir." + ".".join(str(part) for part in parts) if parts else "fhir"
