"""The reference output in a real FHIR engine (Medplum's FHIR router on loopback, tests/fhir_engines/server.mjs):
every bundle is accepted, loading it again creates nothing, bundles posted in parallel make one ResearchStudy,
and what the server finds by search is what the workbook says (read here with openpyxl, not with crfmap).

The engine accepts what HAPI would refuse and never rolls a transaction back (see server.mjs); validity is
test_fhir_conformance's job, this module checks what a server does with the output: ids, conditional creates,
references, reloads. Its memory store searches linearly, so a conditional load of the 14 bundles takes
tens of seconds; the checks share loads where they can.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.fhir_reference import convert_reference, distinct_resources, read_bundles
from tests.e2e.reference import CLEAN

TYPES = ("Patient", "ResearchStudy", "ResearchSubject", "Observation", "Condition", "Procedure",
         "MedicationAdministration", "AdverseEvent", "Provenance")
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
PYREXIA, TREMOR, SEIZURE, NEGATIVE = "10037660", "10044565", "10039906", "C38757"  # MedDRA PTs, NCIt Negative
SUBJECT_SYSTEM = "https://crfmap.org/fhir/identifier/BLINA-PED-ALL/subject"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_reference(tmp_path_factory.mktemp("reference"), "--ndjson")


@pytest.fixture(scope="module")
def workbook_facts() -> dict[str, Any]:
    """The cohort's facts from the workbook itself, through openpyxl."""
    book = openpyxl.load_workbook(CLEAN, read_only=True)
    sheet = {name: list(book[name].iter_rows(values_only=True))[1:] for name in book.sheetnames}
    return {"subjects": {row[0] for row in sheet["Demographics"] if row[0]},
            "mrd_negative": sum(1 for row in sheet["Outcome"] if row[2] == "Yes"),
            "transplants": sum(1 for row in sheet["Transplant"] if row[0]),
            "events": Counter(row[1] for row in sheet["Adverse events"] if row[1])}


def post(base: str, path: Path) -> dict[str, Any]:
    response = httpx.post(base, content=path.read_bytes(), timeout=600,
                          headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 200, (path.name, response.text[:500])
    return response.json()


def search(base: str, query: str) -> list[dict[str, Any]]:
    joiner = "&" if "?" in query else "?"
    bundle = httpx.get(f"{base}/{query}{joiner}_count=1000", timeout=120).json()
    return [entry["resource"] for entry in bundle.get("entry", [])]


def counts(base: str) -> Counter[str]:
    return Counter({resource_type: len(search(base, resource_type)) for resource_type in TYPES})


def entry_statuses(response: dict[str, Any]) -> list[str]:
    return [entry["response"]["status"].split()[0] for entry in response["entry"]]


def test_load_reload_and_read_back(output: Path, fhir_server: str, workbook_facts: dict[str, Any]) -> None:
    expected = distinct_resources(output)
    assert expected["ResearchStudy"] == 1 and expected["Patient"] == 14
    # 1. crfmap push: the study-level entries first, then the bundles side by side
    pushed = CliRunner().invoke(main, ["push", str(output.parent), "--server", fhir_server, "--format", "json"])
    assert pushed.exit_code == 0, pushed.output
    assert counts(fhir_server) == expected
    # 2. every bundle again, posted as a plain transaction (no push log): nothing new, every entry found again
    for path in sorted(output.glob("bundle-*.json")):
        statuses = entry_statuses(post(fhir_server, path))
        assert all(status == "200" for status in statuses), (path.name, statuses)
    assert counts(fhir_server) == expected
    # 3. read back by search, against the workbook
    patients = search(fhir_server, f"Patient?identifier={SUBJECT_SYSTEM}|")
    assert {patient["identifier"][0]["value"] for patient in patients} == workbook_facts["subjects"]
    assert len(patients) == 14
    # RS MRDRESP (CDISC "Minimal Residual Disease Response") NEGATIVE: the MRD-negative remissions
    mrd_negative = search(fhir_server, "Observation?code:text=Minimal Residual Disease Response"
                                       f"&value-concept={NCIT}|{NEGATIVE}")
    assert len(mrd_negative) == workbook_facts["mrd_negative"] == 12
    # the transplants: HSCT (NCIt C15431) done on a date; the prior-HSCT answers are the same procedure, undated
    transplants = [procedure for procedure in search(fhir_server, f"Procedure?code={NCIT}|C15431&status=completed")
                   if "performedDateTime" in procedure]
    assert len(transplants) == workbook_facts["transplants"] == 11
    events = workbook_facts["events"]
    for code, term, number in ((PYREXIA, "Fever", 11), (TREMOR, "Tremor", 1), (SEIZURE, "Seizure", 1)):
        found = search(fhir_server, f"AdverseEvent?event={MEDDRA}|{code}")
        assert len(found) == events[term] == number, term
    # the references were resolved to the server's resources (conditional creates get server ids)
    stored = {f"{resource['resourceType']}/{resource['id']}" for resource_type in TYPES
              for resource in search(fhir_server, resource_type)}
    for subject in search(fhir_server, "ResearchSubject"):
        assert subject["individual"]["reference"] in stored and subject["study"]["reference"] in stored
        assert subject["status"] == "off-study"


def test_parallel_posting_makes_one_research_study(output: Path, fhir_server: str) -> None:
    """Every bundle carries the ResearchStudy (PUT with its deterministic id): posted all at once, they update one
    resource instead of racing to create it."""
    paths = sorted(output.glob("bundle-*.json"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda path: post(fhir_server, path), paths))
    for response in responses:
        assert all(status[0] == "2" for status in entry_statuses(response))
    studies = search(fhir_server, "ResearchStudy")
    assert len(studies) == 1
    assert studies[0]["id"] == next(entry["resource"]["id"] for entry in read_bundles(output)["bundle-01-001.json"]
                                    ["entry"] if entry["resource"]["resourceType"] == "ResearchStudy")
    assert counts(fhir_server) == distinct_resources(output)


def test_ndjson_push_and_reload(output: Path, fhir_server: str) -> None:
    expected = Counter({path.stem: len(path.read_bytes().splitlines()) for path in output.glob("*.ndjson")})
    for _ in range(2):  # the second time without the push log: every PUT replaces, nothing is added
        (output / "push-log.jsonl").unlink(missing_ok=True)
        pushed = CliRunner().invoke(main, ["push", str(output), "--server", fhir_server, "--ndjson",
                                           "--max-entries", "25"])
        assert pushed.exit_code == 0, pushed.output
        assert counts(fhir_server) == expected
    # NDJSON ids are crfmap's: references point at them as written
    observation = search(fhir_server, "Observation")[0]
    assert observation["subject"]["reference"] in {f"Patient/{patient['id']}"
                                                   for patient in search(fhir_server, "Patient")}
    (output / "push-log.jsonl").unlink(missing_ok=True)
