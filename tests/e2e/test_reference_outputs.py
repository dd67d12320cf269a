"""The reference study's cohort facts survive into both standards, checked with independent readers.

The facts are the published cohort's (issue text): 14 patients, median age 9 at the start of blinatumomab,
12 MRD-negative remissions, 11 haploidentical transplants, fever in 11, tremor in 1, seizure in 1. They are
computed here from the output files alone (FHIR JSON; SDTM XPT read by pyreadstat and by pandas), never from
crfmap's own records.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus
from tests.e2e.reference import CLEAN, STUDY
from tests.shared_data import shared_path

MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
PYREXIA, TREMOR, SEIZURE = "10037660", "10044565", "10039906"  # MedDRA PT codes (see codelists/ae_term.yaml)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference")
    outcome = convert_workbook(CLEAN, STUDY, ConvertOptions(out=folder, writer_options={"sdtm": {"sdtm_formats": ("xpt", "json", "ndjson")}}))
    assert outcome.exit_status is ExitStatus.OK, [issue.message for issue in outcome.report.errors]
    # one note only: no MedDRA dictionary was supplied, so the AE hierarchy stays empty and is said to (W086)
    assert [issue.code for issue in outcome.report.issues] == ["W086"], [
        f"{issue.code} {issue.message}" for issue in outcome.report.issues]
    return folder


@pytest.fixture(scope="module")
def bundles(out: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_bytes()) for path in sorted((out / "fhir").glob("bundle-*.json"))]


def resources(bundles: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [entry["resource"] for bundle in bundles for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == resource_type]


def subject_of(resource: dict[str, Any], patients: dict[str, str]) -> str:
    reference = (resource.get("subject") or resource.get("patient") or resource.get("individual"))["reference"]
    return patients[reference]


def source_sheets(resource: dict[str, Any]) -> set[str]:
    """The sheets a resource says it came from (its source-cells provenance extension)."""
    sheets = set()
    for extension in resource.get("meta", {}).get("extension", []):
        for part in extension.get("extension", []):
            if part["url"] == "cell":
                sheets.add(part["valueString"].split("!")[0])
    return sheets


# ── FHIR ──────────────────────────────────────────────────────────────────────────────────────────────

def test_every_fhir_resource_is_valid_r4(bundles: list[dict[str, Any]], schema_errors: Any, model_errors: Any) -> None:
    checked = 0
    for bundle in bundles:
        assert schema_errors(bundle) == []
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert schema_errors(resource) == [], resource["resourceType"]
            assert model_errors(resource) == [], resource["resourceType"]
            checked += 1
    assert checked > 250


def test_every_reference_resolves_inside_its_bundle(bundles: list[dict[str, Any]]) -> None:
    for bundle in bundles:
        full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
        text = json.dumps(bundle)
        references = {part.split('"')[0] for part in text.split('"reference": "')[1:]
                      if not part.startswith("#")}  # "#specimen" points at a contained resource
        assert references and references <= full_urls


def test_fhir_carries_the_cohort_facts(bundles: list[dict[str, Any]]) -> None:
    patients = {f"urn:uuid:{patient['id']}": patient["identifier"][0]["value"]
                for patient in resources(bundles, "Patient")}
    assert len(patients) == 14
    first_dose: dict[str, str] = {}
    for administration in resources(bundles, "MedicationAdministration"):
        subject = subject_of(administration, patients)
        start = administration["effectivePeriod"]["start"]
        first_dose[subject] = min(first_dose.get(subject, start), start)
    recorded_age = {subject_of(observation, patients): observation["valueQuantity"]["value"]
                    for observation in resources(bundles, "Observation")
                    if any(coding["code"] == "30525-0" for coding in observation["code"].get("coding", []))}
    ages = []
    for patient in resources(bundles, "Patient"):
        subject = patient["identifier"][0]["value"]
        if "birthDate" not in patient:  # only the age was captured: no birth date is invented
            ages.append(recorded_age[subject])
            continue
        born = date.fromisoformat(patient["birthDate"])
        started = date.fromisoformat(first_dose[subject])
        ages.append(started.year - born.year - ((started.month, started.day) < (born.month, born.day)))
        if subject in recorded_age:
            assert recorded_age[subject] == ages[-1], subject  # the recorded age agrees with the dates
    assert len(ages) == 14 and statistics.median(ages) == 9

    remission_label = "Minimal Residual Disease Response"  # CDISC RSTESTCD MRDRESP
    remissions = {subject_of(observation, patients) for observation in resources(bundles, "Observation")
                  if observation["code"].get("text") == remission_label
                  and observation["valueCodeableConcept"]["coding"][0]["code"] == "C38757"}  # NCIt Negative
    assert len(remissions) == 12

    transplanted = {subject_of(procedure, patients) for procedure in resources(bundles, "Procedure")
                    if procedure["status"] == "completed" and "Transplant" in source_sheets(procedure)}
    assert len(transplanted) == 11
    assert transplanted <= remissions  # all 11 transplants follow an MRD-negative remission

    by_term: dict[str, set[str]] = defaultdict(set)
    for event in resources(bundles, "AdverseEvent"):
        for coding in event["event"]["coding"]:
            if coding["system"] == MEDDRA:
                by_term[coding["code"]].add(subject_of(event, patients))
    assert {term: len(subjects) for term, subjects in by_term.items()} == {PYREXIA: 11, TREMOR: 1, SEIZURE: 1}


def test_fhir_reloads_idempotently(bundles: list[dict[str, Any]]) -> None:
    from tests.unit.writers.fhir_r4.fhir_server import MemoryServer

    server = MemoryServer()
    for bundle in bundles:
        server.transaction(bundle)
    created = server.creates
    for bundle in bundles:
        server.transaction(bundle)
    assert created > 250 and server.creates == created  # the second load creates nothing new


# ── SDTM ──────────────────────────────────────────────────────────────────────────────────────────────

def read_xpt(out: Path, name: str) -> Any:
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(out / "sdtm" / f"{name}.xpt"))
    return frame


def test_sdtm_carries_the_cohort_facts(out: Path) -> None:
    dm = read_xpt(out, "dm")
    assert dm["USUBJID"].is_unique and len(dm) == 14
    assert statistics.median(dm["AGE"]) == 9 and set(dm["AGEU"]) == {"YEARS"}
    rs = read_xpt(out, "rs")
    remission = rs[(rs["RSTESTCD"] == "MRDRESP") & (rs["RSSTRESC"] == "NEGATIVE")]
    assert remission["USUBJID"].nunique() == 12
    pr = read_xpt(out, "pr")
    transplants = pr[(pr["PRCAT"] == "HSCT") & (pr["PROCCUR"] == "Y")]
    assert transplants["USUBJID"].nunique() == 11
    assert set(transplants["USUBJID"]) <= set(remission["USUBJID"])
    ae = read_xpt(out, "ae")
    assert ae.groupby("AEDECOD")["USUBJID"].nunique().to_dict() == {"Pyrexia": 11, "Tremor": 1, "Seizure": 1}
    assert {str(int(code)) for code in ae["AEPTCD"]} == {PYREXIA, TREMOR, SEIZURE}
    every_subject = set(dm["USUBJID"])
    progressed = rs[(rs["RSTESTCD"] == "OVRLRESP") & (rs["RSSTRESC"] == "PD")]
    assert progressed["USUBJID"].nunique() == 3
    ss = read_xpt(out, "ss")
    assert sorted(ss["SSSTRESC"]) == ["ALIVE"] * 12 + ["DEAD"] * 2
    for name in ("ae", "cp", "ds", "ex", "lb", "mh", "pr", "rs", "ss", "se", "sv"):
        assert set(read_xpt(out, name)["USUBJID"]) <= every_subject, name


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def test_xpt_reads_the_same_with_pandas_and_pyreadstat(out: Path) -> None:
    import pandas
    import pyreadstat

    for path in sorted((out / "sdtm").glob("*.xpt")):
        ours, meta = pyreadstat.read_xport(str(path))
        theirs = pandas.read_sas(str(path), format="xport", encoding="ascii")
        assert list(theirs.columns) == list(ours.columns) == meta.column_names, path.name
        for column in ours.columns:
            left, right = ours[column].tolist(), theirs[column].tolist()
            if ours[column].dtype.kind == "f":
                # pandas reads an XPT zero as 16**-65 (a known read_sas quirk, also on CDISC's own files)
                right = [0.0 if value is not None and abs(value) < 1e-70 else value for value in right]
                assert [None if is_nan(v) else v for v in left] == [None if is_nan(v) else v for v in right], column
            else:
                assert left == ["" if is_nan(value) else value for value in right], (path.name, column)


def test_dataset_json_matches_xpt_and_validates(out: Path) -> None:
    from jsonschema import Draft201909Validator

    schema = json.loads(shared_path("schemas", "dataset-json-1.1", "dataset.schema.json").read_text("utf-8"))
    validator = Draft201909Validator(schema)
    for path in sorted((out / "sdtm").glob("*.json")):
        data = json.loads(path.read_bytes())
        assert list(validator.iter_errors(data)) == [], path.name
        frame = read_xpt(out, path.stem)
        assert [column["name"] for column in data["columns"]] == list(frame.columns)
        assert data["records"] == len(frame) == len(data["rows"])


def test_define_xml_validates_and_describes_every_dataset(out: Path) -> None:
    from lxml import etree

    xsd_path = shared_path("schemas", "define-xml-2.1", "cdisc-define-2.1", "define2-1-0.xsd")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    schema = etree.XMLSchema(etree.parse(str(xsd_path), parser))
    document = etree.parse(str(out / "sdtm" / "define.xml"), parser)
    assert schema.validate(document), schema.error_log
    namespaces = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
    groups = {group.get("Name") for group in document.iterfind(".//odm:ItemGroupDef", namespaces)}
    assert groups == {path.stem.upper() for path in (out / "sdtm").glob("*.xpt")}
