"""Interventions → EX, PR, CM (SDTMIG 3.4 sections 6.1.4 EX, 6.1.6 PR, 6.1.2 CM)."""

from __future__ import annotations

from crfmap.model import Intervention
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import place_extra, set_coded, start_draft
from crfmap.writers.sdtm.domains.specs import DOMAINS
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import dtc, flag, number, term_text


def draft_intervention(record: Intervention, target: SdtmTarget, context: BuildContext) -> Draft:
    spec = DOMAINS[target.domain]
    prefix = spec.prefix
    draft = start_draft(record, spec, target, context, record.start)
    values = draft.values
    values[f"{prefix}TRT"] = record.verbatim or term_text(record.treatment)
    if record.dose is not None:
        values[f"{prefix}DOSE"] = number(record.dose.value)
        values[f"{prefix}DOSU"] = context.unit(record.dose.unit, record)
    set_coded(draft, f"{prefix}DOSFRQ", record.frequency)
    set_coded(draft, f"{prefix}ROUTE", record.route)
    set_coded(draft, f"{prefix}LOC", record.body_site)
    values[f"{prefix}STDTC"], values["_STDTC"] = dtc(record.start), record.start
    values[f"{prefix}ENDTC"], values["_ENDTC"] = dtc(record.end), record.end
    if record.occurred is not None and spec.name != "EX":
        # --OCCUR only answers a pre-specified question (SDTMIG 4.5.7), so --PRESP is Y with it.
        values[f"{prefix}PRESP"], values[f"{prefix}OCCUR"] = "Y", flag(record.occurred)
    else:
        place_extra(draft, target, context, "occurred", record.occurred)
    for name in ("reason", "performer", "sequence_in_subject"):
        place_extra(draft, target, context, name, getattr(record, name))
    return draft
