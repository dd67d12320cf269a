"""The loopback FHIR engine (server.mjs): it stores and finds what is posted, conditional create does not
duplicate, and the leniencies documented in server.mjs are real (so nobody mistakes acceptance for validity)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Resource = dict[str, Any]
PATIENT_URN = "urn:uuid:00000000-0000-4000-8000-000000000001"


def call(base: str, method: str, path: str = "", body: Resource | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Resource]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(base + path, method=method, data=data,
                                     headers={"content-type": "application/fhir+json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as problem:
        return problem.code, json.loads(problem.read())


def search(base: str, query: str) -> list[Resource]:
    status, bundle = call(base, "GET", "/" + query)
    assert status == 200, bundle
    return [entry["resource"] for entry in bundle.get("entry", [])]


def study_bundle(extra: list[tuple[Resource, dict[str, str]]] | None = None) -> Resource:
    patient = {"resourceType": "Patient", "identifier": [{"system": "urn:test:subject", "value": "01-001"}],
               "gender": "male"}
    observation = {"resourceType": "Observation", "status": "final",
                   "identifier": [{"system": "urn:test:finding", "value": "01-001/blasts/1"}],
                   "code": {"text": "Blasts in bone marrow"}, "subject": {"reference": PATIENT_URN},
                   "valueQuantity": {"value": 3.5, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}
    entries = [(patient, {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=urn:test:subject|01-001"}),
               (observation, {"method": "POST", "url": "Observation",
                              "ifNoneExist": "identifier=urn:test:finding|01-001/blasts/1"}),
               *(extra or [])]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": PATIENT_URN if i == 0 else f"urn:uuid:00000000-0000-4000-8000-{i + 1:012d}",
         "resource": resource, "request": request} for i, (resource, request) in enumerate(entries)]}


def test_posted_bundle_is_found_by_search(fhir_server: str) -> None:
    status, response = call(fhir_server, "POST", "", study_bundle())
    assert status == 200 and response["type"] == "transaction-response"
    assert [entry["response"]["status"] for entry in response["entry"]] == ["201", "201"]
    [patient] = search(fhir_server, "Patient?identifier=urn:test:subject|01-001")
    [observation] = search(fhir_server, f"Observation?subject=Patient/{patient['id']}")
    assert observation["valueQuantity"]["value"] == 3.5
    assert observation["subject"]["reference"] == f"Patient/{patient['id']}"  # urn:uuid rewritten to the new id


def test_conditional_create_twice_creates_once(fhir_server: str) -> None:
    call(fhir_server, "POST", "", study_bundle())
    status, response = call(fhir_server, "POST", "", study_bundle())
    assert status == 200
    assert [entry["response"]["status"] for entry in response["entry"]] == ["200", "200"]
    assert len(search(fhir_server, "Patient")) == 1
    assert len(search(fhir_server, "Observation")) == 1


def test_if_none_exist_header(fhir_server: str) -> None:
    patient = {"resourceType": "Patient", "identifier": [{"system": "urn:test:subject", "value": "h"}]}
    header = {"If-None-Exist": "identifier=urn:test:subject|h"}
    assert call(fhir_server, "POST", "/Patient", patient, header)[0] == 201
    assert call(fhir_server, "POST", "/Patient", patient, header)[0] == 200
    assert len(search(fhir_server, "Patient")) == 1


def test_parallel_conditional_creates(fhir_server: str) -> None:
    bundle = study_bundle()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: call(fhir_server, "POST", "", bundle)[0], range(8)))
    assert statuses == [200] * 8
    assert len(search(fhir_server, "Patient")) == 1
    assert len(search(fhir_server, "Observation")) == 1


def test_unknown_search_parameter_in_a_condition_duplicates(fhir_server: str) -> None:
    """R4 has no `identifier` search parameter on AdverseEvent. HAPI refuses such a bundle; this engine keeps
    the parameter as a filter that matches nothing, so each load creates the AdverseEvent again."""
    event = {"resourceType": "AdverseEvent", "actuality": "actual",
             "identifier": {"system": "urn:test:ae", "value": "AE1"}, "subject": {"reference": PATIENT_URN}}
    extra = [(event, {"method": "POST", "url": "AdverseEvent", "ifNoneExist": "identifier=urn:test:ae|AE1"})]
    for _ in range(2):
        assert call(fhir_server, "POST", "", study_bundle(extra))[0] == 200
    assert len(search(fhir_server, "AdverseEvent")) == 2
    assert len(search(fhir_server, "Patient")) == 1


def test_urn_uuid_strings_are_rewritten_everywhere(fhir_server: str) -> None:
    """An identifier whose value is the entry's own urn:uuid is stored as Type/<new id>, so a conditional create
    on it never matches again."""
    urn = "urn:uuid:00000000-0000-4000-8000-00000000000a"
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                   "identifier": [{"system": "urn:ietf:rfc:3986", "value": urn}]}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": urn, "resource": observation,
         "request": {"method": "POST", "url": "Observation", "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{urn}"}}]}
    for _ in range(2):
        call(fhir_server, "POST", "", bundle)
    stored = search(fhir_server, "Observation")
    assert len(stored) == 2
    assert all(o["identifier"][0]["value"] == f"Observation/{o['id']}" for o in stored)


def test_transactions_are_not_atomic(fhir_server: str) -> None:
    broken = study_bundle([({"resourceType": "Patient", "id": "zzz"}, {"method": "PUT", "url": "Patient/other-id"})])
    status, response = call(fhir_server, "POST", "", broken)
    assert status == 200
    assert [entry["response"]["status"] for entry in response["entry"]] == ["201", "201", "400"]
    assert len(search(fhir_server, "Patient")) == 1  # HAPI would have rolled this back
