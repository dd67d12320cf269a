"""Everything about `sdtm:` targets that can be known from the mapping alone, reported with file and line.

P011 for a target the writer cannot use (unknown domain, a domain of another class, a variable it does not
have …), P020 for a Req variable of the domain that nothing in the concept fills (SITEID, COUNTRY, a Req --CAT …),
P021 when it is filled only from an optional column, P023 for a unit that is not UCUM.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from crfmap.issues import Issue, Severity, make_issue
from crfmap.model import record_field_names
from crfmap.standards import StandardNotAvailable, sdtm_model_versions, sdtmig_versions
from crfmap.standards.ucum import is_valid_ucum
from crfmap.study.locations import MappingSource
from crfmap.study.models import ConceptSpec, StudyMapping
from crfmap.writers.sdtm.domains.catalog import CUSTOM_PREFIXES, DomainCatalog, DomainSpec, ig_domain
from crfmap.writers.sdtm.domains.targets import (
    BaselineFlag,
    EpochFromExposure,
    SdtmTarget,
    StandardUnits,
    StudySdtm,
    VisitNumber,
    catalog_of,
    read_study_sdtm,
    read_target,
)
from crfmap.writers.sdtm.domains.ts_parameters import PARAMETERS

# Record field → the variable suffixes the domain builders fill from it (a test keeps this equal to them).
FIELD_SUFFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "event": {"term": ("TERM",), "decoded": ("TERM", "DECOD", "PTCD"), "grade": ("TOXGR",), "relation": ("REL",),
              "action": ("ACN",), "outcome": ("OUT",), "body_site": ("LOC",), "serious": ("SER",),
              "start": ("STDTC",), "end": ("ENDTC",), "ongoing": ("ENRTPT",)},
    "intervention": {"treatment": ("TRT", "DECOD"), "verbatim": ("TRT",), "dose": ("DOSE", "DOSU"),
                     "route": ("ROUTE",), "frequency": ("DOSFRQ",), "body_site": ("LOC",), "start": ("STDTC",),
                     "end": ("ENDTC",), "occurred": ("OCCUR", "PRESP")},
    "finding": {"test": ("TESTCD", "TEST"), "object": ("OBJ",),
                "value_quantity": ("ORRES", "ORRESU", "STRESC", "STRESN", "STRESU"),
                "value_coded": ("ORRES", "STRESC"), "value_text": ("ORRES", "STRESC"), "specimen": ("SPEC",),
                "method": ("METHOD",), "evaluator": ("EVAL",), "performed": ("STAT",), "reason": ("REASND",),
                "date": ("DTC",), "interpretation": ("NRIND",), "threshold": ("LLOQ",)},
    "visit": {"start": ("STDTC",), "end": ("ENDTC",), "occurred": ("OCCUR", "PRESP"), "reason": ("REASOC",),
              "contact_mode": ("CNTMOD",), "description": ("UPDES",)},
}
DM_FIELDS: dict[str, tuple[str, ...]] = {
    "site": ("SITEID",), "sex": ("SEX",), "country": ("COUNTRY",), "birth_date": ("BRTHDTC",),
    "age": ("AGE", "AGEU"), "arm": ("ARMCD", "ARM"), "actual_arm": ("ACTARMCD", "ACTARM"),
    "consent_date": ("RFICDTC",), "race": ("RACE",), "ethnicity": ("ETHNIC",)}
BASE_FIELDS = {"visit": ("VISIT",), "visit_number": ("VISITNUM",)}
ALWAYS = frozenset({"STUDYID", "DOMAIN", "USUBJID", "SUBJID"})
DERIVED = re.compile(r"^(?:..(?:SEQ|DY|STDY|ENDY|STRESC|STRESN|STRESU|LOBXFL|BLFL)|USUBJID|RF\w*DTC|DTHDTC|DTHFL)$")


def lint_sdtm_targets(study: StudyMapping) -> list[Issue]:
    """Every problem of the study's `sdtm:` keys (study.yaml and concepts)."""
    where = study.locations
    concepts = [concept for concept in study.concepts if concept.target_data("sdtm") is not None]
    try:
        settings = read_study_sdtm(study)
    except ValidationError as problem:
        return [_invalid(where.at_study(("sdtm",)), "study", problem)]
    issues = list(_lint_study_settings(study, settings))
    if not concepts or issues:
        return issues
    catalog = catalog_of(study, settings)
    for concept in concepts:
        issues.extend(_lint_concept(study, catalog, settings, concept))
    return issues


