"""The SDTM domains a study may write, as the writer uses them: generated CDISC metadata, never tables typed here.

Every SDTMIG domain comes from `crfmap.standards` (generated from CDISC's SDTMIG export by
scripts/generate_sdtm_metadata.py), in the version study.yaml names. A domain may also carry variables of its
general observation class that the IG does not list (SDTMIG 3.4 section 4.1.4/2.6: a domain is extended with
variables from the SDTM, not with SUPP--, when the SDTM defines one): those come from the SDTM model's class
templates and are placed in the model's order. Custom domains (X-, Y-, Z-) are declared in study.yaml
(`sdtm.custom_domains`) and built from the same class templates. SUPP-- follows the IG's SUPPQUAL.

What the metadata does not give is decided here by rule, once:
- type: Char with an ISO 8601 date/time value domain is "dtc" (its Define-XML DataType follows the values),
  with an ISO 8601 duration "durationDatetime"; Num is "integer" for counters (--SEQ, study days, TAETORD …)
  and "float" otherwise (AGE 2.5 and EXDOSE 7.5 are valid SDTM).
- keys (Define-XML KeySequence): STUDYID, USUBJID, the topic (for Events a Req --DECOD), --SPEC, VISITNUM, the
  date, --SEQ, as far as the domain has them (SDTMIG 3.4 section 3.2.1.1 natural keys, in the IG's examples).
- core of a custom domain's variables: Req for the identifiers and topic the SDTM requires of every domain of
  the class (SDTMIG 3.4 section 2.6), Perm for the rest (choosing Exp is the sponsor's call; a sponsor who
  does so declares it).
"""

from __future__ import annotations

import re
from collections.abc import KeysView
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from crfmap.standards import Variable as StandardVariable
from crfmap.standards import load_sdtm_model, load_sdtmig

Core = Literal["Req", "Exp", "Perm"]
VariableType = Literal["text", "integer", "float", "dtc", "durationDatetime"]

# Record kinds and the SDTM classes whose domains can hold them.
CLASSES_BY_RECORD: dict[str, tuple[str, ...]] = {
    "subject": ("Special-Purpose",),
    "visit": ("Special-Purpose",),
    "intervention": ("Interventions",),
    "event": ("Events",),
    "finding": ("Findings", "Findings About"),
}
# A record kind that goes to a special-purpose domain goes to the one whose topic variable (SDTMIG metadata) is
# the record's own subject: a subject (SUBJID: Demographics), a visit (VISITNUM: Subject Visits).
SPECIAL_TOPICS: dict[str, str] = {"subject": "SUBJID", "visit": "VISITNUM"}
CUSTOM_PREFIXES = ("X", "Y", "Z")  # SDTMIG 3.4 section 2.6: reserved for sponsor-defined domains
COUNTER = re.compile(r"^(?:..(?:SEQ|DY|STDY|ENDY|NSTDY|NENDY)|VISITDY|TAETORD)$")
DATE_DOMAIN = "ISO 8601 datetime or interval"
DURATION_DOMAINS = ("ISO 8601 duration", "ISO 8601 duration or interval")


@dataclass(frozen=True, slots=True)
class VariableSpec:
    name: str
    label: str
    type: VariableType
    role: str
    core: Core
    codelists: tuple[str, ...] = ()  # CDISC CT codelist C-codes the IG names for the variable
    added: bool = False  # a class variable the IG domain does not list (SDTMIG 2.6: domain extended)
    value_domain: str | None = None  # 'MedDRA', 'ISO 8601 datetime or interval' …


@dataclass(frozen=True, slots=True)
class DomainSpec:
    name: str
    label: str
    klass: str  # Define-XML def:Class, e.g. "FINDINGS", "SPECIAL PURPOSE"
    class_name: str  # the SDTM class as CDISC writes it, e.g. "Findings About"
    structure: str
    variables: tuple[VariableSpec, ...]
    custom: bool = False
    _by_name: dict[str, VariableSpec] = field(default_factory=dict, init=False, compare=False, repr=False)
    dated: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)  # its ISO 8601 (dtc) variables

    def __post_init__(self) -> None:
        self._by_name.update((variable.name, variable) for variable in self.variables)
        object.__setattr__(self, "dated", tuple(variable.name for variable in self.variables if variable.type == "dtc"))

    def variable(self, name: str) -> VariableSpec | None:
        return self._by_name.get(name)

    @property
    def names(self) -> KeysView[str]:
        """The names of its variables, for `in` and set comparisons."""
        return self._by_name.keys()

    def has(self, name: str) -> bool:
        """Whether the domain has the variable as the IG lists it (a class variable added to it counts only where
        the mapping names it: rows.put)."""
        found = self._by_name.get(name)
        return found is not None and not found.added

    @property
    def prefix(self) -> str:
        return self.name[:2]

    @property
    def keys(self) -> tuple[str, ...]:
        return natural_keys(self)


