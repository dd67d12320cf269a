"""Events → AE, MH, DS (SDTMIG 3.4 sections 6.2.1 AE, 6.2.4 MH, 6.2.2 DS)."""

from __future__ import annotations

from crfmap.model import Event
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import place_extra, set_coded, start_draft
from crfmap.writers.sdtm.domains.specs import DOMAINS
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import dtc, flag, meddra_code, meddra_coding, submission_text, term_text


def draft_event(record: Event, target: SdtmTarget, context: BuildContext) -> Draft:
    spec = DOMAINS[target.domain]
    draft = start_draft(record, spec, target, context, record.start)
    {"AE": _fill_ae, "MH": _fill_mh, "DS": _fill_ds}[spec.name](draft, record, target, context)
    return draft


def _fill_timing(draft: Draft, record: Event, target: SdtmTarget, context: BuildContext, prefix: str,
                 with_end: bool = True) -> None:
    draft.values[f"{prefix}STDTC"] = dtc(record.start)
    draft.values["_STDTC"] = record.start
    if with_end:
        draft.values[f"{prefix}ENDTC"] = dtc(record.end)
        draft.values["_ENDTC"] = record.end
        if record.ongoing and target.end_reference:
            draft.values[f"{prefix}ENRTPT"] = "ONGOING"
            draft.values[f"{prefix}ENTPT"] = target.end_reference
        elif record.ongoing:
            place_extra(draft, target, context, "ongoing", record.ongoing)
    else:
        place_extra(draft, target, context, "end", record.end)
        place_extra(draft, target, context, "ongoing", record.ongoing)


def _fill_ae(draft: Draft, record: Event, target: SdtmTarget, context: BuildContext) -> None:
    values = draft.values
    coding = meddra_coding(record.decoded)
    values["AETERM"] = record.term or term_text(record.decoded)
    values["AEDECOD"] = coding.display if coding else None
    values["AEPTCD"] = meddra_code(coding)
    values["AELOC"] = submission_text(record.body_site)
    values["AESER"] = flag(record.serious)
    set_coded(draft, "AEREL", record.relation)
    set_coded(draft, "AEACN", record.action)
    set_coded(draft, "AEOUT", record.outcome)
    set_coded(draft, "AETOXGR", record.grade)
    _fill_timing(draft, record, target, context, "AE")
    place_extra(draft, target, context, "status", record.status)


def _fill_mh(draft: Draft, record: Event, target: SdtmTarget, context: BuildContext) -> None:
    coding = meddra_coding(record.decoded)
    draft.values["MHTERM"] = record.term or term_text(record.decoded)
    draft.values["MHDECOD"] = coding.display if coding else None
    draft.values["MHLOC"] = submission_text(record.body_site)
    _fill_timing(draft, record, target, context, "MH")
    for name in ("grade", "serious", "relation", "action", "outcome", "status"):
        place_extra(draft, target, context, name, getattr(record, name))


def _fill_ds(draft: Draft, record: Event, target: SdtmTarget, context: BuildContext) -> None:
    draft.values["DSTERM"] = record.term or term_text(record.decoded)
    set_coded(draft, "DSDECOD", record.decoded)
    _fill_timing(draft, record, target, context, "DS", with_end=False)
    for name in ("grade", "serious", "relation", "action", "outcome", "status", "body_site"):
        place_extra(draft, target, context, name, getattr(record, name))
