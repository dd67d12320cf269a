"""Findings → LB, CP, RS (SDTMIG 3.4 sections 6.3.5 LB, 6.3.4 CP, 6.3.11 RS; Findings class variables).

Results (SDTMIG 4.5.1): --ORRES as collected; --STRESC/--STRESN/--STRESU the same value in the same unit
(crfmap converts no units). A result written with a limit ("<0.01") keeps that text in --ORRES and --STRESC and
leaves --STRESN null; the assay's negativity/quantitation threshold goes to --LLOQ where the domain has it (a
Findings qualifier of SDTM v2.0; SDTMIG 3.4 lists it for none of LB, CP, RS), in the result's unit, else to
SUPP-- when the concept maps `threshold` there.
"""

from __future__ import annotations

from crfmap.model import Finding
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import place_extra, set_coded, start_draft
from crfmap.writers.sdtm.domains.specs import DOMAINS
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import decimal_text, dtc, number, submission_text

LIMIT_SIGNS = ("<", ">", "≤", "≥")
NRIND_CODELIST = "NRIND"  # CDISC code list name of --NRIND


def draft_finding(record: Finding, target: SdtmTarget, context: BuildContext) -> Draft:
    spec = DOMAINS[target.domain]
    prefix = spec.prefix
    draft = start_draft(record, spec, target, context, record.date)
    values = draft.values
    values[f"{prefix}TESTCD"] = submission_text(record.test)
    values[f"{prefix}TEST"] = record.test.display
    draft.codelists[f"{prefix}TESTCD"] = record.test.codelist
    _fill_result(draft, record, target, context, prefix)
    if record.performed is False:
        values[f"{prefix}STAT"] = "NOT DONE"
        values[f"{prefix}REASND"] = record.reason
    else:
        place_extra(draft, target, context, "reason", record.reason)
    set_coded(draft, f"{prefix}SPEC", record.specimen)
    set_coded(draft, f"{prefix}METHOD", record.method)
    values[f"{prefix}EVAL"] = record.evaluator
    _fill_interpretation(draft, record, target, context, prefix)
    values[f"{prefix}DTC"], values["_DTC"] = dtc(record.date), record.date
    return draft


def _fill_result(draft: Draft, record: Finding, target: SdtmTarget, context: BuildContext, prefix: str) -> None:
    values = draft.values
    quantity = record.value_quantity
    if quantity is not None:
        unit = context.unit(quantity.unit, record)
        verbatim = (record.verbatim or "").strip()
        limited = verbatim.startswith(LIMIT_SIGNS)  # "<0.01": a value below a limit, kept as written
        text = verbatim if limited else decimal_text(quantity.value)
        values.update({f"{prefix}ORRES": text, f"{prefix}ORRESU": unit, f"{prefix}STRESC": text,
                       f"{prefix}STRESN": None if limited else number(quantity.value), f"{prefix}STRESU": unit})
        _fill_threshold(draft, record, target, context, prefix, quantity.unit)
    elif record.value_coded is not None:
        set_coded(draft, f"{prefix}ORRES", record.value_coded)
        set_coded(draft, f"{prefix}STRESC", record.value_coded)
        _fill_threshold(draft, record, target, context, prefix, None)
    elif record.value_text is not None:
        values[f"{prefix}ORRES"] = values[f"{prefix}STRESC"] = record.value_text
        _fill_threshold(draft, record, target, context, prefix, None)


def _fill_threshold(draft: Draft, record: Finding, target: SdtmTarget, context: BuildContext, prefix: str,
                    result_unit: str | None) -> None:
    threshold = record.threshold
    if threshold is None:
        return
    has_lloq = DOMAINS[target.domain].variable(f"{prefix}LLOQ") is not None  # LB and CP have none in SDTMIG 3.4
    if has_lloq and result_unit is not None and threshold.unit == result_unit:
        draft.values[f"{prefix}LLOQ"] = number(threshold.value)
    else:  # no --LLOQ, or one in another unit than the result's (it would mislead): SUPP-- or warned
        place_extra(draft, target, context, "threshold", threshold)


def _fill_interpretation(draft: Draft, record: Finding, target: SdtmTarget, context: BuildContext,
                         prefix: str) -> None:
    interpretation = record.interpretation
    if interpretation is None:
        return
    codelist = context.study.codelists.get(interpretation.codelist)
    if codelist is not None and codelist.cdisc is not None and codelist.cdisc.name == NRIND_CODELIST:
        set_coded(draft, f"{prefix}NRIND", interpretation)
    else:
        place_extra(draft, target, context, "interpretation", interpretation)
