"""SUPP-- datasets from the drafts' qualifiers (SDTMIG 3.4 section 8.4).

IDVAR/IDVARVAL point at the parent record by --SEQ; for DM (one record per subject) they stay null.
"""

from __future__ import annotations

from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft


def supplemental_drafts(parent: DomainSpec, drafts: list[Draft], context: BuildContext) -> list[Draft]:
    """The SUPP<domain> rows of numbered drafts of `parent` (the whole domain's or one subject's), in the
    dataset's order. IDVAR is --SEQ; a parent without --SEQ (DM one record per subject; Subject Visits keyed by
    VISITNUM) is identified as SDTMIG 8.4.1 says."""
    rows = []
    for draft in drafts:
        for (target, text), cells in zip(draft.supp, draft.supp_sources, strict=True):
            row = _supp_draft(parent, draft, target.qnam, target.qlabel, text, target.origin, target.evaluator,
                              context)
            if cells:
                row.value_cells["QVAL"] = cells
            rows.append(row)
    rows.sort(key=lambda row: (row.values["USUBJID"], _sequence(row.values["IDVARVAL"]), row.values["QNAM"]))
    return rows


def _supp_draft(parent: DomainSpec, draft: Draft, qnam: str, qlabel: str, text: str, origin: str,
                evaluator: str | None, context: BuildContext) -> Draft:
    idvar = next((name for name in (f"{parent.prefix}SEQ", "VISITNUM") if parent.name != "DM" and parent.has(name)),
                 None)
    sequence = None if idvar is None else draft.values.get(idvar)
    values = {"STUDYID": context.study_id, "RDOMAIN": parent.name, "USUBJID": draft.values["USUBJID"],
              "IDVAR": None if sequence is None else idvar,
              "IDVARVAL": None if sequence is None else str(sequence),
              "QNAM": qnam, "QLABEL": qlabel, "QVAL": text, "QORIG": origin, "QEVAL": evaluator}
    supp = Draft(values=values, record=draft.record, sort_date=None)
    supp.origins.update(dict.fromkeys(("STUDYID", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QORIG",
                                       "QEVAL"), "A"))
    supp.origins["USUBJID"] = "D:MT.USUBJID"
    return supp


def _sequence(text: str | None) -> float:
    return float(text) if text else 0
