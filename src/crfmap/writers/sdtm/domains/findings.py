"""Finding records → any Findings or Findings About domain (LB, CP, RS, FA and the others of the classes, or a custom one).

--ORRES/--ORRESU hold the result as collected (SDTMIG 4.5.1); --STRESC/--STRESN/--STRESU are derived from it
by the `standard_result` derivation (derivations.py), in a declared standard unit when the concept asks for one.
A result written with a limit ("<0.01") keeps that text in --ORRES and leaves --STRESN null; the assay's
threshold goes to --LLOQ in the result's unit (a Findings class qualifier of SDTM v2.0, added to a domain that
does not list it, SDTMIG 3.4 section 2.6).
"""

from __future__ import annotations

from crfmap.model import Finding
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import place_extra, put, put_coded, put_date, put_field, start_draft
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import decimal_text, number, submission_text

LIMIT_SIGNS = ("<", ">", "≤", "≥")
NRIND_CODELIST = "NRIND"  # CDISC code list name of --NRIND
RESULT = "_RESULT"  # the collected result, for the standard_result derivation


def draft_finding(record: Finding, spec: DomainSpec, target: SdtmTarget, context: BuildContext) -> Draft:
    prefix = spec.prefix
    draft = start_draft(record, spec, target, context, record.date)
    put(draft, spec, f"{prefix}TESTCD", submission_text(record.test), field="test")
    put(draft, spec, f"{prefix}TEST", record.test.display, field="test")
    draft.codelists[f"{prefix}TESTCD"] = record.test.codelist
    put_field(draft, spec, target, context, f"{prefix}OBJ", "object", record.object)
    _fill_result(draft, spec, target, context, record)
    if record.performed is False:
        put(draft, spec, f"{prefix}STAT", "NOT DONE", field="performed")
        put_field(draft, spec, target, context, f"{prefix}REASND", "reason", record.reason)
    else:
        place_extra(draft, target, context, "reason", record.reason)
    put_coded(draft, spec, target, context, f"{prefix}SPEC", "specimen", record.specimen)
    put_coded(draft, spec, target, context, f"{prefix}METHOD", "method", record.method)
    put_field(draft, spec, target, context, f"{prefix}EVAL", "evaluator", record.evaluator)
    _fill_interpretation(draft, spec, target, context, record)
    put_date(draft, spec, target, context, "DTC", "date", record.date)
    return draft


def _fill_result(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, record: Finding) -> None:
    prefix = spec.prefix
    quantity = record.value_quantity
    if quantity is not None:
        collected = quantity.as_collected or quantity
        verbatim = (record.verbatim or "").strip()
        limited = verbatim.startswith(LIMIT_SIGNS)  # "<0.01": a value below a limit, kept as written
        put_field(draft, spec, target, context, f"{prefix}ORRES", "value_quantity",
                  verbatim if limited else decimal_text(collected.value))
        put(draft, spec, f"{prefix}ORRESU", context.unit(collected.unit, record), field="value_quantity")
        draft.values[RESULT] = (quantity, verbatim if limited else None)
        _fill_threshold(draft, spec, target, context, record, quantity.unit)
    elif record.value_coded is not None:
        put_coded(draft, spec, target, context, f"{prefix}ORRES", "value_coded", record.value_coded)
        draft.values[RESULT] = (record.value_coded, None)
        _fill_threshold(draft, spec, target, context, record, None)
    elif record.value_text is not None:
        put_field(draft, spec, target, context, f"{prefix}ORRES", "value_text", record.value_text)
        draft.values[RESULT] = (record.value_text, None)
        _fill_threshold(draft, spec, target, context, record, None)


def _fill_threshold(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, record: Finding,
                    result_unit: str | None) -> None:
    threshold = record.threshold
    if threshold is None:
        return
    # --LLOQ is in the unit of the result; a threshold in another unit (or with no numeric result) would mislead
    if result_unit is None or threshold.unit != result_unit or not put(
            draft, spec, f"{spec.prefix}LLOQ", number(threshold.value), field="threshold"):
        place_extra(draft, target, context, "threshold", threshold)


def _fill_interpretation(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext,
                         record: Finding) -> None:
    interpretation = record.interpretation
    if interpretation is None:
        return
    codelist = context.study.codelists.get(interpretation.codelist)
    if codelist is not None and codelist.cdisc is not None and codelist.cdisc.name == NRIND_CODELIST:
        put_coded(draft, spec, target, context, f"{spec.prefix}NRIND", "interpretation", interpretation)
    else:
        place_extra(draft, target, context, "interpretation", interpretation)