def _lint_study_settings(study: StudyMapping, settings: StudySdtm) -> Iterator[Issue]:
    where = study.locations
    standards = study.study.standards
    for key, version, shipped in (("sdtmig", standards.sdtmig, sdtmig_versions()),
                                  ("sdtm", standards.sdtm, sdtm_model_versions())):
        if version not in shipped:
            yield make_issue("P011", **where.at_study(("standards", key)), value=version,
                             detail=f"standards.{key} {version!r} is not one crfmap has metadata for; use one of "
                                    f"{', '.join(shipped)}")
            return
    for name in settings.custom_domains:
        place = where.at_study(("sdtm", "custom_domains", name))
        if not re.fullmatch(r"[XYZ][A-Z]", name):
            yield make_issue("P011", **place, value=name, detail=f"custom domain {name!r}: a sponsor-defined domain "
                             f"code is two letters starting with {', '.join(CUSTOM_PREFIXES)} (SDTMIG 3.4 section 2.6)")
        elif ig_domain(standards.sdtmig, standards.sdtm, name) is not None:
            yield make_issue("P011", **place, value=name, detail=f"custom domain {name!r} is an SDTMIG domain")
    seen: dict[str, float] = {}
    for index, visit in enumerate(settings.visits):
        if visit.name in seen or visit.number in seen.values():
            yield make_issue("P007", value=visit.name, **where.at_study(("sdtm", "visits", index)))
        seen[visit.name] = visit.number
    for unit in settings.units:
        if not is_valid_ucum(unit):
            yield make_issue("P023", value=unit, detail=" (a key of sdtm.units)", **where.at_study(("sdtm", "units")))
    yield from _lint_trial_summary(where, settings, standards.ct)
    yield from _lint_not_collected(where, settings, catalog_of(study, settings))


def _lint_trial_summary(where: MappingSource, settings: StudySdtm, ct_version: str) -> Iterator[Issue]:
    from crfmap.writers.sdtm.trial_design.parameters import parameter_name

    for entry in settings.ts:
        if entry.parm is None and entry.parmcd not in PARAMETERS and parameter_name(entry.parmcd, ct_version) is None:
            yield make_issue("P011", **where.at_study(("sdtm", "ts")), value=entry.parmcd,
                             detail=f"sdtm.ts: parameter {entry.parmcd!r} is not a TSPARMCD of CDISC CT "
                                    f"{ct_version}; give its TSPARM as `parm`")
        if entry.value is None and entry.null_flavor is None:
            yield make_issue("P011", **where.at_study(("sdtm", "ts")), value=entry.parmcd,
                             detail=f"sdtm.ts: parameter {entry.parmcd!r} needs a value or a null_flavor")


def _lint_not_collected(where: MappingSource, settings: StudySdtm, catalog: DomainCatalog) -> Iterator[Issue]:
    for name in settings.not_collected:
        domain, _, variable = name.partition(".")
        spec = catalog.dataset(domain)
        if spec is None or spec.variable(variable) is None:
            yield make_issue("P011", **where.at_study(("sdtm", "not_collected", name)), value=name,
                             detail=f"sdtm.not_collected: {name!r} is not DATASET.VARIABLE of a domain crfmap "
                                    "writes (e.g. DM.RACE)")


def _lint_concept(study: StudyMapping, catalog: DomainCatalog, settings: StudySdtm,
                  concept: ConceptSpec) -> list[Issue]:
    where = study.locations
    try:
        target = read_target(concept)
    except ValidationError as problem:
        return [_invalid(where.at_concept(concept.id, ("sdtm",)), concept.id, problem)]
    if target is None:
        return []
    try:
        spec = catalog.domain(target.domain)
    except StandardNotAvailable:
        return []  # reported on study.yaml
    if spec is None or not catalog.accepts(concept.record, spec):
        allowed = ", ".join(catalog.domains_for(concept.record))
        return [make_issue("P011", **where.at_concept(concept.id, ("sdtm", "domain")), value=target.domain,
                           detail=f"concept {concept.id!r}: sdtm.domain {target.domain!r} is not a domain that "
                                  f"{concept.record} records can go to; use one of {allowed} (or declare a custom "
                                  "domain in study.yaml sdtm.custom_domains)")]
    issues = list(_lint_supp(where, concept, target, spec))
    issues += _lint_constants(where, concept, target, spec)
    issues += _lint_options(where, concept, target, spec)
    issues += _lint_variables(where, concept, target, spec)
    issues += _lint_derive(where, concept, target, spec, settings)
    issues += _lint_required(study, concept, target, spec)
    return issues


