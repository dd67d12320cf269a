"""Bundle mechanics: references resolve, requests, ids, order, pretty layout, reload creates nothing."""

from __future__ import annotations

import json
import uuid

import orjson
import pytest

from crfmap.writers.fhir_r4 import CRFMAP_NAMESPACE
from tests.unit.writers.fhir_r4.conftest import find_references, read_bundles, read_ndjson
from tests.unit.writers.fhir_r4.fhir_server import MemoryServer
from tests.unit.writers.fhir_r4.writing import write_cohort


@pytest.mark.parametrize("options", [{}, {"single": True}, {"bundle": "collection"}, {"request": "put"}])
def test_every_reference_resolves_inside_its_bundle(tmp_path, options):
    write_cohort(tmp_path / "out", **options)
    for name, bundle in read_bundles(tmp_path / "out").items():
        full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
        assert len(full_urls) == len(set(full_urls)), name
        for entry in bundle["entry"]:
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
            for reference in find_references(entry["resource"]):
                assert reference in full_urls or reference == "#specimen", (name, reference)


def test_ndjson_references_are_relative_and_resolve(tmp_path):
    result = write_cohort(tmp_path / "out", ndjson=True)
    assert result.files == sorted(path.name for path in (tmp_path / "out").iterdir())
    assert sorted(read_bundles(tmp_path / "out")) == ["bundle-01-001.json", "bundle-01-002.json",
                                                      "bundle-01-003.json"]  # NDJSON comes beside the bundles
    files = read_ndjson(tmp_path / "out")
    known = {f"{resource['resourceType']}/{resource['id']}" for resources in files.values() for resource in resources}
    references = [reference for resources in files.values() for resource in resources
                  for reference in find_references(resource) if reference != "#specimen"]
    assert references and all(reference in known for reference in references)
    assert len(files["Provenance"]) == 4  # the study's and one per subject
    assert len(files["ResearchStudy"]) == 1


def test_ids_are_uuid_v5_of_study_subject_concept_key(tmp_path):
    write_cohort(tmp_path / "out")
    bundle = read_bundles(tmp_path / "out")["bundle-01-001.json"]
    event = next(entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "AdverseEvent")
    expected = uuid.uuid5(CRFMAP_NAMESPACE, "\x1f".join(("BLINA-PED-01", "01-001", "ae", "1", "")))  # noqa: FLY002 — the id's parts
    assert event["id"] == str(expected)
    assert uuid.UUID(event["id"]).version == 5


def test_transaction_requests(tmp_path):
    write_cohort(tmp_path / "out")
    bundle = read_bundles(tmp_path / "out")["bundle-01-001.json"]
    entries = {entry["resource"]["resourceType"]: entry for entry in bundle["entry"]}
    requests = {resource_type: entry["request"] for resource_type, entry in entries.items()}
    assert requests["Patient"] == {"method": "POST", "url": "Patient",
                                   "ifNoneExist": "identifier=https://example.org/blina-ped-01/subject|01-001"}
    # records: their own business identifier (a study-scoped system, the UUID as value, never the urn:uuid fullUrl)
    observation = entries["Observation"]["resource"]
    record_system = "https://crfmap.org/fhir/identifier/BLINA-PED-01/record"
    assert observation["identifier"] == [{"use": "secondary", "system": record_system, "value": observation["id"]}]
    assert requests["Observation"]["ifNoneExist"] == f"identifier={record_system}|{observation['id']}"
    # R4 defines no `identifier` search parameter for AdverseEvent and Provenance: PUT with the deterministic id
    for resource_type in ("AdverseEvent", "Provenance", "ResearchStudy"):  # the study: shared by every bundle
        resource = entries[resource_type]["resource"]
        assert requests[resource_type] == {"method": "PUT", "url": f"{resource_type}/{resource['id']}"}
    assert entries["AdverseEvent"]["resource"]["identifier"]["system"] == record_system  # 0..1 in R4
    write_cohort(tmp_path / "put", request="put")
    bundle = read_bundles(tmp_path / "put")["bundle-01-001.json"]
    assert all(entry["request"] == {"method": "PUT", "url": f"{entry['resource']['resourceType']}/"
                                                             f"{entry['resource']['id']}"} for entry in bundle["entry"])


