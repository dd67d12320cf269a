"""The trial design and subject-level design datasets (TA, TE, TV, TI, SE, SV) as the SDTMIG lists them.

Variables, labels, roles, core and order come from the generated SDTMIG metadata (the catalog's `ig_domain_any`);
origins are set here: TA/TE/TV/TI are the protocol's (Protocol), SE and SV are derived from the data (methods
MT.SE, MT.SV).
"""

from __future__ import annotations

from crfmap.writers.sdtm.domains.catalog import DomainSpec, ig_domain_any

_ORIGINS = {"TA": "P", "TE": "P", "TV": "P", "TI": "P", "SE": "D:MT.SE", "SV": "D:MT.SV"}  # of every other variable
_OWN_ORIGINS = {"STUDYID": "A", "DOMAIN": "A", "USUBJID": "D:MT.USUBJID", "SESEQ": "D:MT.SEQ",
                "SESTDY": "D:MT.DY", "SEENDY": "D:MT.DY", "SVSTDY": "D:MT.DY", "SVENDY": "D:MT.DY"}


def design_spec(name: str, sdtmig: str) -> DomainSpec:
    return ig_domain_any(sdtmig, name)


def design_origins(name: str, variables: list[str]) -> dict[str, str]:
    """Variable → origin code (A, P, D:<method>) of a design dataset's variables."""
    return {variable: _OWN_ORIGINS.get(variable, _ORIGINS[name]) for variable in variables}
