"""Small SDTM datasets of the reference study (paediatric R/R B-ALL, blinatumomab), built in code.

Values are typed by hand, not produced by crfmap, so the file tests compare against independent truth.
"""

from __future__ import annotations

import pytest

from crfmap.sources import SourceCell
from crfmap.writers.sdtm.dataset import Dataset, Origin, Variable
from crfmap.writers.sdtm.define_metadata import CodeListTerm, DefineCodeList, DefineMetadata

STUDY = "BLINA-PED-01"
COLLECTED = Origin("Collected", "Investigator", "CRF")
ASSIGNED = Origin("Assigned", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")


def _identifiers() -> list[Variable]:
    return [
        Variable("STUDYID", "Study Identifier", "text", "Identifier", "Req", origin=ASSIGNED),
        Variable("DOMAIN", "Domain Abbreviation", "text", "Identifier", "Req", origin=ASSIGNED),
        Variable("USUBJID", "Unique Subject Identifier", "text", "Identifier", "Req", origin=DERIVED),
    ]


def build_dm() -> Dataset:
    variables = _identifiers() + [
        Variable("SUBJID", "Subject Identifier for the Study", "text", "Topic", "Req", origin=COLLECTED),
        Variable("RFSTDTC", "Subject Reference Start Date/Time", "date", "Record Qualifier", "Exp", origin=DERIVED),
        Variable("BRTHDTC", "Date/Time of Birth", "partialDate", "Record Qualifier", "Perm", origin=COLLECTED),
        Variable("AGE", "Age", "integer", "Record Qualifier", "Exp", method="MT.AGE", origin=DERIVED),
        Variable("AGEU", "Age Units", "text", "Variable Qualifier", "Exp", codelist="AGEU", origin=ASSIGNED),
        Variable("SEX", "Sex", "text", "Record Qualifier", "Req", codelist="SEX", origin=COLLECTED),
        Variable("ARMCD", "Planned Arm Code", "text", "Record Qualifier", "Exp", origin=ASSIGNED),
        Variable("ARM", "Description of Planned Arm", "text", "Synonym Qualifier", "Exp", origin=ASSIGNED),
        Variable("COUNTRY", "Country", "text", "Record Qualifier", "Req", origin=ASSIGNED),
    ]
    rows = [
        {"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": f"{STUDY}-01-001", "SUBJID": "01-001", "RFSTDTC": "2024-02-05",
         "BRTHDTC": "2015-06", "AGE": 8, "AGEU": "YEARS", "SEX": "F", "ARMCD": "BLINA", "ARM": "Blinatumomab",
         "COUNTRY": "RUS"},
        {"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": f"{STUDY}-01-002", "SUBJID": "01-002", "RFSTDTC": "2024-03-11",
         "BRTHDTC": "2019", "AGE": 4, "AGEU": "YEARS", "SEX": "M", "ARMCD": "BLINA", "ARM": "Blinatumomab",
         "COUNTRY": "RUS"},
        {"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": f"{STUDY}-02-001", "SUBJID": "02-001", "RFSTDTC": None,
         "BRTHDTC": None, "AGE": None, "AGEU": None, "SEX": "M", "ARMCD": "BLINA", "ARM": "Blinatumomab",
         "COUNTRY": "RUS"},
    ]
    return Dataset("DM", "Demographics", "One record per subject", "SPECIAL PURPOSE", variables, rows,
                   keys=("STUDYID", "USUBJID"))


def build_ae() -> Dataset:
    variables = _identifiers() + [
        Variable("AESEQ", "Sequence Number", "integer", "Identifier", "Req", method="MT.SEQ", origin=DERIVED),
        Variable("AETERM", "Reported Term for the Adverse Event", "text", "Topic", "Req", origin=COLLECTED),
        Variable("AESER", "Serious Event", "text", "Record Qualifier", "Exp", codelist="NY", origin=COLLECTED),
        Variable("AETOXGR", "Standard Toxicity Grade", "text", "Record Qualifier", "Perm", origin=COLLECTED),
        Variable("AESTDTC", "Start Date/Time of Adverse Event", "partialDate", "Timing", "Exp", origin=COLLECTED),
        Variable("AESTDY", "Study Day of Start of Adverse Event", "integer", "Timing", "Perm", method="MT.DY",
                 origin=DERIVED),
    ]
    cells = [(SourceCell("site.xlsx", "AE", row, 4),) for row in (2, 3, 4, 5)]
    rows = [
        {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": f"{STUDY}-01-001", "AESEQ": 1, "AETERM": "FEBRILE NEUTROPENIA",
         "AESER": "Y", "AETOXGR": "3", "AESTDTC": "2024-02-06", "AESTDY": 2},
        {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": f"{STUDY}-01-001", "AESEQ": 2, "AETERM": "TREMOR",
         "AESER": "N", "AETOXGR": "1", "AESTDTC": "2024-02-04", "AESTDY": -1},
        {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": f"{STUDY}-01-002", "AESEQ": 1, "AETERM": "SEIZURE",
         "AESER": "Y", "AETOXGR": "3", "AESTDTC": "2024-03", "AESTDY": None},
        {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": f"{STUDY}-01-002", "AESEQ": 2, "AETERM": "-FEVER",
         "AESER": "N", "AETOXGR": None, "AESTDTC": "2024-03-12", "AESTDY": 2},
    ]
    return Dataset("AE", "Adverse Events", "One record per adverse event per subject", "EVENTS", variables, rows,
                   sources=cells, keys=("STUDYID", "USUBJID", "AETERM", "AESTDTC"))


def build_lb() -> Dataset:
    """Findings with fractions, negatives, zero, large numbers and missing values."""
    variables = _identifiers() + [
        Variable("LBSEQ", "Sequence Number", "integer", "Identifier", "Req", method="MT.SEQ", origin=DERIVED),
        Variable("LBTESTCD", "Lab Test or Examination Short Name", "text", "Topic", "Req", origin=ASSIGNED),
        Variable("LBORRES", "Result or Finding in Original Units", "text", "Result Qualifier", "Exp",
                 origin=COLLECTED),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", "float", "Result Qualifier", "Exp",
                 origin=DERIVED),
        Variable("VISITNUM", "Visit Number", "float", "Timing", "Exp", origin=ASSIGNED),
        Variable("LBDY", "Study Day of Specimen Collection", "integer", "Timing", "Perm", method="MT.DY",
                 origin=DERIVED),
    ]
    values = [0.01, -3.75, 0.0, 123456789.125, None, 1e-9, 2.5e20, 1 / 3]
    rows = [
        {"STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": f"{STUDY}-01-001", "LBSEQ": number, "LBTESTCD": "MRD",
         "LBORRES": None if value is None else repr(value), "LBSTRESN": value, "VISITNUM": float(number) / 2,
         "LBDY": number * 7 - 14}
        for number, value in enumerate(values, start=1)
    ]
    return Dataset("LB", "Laboratory Test Results", "One record per lab test per time point per visit per subject",
                   "FINDINGS", variables, rows, keys=("STUDYID", "USUBJID", "LBTESTCD", "VISITNUM"))