def test_a_study_canonical_base_moves_extensions_and_record_identifiers(tmp_path):
    from tests.unit.writers.fhir_r4.test_failures import with_study_fhir

    study = with_study_fhir({"study_status": "completed", "canonical_base": "https://fhir.example.org/blina"})
    write_cohort(tmp_path / "out", study=study)
    bundle = read_bundles(tmp_path / "out")["bundle-01-001.json"]
    text = json.dumps(bundle)
    assert "crfmap.org" not in text
    assert "https://fhir.example.org/blina/StructureDefinition/source-cells" in text
    assert "https://fhir.example.org/blina/identifier/BLINA-PED-01/record" in text


def test_collection_bundles_have_no_requests(tmp_path):
    write_cohort(tmp_path / "out", bundle="collection")
    for bundle in read_bundles(tmp_path / "out").values():
        assert bundle["type"] == "collection"
        assert all("request" not in entry for entry in bundle["entry"])


def test_resources_are_in_subject_concept_key_order(tmp_path):
    write_cohort(tmp_path / "out", single=True)
    bundle = read_bundles(tmp_path / "out")["bundle.json"]
    patients = [entry["resource"]["identifier"][0]["value"] for entry in bundle["entry"]
                if entry["resource"]["resourceType"] == "Patient"]
    assert patients == ["01-001", "01-002", "01-003"]
    types = [entry["resource"]["resourceType"] for entry in bundle["entry"]][:11]
    # study, then subject 01-001: Patient, ResearchSubject, then concepts in order:
    # ae, blasts, diagnosis, exposure, hsct, mrd, status
    assert types == ["ResearchStudy", "Patient", "ResearchSubject", "AdverseEvent", "Observation", "Condition",
                     "MedicationAdministration", "Procedure", "Observation", "Observation", "Patient"]


def test_pretty_is_the_compact_bundle_indented_by_two(tmp_path):
    write_cohort(tmp_path / "compact")
    write_cohort(tmp_path / "pretty", pretty=True)
    compact = (tmp_path / "compact" / "bundle-01-001.json").read_bytes()
    pretty = (tmp_path / "pretty" / "bundle-01-001.json").read_bytes()
    parsed = json.loads(compact, parse_float=lambda text: orjson.Fragment(text.encode()))
    assert pretty == orjson.dumps(parsed, option=orjson.OPT_INDENT_2) + b"\n"
    assert compact == orjson.dumps(parsed) + b"\n"


@pytest.mark.parametrize("request_mode", ["conditional", "put"])
def test_loading_the_same_output_twice_creates_nothing_new(tmp_path, request_mode):
    write_cohort(tmp_path / "out", request=request_mode)
    bundles = read_bundles(tmp_path / "out")
    server = MemoryServer()
    for bundle in bundles.values():
        server.transaction(bundle)
    first = server.creates
    stored = dict(server.store)
    # one ResearchStudy although every bundle carries it; 27 entries in all, 2 of them repeats of the study
    assert first == 27 - 2
    assert sum(1 for key in stored if key[0] == "ResearchStudy") == 1
    for bundle in bundles.values():
        server.transaction(bundle)
    assert server.creates == first
    assert set(server.store) == set(stored)
    # references were rewritten to the stored resources (server ids in conditional mode)
    for resource in server.store.values():
        for reference in find_references(resource):
            if not reference.startswith("#"):
                resource_type, resource_id = reference.split("/")
                assert (resource_type, resource_id) in server.store


def test_conditional_create_matches_identifiers_with_special_characters(tmp_path):
    from crfmap.model import Subject

    odd = "07 | 1,$\\x"
    write_cohort(tmp_path / "out", records=[Subject(subject_id=odd, concept="dm", key="1")])
    (bundle,) = read_bundles(tmp_path / "out").values()
    patient_request = bundle["entry"][1]["request"]
    assert " " not in patient_request["ifNoneExist"] and patient_request["ifNoneExist"].count("|") == 1
    server = MemoryServer()
    server.transaction(bundle)
    assert server.find_by_identifier("Patient", "https://example.org/blina-ped-01/subject", odd) is not None
    created = server.creates
    server.transaction(bundle)
    assert server.creates == created
