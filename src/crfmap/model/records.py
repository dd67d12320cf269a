"""The canonical clinical records: independent of FHIR and SDTM, carrying where every field came from.

Both writers read only these records plus the study's metadata. If both standards need a fact it is here;
if one needs it and it can be derived (--SEQ, --DY, fullUrl), the writer derives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
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
    score: Decimal | None = None  # a questionnaire answer's numeric score (QRS --STRESC/--STRESN)

    def coding(self, system: str) -> Coding | None:
        """The first coding in `system` (a URI), if any."""
        for coding in self.codings:  # a loop, not next(generator): asked for every unit and test written
            if coding.system == system:
                return coding
        return None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its UCUM unit. Decimal keeps the digits the site wrote (12.50 stays 12.50)."""

    value: Decimal
    unit: str | None = None  # UCUM code, e.g. "%", "ug/m2/d", "a", "m2"
    unit_display: str | None = None  # human text, e.g. "µg/m²/day"
    # The value and unit as the site wrote them, when the mapping converted them into the concept's unit.
    as_collected: Quantity | None = None


Value = str | int | Decimal | bool | PartialDate | Coded | Quantity | None


FieldKind = Literal["text", "integer", "number", "boolean", "date", "coded", "quantity"]


def about(kind: FieldKind, doc: str) -> dict[str, str]:
    """A record field's value kind and meaning (its `field` metadata): what a mapping may set, as the schema and
    README show it. A field without a default is required: a record without it cannot be made (M002)."""
    return {"kind": kind, "doc": doc}


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
    visit: str | None = field(default=None, metadata=about("text", "Visit name (VISIT; FHIR extension)"))
    visit_number: Decimal | None = field(default=None, metadata=about(
        "number", "Visit number (VISITNUM; FHIR extension)"))

    @property
    def all_sources(self) -> tuple[SourceCell, ...]:
        """Every cell this record came from, sorted, without repeats."""
        return tuple(sorted({cell for cells in self.sources.values() for cell in cells}))

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.subject_id, self.concept, self.key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject(Record):
    """A study participant (SDTM DM / FHIR Patient + ResearchSubject)."""

    site: str | None = field(default=None, metadata=about("text", "Study site id (SITEID, Req in DM)"))
    sex: Coded | None = field(default=None, metadata=about(
        "coded", "Sex (SEX; Patient.gender through the code list's HL7 coding)"))
    birth_date: PartialDate | None = field(default=None, metadata=about(
        "date", "Birth date, at the precision collected (BRTHDTC; Patient.birthDate)"))
    age: Quantity | None = field(default=None, metadata=about(
        "quantity", "Age as recorded, UCUM unit a/mo/wk/d (AGE/AGEU; an age Observation)"))
    age_reference: str | None = field(default=None, metadata=about(
        "text", "What the age is measured from, e.g. 'first dose'"))
    arm: Coded | None = field(default=None, metadata=about("coded", "Planned arm (ARMCD/ARM)"))
    actual_arm: Coded | None = field(default=None, metadata=about("coded", "Actual arm (ACTARMCD/ACTARM)"))
    consent_date: PartialDate | None = field(default=None, metadata=about(
        "date", "Informed consent date (RFICDTC)"))
    enrolment_date: PartialDate | None = field(default=None, metadata=about(
        "date", "Enrolment date (ResearchSubject.period)"))
    country: str | None = field(default=None, metadata=about(
        "text", "ISO 3166-1 alpha-3 country (COUNTRY, Req in DM; else study.yaml country)"))
    race: Coded | None = field(default=None, metadata=about("coded", "Race (RACE)"))
    ethnicity: Coded | None = field(default=None, metadata=about("coded", "Ethnicity (ETHNIC)"))
    status: Coded | None = field(default=None, metadata=about(
        "coded", "Enrolment status (ResearchSubject.status)"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Intervention(Record):
    """Drug exposure, procedures, prior and concomitant therapy (any SDTM Interventions-class domain, e.g. EX or PR,
    or a custom one / FHIR MedicationAdministration, Procedure)."""

    category: Literal["exposure", "procedure", "prior_therapy", "concomitant"] = field(metadata=about(
        "text", "Required. exposure | procedure | prior_therapy | concomitant: chooses the FHIR resource; EX "
                "records set RFSTDTC"))
    treatment: Coded | None = field(default=None, metadata=about(
        "coded", "What was given or done (--TRT from the site's words; --DECOD from its RxNorm/ATC/SNOMED coding)"))
    verbatim: str | None = field(default=None, metadata=about(
        "text", "The treatment as written, when it differs from the coded one (--TRT)"))
    dose: Quantity | None = field(default=None, metadata=about("quantity", "Dose with its UCUM unit (--DOSE/--DOSU)"))
    route: Coded | None = field(default=None, metadata=about("coded", "Route (--ROUTE)"))
    frequency: Coded | None = field(default=None, metadata=about("coded", "Dosing frequency (--DOSFRQ)"))
    start: PartialDate | None = field(default=None, metadata=about("date", "Start (--STDTC)"))
    end: PartialDate | None = field(default=None, metadata=about("date", "End (--ENDTC)"))
    occurred: bool | None = field(default=None, metadata=about(
        "boolean", "Whether it happened, for a pre-specified question (--OCCUR, with --PRESP Y)"))
    reason: str | None = field(default=None, metadata=about("text", "Reason (not done, or for the treatment)"))
    body_site: Coded | None = field(default=None, metadata=about("coded", "Location (--LOC)"))
    performer: str | None = field(default=None, metadata=about("text", "Who performed it"))
    sequence_in_subject: int | None = field(default=None, metadata=about(
        "integer", "Cycle number, line of therapy …"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Record):
    """Adverse events, medical history and diagnosis, disposition, clinical events (SDTM Events: AE/MH/DS/CE/HO/DV
    or a custom domain / FHIR AdverseEvent, Condition, Observation)."""

    category: Literal["adverse_event", "medical_history", "diagnosis", "disposition"] = field(metadata=about(
        "text", "Required. adverse_event | medical_history | diagnosis | disposition: chooses the FHIR resource"))
    term: str | None = field(default=None, metadata=about("text", "Verbatim term as reported (--TERM)"))
    decoded: Coded | None = field(default=None, metadata=about(
        "coded", "Dictionary-coded term: MedDRA gives --DECOD/--PTCD; where CDISC CT controls --DECOD (DS), the "
                 "code list's submission value"))
    grade: Coded | None = field(default=None, metadata=about("coded", "Toxicity grade, e.g. CTCAE (--TOXGR)"))
    serious: bool | None = field(default=None, metadata=about("boolean", "Serious (--SER)"))
    relation: Coded | None = field(default=None, metadata=about("coded", "Causality to study treatment (--REL)"))
    action: Coded | None = field(default=None, metadata=about(
        "coded", "Action taken with study treatment (--ACN)"))
    outcome: Coded | None = field(default=None, metadata=about("coded", "Outcome (--OUT)"))
    start: PartialDate | None = field(default=None, metadata=about("date", "Start (--STDTC)"))
    end: PartialDate | None = field(default=None, metadata=about("date", "End (--ENDTC)"))
    ongoing: bool | None = field(default=None, metadata=about(
        "boolean", "Ongoing at the end reference (--ENRTPT ONGOING, with sdtm end_reference)"))
    status: Coded | None = field(default=None, metadata=about(
        "coded", "Status, e.g. relapsed/refractory for a diagnosis (FHIR Condition.clinicalStatus)"))
    body_site: Coded | None = field(default=None, metadata=about("coded", "Location (--LOC)"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Record):
    """Tests, measurements, questionnaire items and assessments (any SDTM Findings or Findings About domain, e.g. LB,
    RS or FA, or a custom one / FHIR Observation): one test, one result."""

    category: str = field(metadata=about(
        "text", "Required. The kind of finding, e.g. laboratory, vital-signs, survey (an R4 observation-category "
                "code becomes Observation.category)"))
    test: Coded = field(metadata=about("coded", "Required. The test (--TESTCD/--TEST; Observation.code)"))
    object: str | None = field(default=None, metadata=about(
        "text", "What a Findings About record is about (--OBJ)"))
    value_quantity: Quantity | None = field(default=None, metadata=about(
        "quantity", "Numeric result with its UCUM unit (--ORRES/--ORRESU; valueQuantity)"))
    value_coded: Coded | None = field(default=None, metadata=about(
        "coded", "Coded result (--ORRES; valueCodeableConcept)"))
    value_text: str | None = field(default=None, metadata=about("text", "Text result (--ORRES; valueString)"))
    verbatim: str | None = field(default=None, metadata=about(
        "text", "The result as written, when it differs from the parsed value (e.g. '<0.01')"))
    specimen: Coded | None = field(default=None, metadata=about("coded", "Specimen (--SPEC)"))
    method: Coded | None = field(default=None, metadata=about("coded", "Method (--METHOD)"))
    threshold: Quantity | None = field(default=None, metadata=about(
        "quantity", "Negativity/quantitation threshold (--LLOQ; referenceRange.high)"))
    interpretation: Coded | None = field(default=None, metadata=about(
        "coded", "Interpretation (--NRIND when its code list is CDISC NRIND)"))
    date: PartialDate | None = field(default=None, metadata=about("date", "Date/time of the test (--DTC)"))
    performed: bool | None = field(default=None, metadata=about(
        "boolean", "False = not done (--STAT NOT DONE, with `reason`)"))
    reason: str | None = field(default=None, metadata=about("text", "Reason not done (--REASND)"))
    evaluator: str | None = field(default=None, metadata=about("text", "Who assessed it (--EVAL)"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit(Record):
    """A visit that took place (or was planned and missed): SDTM Subject Visits (the special-purpose domain whose
    topic is VISITNUM)."""

    start: PartialDate | None = field(default=None, metadata=about("date", "Visit start (--STDTC)"))
    end: PartialDate | None = field(default=None, metadata=about("date", "Visit end (--ENDTC)"))
    occurred: bool | None = field(default=None, metadata=about(
        "boolean", "Whether the planned visit took place (--OCCUR, with --PRESP Y)"))
    reason: str | None = field(default=None, metadata=about("text", "Why it did not take place (--REASOC)"))
    contact_mode: Coded | None = field(default=None, metadata=about(
        "coded", "How the contact was made (--CNTMOD)"))
    description: str | None = field(default=None, metadata=about(
        "text", "What an unplanned visit was for (--UPDES)"))


RECORD_TYPES: dict[str, type[Record]] = {
    "subject": Subject,
    "intervention": Intervention,
    "event": Event,
    "finding": Finding,
    "visit": Visit,
}

BASE_FIELDS = frozenset(item.name for item in fields(Record))
BOOKKEEPING = frozenset({"sources", "qualifiers", "concept", "key", "subject_id", "subject_cell"})


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    kind: FieldKind
    doc: str
    required: bool


def record_fields(kind: str) -> tuple[FieldInfo, ...]:
    """The fields a mapping may set on a record of this kind, with their value kinds and meanings."""
    record_type = RECORD_TYPES[kind]
    return tuple(FieldInfo(item.name, item.metadata["kind"], item.metadata["doc"],
                           item.default is MISSING and item.default_factory is MISSING)
                 for item in fields(record_type) if item.name not in BOOKKEEPING)


def record_field_names(kind: str) -> frozenset[str]:
    """The fields a mapping may set on a record of this kind (everything but provenance bookkeeping)."""
    return frozenset(info.name for info in record_fields(kind))
