"""A small study built in code: three subjects of the reference study (paediatric R/R B-ALL, blinatumomab).

Subject 01-001: full birth date, no recorded age (AGE derived), two blinatumomab steps (5 then 15 ug/m2/d),
two AEs (one the day before first dose), diagnosis (MH) with a SUPP qualifier, HSCT (PR) with a SUPP qualifier,
response (RS). Subject 01-002: birth year only, age recorded, one open-ended infusion, an AE with a partial
date, MRD below the threshold (CP), death (DS). Subject 02-001: never treated (no RFSTDTC), age in months,
marrow blasts (LB).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from crfmap.model import Coded, Coding, Event, Finding, Intervention, PartialDate, Quantity, Subject
from crfmap.sources import SourceCell
from crfmap.study.models import (
    Arm,
    CdiscCodelist,
    Codelist,
    CodelistValue,
    Column,
    ConceptSpec,
    Form,
    IdentifierSystems,
    Identity,
    Standards,
    Study,
    StudyMapping,
)

STUDY_ID = "BLINA-PED-01"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"


def cell(sheet: str, row: int, column: int = 2) -> tuple[SourceCell, ...]:
    return (SourceCell("site.xlsx", sheet, row, column),)


def coded(codelist: str, value: str, display: str | None = None, *, submission: str | None = None,
          nci: str | None = None, codings: tuple[Coding, ...] = ()) -> Coded:
    return Coded(codelist=codelist, value=value, display=display or value, submission_value=submission,
                 nci_code=nci, codings=codings)


def concept(concept_id: str, record: str, sdtm: dict | None, qualifiers: tuple[str, ...] = ()) -> ConceptSpec:
    return ConceptSpec(id=concept_id, form="any", record=record, fields={"subject_id": {"op": "copy", "column": "x"}},
                       qualifiers={name: {"op": "copy", "column": "x"} for name in qualifiers}, sdtm=sdtm)


def make_study(concepts: list[ConceptSpec] | None = None, sdtm: dict | None = None) -> StudyMapping:
    study = Study(
        id=STUDY_ID, title="Blinatumomab in paediatric relapsed/refractory B-cell ALL", sponsor="Example Sponsor",
        phase="PHASE II TRIAL", country="RUS", data_cutoff="2024-12-31",
        identifier_systems=IdentifierSystems(subject="urn:example:subject", study="urn:example:study"),
        standards=Standards(ct="2024-09-27"), arms=[Arm(code="BLINA", name="Blinatumomab 28-day continuous infusion")],
        sdtm=sdtm if sdtm is not None else {"units": {"ug/m2/d": "ug/m2/day"}},
    )
    form = Form(name="any", label="Any", sheets=["Any"], identity=Identity(subject="x"),
                columns=[Column(name="x", label="X", type="string")])
    codelists = {
        "sex": Codelist(id="sex", name="Sex", cdisc=CdiscCodelist(name="SEX", nci_code="C66731"),
                        values=[CodelistValue(value="F", display="Female", nci_code="C16576"),
                                CodelistValue(value="M", display="Male", nci_code="C20197")]),
        "mrd_interpretation": Codelist(id="mrd_interpretation", name="MRD interpretation",
                                       values=[CodelistValue(value="NEGATIVE", display="Negative")]),
    }
    return StudyMapping(folder="blina", study=study, forms={"any": form}, codelists=codelists,
                        concepts=concepts if concepts is not None else default_concepts(), sha256="0" * 64)


def default_concepts() -> list[ConceptSpec]:
    return [
        concept("demographics", "subject", {"domain": "DM"}),
        concept("blinatumomab", "intervention", {"domain": "EX", "epoch": "TREATMENT",
                                                 "constants": {"EXDOSFRM": "INJECTION"}}),
        concept("hsct", "intervention", {"domain": "PR", "category": "TRANSPLANT",
                                         "supp": {"donor": {"qnam": "DONORTYP", "qlabel": "Donor Type"}}},
                qualifiers=("donor",)),
        concept("adverse_event", "event", {"domain": "AE"}),
        concept("diagnosis", "event", {"domain": "MH", "category": "PRIMARY DIAGNOSIS",
                                       "supp": {"relapses": {"qnam": "RELAPSNO", "qlabel": "Number of Relapses"}}},
                qualifiers=("relapses",)),
        concept("death", "event", {"domain": "DS", "category": "DISPOSITION EVENT"}),
        concept("marrow_blasts", "finding", {"domain": "LB", "category": "HEMATOLOGY"}),
        concept("mrd_flow", "finding", {"domain": "CP", "category": "MINIMAL RESIDUAL DISEASE",
                                        "supp": {"interpretation": {"qnam": "MRDINTP",
                                                                    "qlabel": "MRD Interpretation"},
                                                 "threshold": {"qnam": "MRDTHR",
                                                               "qlabel": "MRD Negativity Threshold"}}}),
        concept("response", "finding", {"domain": "RS", "category": "ONCOLOGY RESPONSE"}),
    ]


def day(text: str) -> PartialDate:
    parts = [int(part) for part in text.split("-")]
    return PartialDate(*parts)


def make_records() -> list:
    sex_f = coded("sex", "F", "Female", submission="F", nci="C16576")
    sex_m = coded("sex", "M", "Male", submission="M", nci="C20197")
    arm = coded("arm", "BLINA", "Blinatumomab")
    blina = coded("treatment", "BLINATUMOMAB", "Blinatumomab")
    route = coded("route", "INTRAVENOUS", submission="INTRAVENOUS", nci="C38276")
    frequency = coded("frequency", "CONTINUOUS")
    fever = coded("ae_term", "fever", "Fever", codings=(Coding(MEDDRA, "10016558", "Pyrexia"),))
    tremor = coded("ae_term", "tremor", "Tremor", codings=(Coding(MEDDRA, "10044565", "Tremor"),))
    seizure = coded("ae_term", "seizure", "Seizure", codings=(Coding(MEDDRA, "10039906", "Seizure"),))
    grade = lambda value: coded("ctcae_grade", value)
    return [
        # given out of order on purpose: the builder sorts
        Subject(subject_id="01-002", concept="demographics", key="1", sources={"sex": cell("DM", 3)}, site="01",
                sex=sex_m, birth_date=PartialDate(2019), age=Quantity(Decimal(4), "a"), arm=arm, actual_arm=arm),
        Subject(subject_id="01-001", concept="demographics", key="1", sources={"sex": cell("DM", 2)}, site="01",
                sex=sex_f, birth_date=day("2015-06-20"), arm=arm, actual_arm=arm, consent_date=day("2024-01-20")),
        Subject(subject_id="02-001", concept="demographics", key="1", sources={"sex": cell("DM", 4)}, site="02",
                sex=sex_m, age=Quantity(Decimal(10), "mo"), arm=arm),
        Intervention(subject_id="01-001", concept="blinatumomab", key="2", category="exposure", treatment=blina,
                     dose=Quantity(Decimal(15), "ug/m2/d"), route=route, frequency=frequency,
                     start=day("2024-02-12"), end=day("2024-03-03"), sources={"dose": cell("EX", 3)}),
        Intervention(subject_id="01-001", concept="blinatumomab", key="1", category="exposure", treatment=blina,
                     dose=Quantity(Decimal(5), "ug/m2/d"), route=route, frequency=frequency,
                     start=day("2024-02-05"), end=day("2024-02-11"), sources={"dose": cell("EX", 2)}),
        Intervention(subject_id="01-002", concept="blinatumomab", key="1", category="exposure", treatment=blina,
                     dose=Quantity(Decimal(5), "ug/m2/d"), route=route, frequency=frequency,
                     start=day("2024-03-11"), sources={"dose": cell("EX", 4)}),
        Intervention(subject_id="01-001", concept="hsct", key="1", category="procedure",
                     treatment=coded("procedure", "HSCT", "Allogeneic hematopoietic stem cell transplantation"),
                     start=day("2024-04-20"), qualifiers={"donor": "HAPLOIDENTICAL"},
                     sources={"start": cell("PR", 2)}),
        Event(subject_id="01-001", concept="adverse_event", key="2", category="adverse_event", term="Fever",
              decoded=fever, grade=grade("2"), serious=False, start=day("2024-02-05"), end=day("2024-02-07"),
              sources={"term": cell("AE", 3)}),
        Event(subject_id="01-001", concept="adverse_event", key="1", category="adverse_event", term="Tremor",
              decoded=tremor, grade=grade("1"), serious=False, start=day("2024-02-04"),
              sources={"term": cell("AE", 2)}),
        Event(subject_id="01-002", concept="adverse_event", key="1", category="adverse_event", term="Seizure",
              decoded=seizure, grade=grade("3"), serious=True, start=PartialDate(2024, 3),
              sources={"term": cell("AE", 4)}),
        Event(subject_id="01-001", concept="diagnosis", key="1", category="diagnosis",
              term="B-cell acute lymphoblastic leukaemia", start=PartialDate(2022, 5),
              qualifiers={"relapses": Decimal(2)}, sources={"term": cell("MH", 2)}),
        Event(subject_id="01-002", concept="death", key="1", category="disposition", term="Died of sepsis",
              decoded=coded("ncomplt", "DEATH", "Death", submission="DEATH", nci="C28554"),
              start=day("2024-06-01"), sources={"term": cell("DS", 2)}),
        Finding(subject_id="02-001", concept="marrow_blasts", key="1", category="laboratory",
                test=coded("lbtestcd", "BLASTLE", "Blasts/Leukocytes", submission="BLASTLE"),
                value_quantity=Quantity(Decimal(85), "%"),
                specimen=coded("specimen", "BONE MARROW", submission="BONE MARROW"), date=day("2024-01-15"),
                sources={"value": cell("LAB", 2)}),
        Finding(subject_id="01-002", concept="mrd_flow", key="1", category="cell_phenotype",
                test=coded("cptestcd", "MRD", "Minimal Residual Disease", submission="MRD"),
                value_quantity=Quantity(Decimal("0.005"), "%"), verbatim="<0.01",
                threshold=Quantity(Decimal("0.01"), "%"),
                interpretation=coded("mrd_interpretation", "NEGATIVE", "Negative"),
                specimen=coded("specimen", "BONE MARROW", submission="BONE MARROW"),
                method=coded("method", "FLOW CYTOMETRY", submission="FLOW CYTOMETRY"), date=day("2024-04-08"),
                sources={"value": cell("MRD", 2)}),
        Finding(subject_id="01-001", concept="response", key="1", category="response",
                test=coded("rstestcd", "OVRLRESP", "Overall Response", submission="OVRLRESP"),
                value_coded=coded("response", "CR", "Complete Response", submission="CR"),
                evaluator="INVESTIGATOR", date=day("2024-03-04"), sources={"value": cell("RS", 2)}),
    ]


@pytest.fixture
def study() -> StudyMapping:
    return make_study()


@pytest.fixture
def records() -> list:
    return make_records()
