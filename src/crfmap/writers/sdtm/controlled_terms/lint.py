"""CT checked before any data is read: the study's code lists, constants and trial design against its CT release.

- P040 when study.yaml standards.ct is not a release crfmap ships;
- P041 when a code list's `cdisc:` link (name, C-code, extensible) or a value's `nci_code` disagrees with the
  release, or `sdtm.ct_extensions` names a code list that is unknown or cannot be extended;
- P042 / P043 for a value that can reach a CT-bound variable and is not a term of its code list (not extensible /
  extensible but not declared). Values reach variables from the concepts' fields (a coded column: every value of
  its code list; a constant), their category/epoch/constants/variables, TS entries and the trial design epochs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from crfmap.issues import Issue, make_issue
from crfmap.study import models
from crfmap.study.locations import MappingSource
from crfmap.writers.sdtm.controlled_terms.bindings import (
    TS_RESPONSES,
    field_variables,
    variable_codes,
)
from crfmap.writers.sdtm.controlled_terms.models import as_sponsor_term
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology, find_codelist, shipped_versions
from crfmap.writers.sdtm.domains.targets import SdtmTarget, StudySdtm, concept_targets, read_study_sdtm

Place = dict[str, Any]


def lint_terminology(study: models.StudyMapping) -> list[Issue]:
    where = study.locations
    try:
        settings = read_study_sdtm(study)
    except ValidationError:
        return []  # the target linter reports it (P011)
    terms = StudyTerminology.of(study, settings.ct_extensions)
    if terms is None:
        return [make_issue("P040", value=study.study.standards.ct, expected=shipped_versions(),
                           **where.at_study(("standards", "ct")))]
    issues = list(_lint_codelists(study, terms, where))
    issues.extend(_lint_extensions(settings, terms, where))
    for concept, target in concept_targets(study):
        issues.extend(_lint_concept(study, concept, target, terms, where))
    issues.extend(_lint_study_values(study, settings, terms, where))
    return issues


def _lint_codelists(study: models.StudyMapping, terms: StudyTerminology, where: MappingSource) -> Iterator[Issue]:
    for source in study.codelists.values():
        link = source.cdisc
        if link is None:
            continue
        part = ("codelist", source.id)
        codelist = terms.release.codelists.get(link.nci_code)
        if codelist is None:
            yield make_issue("P041", **where.at(part, ("cdisc", "nci_code")),
                             detail=f"code list {source.id!r}: CDISC CT {terms.release.version} has no code list "
                                    f"{link.nci_code}")
            continue
        if (link.name, link.extensible) != (codelist.submission_value, codelist.extensible):
            yield make_issue("P041", **where.at(part, ("cdisc",)),
                             detail=f"code list {source.id!r} says {link.name} {link.nci_code} "
                                    f"{'extensible' if link.extensible else 'not extensible'}; CDISC CT "
                                    f"{terms.release.version} has {codelist.submission_value} {codelist.code} "
                                    f"{'extensible' if codelist.extensible else 'not extensible'}")
        for index, item in enumerate(source.values):
            term = codelist.term(item.value)
            if item.nci_code is not None and (term is None or term.code != item.nci_code):
                actual = f"{term.code}" if term is not None else "no such term"
                yield make_issue("P041", **where.at(part, ("values", index, "nci_code")),
                                 detail=f"code list {source.id!r}: {item.value!r} has nci_code {item.nci_code}, "
                                        f"CDISC CT {terms.release.version} {codelist.submission_value} has "
                                        f"{actual}")
            elif term is None and not codelist.extensible:
                yield from _one(terms, item.value, (codelist.code,), f"code list {source.id!r}",
                                where.at(part, ("values", index, "value")))


def _lint_extensions(settings: StudySdtm, terms: StudyTerminology, where: MappingSource) -> Iterator[Issue]:
    for name, entries in settings.ct_extensions.items():
        place = where.at_study(("sdtm", "ct_extensions", name))
        codelist = find_codelist(terms.release, name)
        if codelist is None or not codelist.extensible:
            problem = "is not a code list of" if codelist is None else "cannot be extended in"
            yield make_issue("P041", **place, detail=f"sdtm.ct_extensions: {name!r} {problem} CDISC CT "
                                                     f"{terms.release.version}")
            continue
        for entry in entries:
            term = as_sponsor_term(entry)
            if term.value in codelist:
                yield make_issue("P041", **place, detail=f"sdtm.ct_extensions: {term.value!r} is already a term of "
                                                         f"{codelist.submission_value}; remove it")


def _lint_concept(study: models.StudyMapping, concept: models.ConceptSpec, target: SdtmTarget,
                  terms: StudyTerminology, where: MappingSource) -> Iterator[Issue]:
    sdtmig = study.study.standards.sdtmig
    domain = target.domain
    for field_name, operation in concept.fields.items():
        for variable in field_variables(concept.record, domain, field_name):
            codes = variable_codes(sdtmig, domain, variable)
            if codes:
                yield from _lint_operation(study, operation, codes, f"{domain}.{variable}", terms,
                                           where.at_concept(concept.id, ("fields", field_name)))
    for variable, name in target.variables.items():
        source = concept.qualifiers.get(name) or concept.fields.get(name)
        codes = variable_codes(sdtmig, domain, variable)
        if source is not None and codes:
            yield from _lint_operation(study, source, codes, f"{domain}.{variable}", terms,
                                       where.at_concept(concept.id, ("sdtm", "variables", variable)))
    prefix = domain[:2]
    settings: list[tuple[str, str | None, tuple[str, ...]]] = [
        (f"{prefix}CAT", target.category, ("sdtm", "category")),
        (f"{prefix}SCAT", target.subcategory, ("sdtm", "subcategory")),
        ("EPOCH", target.epoch, ("sdtm", "epoch"))]
    settings += [(variable, value, ("sdtm", "constants", variable)) for variable, value in target.constants.items()]
    for variable, value, path in settings:
        codes = variable_codes(sdtmig, domain, variable)
        if value is not None and codes:
            yield from _one(terms, value, codes, f"{domain}.{variable}", where.at_concept(concept.id, path))


def _lint_operation(study: models.StudyMapping, operation: Any, codes: tuple[str, ...], what: str,
                    terms: StudyTerminology, place: Place) -> Iterator[Issue]:
    """Every value the operation can produce: a coded column's whole code list, a constant's one value."""
    if isinstance(operation, models.ConstantOp):
        if isinstance(operation.value, str):
            yield from _one(terms, operation.value, codes, what, place)
        return
    codelist_id = _codelist_of(study, operation)
    source = study.codelists.get(codelist_id) if codelist_id else None
    if source is None:
        return
    if source.cdisc is not None:
        return  # value-level: its values are checked against the code list it is linked to (_lint_codelists)
    if isinstance(operation, models.ConstantCodeOp):
        values = [operation.value]
    elif isinstance(operation, models.MapBooleanOp):
        values = [operation.yes, operation.no]
    else:
        values = [item.value for item in source.values]
    for value in values:
        yield from _one(terms, value, codes, f"{what} (code list {source.id!r})", place)


def _codelist_of(study: models.StudyMapping, operation: Any) -> str | None:
    if isinstance(operation, (models.ConstantCodeOp, models.MapBooleanOp)):
        return operation.codelist
    if isinstance(operation, models.CodeOp):
        for form in study.forms.values():
            column = form.column(operation.column)
            if column is not None and column.codelist:
                return column.codelist
    return None


def _lint_study_values(study: models.StudyMapping, settings: StudySdtm, terms: StudyTerminology,
                       where: MappingSource) -> Iterator[Issue]:
    sdtmig = study.study.standards.sdtmig
    for index, entry in enumerate(settings.ts):
        response = TS_RESPONSES.get(entry.parmcd)
        codelist = find_codelist(terms.release, response) if response else None
        if codelist is not None and entry.value is not None:
            yield from _one(terms, entry.value, (codelist.code,), f"TS.TSVAL where TSPARMCD = {entry.parmcd}",
                            where.at_study(("sdtm", "ts", index, "value")))
        if entry.code_system is not None:
            yield from _one(terms, entry.code_system, variable_codes(sdtmig, "TS", "TSVCDREF"), "TS.TSVCDREF",
                            where.at_study(("sdtm", "ts", index, "code_system")))
    design = settings.trial_design
    if design is not None:
        codes = variable_codes(sdtmig, "TA", "EPOCH")
        for armcd, steps in design.arms.items():
            for index, step in enumerate(steps):
                yield from _one(terms, step.epoch, codes, "TA.EPOCH",
                                where.at_study(("sdtm", "trial_design", "arms", armcd, index, "epoch")))


def _one(terms: StudyTerminology, value: str, codes: tuple[str, ...], what: str, place: Place) -> Iterator[Issue]:
    issue = _judged(terms, value, codes, what, place)
    if issue is not None:
        yield issue


def _judged(terms: StudyTerminology, value: str, codes: tuple[str, ...], what: str, place: Place) -> Issue | None:
    verdict = terms.judge(value, codes)
    if verdict.ok:
        return None
    expected = terms.describe(codes) + (f"; did you mean {verdict.hint!r}?" if verdict.hint else "")
    code = "P043" if verdict.kind == "undeclared" else "P042"
    return make_issue(code, value=value, expected=expected, detail=what, **place)
