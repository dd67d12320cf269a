"""The `sdtm:` key of a concept and of study.yaml, as the SDTM writer reads them (models only; lint in lint.py).

    sdtm:
      domain: LB                    # any SDTMIG domain of the record's class (DM for subjects, Subject Visits for
                                    # visits), or a custom X-/Y-/Z- domain declared in study.yaml
      category: "…"                 # --CAT     subcategory: "…"  # --SCAT
      epoch: "…"                    # EPOCH constant (or derive: [{op: epoch}]); with a trial design: only for records that have no date
      visit: {qualifier: timepoint} # VISIT/VISITNUM from the trial design's visits: a qualifier/field ({field: …}) or {by_date: true}
      end_reference: "…"            # --ENTPT text when the record is ongoing (--ENRTPT = ONGOING)
      constants: {EXDOSFRM: "…"}    # study constants for variables of the domain that no record field fills
      variables: {LBPOS: position}  # a qualifier (or record field) into a standard variable of the domain
      derive: [{op: standard_units, units: {GLUC: mmol/L}}, {op: baseline_flag}, {op: visit_number}, {op: epoch}]
      supp: {<qualifier or record field>: {qnam: XXXXXXXX, qlabel: "≤ 40", origin: Collected, evaluator: …}}

study.yaml `sdtm:` holds the study-level settings: `ts`, `units`, `trial_design` (trial_design/models.py),
`ct_extensions` (controlled_terms/models.py), `not_collected` and `annotated_crf`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crfmap.study.models import ConceptSpec, StudyMapping
from crfmap.writers.sdtm.controlled_terms.models import SponsorTerm
from crfmap.writers.sdtm.domains.catalog import CustomDomain, DomainCatalog
from crfmap.writers.sdtm.trial_design.models import TrialDesign, VisitTarget

QNAM_PATTERN = r"^[A-Z][A-Z0-9_]{0,7}$"
VARIABLE_PATTERN = r"^[A-Z][A-Z0-9_]{0,7}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuppTarget(_Strict):
    """One SUPP-- qualifier (SDTMIG 3.4 section 8.4): QNAM, QLABEL, QORIG, QEVAL."""

    qnam: str = Field(pattern=QNAM_PATTERN, description="Qualifier name, 1–8 upper-case letters/digits")
    qlabel: str = Field(min_length=1, max_length=40, description="Qualifier label, at most 40 characters")
    # QORIG takes the Define-XML 2.1 origin types (SDTMIG 3.4 section 8.4); "CRF" is the older spelling
    origin: Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available", "CRF"] = Field(
        "Collected", description="QORIG")
    evaluator: str | None = Field(None, description="QEVAL, e.g. INVESTIGATOR, when the value is a judgement")


# ── named derivations a concept may ask for (the always-on ones are listed in derivations.py) ──────────

class StandardUnits(_Strict):
    """--STRESC/--STRESN/--STRESU in a declared standard unit: each numeric result is converted from its
    collected UCUM unit with UCUM (M003 at the cell when it cannot be)."""

    op: Literal["standard_units"]
    units: dict[str, str] = Field(description="--TESTCD value (or '*' for every test) → standard UCUM unit")
    decimals: int | None = Field(None, ge=0, le=10, description="Round converted results to this many decimals")


class BaselineFlag(_Strict):
    """--BLFL = Y on the record --LOBXFL marks (last non-missing result before first exposure, SDTMIG 4.5.9)."""

    op: Literal["baseline_flag"]


class EpochFromExposure(_Strict):
    """EPOCH from the record's date against the subject's first and last exposure (RFXSTDTC/RFXENDTC)."""

    op: Literal["epoch"]
    before: str = Field("SCREENING", description="EPOCH before the first exposure")
    during: str = Field("TREATMENT", description="EPOCH from the first to the last exposure")
    after: str = Field("FOLLOW-UP", description="EPOCH after the last exposure")


class VisitNumber(_Strict):
    """VISITNUM from the record's visit name through study.yaml `sdtm.visits`."""

    op: Literal["visit_number"]


Derivation = Annotated[StandardUnits | BaselineFlag | EpochFromExposure | VisitNumber, Field(discriminator="op")]


