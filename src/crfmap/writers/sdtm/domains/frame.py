"""Drafts → Dataset: variable selection in the domain's order, Define-XML types, origins, code lists.

A dataset keeps the variables that hold a value plus every Req and Exp one (SDTMIG 3.4 sections 4.1.2 and 2.5).
A variable's origin is what its values were: derived when any was (with its method), else collected, else
assigned or protocol, as the drafts record it (collected by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from crfmap.writers.sdtm.dataset import Dataset, DataType, Origin, Variable
from crfmap.writers.sdtm.domains.catalog import DomainSpec, VariableSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.timing import date_sort_key

COLLECTED = Origin("Collected", "Investigator")
ASSIGNED = Origin("Assigned", "Sponsor")
PROTOCOL = Origin("Protocol", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")
_PRIORITY = {"D": 0, "C": 1, "A": 2, "P": 3}


def sort_drafts(drafts: Iterable[Draft], context: BuildContext) -> list[Draft]:
    """Stable order: subject, then date, then concept and source key (the --SEQ order, MT.SEQ)."""
    def order(draft: Draft) -> tuple[Any, ...]:
        record = draft.record
        assert record is not None  # only domain rows are sorted; TS rows come in parameter order
        return (context.usubjid(record.subject_id), date_sort_key(draft.sort_date), record.concept, record.key)

    return sorted(drafts, key=order)


def make_dataset(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> Dataset:
    """The dataset of `spec` holding `drafts` (already sorted and derived)."""
    rows = [_row(draft) for draft in drafts]
    _warn_dropped(spec, drafts, rows, context)
    not_collected = {name.partition(".")[2] for name in context.settings.not_collected
                     if name.partition(".")[0] == spec.name}  # written empty; define.xml says why
    chosen = [variable for variable in spec.variables
              if variable.core in ("Req", "Exp") or variable.name in not_collected
              or any(row.get(variable.name) is not None for row in rows)]
    variables = [_variable(variable, rows, drafts, context) for variable in chosen]
    names = [variable.name for variable in chosen]
    for index, row in enumerate(rows):  # in place: one row at a time is held twice, not the whole domain
        rows[index] = {name: row.get(name) for name in names}
    return Dataset(
        name=spec.name, label=spec.label, structure=spec.structure, klass=spec.klass, variables=variables,
        rows=rows,
        sources=[draft.sources for draft in drafts],
        keys=tuple(key for key in spec.keys if key in names),
        cells=[{name: cells for name in names if (cells := draft.own_cells(name))} for draft in drafts],
    )


def _row(draft: Draft) -> dict[str, Any]:
    row = {name: value for name, value in draft.values.items() if not name.startswith("_")}
    for name, value in draft.constants.items():
        if row.get(name) is None:
            row[name] = value
            draft.origins.setdefault(name, "A")
    return row


# Derived values a builder computes whether or not the domain has the variable (SDTMIG 3.4 MH has no MHSTDY).
_DERIVED_SUFFIXES = ("SEQ", "DY", "STDY", "ENDY", "LOBXFL")


def _warn_dropped(spec: DomainSpec, drafts: list[Draft], rows: list[dict[str, Any]], context: BuildContext) -> None:
    """A collected value for a variable the domain does not have would vanish: W060 once per concept and variable."""
    for draft, row in zip(drafts, rows, strict=True):
        for name, value in row.items():
            if value is None or spec.variable(name) is not None or draft.record is None:
                continue
            if name.startswith(spec.prefix) and name[len(spec.prefix):] in _DERIVED_SUFFIXES:
                continue
            context.warn_once(("dropped", draft.record.concept, name), draft.record,
                              f"{name} of concept {draft.record.concept!r} has values but {spec.name} has no {name} "
                              f"in SDTMIG; map the record field to a SUPP-- qualifier (sdtm.supp) to keep it")


def _variable(spec: VariableSpec, rows: list[dict[str, Any]], drafts: list[Draft], context: BuildContext) -> Variable:
    origin, method = _origin(spec, rows, drafts)
    if method:
        context.methods.add(method)
    data_type = _data_type(spec, [row.get(spec.name) for row in rows])
    return Variable(name=spec.name, label=spec.label, data_type=data_type, role=spec.role, core=spec.core,
                    codelist=_codelist(spec.name, rows, drafts), method=method, origin=origin, key_sequence=None)


# The origin of a variable no record filled (an Exp one kept although null), by what would fill it.
_DEFAULT_ORIGINS = ((re.compile(r"^..(STRESC|STRESN|STRESU|STNRLO|STNRHI)$"), "D:MT.STRESC"),
                    (re.compile(r"^..SEQ$"), "D:MT.SEQ"), (re.compile(r"^..(DY|STDY|ENDY)$"), "D:MT.DY"),
                    (re.compile(r"^..LOBXFL$"), "D:MT.LOBXFL"))


def _default_origin(spec: VariableSpec) -> str:
    if spec.value_domain == "MedDRA" or spec.name.endswith("BODSYS"):
        return "A"  # assigned by the sponsor's MedDRA coding
    return next((origin for pattern, origin in _DEFAULT_ORIGINS if pattern.match(spec.name)), "C")


def _origin(spec: VariableSpec, rows: list[dict[str, Any]], drafts: list[Draft]) -> tuple[Origin, str | None]:
    name = spec.name
    codes = {draft.origins.get(name, "C") for draft, row in zip(drafts, rows, strict=True)
             if row.get(name) is not None}
    codes = codes or {draft.origins[name] for draft in drafts if name in draft.origins} or {_default_origin(spec)}
    code = min(codes, key=lambda text: (_PRIORITY[text[0]], text))
    if code.startswith("D:"):
        return DERIVED, code[2:]
    return {"C": COLLECTED, "A": ASSIGNED, "P": PROTOCOL}[code], None


def _codelist(name: str, rows: list[dict[str, Any]], drafts: list[Draft]) -> str | None:
    """The study code list of a variable when every value in it came from the same one (a result column that mixes
    coded and numeric results, intervals beside an interpretation, has none: that is value-level metadata)."""
    ids = {draft.codelists.get(name) for draft, row in zip(drafts, rows, strict=True) if row.get(name) is not None}
    return ids.pop() if len(ids) == 1 else None


def _data_type(spec: VariableSpec, values: list[Any]) -> DataType:
    if spec.type != "dtc":
        return spec.type
    texts = [value for value in values if isinstance(value, str)]
    with_time = [text for text in texts if "T" in text]
    if with_time:
        complete = all(len(text) == 19 for text in texts)
        return "datetime" if complete else "partialDatetime"
    return "date" if all(len(text) == 10 for text in texts) else "partialDate"