@dataclass(frozen=True, slots=True)
class CustomDomain:
    """A sponsor-defined domain, as study.yaml declares it (see targets.CustomDomainSettings)."""

    name: str
    label: str
    class_name: str
    structure: str


def define_class(class_name: str) -> str:
    """Define-XML 2.1 def:Class Name: 'Special-Purpose' → 'SPECIAL PURPOSE', 'Findings About' → 'FINDINGS ABOUT'."""
    return class_name.replace("-", " ").upper()


def variable_type(name: str, standard: StandardVariable) -> VariableType:
    if standard.type == "Num":  # MedDRA codes (--PTCD …) are integers, like counters
        return "integer" if COUNTER.match(name) or standard.value_domain == "MedDRA" else "float"
    if standard.value_domain == DATE_DOMAIN:
        return "dtc"
    if standard.value_domain in DURATION_DOMAINS:
        return "durationDatetime"
    return "text"


def _spec(standard: StandardVariable, core: Core, added: bool = False) -> VariableSpec:
    return VariableSpec(standard.name, standard.label, variable_type(standard.name, standard), standard.role, core,
                        tuple(reference.code for reference in standard.codelists), added, standard.value_domain)


@cache
def ig_domain(sdtmig: str, sdtm: str, name: str) -> DomainSpec | None:
    """An SDTMIG domain with its class's other variables appended as optional extensions; None if unknown."""
    guide = load_sdtmig(sdtmig)
    domain = guide.domains.get(name)
    if domain is None or name == "SUPPQUAL":
        return None
    own = [_spec(variable, variable.core or "Perm") for variable in domain.variables]
    if domain.class_name in ("Interventions", "Events", "Findings", "Findings About"):
        template = load_sdtm_model(sdtm).domain_variables(name, domain.class_name)
        own = _merge(own, [_spec(variable, "Perm", added=True) for variable in template])
    return DomainSpec(name, domain.label, define_class(domain.class_name), domain.class_name,
                      domain.structure or "", tuple(own))


@cache
def custom_domain(sdtm: str, declared: CustomDomain) -> DomainSpec:
    template = load_sdtm_model(sdtm).domain_variables(declared.name, declared.class_name)
    required = _required_of_class(declared.name, declared.class_name)
    variables = tuple(_spec(variable, "Req" if variable.name in required else "Perm") for variable in template)
    return DomainSpec(declared.name, declared.label, define_class(declared.class_name), declared.class_name,
                      declared.structure, variables, custom=True)


def _required_of_class(domain: str, class_name: str) -> frozenset[str]:
    topic = {"Interventions": ("TRT",), "Events": ("TERM",), "Findings": ("TESTCD", "TEST"),
             "Findings About": ("TESTCD", "TEST", "OBJ")}[class_name]
    return frozenset({"STUDYID", "DOMAIN", "USUBJID", f"{domain}SEQ", *(domain + suffix for suffix in topic)})


def _merge(own: list[VariableSpec], template: list[VariableSpec]) -> list[VariableSpec]:
    """The IG's variables in the IG's order; each class variable the IG lacks right after its predecessor in
    the model's order that is already placed (so the SDTM order holds: identifiers, topic, qualifiers, timing)."""
    merged = list(own)
    names = {variable.name for variable in merged}
    previous: str | None = None
    for variable in template:
        if variable.name not in names:
            position = 0 if previous is None else next(
                index for index, placed in enumerate(merged) if placed.name == previous) + 1
            merged.insert(position, variable)
            names.add(variable.name)
        previous = variable.name
    return merged


@cache
def supp_domain(sdtmig: str, parent: str) -> DomainSpec:
    """SUPP-- of a parent domain, from the IG's SUPPQUAL (SDTMIG 3.4 section 8.4)."""
    suppqual = load_sdtmig(sdtmig).domain("SUPPQUAL")
    variables = tuple(_spec(variable, variable.core or "Perm") for variable in suppqual.variables)
    return DomainSpec(f"SUPP{parent}", f"Supplemental Qualifiers for {parent}", define_class(suppqual.class_name),
                      suppqual.class_name, suppqual.structure or "", variables)


@cache
def ig_domain_any(sdtmig: str, name: str) -> DomainSpec:
    """Any IG dataset as it is (trial design, special purpose), without class extensions."""
    domain = load_sdtmig(sdtmig).domain(name)
    variables = tuple(_spec(variable, variable.core or "Perm") for variable in domain.variables)
    return DomainSpec(name, domain.label, define_class(domain.class_name), domain.class_name,
                      domain.structure or "", variables)


