"""Intervention records → any Interventions-class domain (EX, PR and the others of the class, or a custom one).

--TRT is the treatment as the site named it (the verbatim text, else the coded value's own words). --DECOD, where
the domain has it, is the dictionary-derived name: the display of the treatment's RxNorm, ATC or SNOMED CT coding
(verified codes only), never the study's own wording. --OCCUR answers a pre-specified question only (SDTMIG 3.4
section 4.5.7), so --PRESP is Y with it; EX has neither (an exposure record is a dose given).
"""

from __future__ import annotations

from crfmap.model import Intervention
from crfmap.study.systems import CODE_SYSTEMS
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
from crfmap.writers.sdtm.domains.values import flag, number, term_text

CODED_SUFFIXES = (("route", "ROUTE"), ("frequency", "DOSFRQ"), ("body_site", "LOC"))
DICTIONARIES = tuple(CODE_SYSTEMS[name] for name in ("rxnorm", "atc", "snomed"))  # --DECOD sources, in order


def draft_intervention(record: Intervention, spec: DomainSpec, target: SdtmTarget, context: BuildContext) -> Draft:
    prefix = spec.prefix
    draft = start_draft(record, spec, target, context, record.start)
    put_field(draft, spec, target, context, f"{prefix}TRT", "verbatim" if record.verbatim else "treatment",
              record.verbatim or term_text(record.treatment))
    _fill_decoded(draft, spec, record)
    if record.dose is not None:
        put_field(draft, spec, target, context, f"{prefix}DOSE", "dose", number(record.dose.value))
        put(draft, spec, f"{prefix}DOSU", context.unit(record.dose.unit, record), field="dose")
    for field_name, suffix in CODED_SUFFIXES:
        put_coded(draft, spec, target, context, f"{prefix}{suffix}", field_name, getattr(record, field_name))
    put_date(draft, spec, target, context, "STDTC", "start", record.start)
    put_date(draft, spec, target, context, "ENDTC", "end", record.end)
    if record.occurred is not None and spec.has(f"{prefix}OCCUR") and spec.has(f"{prefix}PRESP"):
        put(draft, spec, f"{prefix}PRESP", "Y", origin=ASSIGNED)
        put(draft, spec, f"{prefix}OCCUR", flag(record.occurred), field="occurred")
    else:
        place_extra(draft, target, context, "occurred", record.occurred)
    for name in ("reason", "performer", "sequence_in_subject"):
        place_extra(draft, target, context, name, getattr(record, name))
    return draft


def _fill_decoded(draft: Draft, spec: DomainSpec, record: Intervention) -> None:
    treatment = record.treatment
    if treatment is None:
        return
    coding = next((treatment.coding(system) for system in DICTIONARIES if treatment.coding(system) is not None), None)
    variable = spec.variable(f"{spec.prefix}DECOD")
    if coding is not None and coding.display and variable is not None and not variable.added:  # not EX
        put(draft, spec, f"{spec.prefix}DECOD", coding.display, field="treatment", origin=ASSIGNED)
