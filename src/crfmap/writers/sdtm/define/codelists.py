"""Define-XML code lists: one for every CT-bound variable, with the terms used and their NCI C-codes.

- A variable whose values all came from one code list of the mapping refers to it (CL.<id>). When that code list
  is linked to a CDISC one, every term gets its C-code from the CT release (the mapping may leave `nci_code` out),
  and a value that is no CDISC term is flagged def:ExtendedValue (a declared sponsor term).
- Any other CT-bound variable (SDTMIG code list, TSVAL by parameter, EPOCH, DOMAIN …) refers to the CDISC code list
  that holds its values (CL.<short name>, e.g. CL.EPOCH), with the terms used, their C-codes and the sponsor
  terms the study declares. Test-code lists (--TESTCD, TSPARMCD) decode each code with its CDISC name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from crfmap.standards import Codelist
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.controlled_terms.bindings import variable_codes
from crfmap.writers.sdtm.controlled_terms.check import RESULT_SUFFIXES, is_numeric_result
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.define_metadata import CodeListTerm, DefineCodeList
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows

PAIRED = {"TSPARMCD": "TSPARM"}  # code variable → name variable, besides --TESTCD → --TEST


def bind_ct_codelists(datasets: list[Dataset], study: StudyMapping, terms: StudyTerminology) -> list[Dataset]:
    """The datasets with every CT-bound variable that has no code list of the mapping bound to the CDISC code list
    holding its values (Variable.codelist = its short name)."""
    result = []
    for dataset in datasets:
        bound = {variable.name: codes for variable in dataset.variables
                 if variable.codelist is None and (codes := _codes(study, dataset.name, variable.name))}
        columns = columns_of_rows(dataset.rows, bound)  # the values of every bound variable, in one pass
        variables = []
        for variable in dataset.variables:
            codes = bound.get(variable.name, ())
            if codes:  # a variable CDISC binds to a code list: its values are read, once each
                codelist = _holding(terms, codes, _values(columns[variable.name], variable.name))
                if codelist is not None:
                    variable = dataclasses.replace(variable, codelist=ct_codelist_id(study, codelist))
            variables.append(variable)
        result.append(dataclasses.replace(dataset, variables=variables))
    return result


def ct_codelist_id(study: StudyMapping, codelist: Codelist) -> str:
    """A CDISC code list's id in define.xml: its short name, unless a code list of the mapping has that id."""
    name = codelist.submission_value
    return name if name not in study.codelists else f"CT_{name}"


def _codes(study: StudyMapping, dataset: str, variable: str) -> tuple[str, ...]:
    return variable_codes(study.study.standards.sdtmig, dataset, variable)


def _values(column: Sequence[object], name: str) -> list[str]:
    """The distinct text values of the variable `name`, in first-seen order (a result's numeric ones left out)."""
    values = list(dict.fromkeys(value for value in column if isinstance(value, str) and value))
    if name.endswith(RESULT_SUFFIXES):
        values = [value for value in values if not is_numeric_result(value)]
    return values


def _holding(terms: StudyTerminology, codes: tuple[str, ...], values: list[str]) -> Codelist | None:
    """The bound code list holding every value (terms or declared sponsor terms); None when none does."""
    if not codes or not values:
        return None
    for codelist in terms.codelists(codes):
        if all(terms.judge(value, (codelist.code,)).ok for value in set(values)):
            return codelist
    return None


def define_codelists(study: StudyMapping, datasets: list[Dataset], terms: StudyTerminology | None,
                     value_level: Iterable[tuple[str, Iterable[str]]] = ()) -> tuple[DefineCodeList, ...]:
    """The code lists the variables (and value-level items: (code list id, values)) refer to, terms used only."""
    used: dict[str, set[str]] = {}
    names: dict[str, dict[str, str]] = {}  # code list id → code → its name (for test codes)
    for dataset in datasets:
        coded = [variable for variable in dataset.variables if variable.codelist]
        named = {variable.name: _name_variable(variable.name) for variable in coded}
        # every coded variable's values and their names, in one pass over the rows
        columns = columns_of_rows(dataset.rows, dict.fromkeys([*named, *filter(None, named.values())]))
        for variable in coded:
            assert variable.codelist is not None
            column = columns[variable.name]
            values = used.setdefault(variable.codelist, set())
            values.update(str(value) for value in column if value not in (None, ""))
            name_variable = named[variable.name]
            if name_variable is not None:
                pairs = names.setdefault(variable.codelist, {})
                pairs.update({str(code): str(name) for code, name in zip(column, columns[name_variable], strict=True)
                              if code and name})
    for codelist_id, extra in value_level:
        used.setdefault(codelist_id, set()).update(extra)
    return tuple(_codelist(study, terms, codelist_id, used[codelist_id], names.get(codelist_id, {}))
                 for codelist_id in sorted(used))


def _name_variable(name: str) -> str | None:
    """The variable that names the codes of `name` (--TEST of --TESTCD, TSPARM of TSPARMCD), if any."""
    return PAIRED.get(name) or (name[:-2] if name.endswith("TESTCD") else None)


def _codelist(study: StudyMapping, terms: StudyTerminology | None, codelist_id: str, values: set[str],
              names: dict[str, str]) -> DefineCodeList:
    source = study.codelists.get(codelist_id)
    if source is not None:
        linked = terms.release.codelists.get(source.cdisc.nci_code) if terms and source.cdisc else None
        by_value = {item.value: item for item in source.values}
        term_list = []
        for value in sorted(values):
            item = by_value.get(value) or next((entry for entry in source.values if entry.display == value), None)
            term = linked.term(value) if linked is not None else None
            decode = names.get(value) or (item.display if item and item.display != value else None)
            term_list.append(CodeListTerm(value, c_code=term.code if term else (item.nci_code if item else None),
                                          decode=decode, extended=linked is not None and term is None))
        return DefineCodeList(id=codelist_id, name=source.name, terms=_decoded(term_list),
                              c_code=source.cdisc.nci_code if source.cdisc else None,
                              sponsor_defined=source.cdisc is None)
    codelist = _ct_codelist(study, terms, codelist_id)
    if codelist is None:  # a code list the SDTM builder declares in code
        return DefineCodeList(id=codelist_id, name=codelist_id.upper(),
                              terms=tuple(CodeListTerm(value, decode=names.get(value)) for value in sorted(values)),
                              sponsor_defined=True)
    extended = terms.extensions.get(codelist.code, {}) if terms else {}
    term_list = []
    for value in sorted(values):
        term = codelist.term(value)
        sponsor = extended.get(value)
        decode = names.get(value) or (sponsor.decode if sponsor else None)
        term_list.append(CodeListTerm(value, c_code=term.code if term else None, decode=decode,
                                      extended=term is None))
    return DefineCodeList(id=codelist_id, name=codelist.name, terms=_decoded(term_list), c_code=codelist.code)


def _decoded(terms: list[CodeListTerm]) -> tuple[CodeListTerm, ...]:
    """A Decode on every item once one has it (a code list is either enumerated or code/decode)."""
    if any(term.decode for term in terms):
        terms = [dataclasses.replace(term, decode=term.decode or term.submission_value) for term in terms]
    return tuple(terms)


def _ct_codelist(study: StudyMapping, terms: StudyTerminology | None, codelist_id: str) -> Codelist | None:
    if terms is None:
        return None
    name = codelist_id.removeprefix("CT_") if codelist_id.startswith("CT_") else codelist_id
    try:
        return terms.release.codelist_named(name)
    except KeyError:
        return None