def _lint_supp(where: MappingSource, concept: ConceptSpec, target: SdtmTarget, spec: DomainSpec) -> Iterator[Issue]:
    fields = record_field_names(concept.record)
    seen: dict[str, str] = {}
    for name, supp in target.supp.items():
        if name not in concept.qualifiers and name not in fields:
            yield _detail(where, concept, f"sdtm.supp names {name!r}, which is neither a qualifier of the concept "
                                          "nor a field of its record")
        if spec.has(supp.qnam) or supp.qnam in {"STUDYID", "USUBJID", "DOMAIN"}:
            yield _detail(where, concept, f"sdtm.supp QNAM {supp.qnam!r} is a standard {target.domain} variable; "
                                          "use the standard variable, not SUPP--")
        if supp.qnam in seen:
            yield _detail(where, concept, f"sdtm.supp QNAM {supp.qnam!r} is used for both {seen[supp.qnam]!r} "
                                          f"and {name!r}")
        seen[supp.qnam] = name


def _settable(spec: DomainSpec, name: str) -> str | None:
    """Why a mapping cannot set variable `name` of the domain directly, or None when it can."""
    variable = spec.variable(name)
    if variable is None:
        return f"is not a {spec.name} variable"
    if variable.role == "Identifier" and not name.endswith(("SPID", "GRPID", "REFID", "LNKID", "LNKGRP")):
        return "is an identifier, which crfmap fills"
    if DERIVED.match(name) or variable.type == "dtc":
        return "is derived or a date: it comes from the records"
    return None


def _lint_constants(where: MappingSource, concept: ConceptSpec, target: SdtmTarget,
                    spec: DomainSpec) -> Iterator[Issue]:
    """Constants may fill collected or assigned qualifiers, never identifiers, derived variables or dates."""
    for name in target.constants:
        reason = _settable(spec, name)
        if reason is not None:
            yield _detail(where, concept, f"sdtm.constants cannot set {name!r}: it {reason}")


def _lint_variables(where: MappingSource, concept: ConceptSpec, target: SdtmTarget,
                    spec: DomainSpec) -> Iterator[Issue]:
    fields = record_field_names(concept.record)
    for variable, name in target.variables.items():
        reason = _settable(spec, variable)
        if reason is not None:
            yield _detail(where, concept, f"sdtm.variables cannot set {variable!r}: it {reason}")
        if name not in concept.qualifiers and name not in fields:
            yield _detail(where, concept, f"sdtm.variables.{variable} names {name!r}, which is neither a qualifier "
                                          "of the concept nor a field of its record")


def _lint_options(where: MappingSource, concept: ConceptSpec, target: SdtmTarget,
                  spec: DomainSpec) -> Iterator[Issue]:
    """Options the domain has no variable for would be dropped silently: say so instead."""
    wanted = {"category": f"{spec.prefix}CAT", "subcategory": f"{spec.prefix}SCAT", "epoch": "EPOCH",
              "end_reference": f"{spec.prefix}ENTPT"}
    for option, variable in wanted.items():
        if getattr(target, option) is not None and not spec.has(variable):
            yield _detail(where, concept, f"sdtm.{option} has no {variable} in {target.domain} to go to")


def _lint_derive(where: MappingSource, concept: ConceptSpec, target: SdtmTarget, spec: DomainSpec,
                 settings: StudySdtm) -> Iterator[Issue]:
    prefix = spec.prefix
    needs = {StandardUnits: f"{prefix}STRESU", BaselineFlag: f"{prefix}BLFL", EpochFromExposure: "EPOCH",
             VisitNumber: "VISITNUM"}
    for index, derivation in enumerate(target.derive):
        variable = needs[type(derivation)]
        if not spec.has(variable):
            yield _detail(where, concept, f"sdtm.derive {derivation.op}: {target.domain} has no {variable}")
        if isinstance(derivation, StandardUnits):
            for unit in derivation.units.values():
                if not is_valid_ucum(unit):
                    yield make_issue("P023", value=unit, detail=f" (sdtm.derive standard_units of {concept.id!r})",
                                     **where.at_concept(concept.id, ("sdtm", "derive", index)))
        if isinstance(derivation, VisitNumber) and not settings.visits:
            yield _detail(where, concept, "sdtm.derive visit_number needs the planned visits in study.yaml "
                                          "sdtm.visits")


