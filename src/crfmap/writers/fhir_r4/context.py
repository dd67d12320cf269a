"""What building one subject's resources needs to know: the study, the options and the other resources."""

from __future__ import annotations

from dataclasses import dataclass, field

from crfmap.study.models import StudyMapping
from crfmap.writers.fhir_r4.ids import ResourceHandle, make_resource_id
from crfmap.writers.fhir_r4.options import FhirOptions
from crfmap.writers.fhir_r4.targets import FhirTarget, StudyFhirSettings, read_target

# Our extensions' canonical base. A study may name its own with `fhir: {extension_base: …}` in study.yaml.
DEFAULT_EXTENSION_BASE = "https://crfmap.org/fhir/StructureDefinition"

STUDY_SUBJECT = "*study*"  # the subject id under which study-wide resources get their ids


@dataclass(slots=True)
class StudyContext:
    """Per run: the study, the options and the study-wide resources."""

    study: StudyMapping
    options: FhirOptions
    targets: dict[str, FhirTarget]
    research_study: ResourceHandle
    extension_base: str
    zone: str | None
    in_bundle: bool = True  # False for NDJSON: references are then `Type/id`, not `urn:uuid:` fullUrls
    unwritten: set[str] = field(default_factory=set)  # concepts whose kind of record FHIR has no resource for

    def reference(self, handle: ResourceHandle) -> dict[str, str]:
        return handle.reference(self.in_bundle)

    def make_handle(self, resource_type: str, subject_id: str, concept: str, key: str,
                    part: str = "") -> ResourceHandle:
        return ResourceHandle(resource_type,
                              make_resource_id(self.study.study.id, subject_id, concept, key, part))

    def target(self, concept: str) -> FhirTarget:
        """The concept's `fhir:` target; the defaults for a concept the study does not declare."""
        return self.targets.get(concept) or FhirTarget()

    def extension_url(self, name: str) -> str:
        return f"{self.extension_base}/{name}"


@dataclass(slots=True)
class SubjectContext:
    """Per subject: the handles of the resources others refer to (patient, conditions, exposures)."""

    subject_id: str
    patient: ResourceHandle
    conditions: list[ResourceHandle] = field(default_factory=list)
    exposures: list[ResourceHandle] = field(default_factory=list)
    patient_record_present: bool = False


def make_study_context(study: StudyMapping, options: FhirOptions) -> StudyContext:
    settings = study.study.target_settings("fhir", StudyFhirSettings)
    research_study = ResourceHandle(
        "ResearchStudy", make_resource_id(study.study.id, STUDY_SUBJECT, "ResearchStudy", study.study.id))
    targets = {concept.id: read_target(concept) for concept in study.concepts}
    return StudyContext(study=study, options=options, targets=targets, research_study=research_study,
                        extension_base=(settings.extension_base or DEFAULT_EXTENSION_BASE).rstrip("/"),
                        zone=settings.timezone)
