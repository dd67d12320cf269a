"""The `sdtm:` key of a concept (and of study.yaml), as the SDTM writer reads it, and its linter (P011).

    sdtm:
      domain: AE                    # required; must suit the record kind (event → AE/MH/DS …)
      category: "…"                 # --CAT     subcategory: "…"  # --SCAT
      epoch: "…"                    # EPOCH; with a trial design: only for records that have no date
      visit: {qualifier: timepoint} # VISIT/VISITNUM from a qualifier/field ({field: …}) or {by_date: true}
      end_reference: "…"            # --ENTPT text when the record is ongoing (--ENRTPT = ONGOING)
      constants: {EXDOSFRM: "…"}    # study constants for variables of the domain that no record field fills
      variables: {AESHOSP: sae_hospitalisation}  # a qualifier (or record field) into a standard variable
      supp: {<qualifier or record field>: {qnam: XXXXXXXX, qlabel: "≤ 40", origin: Collected, evaluator: …}}

study.yaml `sdtm:` holds the study-level settings: `ts`, `units`, `trial_design` (trial_design/models.py),
`ct_extensions` (controlled_terms/models.py), `not_collected` and `annotated_crf`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crfmap.issues import Issue, make_issue
from crfmap.model import record_field_names
from crfmap.study.locations import MappingSource
from crfmap.study.models import ConceptSpec, StudyMapping
from crfmap.writers.sdtm.controlled_terms.models import SponsorTerm
from crfmap.writers.sdtm.domains.specs import DOMAINS, DOMAINS_BY_RECORD
from crfmap.writers.sdtm.domains.ts_parameters import PARAMETERS
from crfmap.writers.sdtm.trial_design.models import TrialDesign, VisitTarget

QNAM_PATTERN = r"^[A-Z][A-Z0-9_]{0,7}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuppTarget(_Strict):
    qnam: str = Field(pattern=QNAM_PATTERN, description="Qualifier name, 1–8 upper-case letters/digits")
    qlabel: str = Field(min_length=1, max_length=40)
    # QORIG takes the Define-XML 2.1 origin types (SDTMIG 3.4 section 8.4); "CRF" is the older spelling
    origin: Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available", "CRF"] = "Collected"
    evaluator: str | None = Field(None, description="QEVAL, e.g. INVESTIGATOR, when the value is a judgement")


class SdtmTarget(_Strict):
    domain: str
    category: str | None = None
    subcategory: str | None = None
    epoch: str | None = Field(None, description="EPOCH of every record; with a trial design, of records that have "
                                                "no date (the others get the epoch of the element they fall in)")
    visit: VisitTarget | None = Field(None, description="Where VISIT/VISITNUM come from (trial design visits)")
    end_reference: str | None = None
    constants: dict[str, str] = Field(default_factory=dict)
    variables: dict[str, str] = Field(default_factory=dict, description="Variable of the domain → the qualifier "
                                      "or record field whose value it holds (e.g. AESHOSP: sae_hospitalisation)")
    supp: dict[str, SuppTarget] = Field(default_factory=dict)


class TrialSummaryEntry(_Strict):
    parmcd: str = Field(pattern=QNAM_PATTERN)
    parm: str | None = Field(None, max_length=40, description="TSPARM; known parameters need none")
    value: str | None = None
    null_flavor: str | None = None
    code: str | None = None
    code_system: str | None = None  # TSVCDREF, e.g. CDISC, SNOMED, ISO 3166-1 alpha-3
    code_version: str | None = None
    group: str | None = None


class StudySdtm(_Strict):
    ts: list[TrialSummaryEntry] = Field(default_factory=list)
    units: dict[str, str] = Field(default_factory=dict, description="UCUM unit → CDISC UNIT submission value")
    trial_design: TrialDesign | None = Field(None, description="Arms, elements, visits and criteria (TA/TE/TV/TI), "
                                             "from which SE, SV, EPOCH and VISIT/VISITNUM are derived")
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


def lint_sdtm_targets(study: StudyMapping) -> list[Issue]:
    """P011 for every `sdtm:` dict the SDTM writer cannot use."""
    issues = []
    try:
        settings = read_study_sdtm(study)
    except ValidationError as problem:
        issues.append(_invalid(study.locations.at_study(("sdtm",)), "study", problem))
    else:
        issues.extend(_lint_trial_summary(study.locations, settings, study.study.standards.ct))
        issues.extend(_lint_not_collected(study.locations, settings))
    for concept in study.concepts:
        issues.extend(_lint_concept(study.locations, concept))
    return issues


def _lint_trial_summary(where: MappingSource, settings: StudySdtm, ct_version: str) -> list[Issue]:
    from crfmap.writers.sdtm.trial_design.parameters import parameter_name

    issues = []
    for entry in settings.ts:
        if entry.parm is None and entry.parmcd not in PARAMETERS and parameter_name(entry.parmcd, ct_version) is None:
            issues.append(make_issue("P011", **where.at_study(("sdtm", "ts")), value=entry.parmcd,
                                     detail=f"sdtm.ts: parameter {entry.parmcd!r} is not a TSPARMCD of CDISC CT "
                                            f"{ct_version}; give its TSPARM as `parm`"))
        if entry.value is None and entry.null_flavor is None:
            issues.append(make_issue("P011", **where.at_study(("sdtm", "ts")), value=entry.parmcd,
                                     detail=f"sdtm.ts: parameter {entry.parmcd!r} needs a value or a null_flavor"))
    return issues


def _lint_not_collected(where: MappingSource, settings: StudySdtm) -> list[Issue]:
    issues = []
    for name in settings.not_collected:
        domain, _, variable = name.partition(".")
        spec = DOMAINS.get(domain)
        if spec is None or spec.variable(variable) is None:
            issues.append(make_issue("P011", **where.at_study(("sdtm", "not_collected", name)), value=name,
                                     detail=f"sdtm.not_collected: {name!r} is not DATASET.VARIABLE of a domain crfmap "
                                            "writes (e.g. DM.RACE)"))
    return issues


def _lint_concept(where: MappingSource, concept: ConceptSpec) -> list[Issue]:
    try:
        target = read_target(concept)
    except ValidationError as problem:
        return [_invalid(where.at_concept(concept.id, ("sdtm",)), concept.id, problem)]
    if target is None:
        return []
    allowed = DOMAINS_BY_RECORD[concept.record]
    if target.domain not in allowed:
        return [make_issue("P011", **where.at_concept(concept.id, ("sdtm", "domain")), value=target.domain,
                           detail=f"concept {concept.id!r}: sdtm.domain {target.domain!r} is not a domain crfmap "
                                  f"builds from {concept.record} records; use one of {', '.join(sorted(allowed))}")]
    return (_lint_supp(where, concept, target) + _lint_constants(where, concept, target)
            + _lint_options(where, concept, target) + _lint_variables(where, concept, target))


def _lint_variables(where: MappingSource, concept: ConceptSpec, target: SdtmTarget) -> list[Issue]:
    """`variables`: each a variable of the domain, filled from a qualifier or record field of the concept."""
    spec = DOMAINS[target.domain]
    fields = record_field_names(concept.record)
    issues = []
    for variable, name in target.variables.items():
        if spec.variable(variable) is None:
            issues.append(_detail(where, concept, f"sdtm.variables names {variable!r}, which is not a {target.domain} "
                                                  "variable in SDTMIG"))
        if name not in concept.qualifiers and name not in fields:
            issues.append(_detail(where, concept, f"sdtm.variables takes {variable} from {name!r}, which is neither "
                                                  "a qualifier of the concept nor a field of its record"))
    return issues


def _lint_supp(where: MappingSource, concept: ConceptSpec, target: SdtmTarget) -> list[Issue]:
    issues = []
    spec = DOMAINS[target.domain]
    fields = record_field_names(concept.record)
    seen: dict[str, str] = {}
    for name, supp in target.supp.items():
        if name not in concept.qualifiers and name not in fields:
            issues.append(_detail(where, concept, f"sdtm.supp names {name!r}, which is neither a qualifier of the concept "
                                           "nor a field of its record"))
        if spec.variable(supp.qnam) is not None or supp.qnam in {"STUDYID", "USUBJID", "DOMAIN"}:
            issues.append(_detail(where, concept, f"sdtm.supp QNAM {supp.qnam!r} is a standard {target.domain} variable; "
                                           "use the standard variable, not SUPP--"))
        if supp.qnam in seen:
            issues.append(_detail(where, concept, f"sdtm.supp QNAM {supp.qnam!r} is used for both {seen[supp.qnam]!r} "
                                           f"and {name!r}"))
        seen[supp.qnam] = name
    return issues


def _lint_constants(where: MappingSource, concept: ConceptSpec, target: SdtmTarget) -> list[Issue]:
    """Constants may fill collected or assigned qualifiers, never identifiers, derived variables or dates."""
    spec = DOMAINS[target.domain]
    issues = []
    for name in target.constants:
        variable = spec.variable(name)
        if variable is None:
            issues.append(_detail(where, concept, f"sdtm.constants names {name!r}, which is not a {target.domain} "
                                           "variable crfmap writes"))
        elif variable.role == "Identifier" or variable.origin.startswith("D:") or variable.type == "dtc":
            issues.append(_detail(where, concept, f"sdtm.constants cannot set {name!r}: identifiers, derived variables "
                                           "and dates come from the records"))
    return issues


def _lint_options(where: MappingSource, concept: ConceptSpec, target: SdtmTarget) -> list[Issue]:
    """Options the domain has no variable for would be dropped silently: say so instead."""
    spec = DOMAINS[target.domain]
    wanted = {"category": f"{spec.prefix}CAT", "subcategory": f"{spec.prefix}SCAT", "epoch": "EPOCH",
              "end_reference": f"{spec.prefix}ENTPT"}
    return [_detail(where, concept, f"sdtm.{option} has no {variable} in {target.domain} to go to")
            for option, variable in wanted.items()
            if getattr(target, option) is not None and spec.variable(variable) is None]


def _detail(where: MappingSource, concept: ConceptSpec, detail: str) -> Issue:
    return make_issue("P011", **where.at_concept(concept.id, ("sdtm",)), value=concept.id,
                      detail=f"concept {concept.id!r}: {detail}")


def _invalid(place: dict[str, Any], owner: str, problem: ValidationError) -> Issue:
    parts = []
    for error in problem.errors():
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"sdtm.{where}: {error['msg']}" if where else error["msg"])
    return make_issue("P011", **place, value=owner, detail=f"{owner}: " + "; ".join(parts))
