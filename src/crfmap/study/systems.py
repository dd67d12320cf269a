"""Code system aliases a mapping may use instead of full URIs. Standards facts, kept once, in code.

URIs are the ones FHIR R4 names for each terminology (https://hl7.org/fhir/R4/terminologies-systems.html).
"""

from __future__ import annotations

CODE_SYSTEMS: dict[str, str] = {
    "snomed": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ucum": "http://unitsofmeasure.org",
    "meddra": "http://terminology.hl7.org/CodeSystem/mdr",
    "ncit": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icdo3": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "atc": "http://www.whocc.no/atc",
    "iso3166": "urn:iso:std:iso:3166",
    "administrative-gender": "http://hl7.org/fhir/administrative-gender",
    "v3-ActCode": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "v3-RouteOfAdministration": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
    "v3-ObservationInterpretation": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    "observation-category": "http://terminology.hl7.org/CodeSystem/observation-category",
    "condition-clinical": "http://terminology.hl7.org/CodeSystem/condition-clinical",
    "condition-ver-status": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
    "adverse-event-seriousness": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
    "adverse-event-severity": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
    "adverse-event-outcome": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
    "adverse-event-causality-assess": "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess",
    "research-subject-status": "http://hl7.org/fhir/research-subject-status",
}


def resolve_system(name: str) -> str | None:
    """The URI for an alias or an absolute URI; None when it is neither."""
    if name in CODE_SYSTEMS:
        return CODE_SYSTEMS[name]
    if name.startswith(("http://", "https://", "urn:")):
        return name
    return None
