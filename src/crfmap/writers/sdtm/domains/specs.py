"""SDTMIG 3.4 variable metadata of the domains crfmap builds: order, label, type, role, core, origin.

A standards fact kept once, in code. Each table lists a domain's variables in SDTMIG order (identifiers
STUDYID, DOMAIN, USUBJID are added in front). Columns: name | label (≤ 40) | type | role | core | origin.
Type "dtc" is an ISO 8601 date/time whose Define-XML DataType is chosen from the values (date, datetime,
partialDate, partialDatetime). Origin: C collected, A assigned, P protocol, D:<method> derived.
A domain's dataset keeps the variables that hold a value plus every Req and Exp one (SDTMIG 4.1.2 / 2.5).

The tables below give crfmap's types and origins; names, labels, roles, core and order come from the generated
SDTMIG metadata (`crfmap.standards`), so a domain has exactly the IG's variables (`align_with_ig`): a variable the
IG does not list for the domain is not written (TS keeps TSVAL1–TSVAL4, which the IG's TS assumption defines for
text over 200 characters), and every IG variable can be filled (SS, SE and the AE seriousness criteria included).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from crfmap.standards import Variable as IgVariable
from crfmap.standards import load_sdtmig

Core = Literal["Req", "Exp", "Perm"]


@dataclass(frozen=True, slots=True)
class VariableSpec:
    name: str
    label: str
    type: str  # text | integer | float | dtc
    role: str
    core: Core
    origin: str  # C | A | P | D:MT.xxx


@dataclass(frozen=True, slots=True)
class DomainSpec:
    name: str
    label: str
    klass: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[VariableSpec, ...]

    def variable(self, name: str) -> VariableSpec | None:
        return next((variable for variable in self.variables if variable.name == name), None)

    @property
    def prefix(self) -> str:
        return self.name[:2]


_IDENTIFIERS = """
STUDYID|Study Identifier|text|Identifier|Req|A
DOMAIN|Domain Abbreviation|text|Identifier|Req|A
USUBJID|Unique Subject Identifier|text|Identifier|Req|D:MT.USUBJID
"""

_TIMING = """
VISITNUM|Visit Number|float|Timing|{visit}|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
"""


def _parse(table: str, domain: str) -> tuple[VariableSpec, ...]:
    specs = []
    for line in table.strip().splitlines():
        if not line.strip():
            continue
        name, label, kind, role, core, origin = line.split("|")
        name = name.replace("--", domain)
        specs.append(VariableSpec(name, label, kind, role, core, origin))  # type: ignore[arg-type]
    return tuple(specs)


def _domain(name: str, label: str, klass: str, structure: str, keys: str, table: str,
            identifiers: str = _IDENTIFIERS) -> DomainSpec:
    variables = _parse(identifiers, name) + _parse(table, name)
    return DomainSpec(name, label, klass, structure, tuple(keys.split()), variables)


def _findings_table(visit_core: str = "Exp") -> str:
    """The Findings variables crfmap fills, in SDTMIG order (LB/CP/RS share the general Findings class)."""
    return f"""
--SEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
--GRPID|Group ID|text|Identifier|Perm|C
--SPID|Sponsor-Defined Identifier|text|Identifier|Perm|C
--TESTCD|{{testcd}}|text|Topic|Req|C
--TEST|{{test}}|text|Synonym Qualifier|Req|C
--CAT|Category for {{cat}}|text|Grouping Qualifier|{{catcore}}|A
--SCAT|Subcategory for {{cat}}|text|Grouping Qualifier|Perm|A
--ORRES|Result or Finding in Original Units|text|Result Qualifier|Exp|C
--ORRESU|Original Units|text|Variable Qualifier|{{unitcore}}|C
--ORNRLO|Reference Range Lower Limit in Orig Unit|text|Variable Qualifier|{{rangecore}}|C
--ORNRHI|Reference Range Upper Limit in Orig Unit|text|Variable Qualifier|{{rangecore}}|C
--STRESC|Character Result/Finding in Std Format|text|Result Qualifier|Exp|D:MT.STRESC
--STRESN|Numeric Result/Finding in Standard Units|float|Result Qualifier|{{unitcore}}|D:MT.STRESC
--STRESU|Standard Units|text|Variable Qualifier|{{unitcore}}|D:MT.STRESC
--STNRLO|Reference Range Lower Limit-Std Units|float|Variable Qualifier|{{rangecore}}|D:MT.STRESC
--STNRHI|Reference Range Upper Limit-Std Units|float|Variable Qualifier|{{rangecore}}|D:MT.STRESC
--NRIND|Reference Range Indicator|text|Variable Qualifier|{{nrindcore}}|C
--STAT|Completion Status|text|Record Qualifier|Perm|C
--REASND|Reason Not Done|text|Record Qualifier|Perm|C
--SPEC|Specimen Material Type|text|Record Qualifier|{{speccore}}|C
--METHOD|Method of Test or Examination|text|Record Qualifier|{{methodcore}}|C
--LOBXFL|Last Observation Before Exposure Flag|text|Record Qualifier|{{rangecore}}|D:MT.LOBXFL
--LLOQ|Lower Limit of Quantitation|float|Variable Qualifier|Perm|C
--EVAL|Evaluator|text|Record Qualifier|{{evalcore}}|C
VISITNUM|Visit Number|float|Timing|{visit_core}|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
--DTC|Date/Time of {{when}}|dtc|Timing|Exp|C
--DY|Study Day of {{when}}|integer|Timing|Perm|D:MT.DY
"""


_LB = _findings_table().format(
    testcd="Lab Test or Examination Short Name", test="Lab Test or Examination Name", cat="Lab Test",
    catcore="Exp", unitcore="Exp", nrindcore="Exp", rangecore="Exp", speccore="Perm", methodcore="Perm",
    evalcore="Perm", when="Specimen Collection")
_CP = _findings_table().format(
    testcd="Short Name of Measurement", test="Name of Measurement", cat="Cell Phenotype", catcore="Perm",
    unitcore="Exp", nrindcore="Perm", rangecore="Perm", speccore="Exp", methodcore="Exp", evalcore="Perm",
    when="Specimen Collection")
_RS = _findings_table().format(
    testcd="Assessment Short Name", test="Assessment Name", cat="Assessment", catcore="Exp",
    unitcore="Perm", nrindcore="Perm", rangecore="Perm", speccore="Perm", methodcore="Perm", evalcore="Exp",
    when="Assessment")

_DM = """
SUBJID|Subject Identifier for the Study|text|Topic|Req|C
RFSTDTC|Subject Reference Start Date/Time|dtc|Record Qualifier|Exp|D:MT.RFSTDTC
RFENDTC|Subject Reference End Date/Time|dtc|Record Qualifier|Exp|D:MT.RFENDTC
RFXSTDTC|Date/Time of First Study Treatment|dtc|Record Qualifier|Exp|D:MT.RFSTDTC
RFXENDTC|Date/Time of Last Study Treatment|dtc|Record Qualifier|Exp|D:MT.RFENDTC
RFICDTC|Date/Time of Informed Consent|dtc|Record Qualifier|Exp|C
RFPENDTC|Date/Time of End of Participation|dtc|Record Qualifier|Exp|D:MT.RFPENDTC
DTHDTC|Date/Time of Death|dtc|Record Qualifier|Exp|D:MT.DTHDTC
DTHFL|Subject Death Flag|text|Record Qualifier|Exp|D:MT.DTHDTC
SITEID|Study Site Identifier|text|Record Qualifier|Req|C
BRTHDTC|Date/Time of Birth|dtc|Record Qualifier|Perm|C
AGE|Age|integer|Record Qualifier|Exp|D:MT.AGE
AGEU|Age Units|text|Variable Qualifier|Exp|A
SEX|Sex|text|Record Qualifier|Req|C
RACE|Race|text|Record Qualifier|Exp|C
ETHNIC|Ethnicity|text|Record Qualifier|Perm|C
ARMCD|Planned Arm Code|text|Record Qualifier|Exp|A
ARM|Description of Planned Arm|text|Synonym Qualifier|Exp|A
ACTARMCD|Actual Arm Code|text|Record Qualifier|Exp|A
ACTARM|Description of Actual Arm|text|Synonym Qualifier|Exp|A
ARMNRS|Reason Arm and/or Actual Arm is Null|text|Record Qualifier|Exp|C
ACTARMUD|Description of Unplanned Actual Arm|text|Record Qualifier|Exp|C
COUNTRY|Country|text|Record Qualifier|Req|C
"""

_AE = """
AESEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
AESPID|Sponsor-Defined Identifier|text|Identifier|Perm|C
AETERM|Reported Term for the Adverse Event|text|Topic|Req|C
AELLT|Lowest Level Term|text|Variable Qualifier|Exp|A
AELLTCD|Lowest Level Term Code|integer|Variable Qualifier|Exp|A
AEDECOD|Dictionary-Derived Term|text|Synonym Qualifier|Req|A
AEPTCD|Preferred Term Code|integer|Variable Qualifier|Exp|A
AEHLT|High Level Term|text|Variable Qualifier|Exp|A
AEHLTCD|High Level Term Code|integer|Variable Qualifier|Exp|A
AEHLGT|High Level Group Term|text|Variable Qualifier|Exp|A
AEHLGTCD|High Level Group Term Code|integer|Variable Qualifier|Exp|A
AECAT|Category for Adverse Event|text|Grouping Qualifier|Perm|A
AESCAT|Subcategory for Adverse Event|text|Grouping Qualifier|Perm|A
AEBODSYS|Body System or Organ Class|text|Record Qualifier|Exp|A
AEBDSYCD|Body System or Organ Class Code|integer|Variable Qualifier|Exp|A
AESOC|Primary System Organ Class|text|Variable Qualifier|Exp|A
AESOCCD|Primary System Organ Class Code|integer|Variable Qualifier|Exp|A
AELOC|Location of Event|text|Record Qualifier|Perm|C
AESER|Serious Event|text|Record Qualifier|Exp|C
AEACN|Action Taken with Study Treatment|text|Record Qualifier|Exp|C
AEREL|Causality|text|Record Qualifier|Exp|C
AEOUT|Outcome of Adverse Event|text|Record Qualifier|Perm|C
AETOXGR|Standard Toxicity Grade|text|Record Qualifier|Perm|C
VISITNUM|Visit Number|float|Timing|Perm|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
AESTDTC|Start Date/Time of Adverse Event|dtc|Timing|Exp|C
AEENDTC|End Date/Time of Adverse Event|dtc|Timing|Exp|C
AESTDY|Study Day of Start of Adverse Event|integer|Timing|Perm|D:MT.DY
AEENDY|Study Day of End of Adverse Event|integer|Timing|Perm|D:MT.DY
AEENRTPT|End Relative to Reference Time Point|text|Timing|Perm|C
AEENTPT|End Reference Time Point|text|Timing|Perm|A
"""

_MH = """
MHSEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
MHSPID|Sponsor-Defined Identifier|text|Identifier|Perm|C
MHTERM|Reported Term for the Medical History|text|Topic|Req|C
MHDECOD|Dictionary-Derived Term|text|Synonym Qualifier|Perm|A
MHCAT|Category for Medical History|text|Grouping Qualifier|Perm|A
MHSCAT|Subcategory for Medical History|text|Grouping Qualifier|Perm|A
MHPRESP|Medical History Event Pre-Specified|text|Variable Qualifier|Perm|A
MHOCCUR|Medical History Occurrence|text|Record Qualifier|Perm|C
MHLOC|Location of Medical History Event|text|Record Qualifier|Perm|C
VISITNUM|Visit Number|float|Timing|Perm|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
MHSTDTC|Start Date/Time of Medical History Event|dtc|Timing|Perm|C
MHENDTC|End Date/Time of Medical History Event|dtc|Timing|Perm|C
MHSTDY|Study Day of Start of Observation|integer|Timing|Perm|D:MT.DY
MHENDY|Study Day of End of Observation|integer|Timing|Perm|D:MT.DY
MHENRTPT|End Relative to Reference Time Point|text|Timing|Perm|C
MHENTPT|End Reference Time Point|text|Timing|Perm|A
"""

_DS = """
DSSEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
DSSPID|Sponsor-Defined Identifier|text|Identifier|Perm|C
DSTERM|Reported Term for the Disposition Event|text|Topic|Req|C
DSDECOD|Standardized Disposition Term|text|Synonym Qualifier|Req|C
DSCAT|Category for Disposition Event|text|Grouping Qualifier|Exp|A
DSSCAT|Subcategory for Disposition Event|text|Grouping Qualifier|Perm|A
VISITNUM|Visit Number|float|Timing|Perm|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
DSSTDTC|Start Date/Time of Disposition Event|dtc|Timing|Exp|C
DSSTDY|Study Day of Start of Disposition Event|integer|Timing|Perm|D:MT.DY
"""


def _interventions_table(topic_label: str, dose_core: str, route_core: str, what: str) -> str:
    return f"""
--SEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
--SPID|Sponsor-Defined Identifier|text|Identifier|Perm|C
--TRT|{topic_label}|text|Topic|Req|C
--CAT|Category of {what}|text|Grouping Qualifier|Perm|A
--SCAT|Subcategory of {what}|text|Grouping Qualifier|Perm|A
--PRESP|{what} Pre-Specified|text|Variable Qualifier|Perm|A
--OCCUR|{what} Occurrence|text|Record Qualifier|Perm|C
--DOSE|Dose|float|Record Qualifier|{dose_core}|C
--DOSU|Dose Units|text|Variable Qualifier|{dose_core}|C
--DOSFRM|Dose Form|text|Variable Qualifier|{dose_core}|A
--DOSFRQ|Dosing Frequency per Interval|text|Variable Qualifier|Perm|C
--ROUTE|Route of Administration|text|Variable Qualifier|{route_core}|C
--LOC|Location of {what}|text|Record Qualifier|Perm|C
VISITNUM|Visit Number|float|Timing|Perm|C
VISIT|Visit Name|text|Timing|Perm|C
EPOCH|Epoch|text|Timing|Perm|A
--STDTC|Start Date/Time of {what}|dtc|Timing|Exp|C
--ENDTC|End Date/Time of {what}|dtc|Timing|{{endcore}}|C
--STDY|Study Day of Start of {what}|integer|Timing|Perm|D:MT.DY
--ENDY|Study Day of End of {what}|integer|Timing|Perm|D:MT.DY
--ENRTPT|End Relative to Reference Time Point|text|Timing|Perm|C
--ENTPT|End Reference Time Point|text|Timing|Perm|A
"""


_EX = _interventions_table("Name of Treatment", "Exp", "Perm", "Treatment").format(endcore="Exp")
_PR = _interventions_table("Reported Name of Procedure", "Perm", "Perm", "Procedure").format(endcore="Perm")
_CM = _interventions_table("Reported Name of Drug, Med, or Therapy", "Perm", "Perm",
                           "Medication").format(endcore="Perm")

_SUPP_IDENTIFIERS = """
STUDYID|Study Identifier|text|Identifier|Req|A
RDOMAIN|Related Domain Abbreviation|text|Identifier|Req|A
USUBJID|Unique Subject Identifier|text|Identifier|Req|D:MT.USUBJID
"""

_SUPP = """
IDVAR|Identifying Variable|text|Identifier|Exp|A
IDVARVAL|Identifying Variable Value|text|Identifier|Exp|A
QNAM|Qualifier Variable Name|text|Topic|Req|A
QLABEL|Qualifier Variable Label|text|Synonym Qualifier|Req|A
QVAL|Data Value|text|Result Qualifier|Req|C
QORIG|Origin|text|Record Qualifier|Req|A
QEVAL|Evaluator|text|Record Qualifier|Exp|A
"""

_TS_IDENTIFIERS = """
STUDYID|Study Identifier|text|Identifier|Req|A
DOMAIN|Domain Abbreviation|text|Identifier|Req|A
"""

_TS = """
TSSEQ|Sequence Number|integer|Identifier|Req|D:MT.SEQ
TSGRPID|Group ID|text|Identifier|Perm|A
TSPARMCD|Trial Summary Parameter Short Name|text|Topic|Req|P
TSPARM|Trial Summary Parameter|text|Synonym Qualifier|Req|P
TSVAL|Parameter Value|text|Result Qualifier|Exp|P
TSVAL1|Parameter Value 1|text|Result Qualifier|Perm|P
TSVAL2|Parameter Value 2|text|Result Qualifier|Perm|P
TSVAL3|Parameter Value 3|text|Result Qualifier|Perm|P
TSVAL4|Parameter Value 4|text|Result Qualifier|Perm|P
TSVALNF|Parameter Null Flavor|text|Result Qualifier|Perm|P
TSVALCD|Parameter Value Code|text|Result Qualifier|Exp|P
TSVCDREF|Name of the Reference Terminology|text|Result Qualifier|Exp|P
TSVCDVER|Version of the Reference Terminology|text|Result Qualifier|Exp|P
"""

_SS = ""  # Subject Status: every variable from the IG (types and origins by rule, below)

SDTMIG_VERSION = "3.4"  # the tables above are SDTMIG 3.4's
TSVAL_CONTINUATIONS = ("TSVAL1", "TSVAL2", "TSVAL3", "TSVAL4")
_DATE_DOMAIN = "ISO 8601 datetime or interval"
_COUNTERS = ("SEQ", "DY", "STDY", "ENDY")
_INTEGERS = ("VISITDY", "TAETORD")
_DERIVED_BY_SUFFIX = {"SEQ": "D:MT.SEQ", "DY": "D:MT.DY", "STDY": "D:MT.DY", "ENDY": "D:MT.DY",
                      "STRESC": "D:MT.STRESC", "STRESN": "D:MT.STRESC", "STRESU": "D:MT.STRESC"}


def _by_rule(domain: str, variable: IgVariable) -> VariableSpec:
    """Type and origin of an IG variable the tables above do not list: by its IG type and value domain."""
    suffix = variable.name[2:] if variable.name.startswith(domain) else ""
    if variable.type == "Num":
        integral = suffix in _COUNTERS or variable.name in _INTEGERS or variable.value_domain == "MedDRA"
        kind = "integer" if integral else "float"
    else:
        kind = "dtc" if variable.value_domain == _DATE_DOMAIN else "text"
    origin = _DERIVED_BY_SUFFIX.get(suffix, "C")
    return VariableSpec(variable.name, variable.label, kind, variable.role, variable.core or "Perm", origin)


def align_with_ig(spec: DomainSpec, version: str = SDTMIG_VERSION) -> DomainSpec:
    """The domain with the IG's variables, in the IG's order, with the IG's labels, roles and core; crfmap's
    types and origins where its table gives them. Variables the IG does not list for the domain are left out
    (TSVAL1–TSVAL4 stay after TSVAL)."""
    guide = load_sdtmig(version).domain(spec.name)
    own = {variable.name: variable for variable in spec.variables}
    variables = []
    for standard in guide.variables:
        mine = own.get(standard.name)
        if mine is None:
            variables.append(_by_rule(spec.name, standard))
        else:
            variables.append(replace(mine, label=standard.label, role=standard.role,
                                     core=standard.core or mine.core))
        if standard.name == "TSVAL":
            variables.extend(own[name] for name in TSVAL_CONTINUATIONS if name in own)
    return replace(spec, label=guide.label, variables=tuple(variables))


_TABLES = (
    _domain("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", "STUDYID USUBJID", _DM),
    _domain("AE", "Adverse Events", "EVENTS", "One record per adverse event per subject",
            "STUDYID USUBJID AEDECOD AESTDTC AESEQ", _AE),
    _domain("MH", "Medical History", "EVENTS", "One record per medical history event per subject",
            "STUDYID USUBJID MHTERM MHSTDTC MHSEQ", _MH),
    _domain("DS", "Disposition", "EVENTS",
            "One record per disposition status or protocol milestone per subject",
            "STUDYID USUBJID DSDECOD DSSTDTC DSSEQ", _DS),
    _domain("EX", "Exposure", "INTERVENTIONS", "One record per constant dosing interval per subject",
            "STUDYID USUBJID EXTRT EXSTDTC EXSEQ", _EX),
    _domain("PR", "Procedures", "INTERVENTIONS", "One record per recorded procedure per occurrence per subject",
            "STUDYID USUBJID PRTRT PRSTDTC PRSEQ", _PR),
    _domain("CM", "Concomitant/Prior Medications", "INTERVENTIONS",
            "One record per recorded intervention occurrence or constant-dosing interval per subject",
            "STUDYID USUBJID CMTRT CMSTDTC CMSEQ", _CM),
    _domain("LB", "Laboratory Test Results", "FINDINGS",
            "One record per lab test per time point per visit per subject",
            "STUDYID USUBJID LBTESTCD LBSPEC VISITNUM LBDTC LBSEQ", _LB),
    _domain("CP", "Cell Phenotype Findings", "FINDINGS",
            "One record per test per specimen per timepoint per visit per subject",
            "STUDYID USUBJID CPTESTCD CPSPEC VISITNUM CPDTC CPSEQ", _CP),
    _domain("RS", "Disease Response and Clin Classification", "FINDINGS",
            "One record per response assessment or clinical classification assessment per time point per "
            "visit per subject per assessor per medical evaluator",
            "STUDYID USUBJID RSTESTCD VISITNUM RSDTC RSSEQ", _RS),
    _domain("SS", "Subject Status", "FINDINGS", "One record per status per visit per subject",
            "STUDYID USUBJID SSTESTCD VISITNUM SSDTC SSSEQ", _SS),
    _domain("TS", "Trial Summary", "TRIAL DESIGN", "One record per trial summary parameter value",
            "STUDYID TSPARMCD TSSEQ", _TS, identifiers=_TS_IDENTIFIERS),
)
DOMAINS: dict[str, DomainSpec] = {spec.name: align_with_ig(spec) for spec in _TABLES}

# Which record kinds may go to which domain (the canonical record's class must match the SDTM class).
DOMAINS_BY_RECORD: dict[str, frozenset[str]] = {
    "subject": frozenset({"DM"}),
    "intervention": frozenset({"EX", "PR", "CM"}),
    "event": frozenset({"AE", "MH", "DS"}),
    "finding": frozenset({"LB", "CP", "RS", "SS"}),
}


def supp_spec(domain: str) -> DomainSpec:
    """SUPP-- for a parent domain (SDTMIG 3.4 section 8.4)."""
    return _domain(f"SUPP{domain}", f"Supplemental Qualifiers for {domain}", "RELATIONSHIP",
                   "One record per supplemental qualifier per related parent domain record(s)",
                   "STUDYID RDOMAIN USUBJID IDVAR IDVARVAL QNAM", _SUPP, identifiers=_SUPP_IDENTIFIERS)


def lookup_spec(dataset_name: str) -> DomainSpec | None:
    """The spec of a dataset by its name (DM, SUPPAE …); None when crfmap does not know the domain."""
    if dataset_name.startswith("SUPP") and len(dataset_name) == 6:
        return supp_spec(dataset_name[4:])
    return DOMAINS.get(dataset_name)
