"""SUPP-- datasets from the drafts' qualifiers (SDTMIG 3.4 section 8.4).

IDVAR/IDVARVAL point at the parent record by --SEQ; for DM (one record per subject) they stay null.
"""

from __future__ import annotations

from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.frame import make_dataset
from crfmap.writers.sdtm.domains.specs import DomainSpec, supp_spec


def build_supplemental(parent: DomainSpec, drafts: list[Draft], context: BuildContext) -> Dataset | None:
    """SUPP<domain> for numbered drafts of `parent`, or None when none has a qualifier."""
    spec = supp_spec(parent.name)
    rows = []
    for draft in drafts:
        for (target, text), cells in zip(draft.supp, draft.supp_sources, strict=True):
            row = _supp_draft(parent, draft, target.qnam, target.qlabel, text, target.origin, target.evaluator,
                              context)
            if cells:
                row.origins["QVAL"] = cells
            rows.append(row)
    if not rows:
        return None
    rows.sort(key=lambda row: (row.values["USUBJID"], _sequence(row.values["IDVARVAL"]), row.values["QNAM"]))
    return make_dataset(spec, rows, context)


def _supp_draft(parent: DomainSpec, draft: Draft, qnam: str, qlabel: str, text: str, origin: str,
                evaluator: str | None, context: BuildContext) -> Draft:
    sequence = None if parent.name == "DM" else draft.values[f"{parent.prefix}SEQ"]
    values = {"STUDYID": context.study_id, "RDOMAIN": parent.name, "USUBJID": draft.values["USUBJID"],
              "IDVAR": None if sequence is None else f"{parent.prefix}SEQ",
              "IDVARVAL": None if sequence is None else str(sequence),
              "QNAM": qnam, "QLABEL": qlabel, "QVAL": text, "QORIG": origin, "QEVAL": evaluator}
    return Draft(values=values, record=draft.record, sort_date=None)


def _sequence(text: str | None) -> int:
    return int(text) if text else 0
