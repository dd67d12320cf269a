"""The canonical clinical records: independent of FHIR and SDTM, carrying where every field came from.

Both writers read only these records plus the study's metadata. If both standards need a fact it is here;
if one needs it and it can be derived (--SEQ, --DY, fullUrl), the writer derives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal

from crfmap.model.dates import PartialDate
from crfmap.sources import SourceCell


@dataclass(frozen=True, slots=True)
class Coding:
    """One code in one system. `system` is a canonical URI (http://snomed.info/sct, http://loinc.org …)."""

    system: str
    code: str
    display: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Coded:
    """A coded value: the study code list's value plus every standard code for it.

    `value` is the code list's own value id; `submission_value` and `nci_code` are the CDISC CT ones (when
    the code list is CDISC controlled terminology); `codings` holds SNOMED CT / LOINC / RxNorm / MedDRA /
    HL7 codes. `verbatim` is what the site wrote, kept for traceability (--TERM/--ORRES, FHIR `text`).
    """

    codelist: str
    value: str
    display: str
    submission_value: str | None = None
    nci_code: str | None = None
    codings: tuple[Coding, ...] = ()
    verbatim: str | None = None

    def coding(self, system: str) -> Coding | None:
        """The first coding in `system` (a URI), if any."""
        return next((coding for coding in self.codings if coding.system == system), None)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its UCUM unit. Decimal keeps the digits the site wrote (12.50 stays 12.50)."""

    value: Decimal
    unit: str | None = None  # UCUM code, e.g. "%", "ug/m2/d", "a", "m2"
    unit_display: str | None = None  # human text, e.g. "µg/m²/day"


Value = str | int | Decimal | bool | PartialDate | Coded | Quantity | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What every record has.

    `concept` is the id of the concepts.yaml entry that made the record: writers look up their targets
    (SDTM domain, FHIR profile, …) there. `key` is the record's source key, unique per (subject, concept),
    stable across runs: ids are UUID v5 of (study, subject, concept, key). `sources` maps each field name to
    the cells it came from. `qualifiers` are CRF items with no standard field (SUPP-- / FHIR extension
    candidates), named as the mapping names them.
    """

    subject_id: str
    concept: str
    key: str
    sources: Mapping[str, tuple[SourceCell, ...]] = field(default_factory=dict)
    qualifiers: Mapping[str, Value] = field(default_factory=dict)
    # Where the subject id was read (issues about USUBJID point there); provenance, not part of what a record is.
    subject_cell: SourceCell | None = field(default=None, compare=False)
    visit: str | None = None
    visit_number: Decimal | None = None

    @property
    def all_sources(self) -> tuple[SourceCell, ...]:
        """Every cell this record came from, sorted, without repeats."""
        return tuple(sorted({cell for cells in self.sources.values() for cell in cells}))

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.subject_id, self.concept, self.key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject(Record):
    """A study participant (DM / Patient + ResearchSubject)."""

    site: str | None = None
    sex: Coded | None = None
    birth_date: PartialDate | None = None
    age: Quantity | None = None  # as recorded; unit UCUM "a" (years) or "mo"
    age_reference: str | None = None  # what the age is measured from, e.g. "first dose"
    arm: Coded | None = None  # planned arm
    actual_arm: Coded | None = None
    consent_date: PartialDate | None = None
    enrolment_date: PartialDate | None = None
    country: str | None = None  # ISO 3166-1 alpha-3
    race: Coded | None = None
    ethnicity: Coded | None = None
    status: Coded | None = None  # ResearchSubject status / enrolment status


@dataclass(frozen=True, slots=True, kw_only=True)
class Intervention(Record):
    """Drug exposure, procedures, prior and concomitant therapy (EX/PR/CM / MedicationAdministration …)."""

    category: Literal["exposure", "procedure", "prior_therapy", "concomitant"]
    treatment: Coded | None = None
    verbatim: str | None = None
    dose: Quantity | None = None
    route: Coded | None = None
    frequency: Coded | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    occurred: bool | None = None  # False = planned but not done (with `reason`)
    reason: str | None = None
    body_site: Coded | None = None
    performer: str | None = None
    sequence_in_subject: int | None = None  # e.g. cycle number, line of therapy


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Record):
    """Adverse events, medical history and diagnosis, disposition (AE/MH/DS / AdverseEvent, Condition …)."""

    category: Literal["adverse_event", "medical_history", "diagnosis", "disposition"]
    term: str | None = None  # verbatim as reported
    decoded: Coded | None = None  # dictionary-coded term (MedDRA PT, SNOMED CT)
    grade: Coded | None = None  # CTCAE grade
    serious: bool | None = None
    relation: Coded | None = None  # causality to study treatment
    action: Coded | None = None  # action taken with study treatment
    outcome: Coded | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    ongoing: bool | None = None
    status: Coded | None = None  # e.g. relapsed/refractory for a diagnosis; disposition reason
    body_site: Coded | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Record):
    """Tests and assessments (LB/CP/RS/… / Observation): one test, one result."""

    category: str  # e.g. "laboratory", "cell_phenotype", "response", "tumor_marker"
    test: Coded
    value_quantity: Quantity | None = None
    value_coded: Coded | None = None
    value_text: str | None = None
    verbatim: str | None = None  # the result as written, when it differs from the parsed value
    specimen: Coded | None = None
    method: Coded | None = None
    threshold: Quantity | None = None  # negativity / detection threshold (e.g. MRD 0.01 %)
    interpretation: Coded | None = None  # negative/positive, normal/abnormal
    date: PartialDate | None = None
    performed: bool | None = None  # False = not done (with `reason`)
    reason: str | None = None
    evaluator: str | None = None


RECORD_TYPES: dict[str, type[Record]] = {
    "subject": Subject,
    "intervention": Intervention,
    "event": Event,
    "finding": Finding,
}

BASE_FIELDS = frozenset(item.name for item in fields(Record))


def record_field_names(kind: str) -> frozenset[str]:
    """The fields a mapping may set on a record of this kind (everything but provenance bookkeeping)."""
    record_type = RECORD_TYPES[kind]
    return frozenset(item.name for item in fields(record_type)) - {"sources", "qualifiers", "concept", "key"}
