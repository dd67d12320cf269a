"""What every domain row starts with, and how a record field lands in a variable the domain has.

A value goes to a variable only when the domain (its generated SDTMIG or class metadata) has that variable;
otherwise the field is a value with no place: it goes to SUPP-- when the concept's `sdtm.supp` names it, else
it is warned once per concept (W060). Nothing is dropped silently.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crfmap.model import Coded, PartialDate, Quantity, Record
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import decimal_text, dtc, flag, number, qualifier_text, submission_text

ASSIGNED = "A"


def start_draft(record: Record, spec: DomainSpec, target: SdtmTarget, context: BuildContext,
                sort_date: PartialDate | None) -> Draft:
    prefix = spec.prefix
    draft = Draft(values={"STUDYID": context.study_id, "DOMAIN": spec.name,
                          "USUBJID": context.usubjid(record.subject_id)},
                  record=record, sort_date=sort_date, constants=dict(target.constants), target=target)
    draft.origins.update({"STUDYID": ASSIGNED, "DOMAIN": ASSIGNED, "USUBJID": "D:MT.USUBJID"})
    put(draft, spec, "VISITNUM", number(record.visit_number), field="visit_number")
    put(draft, spec, "VISIT", record.visit, field="visit")
    put(draft, spec, "EPOCH", target.epoch, origin=ASSIGNED)
    put(draft, spec, f"{prefix}CAT", target.category, origin=ASSIGNED)
    put(draft, spec, f"{prefix}SCAT", target.subcategory, origin=ASSIGNED)
    _collect_supp(draft, target, context)
    return draft


def put(draft: Draft, spec: DomainSpec, variable: str, value: Any, *, field: str | None = None,
        origin: str | None = None, explicit: bool = False) -> bool:
    """Set `variable` when the domain has it (True); a None value sets nothing but counts as placed. A variable of
    the domain's class that the IG does not list for it (CPLLOQ, MHSTDY) is filled only when the mapping names it
    (`explicit`, from `sdtm.variables`): a reviewer expects the IG's variables (issue #11)."""
    known = spec.variable(variable)
    if known is None or (known.added and not explicit):
        return value is None
    if value is None:
        return True
    draft.values[variable] = value
    if field is not None:
        draft.fields[variable] = field
    if origin is not None:
        draft.origins[variable] = origin
    return True


def put_field(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, variable: str,
              field: str, value: Any) -> None:
    """A record field into its variable; a value the domain has no variable for is placed elsewhere."""
    if not put(draft, spec, variable, value, field=field):
        place_extra(draft, target, context, field, value)


def put_coded(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, variable: str,
              field: str, coded: Coded | None) -> None:
    """A CT variable: the submission value, and the study code list it came from (for Define-XML)."""
    if coded is None:
        return
    if put(draft, spec, variable, submission_text(coded), field=field):
        draft.codelists[variable] = coded.codelist
    else:
        place_extra(draft, target, context, field, coded)


def put_date(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, suffix: str,
             field: str, when: PartialDate | None) -> None:
    """--DTC/--STDTC/--ENDTC and the date its study day is computed from (kept as `_<suffix>`)."""
    if when is None:
        return
    variable = f"{spec.prefix}{suffix}"
    if put(draft, spec, variable, dtc(when), field=field):
        draft.values[f"_{suffix}"] = when
    else:
        place_extra(draft, target, context, field, when)


def place_extra(draft: Draft, target: SdtmTarget, context: BuildContext, field_name: str, value: object) -> None:
    """A record field with no variable in this domain: to SUPP-- when the target asks, else warned (W060)."""
    if value is None or field_name in target.supp or draft.record is None:
        return
    if field_name in target.variables.values():
        return  # mapped explicitly by `variables:`
    context.warn_not_carried(draft.record, target, field_name)


def apply_variables(draft: Draft, spec: DomainSpec, target: SdtmTarget) -> None:
    """`sdtm.variables`: qualifiers (or record fields) into named standard variables of the domain."""
    record = draft.record
    if record is None:
        return
    for variable, name in target.variables.items():
        value = record.qualifiers[name] if name in record.qualifiers else getattr(record, name, None)
        if value is None:
            continue
        spec_variable = spec.variable(variable)
        cell = cell_value(value, spec_variable.type if spec_variable is not None else "text")
        source_key = f"qualifiers.{name}" if name in record.qualifiers else name
        if put(draft, spec, variable, cell, field=source_key, explicit=True) and isinstance(value, Coded):
            draft.codelists[variable] = value.codelist


def cell_value(value: Any, variable_type: str) -> str | int | float | None:
    """Any canonical value as an SDTM cell of the variable's type."""
    if variable_type in ("integer", "float"):
        if isinstance(value, Quantity):
            return number(value.value)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal):
            return number(value)
        return None
    if isinstance(value, bool):
        return flag(value)
    if isinstance(value, Coded):
        return submission_text(value)
    if isinstance(value, Quantity):
        return decimal_text(value.value)
    return qualifier_text(value)


def _collect_supp(draft: Draft, target: SdtmTarget, context: BuildContext) -> None:
    record = draft.record
    if record is None:  # study-level rows (TS) have no qualifiers
        return
    for name, value in record.qualifiers.items():
        if value is None:
            continue
        carried = name in target.supp or name in target.variables.values() or (
            target.visit is not None and target.visit.qualifier == name)  # VISIT (trial_design/visits.py)
        if not carried:
            context.warn_not_carried(record, target, name)
    for name, supp in target.supp.items():
        value = record.qualifiers[name] if name in record.qualifiers else getattr(record, name, None)
        text = qualifier_text(value)
        if text is not None:
            draft.supp.append((supp, text))
            draft.supp_sources.append(record.sources.get(f"qualifiers.{name}") or record.sources.get(name) or ())
