"""What define.xml needs beyond the Datasets: study identity, standards, code lists, methods, comments.

The API fills this from study.yaml (identity, standards versions, CT package date, data cut-off) and the
study's code lists (the terms actually used, with their CDISC submission values and NCI C-codes). It is pure
data, so that a test can build one in a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crfmap.writers.sdtm.dataset import DataType, Origin


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
class ValueItem:
    """Value-level metadata (an ItemDef with a WhereClauseDef): `dataset.variable` where `where_variable` equals
    `where_value`, e.g. LB.LBORRES where LBTESTCD = BLASTLE."""

    dataset: str
    variable: str
    where_variable: str
    where_value: str
    label: str
    data_type: DataType
    length: int | None = None
    significant_digits: int | None = None
    codelist: str | None = None  # id of a DefineCodeList
    origin: Origin | None = None
    method: str | None = None
    comment: str | None = None

    @property
    def oid(self) -> str:
        return f"IT.{self.dataset}.{self.variable}.{self.where_value}"

    @property
    def where_oid(self) -> str:
        return f"WC.{self.dataset}.{self.where_variable}.{self.where_value}"


@dataclass(frozen=True, slots=True)
class ValueList:
    """The value-level metadata of one variable (def:ValueListDef)."""

    dataset: str
    variable: str
    items: tuple[ValueItem, ...]

    @property
    def oid(self) -> str:
        return f"VL.{self.dataset}.{self.variable}"


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
    value_lists: tuple[ValueList, ...] = ()  # value-level metadata (findings by --TESTCD, SUPP-- by QNAM, TSVAL)
    stylesheet: str | None = None  # href of the XSL stylesheet browsers render define.xml with
