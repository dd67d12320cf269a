"""Event records → any Events-class domain (AE, MH, DS, CE, HO, DV … or a custom one), by the class's variables.

--TERM is the reported term (the site's words, else the coded display). --DECOD follows the coding: a MedDRA
coding gives its preferred term (assigned by the coder) and --PTCD; where the IG controls --DECOD by CDISC CT
(DSDECOD: NCOMPLT, OTHEVENT …) the coded value's submission value goes there; otherwise (MHDECOD, CEDECOD are
dictionary terms) a study's own code list value is no --DECOD, and --TERM carries it. Every other field goes to the variable of the same meaning when the domain has it (SDTMIG 3.4 section
6.2; SDTM v2.0 Events class), else to SUPP-- or a W060 warning.
"""

from __future__ import annotations

from crfmap.model import Event
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import (
    ASSIGNED,
    place_extra,
    put,
    put_coded,
    put_date,
    put_field,
    start_draft,
)
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import flag, meddra_code, meddra_coding, term_text

# Canonical field → Events-class variable suffix, for fields that are CT-coded in SDTM.
CODED_SUFFIXES = (("grade", "TOXGR"), ("relation", "REL"), ("action", "ACN"), ("outcome", "OUT"),
                  ("body_site", "LOC"))


def draft_event(record: Event, spec: DomainSpec, target: SdtmTarget, context: BuildContext) -> Draft:
    draft = start_draft(record, spec, target, context, record.start)
    prefix = spec.prefix
    put_field(draft, spec, target, context, f"{prefix}TERM", "term" if record.term else "decoded",
              record.term or term_text(record.decoded))
    _fill_decoded(draft, spec, target, context, record)
    for field_name, suffix in CODED_SUFFIXES:
        put_coded(draft, spec, target, context, f"{prefix}{suffix}", field_name, getattr(record, field_name))
    put_field(draft, spec, target, context, f"{prefix}SER", "serious", flag(record.serious))
    put_date(draft, spec, target, context, "STDTC", "start", record.start)
    put_date(draft, spec, target, context, "ENDTC", "end", record.end)
    _fill_ongoing(draft, spec, target, context, record)
    place_extra(draft, target, context, "status", record.status)
    return draft


def _fill_decoded(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, record: Event) -> None:
    decoded = record.decoded
    if decoded is None:
        return
    prefix = spec.prefix
    coding = meddra_coding(decoded)
    if coding is not None:
        if not put(draft, spec, f"{prefix}DECOD", coding.display, field="decoded", origin=ASSIGNED):
            place_extra(draft, target, context, "decoded", decoded)
        put(draft, spec, f"{prefix}PTCD", meddra_code(coding), field="decoded", origin=ASSIGNED)
    elif (variable := spec.variable(f"{prefix}DECOD")) is not None and variable.codelists:
        put_coded(draft, spec, target, context, f"{prefix}DECOD", "decoded", decoded)  # CT-controlled: DSDECOD
    elif record.term:  # the coded term adds to the reported one, and SDTM has no place for it here
        place_extra(draft, target, context, "decoded", decoded)


def _fill_ongoing(draft: Draft, spec: DomainSpec, target: SdtmTarget, context: BuildContext, record: Event) -> None:
    if not record.ongoing:
        return
    prefix = spec.prefix
    if target.end_reference and spec.has(f"{prefix}ENRTPT") and spec.has(f"{prefix}ENTPT"):
        put(draft, spec, f"{prefix}ENRTPT", "ONGOING", field="ongoing")
        put(draft, spec, f"{prefix}ENTPT", target.end_reference, origin=ASSIGNED)
    else:
        place_extra(draft, target, context, "ongoing", record.ongoing)
