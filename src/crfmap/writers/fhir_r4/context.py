"""What building one subject's resources needs to know: the study, the options and the other resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from crfmap.study.models import StudyMapping
from crfmap.writers.fhir_r4.ids import ResourceHandle, make_resource_id
from crfmap.writers.fhir_r4.options import FhirOptions
from crfmap.writers.fhir_r4.targets import FhirTarget, StudyFhirSettings, read_target

# crfmap's canonical base: its extensions are `<base>/StructureDefinition/<name>`, its record identifiers
# `<base>/identifier/<study id>/record`. A study may set its own with `fhir: {canonical_base: …}` in study.yaml
# (and publish crfmap's definitions under it with `crfmap fhir-definitions`); `extension_base` (the older
# setting) names the StructureDefinition base alone.
DEFAULT_CANONICAL_BASE = "https://crfmap.org/fhir"
DEFAULT_EXTENSION_BASE = f"{DEFAULT_CANONICAL_BASE}/StructureDefinition"

STUDY_SUBJECT = "*study*"  # the subject id under which study-wide resources get their ids


@dataclass(slots=True)
class StudyContext:
    """Per run: the study, the options and the study-wide resources."""

    study: StudyMapping
    options: FhirOptions
    targets: dict[str, FhirTarget]
    research_study: ResourceHandle
    extension_base: str
    record_system: str  # Identifier.system of every record resource's business identifier
    zone: str | None
    in_bundle: bool = True  # False for NDJSON: references are then `Type/id`, not `urn:uuid:` fullUrls
    # concepts whose kind of record FHIR has no resource for → where in the issues list that was said
    unwritten: dict[str, int] = field(default_factory=dict)
    # When a list: every reference made is logged with its handle, so that a resource written into a bundle can
    # be written again as NDJSON by rewriting its references in place (relative_references) instead of being
    # built a second time.
    made_references: list[tuple[dict[str, str], ResourceHandle]] | None = None

    def reference(self, handle: ResourceHandle) -> dict[str, str]:
        made = handle.reference(self.in_bundle)
        if self.made_references is not None:
            self.made_references.append((made, handle))
        return made

    def relative_references(self) -> None:
        """Turn the references logged since the last call into NDJSON's relative `Type/id` form, in place."""
        if self.made_references is None:
            return
        for made, handle in self.made_references:
            made["reference"] = f"{handle.resource_type}/{handle.id}"
        self.made_references.clear()

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


def choose_canonical_base(settings: StudyFhirSettings) -> str:
    """The study's canonical base (no trailing slash): `canonical_base`, else derived from `extension_base`."""
    if settings.canonical_base:
        return settings.canonical_base.rstrip("/")
    if settings.extension_base:
        return settings.extension_base.rstrip("/").removesuffix("/StructureDefinition")
    return DEFAULT_CANONICAL_BASE


def choose_extension_base(settings: StudyFhirSettings) -> str:
    """Where crfmap's StructureDefinitions live: `extension_base`, else `<canonical base>/StructureDefinition`."""
    if settings.extension_base:
        return settings.extension_base.rstrip("/")
    return f"{choose_canonical_base(settings)}/StructureDefinition"


def make_record_system(canonical_base: str, study_id: str) -> str:
    """The identifier system of the study's records: one namespace per study under the canonical base."""
    return f"{canonical_base}/identifier/{quote(study_id, safe='')}/record"


def make_study_context(study: StudyMapping, options: FhirOptions) -> StudyContext:
    settings = study.study.target_settings("fhir", StudyFhirSettings)
    research_study = ResourceHandle(
        "ResearchStudy", make_resource_id(study.study.id, STUDY_SUBJECT, "ResearchStudy", study.study.id))
    targets = {concept.id: read_target(concept) for concept in study.concepts}
    return StudyContext(study=study, options=options, targets=targets, research_study=research_study,
                        extension_base=choose_extension_base(settings),
                        record_system=make_record_system(choose_canonical_base(settings), study.study.id),
                        zone=settings.timezone)
