"""What a study declares about CDISC Controlled Terminology beyond its code lists: sponsor-defined terms.

    sdtm:
      ct_extensions:                 # CDISC code list (submission short name) → sponsor terms added to it
        DICTNAM: ["ISO 8601"]
        ONCRTSCD: [{value: MRDNEGRM, decode: MRD-Negative Remission}]

Only an extensible code list takes sponsor terms. A value of a study code list linked to an extensible CDISC code
list (`cdisc:` with `extensible: true`) that has no `nci_code` is a declared sponsor term too. Declared terms are
listed in define.xml with def:ExtendedValue="Yes".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SponsorTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(min_length=1, description="The submission value, exactly as written to SDTM")
    decode: str | None = Field(None, description="Its meaning, for define.xml (e.g. the --TEST of a --TESTCD)")


def as_sponsor_term(entry: str | SponsorTerm) -> SponsorTerm:
    return entry if isinstance(entry, SponsorTerm) else SponsorTerm(value=entry, decode=None)