class SdtmTarget(_Strict):
    """A concept's `sdtm:` keys: where its records go in SDTM."""

    domain: str = Field(pattern=r"^[A-Z][A-Z0-9]$", description="Two-letter domain code: an SDTMIG domain of the "
                        "record's class, DM (subject), Subject Visits (visit), or a custom domain from study.yaml")
    category: str | None = Field(None, description="--CAT")
    subcategory: str | None = Field(None, description="--SCAT")
    epoch: str | None = Field(None, description="EPOCH of every record; with a trial design, of records that have "
                                                "no date (the others get the epoch of the element they fall in)")
    visit: VisitTarget | None = Field(None, description="Where VISIT/VISITNUM come from (trial design visits)")
    end_reference: str | None = Field(None, description="--ENTPT when a record is ongoing (--ENRTPT = ONGOING)")
    constants: dict[str, str] = Field(default_factory=dict,
                                      description="Variable → value, for variables no record field fills")
    variables: dict[str, str] = Field(default_factory=dict, description="Variable of the domain → the qualifier "
                                      "or record field whose value it holds (e.g. LBPOS: position)")
    derive: list[Derivation] = Field(default_factory=list, description="Named derivations beyond the standard ones")
    supp: dict[str, SuppTarget] = Field(default_factory=dict,
                                        description="Qualifier or record field → its SUPP-- qualifier")

    def derivation(self, kind: type[Derivation]) -> Derivation | None:
        return next((item for item in self.derive if isinstance(item, kind)), None)


class TrialSummaryEntry(_Strict):
    """One TS parameter value (SDTMIG 3.4 section 7.6.1)."""

    parmcd: str = Field(pattern=QNAM_PATTERN)
    parm: str | None = Field(None, max_length=40, description="TSPARM; known parameters need none")
    value: str | None = None
    null_flavor: str | None = None
    code: str | None = None
    code_system: str | None = None  # TSVCDREF, e.g. CDISC, SNOMED, ISO 3166-1 alpha-3
    code_version: str | None = None
    group: str | None = None


class CustomDomainSettings(_Strict):
    """A sponsor-defined domain (SDTMIG 3.4 section 2.6), built from its SDTM v2.0 class's variables."""

    label: str = Field(max_length=40, description="Dataset label, at most 40 characters")
    class_: Literal["Interventions", "Events", "Findings", "Findings About"] = Field(
        alias="class", description="The general observation class")
    structure: str = Field(description="One record per …")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PlannedVisit(_Strict):
    """A planned visit: its name as records give it, and its number."""

    name: str = Field(description="VISIT as the records name it")
    number: float = Field(description="VISITNUM")


class StudySdtm(_Strict):
    """study.yaml `sdtm:` keys."""

    ts: list[TrialSummaryEntry] = Field(default_factory=list, description="Trial Summary parameters")
    units: dict[str, str] = Field(default_factory=dict, description="UCUM unit → CDISC UNIT submission value")
    custom_domains: dict[str, CustomDomainSettings] = Field(
        default_factory=dict, description="Custom domain code (X-, Y-, Z-) → its label, class and structure")
    visits: list[PlannedVisit] = Field(default_factory=list, description="Planned visits: VISIT → VISITNUM")
    reference_start: Literal["exposure", "consent", "enrolment"] = Field(
        "exposure", description="What RFSTDTC (day 1 of every --DY) is: the first study treatment in EX, or, for a "
                                "study without one, the subject's informed consent or enrolment date")
    trial_design: TrialDesign | None = Field(None, description="Arms, elements, visits and criteria (TA/TE/TV/TI), "
                                             "from which SE, Subject Visits, EPOCH and VISIT/VISITNUM are derived")
    ct_extensions: dict[str, list[str | SponsorTerm]] = Field(
        default_factory=dict, description="Extensible CDISC code list (submission short name, e.g. EPOCH) → the "
                                          "sponsor terms the study adds to it")
    not_collected: dict[str, str] = Field(
        default_factory=dict, description="DM.RACE, DM.ETHNIC … (dataset.variable) → why the CRF does not collect "
                                          "it; the variable is written empty and define.xml says why")
    annotated_crf: str | None = Field(None, description="File name of the annotated CRF (e.g. the site template "
                                                        "from `crfmap template`), for define.xml origins")


def read_target(concept: ConceptSpec) -> SdtmTarget | None:
    """The concept's SDTM target, or None when it has none (raises ValidationError when malformed)."""
    return concept.target("sdtm", SdtmTarget)


def read_study_sdtm(study: StudyMapping) -> StudySdtm:
    return study.study.target_settings("sdtm", StudySdtm)


def catalog_of(study: StudyMapping, settings: StudySdtm) -> DomainCatalog:
    standards = study.study.standards
    custom = tuple(CustomDomain(name, declared.label, declared.class_, declared.structure)
                   for name, declared in sorted(settings.custom_domains.items()))
    return DomainCatalog(standards.sdtmig, standards.sdtm, custom)


def concept_targets(study: StudyMapping) -> Iterator[tuple[ConceptSpec, SdtmTarget]]:
    """Every concept with a valid `sdtm:` target (an invalid one is the lint's P011, reported before any writing)."""
    for concept in study.concepts:
        try:
            target = read_target(concept)
        except ValidationError:
            continue
        if target is not None:
            yield concept, target