@cache
def subject_visits_name(sdtmig: str) -> str:
    """The special-purpose dataset whose topic is VISITNUM (Subject Visits), as the IG names it."""
    guide = load_sdtmig(sdtmig)
    return next(name for name in guide.domains if name != "SUPPQUAL"
                and (spec := ig_domain_any(sdtmig, name)).class_name == "Special-Purpose"
                and topic_of(spec) == SPECIAL_TOPICS["visit"])


TSVAL_PARTS = 5  # TSVAL + TSVAL1 … TSVAL4


@cache
def trial_summary_spec(sdtmig: str) -> DomainSpec:
    """TS as the IG lists it, with TSVAL1 … TSVAL4 after TSVAL: the IG's TS assumption for values longer than
    200 characters names them but its variable table does not."""
    spec = ig_domain_any(sdtmig, "TS")
    variables = list(spec.variables)
    position = next(index for index, variable in enumerate(variables) if variable.name == "TSVAL") + 1
    variables[position:position] = [VariableSpec(f"TSVAL{part}", f"Parameter Value {part}", "text",
                                                 "Result Qualifier", "Perm") for part in range(1, TSVAL_PARTS)]
    return DomainSpec(spec.name, spec.label, spec.klass, spec.class_name, spec.structure, tuple(variables))


def topic_of(spec: DomainSpec) -> str | None:
    return next((variable.name for variable in spec.variables if variable.role == "Topic"), None)


def natural_keys(spec: DomainSpec) -> tuple[str, ...]:
    prefix = spec.prefix
    if spec.name.startswith("SUPP"):
        candidates: tuple[str, ...] = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")
    elif spec.name == "TS":
        candidates = ("STUDYID", "TSPARMCD", "TSSEQ")
    elif spec.name == "DM":
        candidates = ("STUDYID", "USUBJID")
    elif topic_of(spec) == "VISITNUM":
        candidates = ("STUDYID", "USUBJID", "VISITNUM")
    elif spec.class_name == "Events":
        decod = spec.variable(f"{prefix}DECOD")
        topic = f"{prefix}DECOD" if decod is not None and decod.core == "Req" else f"{prefix}TERM"
        candidates = ("STUDYID", "USUBJID", topic, f"{prefix}STDTC", f"{prefix}SEQ")
    elif spec.class_name == "Interventions":
        candidates = ("STUDYID", "USUBJID", f"{prefix}TRT", f"{prefix}STDTC", f"{prefix}SEQ")
    elif spec.class_name in ("Findings", "Findings About"):
        candidates = ("STUDYID", "USUBJID", f"{prefix}TESTCD", f"{prefix}OBJ", f"{prefix}SPEC", "VISITNUM",
                      f"{prefix}DTC", f"{prefix}SEQ")
    else:
        candidates = ("STUDYID", "USUBJID", f"{prefix}SEQ")
    return tuple(name for name in candidates if (variable := spec.variable(name)) is not None and not variable.added)


@dataclass(frozen=True, slots=True)
class DomainCatalog:
    """The domains one study may write: its SDTMIG and SDTM versions, and its declared custom domains."""

    sdtmig: str
    sdtm: str
    custom: tuple[CustomDomain, ...] = ()

    def domain(self, name: str) -> DomainSpec | None:
        """A domain a concept may target (general observation class, DM, Subject Visits, or a declared custom one)."""
        declared = next((domain for domain in self.custom if domain.name == name), None)
        if declared is not None:
            return custom_domain(self.sdtm, declared)
        spec = ig_domain(self.sdtmig, self.sdtm, name)
        if spec is None or (spec.class_name == "Special-Purpose" and topic_of(spec) not in SPECIAL_TOPICS.values()):
            return None
        return spec

    def supp(self, parent: str) -> DomainSpec:
        return supp_domain(self.sdtmig, parent)

    def dataset(self, name: str) -> DomainSpec | None:
        """Any dataset crfmap writes, by name (SUPPAE, TS, DM …)."""
        if name.startswith("SUPP") and len(name) == 6:
            return self.supp(name[4:])
        if name == "TS":
            return trial_summary_spec(self.sdtmig)
        found = self.domain(name)
        if found is None and name in load_sdtmig(self.sdtmig).domains and name != "SUPPQUAL":
            return ig_domain_any(self.sdtmig, name)
        return found

    def accepts(self, record: str, spec: DomainSpec) -> bool:
        """Whether records of this kind can go to the domain (its class must be the record's)."""
        topic = SPECIAL_TOPICS.get(record)
        if topic is not None:
            return spec.class_name == "Special-Purpose" and topic_of(spec) == topic
        return spec.class_name in CLASSES_BY_RECORD[record]

    def domains_for(self, record: str) -> list[str]:
        """Every domain name a record kind may target, for messages."""
        names = [name for name in load_sdtmig(self.sdtmig).domains
                 if (spec := self.domain(name)) is not None and self.accepts(record, spec)]
        names += [domain.name for domain in self.custom if domain.class_name in CLASSES_BY_RECORD[record]]
        return sorted(names)
