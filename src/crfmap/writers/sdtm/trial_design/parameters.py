"""Trial Summary parameters: which ones FDA expects, which crfmap derives, and their CDISC names.

FDA_EXPECTED is the parameter set of CDISC's SDTM-MSG v2.0 TS (the CDISC example written to FDA's expectations;
../shared/public-data/sdtm/msg-v2-cdiscpilot01/ts.json) without its study-specific RANDQT and OUTMSPRI repeats,
plus SSTDTC, which FDA's Technical Rejection Criteria (rule 1734) require. A study declares the ones crfmap cannot
derive in study.yaml `sdtm.ts`, with a value or a null flavor (TSVALNF).
"""

from __future__ import annotations

from crfmap.standards import StandardNotAvailable, load_sdtm_ct
from crfmap.study.models import StudyMapping

FDA_EXPECTED = (
    "ACTSUB", "ADAPT", "ADDON", "AGEMAX", "AGEMIN", "DCUTDESC", "DCUTDTC", "DOSE", "DOSFRM", "DOSFRQ", "DOSU",
    "FCNTRY", "HLTSUBJI", "INDIC", "INTMODEL", "INTTYPE", "LENGTH", "NARMS", "OBJPRIM", "OUTMSPRI", "PCLAS",
    "PLANSUB", "RANDOM", "REGID", "ROUTE", "SDTIGVER", "SDTMVER", "SENDTC", "SEXPOP", "SPONSOR", "SSTDTC",
    "STOPRULE", "STYPE", "TBLIND", "TCNTRL", "TDIGRP", "TINDTP", "TITLE", "TPHASE", "TRT", "TTYPE",
)
TSPARMCD_CODELIST = "C66738"
TSPARM_CODELIST = "C67152"


def derived_parameters(study: StudyMapping) -> frozenset[str]:
    """The parameters crfmap writes from study.yaml and the data when the study does not declare them."""
    meta = study.study
    derived = {"TITLE", "SDTMVER", "SDTIGVER", "ACTSUB", "SSTDTC"}
    for code, present in (("SPONSOR", meta.sponsor), ("TPHASE", meta.phase), ("DCUTDTC", meta.data_cutoff),
                          ("FCNTRY", meta.country), ("NARMS", meta.arms)):
        if present:
            derived.add(code)
    return frozenset(derived)


def parameter_name(code: str, ct_version: str) -> str | None:
    """TSPARM of a TSPARMCD: the CDISC TSPARM term with the TSPARMCD term's C-code, in the study's CT release."""
    try:
        release = load_sdtm_ct(ct_version)
    except StandardNotAvailable:
        return None
    term = release.codelist(TSPARMCD_CODELIST).term(code)
    if term is None:
        return None
    return next((name.submission_value for name in release.codelist(TSPARM_CODELIST) if name.code == term.code), None)
