"""A small cohort of the reference study (paediatric R/R B-ALL, blinatumomab), built in code.

Values are typed by hand. Codes are real where the test relies on a published code (SNOMED CT 47625008
intravenous route, 386661006 fever; MedDRA PT 10037660 pyrexia; LOINC 30525-0 age, 97509-4 cancer disease
progression; HL7 code systems); everything else uses the example system http://example.org/crfmap-test so
that no code is guessed. Run as a script (`python cohort.py <out> [mode]`) it writes the cohort, for the
PYTHONHASHSEED determinism test.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from crfmap.model import Coded, Coding, Event, Finding, Intervention, PartialDate, Quantity, Subject
from crfmap.sources import SourceCell
from crfmap.study.models import (
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

EXAMPLE = "http://example.org/crfmap-test"
SNOMED, LOINC, MEDDRA = "http://snomed.info/sct", "http://loinc.org", "http://terminology.hl7.org/CodeSystem/mdr"
FILE = "site_export.xlsx"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition"
SUBJECT_SYSTEM = "https://example.org/blina-ped-01/subject"


def cell(sheet: str, row: int, column: int) -> tuple[SourceCell, ...]:
    return (SourceCell(FILE, sheet, row, column),)


def concept(concept_id: str, record: str, fhir: dict | None = None) -> ConceptSpec:
    return ConceptSpec(id=concept_id, form="crf", record=record, fields={}, fhir=fhir)


def build_study(data_cutoff: str | None = "2024-06-30", concepts: list[ConceptSpec] | None = None) -> StudyMapping:
    study = Study(
        id="BLINA-PED-01", title="Blinatumomab in paediatric relapsed/refractory B-ALL", protocol="BLINA-PED-01",
        identifier_systems=IdentifierSystems(subject=SUBJECT_SYSTEM, study="https://example.org/study"),
        standards=Standards(ct="2025-03-28"), data_cutoff=data_cutoff, arms=[],
        fhir={"study_status": "completed"},
    )
    form = Form(name="crf", label="CRF", sheets=["CRF"], identity=Identity(subject="subject"),
                columns=[Column(name="subject", label="Subject", type="string")])
    codelist = Codelist(id="yes_no", name="Yes/No", values=[CodelistValue(value="Y", display="Yes")])
    default_concepts = [
        concept("dm", "subject"),
        concept("diagnosis", "event", {"profile": [f"{MCODE}/mcode-primary-cancer-condition"]}),
        concept("exposure", "intervention", {"profile": [f"{MCODE}/mcode-cancer-related-medication-administration"]}),
        concept("hsct", "intervention"),
        concept("ae", "event"),
        concept("blasts", "finding", {"category": "laboratory"}),
        concept("mrd", "finding", {"category": "laboratory"}),
        concept("status", "finding", {"profile": [f"{MCODE}/mcode-cancer-disease-status"]}),
    ]
    return StudyMapping(folder="blinatumomab_ped_all", study=study, forms={"crf": form},
                        codelists={"yes_no": codelist}, concepts=concepts or default_concepts, sha256="ab" * 32)


def sex(code: str, gender: str | None) -> Coded:
    codings = (Coding("http://hl7.org/fhir/administrative-gender", gender),) if gender else ()
    return Coded("sex", code, {"F": "Female", "M": "Male"}[code], submission_value=code, codings=codings)


def build_subjects() -> list[Subject]:
    on_study = Coded("status", "on-study", "On study",
                     codings=(Coding("http://hl7.org/fhir/research-subject-status", "on-study", "On-study"),))
    return [
        Subject(subject_id="01-001", concept="dm", key="1", sex=sex("F", "female"),
                birth_date=PartialDate(2012, 4, 17), enrolment_date=PartialDate(2021, 1, 11), status=on_study,
                country="DEU", site="01",
                sources={"sex": cell("DM", 2, 3), "birth_date": cell("DM", 2, 4),
                         "enrolment_date": cell("DM", 2, 5)}),
        Subject(subject_id="01-002", concept="dm", key="1", sex=sex("M", None), birth_date=PartialDate(2015, 3),
                sources={"sex": cell("DM", 3, 3), "birth_date": cell("DM", 3, 4)}),
        Subject(subject_id="01-003", concept="dm", key="1", sex=sex("F", None),
                age=Quantity(Decimal(7), "a", "years"), age_reference="first dose",
                sources={"sex": cell("DM", 4, 3), "age": cell("DM", 4, 6)}),
    ]


def build_clinical(subject_id: str, row: int) -> list:
    relapse = Coded("disease_status", "relapsed", "Relapsed",
                    codings=(Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "relapse", "Relapse"),))
    blinatumomab = Coded("drug", "BLINATUMOMAB", "Blinatumomab", codings=(Coding(EXAMPLE, "blinatumomab"),),
                         verbatim="Blincyto")
    intravenous = Coded("route", "INTRAVENOUS", "Intravenous", submission_value="INTRAVENOUS", nci_code="C38276",
                        codings=(Coding(SNOMED, "47625008", "Intravenous route"),))
    continuous = Coded("frequency", "CONTINUOUS", "Continuous infusion")
    fever = Coded("ae_term", "fever", "Pyrexia",
                  codings=(Coding(MEDDRA, "10037660", "Pyrexia"), Coding(SNOMED, "386661006", "Fever")))
    grade_2 = Coded("grade", "2", "Grade 2", submission_value="2")
    negative = Coded("interpretation", "NEG", "Negative", codings=(
        Coding("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "NEG", "Negative"),))
    return [
        Event(subject_id=subject_id, concept="diagnosis", key="1", category="diagnosis", term="B-ALL",
              decoded=Coded("diagnosis", "BALL", "B-cell acute lymphoblastic leukaemia",
                            codings=(Coding(EXAMPLE, "b-all"),)),
              start=PartialDate(2019, 5), status=relapse,
              sources={"start": cell("DX", row, 3), "status": cell("DX", row, 4)}),
        Intervention(subject_id=subject_id, concept="exposure", key="C1", category="exposure",
                     treatment=blinatumomab, dose=Quantity(Decimal("15.0"), "ug/m2/d", "µg/m²/day"),
                     route=intravenous, frequency=continuous, start=PartialDate(2021, 1, 12), end=PartialDate(2021, 2),
                     sequence_in_subject=1,
                     sources={"dose": cell("EX", row, 4), "start": cell("EX", row, 5), "end": cell("EX", row, 6)}),
        Intervention(subject_id=subject_id, concept="hsct", key="1", category="procedure",
                     treatment=Coded("procedure", "HAPLO_HSCT", "Haploidentical HSCT",
                                     codings=(Coding(EXAMPLE, "haplo-hsct"),)),
                     start=PartialDate(2021, 4, 2), qualifiers={"donor": "haploidentical mother"},
                     sources={"start": cell("PR", row, 3)}),
        Event(subject_id=subject_id, concept="ae", key="1", category="adverse_event", term="fever",
              decoded=fever, grade=grade_2, serious=False, start=PartialDate(2021, 1), end=PartialDate(2021, 1, 20),
              relation=Coded("relation", "RELATED", "Related"),
              outcome=Coded("outcome", "RECOVERED", "Recovered/resolved", codings=(
                  Coding("http://terminology.hl7.org/CodeSystem/adverse-event-outcome", "resolved", "Resolved"),)),
              sources={"term": cell("AE", row, 3), "grade": cell("AE", row, 4), "start": cell("AE", row, 5)}),
        Finding(subject_id=subject_id, concept="blasts", key="D0", category="laboratory",
                test=Coded("test", "BLASTS", "Blasts/Total cells", submission_value="BLASTS",
                           codings=(Coding(EXAMPLE, "blasts"),)),
                value_quantity=Quantity(Decimal("12.50"), "%"), date=PartialDate(2021, 1, 10),
                specimen=Coded("specimen", "BONE MARROW", "Bone marrow"),
                sources={"value_quantity": cell("BM", row, 4), "date": cell("BM", row, 3)}),
        Finding(subject_id=subject_id, concept="mrd", key="D29", category="laboratory",
                test=Coded("test", "MRD", "Minimal residual disease", codings=(Coding(EXAMPLE, "mrd"),)),
                value_quantity=Quantity(Decimal("0.004"), "%"), threshold=Quantity(Decimal("0.01"), "%"),
                interpretation=negative, method=Coded("method", "FLOW", "Flow cytometry"),
                date=PartialDate(2021, 2, 8), sources={"value_quantity": cell("MRD", row, 4)}),
        Finding(subject_id=subject_id, concept="status", key="D29", category="response",
                test=Coded("test", "DISSTAT", "Cancer disease status",
                           codings=(Coding(LOINC, "97509-4", "Cancer disease progression"),)),
                value_coded=Coded("response", "CR", "Complete remission", codings=(Coding(EXAMPLE, "cr"),)),
                date=PartialDate(2021, 2, 8), sources={"value_coded": cell("RS", row, 4)}),
    ]


def build_records() -> list:
    records: list = []
    for row, subject in enumerate(build_subjects(), start=2):
        records.append(subject)
        if subject.subject_id != "01-003":
            records.extend(build_clinical(subject.subject_id, row))
    return records


if __name__ == "__main__":
    from crfmap.writers.fhir_r4 import FhirOptions, SourceInfo, write_fhir

    mode = sys.argv[2] if len(sys.argv) > 2 else "bundle"
    options = FhirOptions(ndjson=mode == "ndjson", single=mode == "single")
    records = build_records()
    records.reverse()  # the writer must sort
    write_fhir(records, build_study(), Path(sys.argv[1]), options, SourceInfo(FILE, "cd" * 32, crfmap_version="0.1.0"))
