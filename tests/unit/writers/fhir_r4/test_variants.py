"""Less common records: not done, no dates, time of day, dispositions, a subject with no demographics."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, Event, Finding, Intervention, PartialDate, Quantity
from tests.unit.writers.fhir_r4.cohort import build_study
from tests.unit.writers.fhir_r4.conftest import find_references, read_bundles
from tests.unit.writers.fhir_r4.writing import write_cohort

TEST = Coded("test", "MRD", "Minimal residual disease")


def build_variants() -> list:
    return [
        Finding(subject_id="02-001", concept="mrd", key="D15", category="laboratory", test=TEST, performed=False,
                reason="sample clotted"),
        Finding(subject_id="02-001", concept="blasts", key="D0", category="laboratory", test=TEST,
                value_text="not evaluable", verbatim="n.e.", date=PartialDate(2021, 1, 10, 8, 30)),
        Intervention(subject_id="02-001", concept="exposure", key="C2", category="exposure", verbatim="blinatumomab",
                     occurred=False, reason="progression", dose=Quantity(Decimal(28), "ug")),
        Intervention(subject_id="02-001", concept="prior", key="1", category="prior_therapy", verbatim="vincristine"),
        Event(subject_id="02-001", concept="death", key="1", category="disposition", term="Death",
              start=PartialDate(2022)),
        Event(subject_id="02-001", concept="history", key="1", category="medical_history", term="Asthma",
              start=PartialDate(2016), end=PartialDate(2019, 7)),
        Event(subject_id="02-001", concept="ae", key="2", category="adverse_event", term="tremor", serious=True,
              relation=Coded("relation", "RELATED", "Related")),
    ]


def test_variants_are_valid_and_keep_what_was_recorded(tmp_path, schema_errors, model_errors):
    write_cohort(tmp_path / "out", records=build_variants())
    bundle = read_bundles(tmp_path / "out")["bundle-02-001.json"]
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    by_key = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert schema_errors(resource) == [] and model_errors(resource) == [], resource["resourceType"]
        assert all(reference in full_urls for reference in find_references(resource))
        by_key.setdefault(resource["resourceType"], []).append(resource)
    patient = by_key["Patient"][0]
    assert patient["identifier"][0]["value"] == "02-001" and "gender" not in patient and "birthDate" not in patient
    observations = {item["code"]["text"]: item for item in by_key["Observation"]}
    assert observations["Death"]["effectiveDateTime"] == "2022"
    cancelled = next(item for item in by_key["Observation"] if item["status"] == "cancelled")
    assert cancelled["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert cancelled["note"] == [{"text": "sample clotted"}]
    evaluable = next(item for item in by_key["Observation"] if item.get("valueString"))
    assert evaluable["valueString"] == "not evaluable"
    assert evaluable["note"] == [{"text": "As recorded: n.e."}]
    assert evaluable["effectiveDateTime"] == "2021-01-10"  # no time zone known: cut to the date, never invented
    administrations = by_key["MedicationAdministration"]
    assert len(administrations) == 2
    skipped = next(item for item in administrations if item["status"] == "not-done")
    assert skipped["statusReason"] == [{"text": "progression"}]
    assert skipped["dosage"] == {"dose": {"value": 28, "unit": "ug", "system": "http://unitsofmeasure.org",
                                          "code": "ug"}}
    assert skipped["effectivePeriod"]["extension"][0]["valueCode"] == "unknown"
    history = by_key["Condition"][0]
    assert (history["onsetDateTime"], history["abatementDateTime"]) == ("2016", "2019-07")
    event = by_key["AdverseEvent"][0]
    assert event["seriousness"]["coding"][0]["code"] == "serious"
    # the only exposure was not given: no suspect entity, the relation is kept as a record-field extension
    assert "suspectEntity" not in event
    fields = {item["extension"][0]["valueString"]: item["extension"][1] for item in event["extension"]}
    assert fields["relation"] == {"url": "value", "valueCodeableConcept": {"text": "Related"}}


def test_study_time_zone_keeps_the_time_of_day(tmp_path):
    study = build_study()
    study = study.model_copy(update={"study": study.study.model_copy(update={"fhir": {"timezone": "+01:00"}})})
    write_cohort(tmp_path / "out", records=build_variants(), study=study)
    text = (tmp_path / "out" / "bundle-02-001.json").read_text(encoding="utf-8")
    assert '"effectiveDateTime":"2021-01-10T08:30:00+01:00"' in text