def build_metadata() -> DefineMetadata:
    """Code lists with C-codes checked against CDISC's SDTM-MSG v2 define.xml (same terms, same codes)."""
    return DefineMetadata(
        study_oid=f"STDY.{STUDY}", study_name=STUDY,
        study_description="Blinatumomab in paediatric relapsed/refractory B-cell ALL",
        protocol_name=STUDY, metadata_version_oid=f"MDV.{STUDY}.SDTMIG.3.4",
        metadata_version_name="Study BLINA-PED-01, SDTM data definitions",
        creation_datetime="2024-04-30T00:00:00", ct_version="2024-03-29",
        codelists=(
            DefineCodeList("SEX", "Sex", (CodeListTerm("F", "C16576"), CodeListTerm("M", "C20197")), "C66731"),
            DefineCodeList("AGEU", "Age Unit", (CodeListTerm("YEARS", "C29848"),), "C66781"),
            DefineCodeList("NY", "No Yes Response", (CodeListTerm("N", "C49487"), CodeListTerm("Y", "C49488")),
                           "C66742"),
        ),
        dataset_comments={"AE": "AE terms as reported; MedDRA coding is not part of this example."},
    )


@pytest.fixture
def dm() -> Dataset:
    return build_dm()


@pytest.fixture
def ae() -> Dataset:
    return build_ae()


@pytest.fixture
def lb() -> Dataset:
    return build_lb()


@pytest.fixture
def define_metadata() -> DefineMetadata:
    return build_metadata()
