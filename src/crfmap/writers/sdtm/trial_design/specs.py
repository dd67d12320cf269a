"""The trial design and subject-level design datasets (TA, TE, TV, TI, SE, Subject Visits) as the SDTMIG lists them.

Variables, labels, roles, core and order come from the generated SDTMIG metadata (the catalog's `ig_domain_any`);
origins are set here: TA/TE/TV/TI are the protocol's (Protocol), SE and Subject Visits are derived from the data
(methods MT.SE, MT.VISITS).
"""

from __future__ import annotations

from crfmap.writers.sdtm.domains.catalog import DomainSpec, ig_domain_any

_ORIGINS = {"TA": "P", "TE": "P", "TV": "P", "TI": "P", "SE": "D:MT.SE"}  # of every other variable (else MT.VISITS)
_OWN_ORIGINS = {"STUDYID": "A", "DOMAIN": "A", "USUBJID": "D:MT.USUBJID", "SESEQ": "D:MT.SEQ"}
_DAYS = ("STDY", "ENDY")  # study days of SE and Subject Visits: MT.DY


def design_spec(name: str, sdtmig: str) -> DomainSpec:
    return ig_domain_any(sdtmig, name)


def design_origins(name: str, variables: list[str]) -> dict[str, str]:
    """Variable → origin code (A, P, D:<method>) of a design dataset's variables."""
    return {variable: _OWN_ORIGINS.get(variable) or ("D:MT.DY" if variable[2:] in _DAYS else None)
            or _ORIGINS.get(name, "D:MT.VISITS") for variable in variables}
