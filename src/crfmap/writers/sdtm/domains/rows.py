"""What every domain row starts with: identifiers, visit, epoch, category, constants, and its SUPP-- values."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, PartialDate, Record
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.specs import DomainSpec
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import number, qualifier_text, submission_text


def start_draft(record: Record, spec: DomainSpec, target: SdtmTarget, context: BuildContext,
                sort_date: PartialDate | None) -> Draft:
    prefix = spec.prefix
    values = {"STUDYID": context.study_id, "DOMAIN": spec.name, "USUBJID": context.usubjid(record.subject_id),
              "VISITNUM": number(record.visit_number), "VISIT": record.visit, "EPOCH": target.epoch,
              f"{prefix}CAT": target.category, f"{prefix}SCAT": target.subcategory}
    draft = Draft(values=values, record=record, sort_date=sort_date, constants=dict(target.constants))
    _collect_supp(draft, target, context)
    return draft


def set_coded(draft: Draft, variable: str, coded: Coded | None) -> None:
    """A CT variable: the submission value, and the study code list it came from (for Define-XML)."""
    draft.values[variable] = submission_text(coded)
    if coded is not None:
        draft.codelists[variable] = coded.codelist


def place_extra(draft: Draft, target: SdtmTarget, context: BuildContext, field_name: str, value: object) -> None:
    """A record field with no variable in this domain: to SUPP-- when the target asks, else warned (W060)."""
    if value is None or field_name in target.supp or draft.record is None:
        return
    context.warn_not_carried(draft.record, target, field_name)


def apply_variables(draft: Draft, spec: DomainSpec, target: SdtmTarget) -> None:
    """The target's `variables`: a qualifier (or record field) into a standard variable of the domain (a boolean
    as Y/N, a coded value as its submission value, a number or date as SDTM writes it). The linter checks that
    the variable is the domain's."""
    record = draft.record
    if record is None:
        return
    for variable, name in target.variables.items():
        value = record.qualifiers[name] if name in record.qualifiers else getattr(record, name, None)
        standard = spec.variable(variable)
        if value is None or standard is None:
            continue
        if isinstance(value, Coded):
            set_coded(draft, variable, value)
        elif standard.type in ("integer", "float") and isinstance(value, (Decimal, int)) \
                and not isinstance(value, bool):
            draft.values[variable] = number(Decimal(value))
        else:
            draft.values[variable] = qualifier_text(value)


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
            continue
    for name, supp in target.supp.items():
        value = record.qualifiers[name] if name in record.qualifiers else getattr(record, name, None)
        text = qualifier_text(value)
        if text is not None:
            draft.supp.append((supp, text))
