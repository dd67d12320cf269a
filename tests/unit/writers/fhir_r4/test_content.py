"""What the resources say: checked against the hand-typed cohort, field by field."""

from __future__ import annotations

import pytest

from tests.unit.writers.fhir_r4.cohort import SUBJECT_SYSTEM
from tests.unit.writers.fhir_r4.conftest import read_bundles
from tests.unit.writers.fhir_r4.writing import write_cohort

SNOMED = "http://snomed.info/sct"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("fhir") / "out"
    write_cohort(out)
    return read_bundles(out)


def resources(bundle, resource_type):
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == resource_type]


def one(bundle, resource_type, code_text=None):
    found = resources(bundle, resource_type)
    if code_text is not None:
        found = [item for item in found if item.get("code", {}).get("text") == code_text]
    assert len(found) == 1, (resource_type, code_text, len(found))
    return found[0]


def test_one_bundle_per_subject(bundles):
    assert sorted(bundles) == ["bundle-01-001.json", "bundle-01-002.json", "bundle-01-003.json"]


ANON = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ANON",
                    "display": "Anonymous identifier"}], "text": "Study subject identifier"}


def test_patient_identifier_gender_and_birth_date_at_source_precision(bundles):
    full = one(bundles["bundle-01-001.json"], "Patient")
    # a pseudonymous study subject id, typed so that a patient index never takes it for a medical record number
    assert full["identifier"] == [{"use": "secondary", "type": ANON, "system": SUBJECT_SYSTEM, "value": "01-001"}]
    assert (full["gender"], full["birthDate"]) == ("female", "2012-04-17")
    month = one(bundles["bundle-01-002.json"], "Patient")
    assert (month["gender"], month["birthDate"]) == ("male", "2015-03")  # CDISC M mapped; YYYY-MM kept


def test_patient_name_is_withheld_never_invented(bundles):
    for bundle in bundles.values():
        patient = one(bundle, "Patient")
        masked = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}
        assert patient["name"] == [{"extension": [masked]}]


def test_age_only_subject_gets_no_invented_birth_date(bundles):
    bundle = bundles["bundle-01-003.json"]
    patient = one(bundle, "Patient")
    assert "birthDate" not in patient
    age = one(bundle, "Observation", "Age")
    assert age["code"]["coding"] == [{"system": "http://loinc.org", "code": "30525-0", "display": "Age"}]
    assert age["valueQuantity"] == {"value": 7, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
    assert age["note"] == [{"text": "Age at first dose"}]


def test_research_subject_links_patient_study_and_enrolment(bundles):
    bundle = bundles["bundle-01-001.json"]
    subject = one(bundle, "ResearchSubject")
    full_urls = {entry["resource"]["resourceType"]: entry["fullUrl"] for entry in bundle["entry"]}
    assert subject["individual"]["reference"] == full_urls["Patient"]
    assert subject["study"]["reference"] == full_urls["ResearchStudy"]
    assert subject["status"] == "on-study"
    assert subject["period"] == {"start": "2021-01-11"}
    assert subject["identifier"] == [{"use": "usual", "type": ANON, "system": SUBJECT_SYSTEM, "value": "01-001"}]


def test_research_subject_without_known_status_says_so(bundles):
    subject = one(bundles["bundle-01-002.json"], "ResearchSubject")
    assert "status" not in subject
    assert subject["_status"]["extension"][0]["valueCode"] == "unknown"


def test_research_subject_takes_the_studys_declared_status_when_it_has_none(tmp_path):
    from tests.unit.writers.fhir_r4.test_failures import with_study_fhir

    write_cohort(tmp_path / "out", study=with_study_fhir({"study_status": "completed", "subject_status": "off-study"}))
    bundles = read_bundles(tmp_path / "out")
    assert one(bundles["bundle-01-002.json"], "ResearchSubject")["status"] == "off-study"
    assert one(bundles["bundle-01-001.json"], "ResearchSubject")["status"] == "on-study"  # its own status wins
    assert one(bundles["bundle-01-001.json"], "ResearchStudy")["status"] == "completed"


def test_condition_keeps_partial_onset_and_relapse_status(bundles):
    condition = one(bundles["bundle-01-001.json"], "Condition")
    assert condition["category"] == [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item",
        "display": "Problem List Item"}]}]
    assert condition["onsetDateTime"] == "2019-05"
    assert condition["clinicalStatus"]["coding"][0]["code"] == "relapse"
    assert condition["meta"]["profile"] == [
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"]


def test_medication_administration_rate_route_and_partial_end(bundles):
    bundle = bundles["bundle-01-001.json"]
    administration = one(bundle, "MedicationAdministration")
    assert administration["status"] == "completed"
    assert administration["medicationCodeableConcept"]["text"] == "Blincyto"
    assert administration["effectivePeriod"] == {"start": "2021-01-12", "end": "2021-02"}
    dosage = administration["dosage"]
    assert dosage["rateQuantity"] == {"value": 15.0, "unit": "µg/m²/day", "system": "http://unitsofmeasure.org",
                                      "code": "ug/m2/d"}
    assert "dose" not in dosage
    assert {"system": SNOMED, "code": "47625008", "display": "Intravenous route"} in dosage["route"]["coding"]
    assert dosage["text"] == "Continuous infusion"
    condition_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    assert administration["reasonReference"][0]["reference"] == condition_url  # mCODE mcode-reason-required


def test_decimal_digits_are_kept_as_written(tmp_path):
    write_cohort(tmp_path / "out")
    text = (tmp_path / "out" / "bundle-01-001.json").read_text(encoding="utf-8")
    assert '"value":12.50,' in text
    assert '"value":15.0,' in text


def test_procedure_for_transplant(bundles):
    procedure = one(bundles["bundle-01-001.json"], "Procedure")
    assert procedure["status"] == "completed"
    assert procedure["performedDateTime"] == "2021-04-02"
    qualifier = procedure["extension"][0]
    assert qualifier["extension"] == [{"url": "name", "valueString": "donor"},
                                      {"url": "value", "valueString": "haploidentical mother"}]


def test_observations_blasts_and_mrd(bundles):
    bundle = bundles["bundle-01-001.json"]
    blasts = one(bundle, "Observation", "Blasts/Total cells")
    assert blasts["valueQuantity"]["code"] == "%"
    assert blasts["category"][0]["coding"][0]["code"] == "laboratory"
    assert blasts["effectiveDateTime"] == "2021-01-10"
    assert blasts["specimen"] == {"reference": "#specimen"}
    assert blasts["contained"][0]["type"]["text"] == "Bone marrow"
    mrd = one(bundle, "Observation", "Minimal residual disease")
    assert mrd["referenceRange"][0]["high"]["value"] == 0.01
    assert mrd["interpretation"][0]["coding"][0]["code"] == "NEG"
    assert mrd["method"]["text"] == "Flow cytometry"


def test_disease_status_focuses_on_the_cancer_condition(bundles):
    bundle = bundles["bundle-01-001.json"]
    status = one(bundle, "Observation", "Cancer disease status")
    condition_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    assert status["focus"] == [{"reference": condition_url, "type": "Condition"}]
    assert status["meta"]["profile"] == ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status"]
    assert status["valueCodeableConcept"]["text"] == "Complete remission"


def test_adverse_event(bundles):
    bundle = bundles["bundle-01-001.json"]
    event = one(bundle, "AdverseEvent")
    assert event["actuality"] == "actual"
    codes = {(coding["system"], coding["code"]) for coding in event["event"]["coding"]}
    assert codes == {("http://terminology.hl7.org/CodeSystem/mdr", "10037660"), (SNOMED, "386661006")}
    assert event["event"]["text"] == "fever"
    assert event["date"] == "2021-01"  # partial onset stays partial
    assert event["seriousness"]["coding"][0]["code"] == "non-serious"
    extensions = {item["url"].rsplit("/", 1)[1]: item for item in event["extension"]}
    assert extensions["ae-grade"]["valueCodeableConcept"]["text"] == "Grade 2"
    assert extensions["resolve-date"]["valueDateTime"] == "2021-01-20"
    exposure_url = next(e["fullUrl"] for e in bundle["entry"]
                        if e["resource"]["resourceType"] == "MedicationAdministration")
    assert event["suspectEntity"][0]["instance"]["reference"] == exposure_url
    assert event["suspectEntity"][0]["causality"][0]["assessment"]["text"] == "Related"
    assert event["outcome"]["coding"][0]["code"] == "resolved"


def test_provenance_targets_every_resource_with_fixed_time_and_hashes(bundles):
    for name, bundle in bundles.items():
        provenance = resources(bundle, "Provenance")
        assert len(provenance) == 1, name
        provenance = provenance[0]
        others = [entry["fullUrl"] for entry in bundle["entry"] if entry["resource"]["resourceType"] != "Provenance"]
        assert [target["reference"] for target in provenance["target"]] == others
        assert provenance["recorded"] == "2024-06-30T00:00:00Z"
        assert provenance["agent"][0]["who"]["display"] == "crfmap 0.1.0"
        entities = [(item["what"]["display"], item["what"]["identifier"]["value"]) for item in provenance["entity"]]
        assert entities == [("site_export.xlsx", "cd" * 32), ("mapping BLINA-PED-01 version 1", "ab" * 32)]


def test_source_cells_on_each_resource(bundles):
    event = one(bundles["bundle-01-002.json"], "AdverseEvent")
    cells = {}
    for extension in event["meta"]["extension"]:
        parts = extension["extension"]
        field = parts[0]["valueString"]
        cells[field] = [part["valueString"] for part in parts if part["url"] == "cell"]
        assert {"url": "file", "valueString": "site_export.xlsx"} in parts
    # subject 01-002 is on spreadsheet row 3; AE term in column C, grade D, start E (cohort.build_clinical)
    assert cells == {"grade": ["AE!D3"], "start": ["AE!E3"], "term": ["AE!C3"]}
