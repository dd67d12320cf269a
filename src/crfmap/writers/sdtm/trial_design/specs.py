"""The trial design and subject-level design datasets (TA, TE, TV, TI, SE, SV) as the SDTMIG lists them.

Variables, labels, roles, core and order come from the generated SDTMIG metadata (`align_with_ig`); origins are
set here: TA/TE/TV/TI are the protocol's (Protocol), SE and SV are derived from the data (methods MT.SE, MT.SV).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from crfmap.standards import load_sdtmig
from crfmap.writers.sdtm.domains.specs import SDTMIG_VERSION, DomainSpec, align_with_ig

_DESIGN = {  # name → (class, keys, origin of every variable but STUDYID/DOMAIN/USUBJID)
    "TA": ("TRIAL DESIGN", "STUDYID ARMCD TAETORD", "P"),
    "TE": ("TRIAL DESIGN", "STUDYID ETCD", "P"),
    "TV": ("TRIAL DESIGN", "STUDYID VISITNUM ARMCD", "P"),
    "TI": ("TRIAL DESIGN", "STUDYID IETESTCD", "P"),
    "SE": ("SPECIAL PURPOSE", "STUDYID USUBJID ETCD SESTDTC", "D:MT.SE"),
    "SV": ("SPECIAL PURPOSE", "STUDYID USUBJID VISITNUM", "D:MT.SV"),
}
_OWN_ORIGINS = {"STUDYID": "A", "DOMAIN": "A", "USUBJID": "D:MT.USUBJID", "SESEQ": "D:MT.SEQ",
                "SESTDY": "D:MT.DY", "SEENDY": "D:MT.DY", "SVSTDY": "D:MT.DY", "SVENDY": "D:MT.DY"}


@cache
def design_spec(name: str) -> DomainSpec:
    klass, keys, origin = _DESIGN[name]
    aligned = align_with_ig(DomainSpec(name, name, klass, "", tuple(keys.split()), ()))
    structure = load_sdtmig(SDTMIG_VERSION).domain(name).structure or ""
    variables = tuple(replace(variable, origin=_OWN_ORIGINS.get(variable.name, origin))
                      for variable in aligned.variables)
    return replace(aligned, structure=structure, variables=variables)
