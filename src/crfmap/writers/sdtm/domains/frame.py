"""Drafts → Dataset: --SEQ, --DY, variable selection in SDTMIG order, Define-XML types, origins, code lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crfmap.model import PartialDate
from crfmap.writers.sdtm.dataset import Dataset, DataType, Origin, Variable
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.specs import DomainSpec, VariableSpec
from crfmap.writers.sdtm.domains.timing import assign_sequence, date_sort_key, study_day

COLLECTED = Origin("Collected", "Investigator")
ASSIGNED = Origin("Assigned", "Sponsor")
PROTOCOL = Origin("Protocol", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")

# --DY variable → the --DTC it is computed from (SDTMIG 4.4.4).
DAY_PAIRS = (("DY", "DTC"), ("STDY", "STDTC"), ("ENDY", "ENDTC"))


def sort_drafts(drafts: Iterable[Draft], context: BuildContext) -> list[Draft]:
    """Stable order: subject, then date, then concept and source key (the --SEQ order, MT.SEQ)."""
    def order(draft: Draft) -> tuple[Any, ...]:
        record = draft.record
        assert record is not None  # only domain rows are sorted; TS rows come in parameter order
        return (context.usubjid(record.subject_id), date_sort_key(draft.sort_date), record.concept, record.key)

    return sorted(drafts, key=order)


def number_drafts(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--SEQ and --DY of sorted drafts, in place."""
    assign_sequence([draft.values for draft in drafts], f"{spec.prefix}SEQ")
    for draft in drafts:
        if draft.record is None:
            continue
        reference = context.reference_start.get(draft.record.subject_id)
        for day_suffix, dtc_suffix in DAY_PAIRS:
            day_name = f"{spec.prefix}{day_suffix}"
            when = draft.values.get(f"_{dtc_suffix}")
            if spec.variable(day_name) is not None and isinstance(when, PartialDate):
                draft.values[day_name] = study_day(when, reference)


def make_dataset(spec: DomainSpec, drafts: list[Draft], context: BuildContext,
                 origins: dict[str, Origin] | None = None) -> Dataset:
    """The dataset of `spec` holding `drafts` (already sorted and numbered)."""
    rows = [_row(draft) for draft in drafts]
    _warn_dropped(spec, drafts, rows, context)
    not_collected = {name.partition(".")[2] for name in context.settings.not_collected
                     if name.partition(".")[0] == spec.name}  # written empty; define.xml says why
    chosen = [variable for variable in spec.variables
              if variable.core in ("Req", "Exp") or variable.name in not_collected
              or any(row.get(variable.name) is not None for row in rows)]
    variables = [_variable(variable, rows, drafts, context, (origins or {}).get(variable.name)) for variable in chosen]
    names = [variable.name for variable in chosen]
    return Dataset(
        name=spec.name, label=spec.label, structure=spec.structure, klass=spec.klass, variables=variables,
        rows=[{name: row.get(name) for name in names} for row in rows],
        sources=[draft.sources for draft in drafts],
        keys=tuple(key for key in spec.keys if key in names),
    )


def _row(draft: Draft) -> dict[str, Any]:
    row = {name: value for name, value in draft.values.items() if not name.startswith("_")}
    for name, value in draft.constants.items():
        if row.get(name) is None:
            row[name] = value
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


# Methods of variables a builder derives where the domain table says they are collected or assigned.
DERIVED_METHODS = {"EPOCH": "MT.EPOCH", "VISIT": "MT.VISIT", "VISITNUM": "MT.VISIT"}


def _variable(spec: VariableSpec, rows: list[dict[str, Any]], drafts: list[Draft], context: BuildContext,
              origin: Origin | None) -> Variable:
    method = None
    if origin is None:
        origin, method = _origin(spec.origin)
    elif origin.type == "Derived":
        method = spec.origin[2:] if spec.origin.startswith("D:") else DERIVED_METHODS.get(spec.name)
    if method:
        context.methods.add(method)
    data_type = _data_type(spec, [row.get(spec.name) for row in rows])
    return Variable(name=spec.name, label=spec.label, data_type=data_type, role=spec.role, core=spec.core,
                    codelist=_codelist(spec.name, drafts), method=method, origin=origin,
                    key_sequence=None)


def _origin(code: str) -> tuple[Origin, str | None]:
    if code.startswith("D:"):
        return DERIVED, code[2:]
    return {"C": COLLECTED, "A": ASSIGNED, "P": PROTOCOL}[code], None


def _codelist(name: str, drafts: list[Draft]) -> str | None:
    """The study code list of a variable when every coded value in it came from the same one."""
    ids = {draft.codelists[name] for draft in drafts if name in draft.codelists}
    return ids.pop() if len(ids) == 1 else None


def _data_type(spec: VariableSpec, values: list[Any]) -> DataType:
    if spec.type != "dtc":
        return spec.type  # type: ignore[return-value]
    texts = [value for value in values if isinstance(value, str)]
    with_time = [text for text in texts if "T" in text]
    if with_time:
        complete = all(len(text) == 19 for text in texts)
        return "datetime" if complete else "partialDatetime"
    return "date" if all(len(text) == 10 for text in texts) else "partialDate"
