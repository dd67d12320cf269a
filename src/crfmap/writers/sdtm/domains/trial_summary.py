"""TS (SDTMIG 3.4 section 7.6.1): study-level facts from study.yaml, TS rules here.

Derived parameters (from study.yaml): TITLE, SPONSOR, TPHASE, SDTMVER, SDTIGVER, DCUTDTC, FCNTRY, NARMS and
ACTSUB (subjects in DM). Entries in study.yaml `sdtm.ts` add parameters and replace derived ones of the same
TSPARMCD. TSSEQ numbers the values of one TSPARMCD.
"""

from __future__ import annotations

from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.catalog import TSVAL_PARTS, trial_summary_spec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.frame import make_dataset
from crfmap.writers.sdtm.domains.targets import TrialSummaryEntry
from crfmap.writers.sdtm.domains.ts_parameters import PARAMETERS


def derive_parameters(context: BuildContext, subject_count: int) -> list[TrialSummaryEntry]:
    study = context.study.study
    candidates = [
        ("TITLE", study.title, None, None), ("SPONSOR", study.sponsor, None, None),
        ("TPHASE", study.phase, None, None),
        ("SDTMVER", study.standards.sdtm, None, None), ("SDTIGVER", study.standards.sdtmig, None, None),
        ("DCUTDTC", study.data_cutoff, None, "ISO 8601"),
        ("FCNTRY", study.country, study.country, "ISO 3166-1 alpha-3"),
        ("NARMS", str(len(study.arms)) if study.arms else None, None, None),
        ("ACTSUB", str(subject_count), None, None),
    ]
    return [TrialSummaryEntry(parmcd=code, parm=None, value=value, code=value_code, code_system=system)
            for code, value, value_code, system in candidates if value]


def build_trial_summary(context: BuildContext, subject_count: int) -> Dataset:
    entries = {entry.parmcd: [entry] for entry in derive_parameters(context, subject_count)}
    given: dict[str, list[TrialSummaryEntry]] = {}
    for entry in context.settings.ts:
        given.setdefault(entry.parmcd, []).append(entry)
    entries.update(given)
    drafts = []
    for code in sorted(entries):
        for sequence, entry in enumerate(entries[code], start=1):
            draft = Draft(values=_row(entry, sequence, context), record=None, sort_date=None)
            draft.origins.update({"STUDYID": "A", "DOMAIN": "A", "TSSEQ": "D:MT.SEQ"})
            draft.origins.update({name: "P" for name in draft.values if name.startswith("TS") and name != "TSSEQ"})
            drafts.append(draft)
    return make_dataset(trial_summary_spec(context.catalog.sdtmig), drafts, context)  # study-level: no input cells



TSVAL_WIDTH = 200  # the XPT v5 text limit


def _row(entry: TrialSummaryEntry, sequence: int, context: BuildContext) -> dict[str, object]:
    row: dict[str, object] = {
        "STUDYID": context.study_id, "DOMAIN": "TS", "TSSEQ": sequence, "TSGRPID": entry.group,
        "TSPARMCD": entry.parmcd, "TSPARM": entry.parm or PARAMETERS.get(entry.parmcd),
        "TSVALNF": entry.null_flavor, "TSVALCD": entry.code, "TSVCDREF": entry.code_system,
        "TSVCDVER": entry.code_version}
    for index, part in enumerate(split_tsval(entry.value)):
        row["TSVAL" if index == 0 else f"TSVAL{index}"] = part
    return row


def split_tsval(value: str | None) -> list[str | None]:
    """SDTMIG 3.4 TS assumption: text over 200 characters continues in TSVAL1 … TSVALn, split between words.

    Text beyond the last declared part stays in it, so the XPT limit check reports it rather than losing it.
    """
    if value is None or len(value) <= TSVAL_WIDTH:
        return [value]
    parts: list[str | None] = []
    rest = value
    while rest and len(parts) < TSVAL_PARTS - 1:
        if len(rest) <= TSVAL_WIDTH:
            break
        cut = rest.rfind(" ", 1, TSVAL_WIDTH + 1)
        cut = cut if cut > 0 else TSVAL_WIDTH
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts
