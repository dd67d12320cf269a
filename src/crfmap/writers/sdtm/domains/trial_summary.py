"""TS (SDTMIG 3.4 section 7.6.1): study-level facts from study.yaml and the data, TS rules here.

Derived parameters: TITLE, SPONSOR, TPHASE (study.yaml `phase`), SDTMVER, SDTIGVER, DCUTDTC, FCNTRY, NARMS, ACTSUB
(subjects in DM) and SSTDTC (the earliest informed consent, DM.RFICDTC; without one, the earliest start of a
subject's first element in SE, else the earliest RFSTDTC: MT.SSTDTC). Entries in study.yaml `sdtm.ts` add
parameters and replace derived ones of the same TSPARMCD. TSSEQ numbers the values of one TSPARMCD.

TSPARM is the CDISC name of the TSPARMCD (CT code lists TSPARMCD/TSPARM, same C-code). A value from a CDISC
response code list (TPHASE, STYPE, NY …: controlled_terms.bindings.TS_RESPONSES) gets its C-code in TSVALCD,
TSVCDREF "CDISC CT" and TSVCDVER the study's CT release, unless the study gives them.
"""

from __future__ import annotations

from collections.abc import Mapping

from crfmap.standards import StandardNotAvailable, load_sdtm_ct
from crfmap.writers.sdtm.controlled_terms.bindings import TS_RESPONSES
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.catalog import TSVAL_PARTS, trial_summary_spec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.frame import make_dataset
from crfmap.writers.sdtm.domains.targets import TrialSummaryEntry
from crfmap.writers.sdtm.domains.ts_parameters import PARAMETERS
from crfmap.writers.sdtm.trial_design.parameters import parameter_name

CDISC_CT = "CDISC CT"  # DICTNAM C163415: CDISC Controlled Terminology
ISO_3166 = "ISO 3166"  # DICTNAM C209537
ISO_8601 = "ISO 8601"  # not in DICTNAM: a study that writes it declares it under sdtm.ct_extensions


def derive_parameters(context: BuildContext, dm_rows: list[Mapping[str, object]],
                      special: list[Dataset]) -> list[TrialSummaryEntry]:
    study = context.study.study
    candidates = [
        ("TITLE", study.title, None, None), ("SPONSOR", study.sponsor, None, None),
        ("TPHASE", study.phase, None, None),
        ("SDTMVER", study.standards.sdtm, None, None), ("SDTIGVER", study.standards.sdtmig, None, None),
        ("DCUTDTC", study.data_cutoff, None, ISO_8601),
        ("FCNTRY", study.country, study.country, ISO_3166),
        ("NARMS", str(len(study.arms)) if study.arms else None, None, None),
        ("ACTSUB", str(len(dm_rows)), None, None),
        ("SSTDTC", study_start(dm_rows, special), None, ISO_8601),
    ]
    return [TrialSummaryEntry(parmcd=code, parm=None, value=value, code=value_code, code_system=system)
            for code, value, value_code, system in candidates if value]


def study_start(dm_rows: list[Mapping[str, object]], special: list[Dataset]) -> str | None:
    """SSTDTC: the earliest informed consent; else the earliest first-element start (SE); else RFSTDTC."""
    consents = [value for row in dm_rows if isinstance(value := row.get("RFICDTC"), str)]
    if consents:
        return min(consents)
    se = next((dataset for dataset in special if dataset.name == "SE"), None)
    starts = [value for row in se.rows if isinstance(value := row.get("SESTDTC"), str)] if se else []
    if starts:
        return min(starts)[:10]
    references = [value for row in dm_rows if isinstance(value := row.get("RFSTDTC"), str)]
    return min(references)[:10] if references else None


def build_trial_summary(context: BuildContext, dm_rows: list[Mapping[str, object]],
                        special: list[Dataset] | None = None) -> Dataset:
    entries = {entry.parmcd: [entry] for entry in derive_parameters(context, dm_rows, special or [])}
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
    if "SSTDTC" not in given and "SSTDTC" in entries:
        context.methods.add("MT.SSTDTC")
    return make_dataset(trial_summary_spec(context.catalog.sdtmig), drafts, context)  # study-level: no input cells


TSVAL_WIDTH = 200  # the XPT v5 text limit


def _row(entry: TrialSummaryEntry, sequence: int, context: BuildContext) -> dict[str, object]:
    ct_version = context.study.study.standards.ct
    row: dict[str, object] = {
        "STUDYID": context.study_id, "DOMAIN": "TS", "TSSEQ": sequence, "TSGRPID": entry.group,
        "TSPARMCD": entry.parmcd,
        "TSPARM": entry.parm or parameter_name(entry.parmcd, ct_version) or PARAMETERS.get(entry.parmcd),
        "TSVALNF": entry.null_flavor, "TSVALCD": entry.code, "TSVCDREF": entry.code_system,
        "TSVCDVER": entry.code_version}
    if entry.code is None and entry.value is not None:
        code = _response_code(entry.parmcd, entry.value, ct_version)
        if code is not None:
            row.update(TSVALCD=code, TSVCDREF=CDISC_CT, TSVCDVER=ct_version)
    for index, part in enumerate(split_tsval(entry.value)):
        row["TSVAL" if index == 0 else f"TSVAL{index}"] = part
    return row


def _response_code(parmcd: str, value: str, ct_version: str) -> str | None:
    """The C-code of a TS value from the parameter's CDISC response code list, when it is a term of it."""
    name = TS_RESPONSES.get(parmcd)
    if name is None:
        return None
    try:
        term = load_sdtm_ct(ct_version).codelist_named(name).term(value)
    except (StandardNotAvailable, KeyError):
        return None
    return term.code if term is not None else None


def split_tsval(value: str | None) -> list[str | None]:
    """SDTMIG 3.4 TS assumption: text over 200 characters continues in TSVAL1 … TSVALn, split between words.

    The space a split falls on ends the part before it and starts none (FDA FB1501: no leading spaces; XPT drops
    trailing ones), so the parts join back with one space. Text beyond the last declared part stays in it, so the
    XPT limit check reports it rather than losing it.
    """
    if value is None or len(value) <= TSVAL_WIDTH:
        return [value]
    parts: list[str | None] = []
    rest = value
    while rest and len(parts) < TSVAL_PARTS - 1:
        if len(rest) <= TSVAL_WIDTH:
            break
        cut = rest.rfind(" ", 1, TSVAL_WIDTH + 1)
        if cut > 0:
            parts.append(rest[:cut].rstrip(" "))
            rest = rest[cut:].lstrip(" ")
        else:  # one word longer than a part: cut inside it
            parts.append(rest[:TSVAL_WIDTH])
            rest = rest[TSVAL_WIDTH:]
    parts.append(rest)
    return parts