def _lint_required(study: StudyMapping, concept: ConceptSpec, target: SdtmTarget,
                   spec: DomainSpec) -> Iterator[Issue]:
    """P020 for each Req variable nothing fills; P021 when only an optional column does."""
    sources = _variable_sources(study, concept, target, spec)
    for variable in spec.variables:
        if variable.core != "Req" or variable.name in ALWAYS or DERIVED.match(variable.name):
            continue
        fields = sources.get(variable.name)
        if fields is None:
            hint = _source_hint(concept, spec, variable.name)
            # a draft of `crfmap init` is known to be unfinished: said, but not yet an error
            yield make_issue("P020", **study.locations.at_concept(concept.id, ("sdtm", "domain")),
                             value=variable.name, detail=f"concept {concept.id!r}: {variable.name} is required "
                             f"(Req) in {spec.name}, but nothing fills it; {hint}",
                             severity=Severity.WARNING if concept.draft else None)
        elif fields and all(_optional_source(study, concept, name) for name in fields):
            yield make_issue("P021", **study.locations.at_concept(concept.id, ("fields", fields[0])),
                             value=variable.name, detail=f"concept {concept.id!r}: {variable.name} (Req in "
                             f"{spec.name}) comes from {', '.join(fields)}, read from a column that may be empty")


def _variable_sources(study: StudyMapping, concept: ConceptSpec, target: SdtmTarget,
                      spec: DomainSpec) -> dict[str, tuple[str, ...]]:
    """Variable → the concept's fields that fill it (empty tuple: filled by the target or the study)."""
    prefix = spec.prefix
    table = DM_FIELDS if spec.name == "DM" else FIELD_SUFFIXES.get(concept.record, {})
    found: dict[str, list[str]] = {}
    for field_name in concept.fields:
        suffixes = table.get(field_name, ()) + BASE_FIELDS.get(field_name, ())
        for suffix in suffixes:
            name = suffix if spec.name == "DM" or suffix.startswith("VISIT") else prefix + suffix
            found.setdefault(name, []).append(field_name)
    given: set[str] = set(target.constants) | set(target.variables)
    options = {"category": f"{prefix}CAT", "subcategory": f"{prefix}SCAT", "epoch": "EPOCH"}
    given |= {variable for option, variable in options.items() if getattr(target, option) is not None}
    if target.derivation(VisitNumber) is not None:
        given.add("VISITNUM")
    if target.derivation(EpochFromExposure) is not None:
        given.add("EPOCH")
    if spec.name == "DM" and study.study.country:
        given.add("COUNTRY")
    result = {name: tuple(fields) for name, fields in found.items()}
    result.update({name: () for name in given if name not in result})
    return result


def _source_hint(concept: ConceptSpec, spec: DomainSpec, variable: str) -> str:
    table = DM_FIELDS if spec.name == "DM" else FIELD_SUFFIXES.get(concept.record, {})
    fields = [name for name, suffixes in {**table, **BASE_FIELDS}.items()
              if variable in suffixes or variable[2:] in suffixes]
    if variable == f"{spec.prefix}CAT":
        return "give it with sdtm.category"
    if variable == "COUNTRY":
        return "map the record field 'country', or set country in study.yaml"
    if fields:
        return f"map the record field {' or '.join(repr(name) for name in fields)}"
    return f"set it with sdtm.constants or sdtm.variables ({variable}: <qualifier>)"


def _optional_source(study: StudyMapping, concept: ConceptSpec, field_name: str) -> bool:
    """Whether the field is read from a column that is not required (so a row may leave it empty)."""
    operation: Any = concept.fields.get(field_name)
    column = getattr(operation, "column", None) if operation is not None else None
    if not isinstance(column, str) or getattr(operation, "op", None) == "lookup":
        return False
    form = study.forms.get(concept.form)
    spec = form.column(column) if form is not None else None
    if spec is None or spec.required or (form is not None and column == form.identity.subject):
        return False
    return not (concept.when is not None and concept.when.column == column and concept.when.present)


def _detail(where: MappingSource, concept: ConceptSpec, detail: str) -> Issue:
    return make_issue("P011", **where.at_concept(concept.id, ("sdtm",)), value=concept.id,
                      detail=f"concept {concept.id!r}: {detail}")


def _invalid(place: dict[str, Any], owner: str, problem: ValidationError) -> Issue:
    parts = []
    for error in problem.errors():
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"sdtm.{where}: {error['msg']}" if where else error["msg"])
    return make_issue("P011", **place, value=owner, detail=f"{owner}: " + "; ".join(parts))
