"""What define.xml needs beyond the Datasets: study identity, standards, code lists, methods, comments.

The API fills this from study.yaml (identity, standards versions, CT package date, data cut-off) and the
study's code lists (the terms actually used, with their CDISC submission values and NCI C-codes). It is pure
data, so that a test can build one in a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class CodeListTerm:
    """One term: the value in the data, its NCI C-code (CDISC CT) and, for code/decode lists, its decode."""

    submission_value: str
    c_code: str | None = None
    decode: str | None = None
    extended: bool = False  # a sponsor value added to an extensible CDISC code list (def:ExtendedValue)


@dataclass(frozen=True, slots=True)
class DefineCodeList:
    """A code list used by at least one variable (Variable.codelist == id)."""

    id: str  # CodeList OID is CL.<id>
    name: str
    terms: tuple[CodeListTerm, ...]
    c_code: str | None = None  # the CDISC code list's own C-code (e.g. C66731 for SEX)
    data_type: Literal["text", "integer", "float"] = "text"
    sponsor_defined: bool = False  # not from CDISC CT: def:IsNonStandard="Yes", no def:StandardOID


@dataclass(frozen=True, slots=True)
class DefineMethod:
    """A derivation (MethodDef), referenced by Variable.method."""

    oid: str  # "MT.SEQ"
    name: str
    description: str
    type: Literal["Computation", "Imputation"] = "Computation"


# Derivations every SDTM study has; a study may override any of them by declaring its own with the same OID.
STANDARD_METHODS = (
    DefineMethod("MT.SEQ", "Algorithm to derive --SEQ",
                 "Sequence number: 1, 2, 3 … within each USUBJID, in the order of the dataset's key variables."),
    DefineMethod("MT.DY", "Algorithm to derive --DY",
                 "Study day: date of the observation minus RFSTDTC, plus 1 when on or after RFSTDTC (there is no "
                 "day 0); empty when either date is incomplete."),
    DefineMethod("MT.AGE", "Algorithm to derive AGE",
                 "Age in completed AGEU at RFSTDTC, from BRTHDTC; as collected when only the age was recorded."),
)


@dataclass(frozen=True, slots=True)
class DefineMetadata:
    """Study-level content of define.xml. `creation_datetime` is fixed by the caller (no wall clock)."""

    study_oid: str
    study_name: str
    study_description: str
    protocol_name: str
    metadata_version_oid: str
    metadata_version_name: str
    creation_datetime: str  # ISO 8601, e.g. "2024-03-31T00:00:00" (the data cut-off)
    ct_version: str  # CDISC/NCI SDTM CT package date, e.g. "2024-09-27"
    sdtmig_version: str = "3.4"
    file_oid: str | None = None  # default: "<study_oid>.define"
    originator: str | None = None
    source_system: tuple[str, str] | None = None  # (name, version)
    codelists: tuple[DefineCodeList, ...] = ()
    methods: tuple[DefineMethod, ...] = ()
    dataset_comments: dict[str, str] = field(default_factory=dict)  # dataset name → comment (def:CommentDef)
    annotated_crf: str | None = None  # file name of the annotated CRF, e.g. "acrf.pdf", when Origin pages are given
