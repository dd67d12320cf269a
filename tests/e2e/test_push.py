"""crfmap push into a real FHIR engine (Medplum's router on loopback) through the fault server: whatever the
network and the server do, every resource ends up on the server exactly once; a push killed with SIGKILL and
run again duplicates nothing and misses nothing; refusals are reported at the cells the resource came from.

The reference output's own bundles are used (conditional creates, the default), a few subjects at a time: the
engine's memory store searches linearly, and the properties do not depend on the number of bundles.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.fhir_reference import convert_reference, copy_some_bundles, distinct_resources
from tests.unit.push.fault_server import FaultServer

HANG_GUARD = 120  # seconds: a hung push fails the test, it is not a speed target


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_reference(tmp_path_factory.mktemp("reference"))


def stored(base: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for resource_type in ("Patient", "ResearchStudy", "ResearchSubject", "Observation", "Condition", "Procedure",
                          "MedicationAdministration", "AdverseEvent", "Provenance"):
        bundle = httpx.get(f"{base}/{resource_type}?_count=1000", timeout=120).json()
        counts[resource_type] = len(bundle.get("entry", []))
    return +counts


def log_records(folder: Path) -> list[dict[str, Any]]:
    path = folder / "push-log.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_fault_schedule_loses_nothing_and_duplicates_nothing(reference: Path, tmp_path: Path,
                                                                  fhir_server: str) -> None:
    output = copy_some_bundles(reference, tmp_path / "fhir", 4)
    # applied but never answered (reset-after, timeout-after): the retry must find what the lost attempt created
    schedule = ["reset-after", "503:1", "timeout-after", "429:1", "reset", "500", "timeout", "reset-after", "502"]
    # the client gives up after 4 s (the engine answers these bundles in well under a second); a stalled
    # answer takes 5 s
    with FaultServer(fhir_server, schedule, stall=5.0) as server:
        result = CliRunner().invoke(main, ["push", str(tmp_path), "--server", server.base, "--concurrency", "2",
                                           "--timeout", "4", "--retry-max-wait", "0.2", "--max-attempts", "12",
                                           "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["push"]["accepted"] == 5  # study-level entries + 4 bundles
        assert [seen.action for seen in server.seen[:len(schedule)]] == schedule
        applied_twice = sum(1 for seen in server.seen if seen.action in ("reset-after", "timeout-after"))
        assert applied_twice == 3  # three units reached the server twice or more
    assert stored(fhir_server) == distinct_resources(output)


def push_command(folder: Path, base: str) -> list[str]:
    return [sys.executable, "-c", "from crfmap.cli import main; main()", "push", str(folder), "--server", base,
            "--concurrency", "1", "--retry-max-wait", "0.2"]


def test_kill_9_mid_push_then_rerun(reference: Path, tmp_path: Path, fhir_server: str) -> None:
    output = copy_some_bundles(reference, tmp_path / "fhir", 5)
    # the 4th request is applied by the server and held; the client is killed before it hears the answer
    with FaultServer(fhir_server, ["pass", "pass", "pass", "hold"]) as server:
        process = subprocess.Popen(push_command(tmp_path, server.base), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        try:
            assert server.holding.wait(timeout=HANG_GUARD), "the push never reached the 4th request"
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=HANG_GUARD)
        finally:
            server.release.set()
            if process.poll() is None:
                process.kill()
            process.communicate()
        assert process.returncode == -signal.SIGKILL
        logged = log_records(tmp_path / "fhir")
        assert [record["status"] for record in logged] == ["accepted"] * 3  # the held unit was never logged
        assert len(server.seen) == 4
        rerun = subprocess.run(push_command(tmp_path, server.base), capture_output=True, text=True,
                               timeout=HANG_GUARD, check=False)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "3 accepted" in rerun.stdout and "3 skipped" in rerun.stdout
        assert len(server.seen) == 4 + 3  # only what the log did not hold: the held unit is sent again
    assert stored(fhir_server) == distinct_resources(output)  # nothing duplicated, nothing missing
    assert Counter(record["status"] for record in log_records(tmp_path / "fhir")) == Counter({"accepted": 6})


def first_cell(resource: dict[str, Any]) -> tuple[str, str]:
    """The first source cell a resource names, from its own meta (as a user would look it up)."""
    for extension in resource["meta"]["extension"]:
        for part in extension["extension"]:
            if part["url"] == "cell":
                sheet, cell = part["valueString"].split("!")
                return sheet.strip("'"), cell
    raise AssertionError("no source cell")


def test_a_refusal_is_reported_at_its_cells(reference: Path, tmp_path: Path, fhir_server: str) -> None:
    output = copy_some_bundles(reference, tmp_path / "fhir", 2)
    digests = {hashlib.sha256(path.read_bytes()).hexdigest(): path.name for path in output.glob("*.json")}
    # the study-level unit passes; the next request (a bundle) is refused, its entry[5] named by the server
    with FaultServer(fhir_server, ["pass", "422:entry=5"]) as server:
        result = CliRunner().invoke(main, ["push", str(tmp_path), "--server", server.base, "--concurrency", "1",
                                           "--format", "json"])
        assert result.exit_code == 1, result.output
        name = digests[server.seen[1].digest]
        data = json.loads(result.output)
        assert data["push"]["rejected"] == 1 and data["push"]["accepted"] == 2
        [issue] = data["issues"]
        entry = json.loads((output / name).read_bytes())["entry"][5]["resource"]
        assert issue["code"] == "W100" and issue["file"] == "clean.xlsx"
        assert (issue["sheet"], issue["cell"]) == first_cell(entry)
        assert f"{name} entry 6" in issue["value"] and entry["id"] in issue["value"]
        assert "scheduled refusal of entry 5" in issue["message"]
        again = CliRunner().invoke(main, ["push", str(tmp_path), "--server", server.base])
        assert again.exit_code == 0, again.output  # the refused bundle is sent again; the others are skipped
        assert "1 accepted, 2 skipped" in again.output
        assert [digests[seen.digest] for seen in server.seen[3:]] == [name]


def test_an_entry_the_server_refuses_inside_a_transaction(reference: Path, tmp_path: Path, fhir_server: str) -> None:
    """Medplum answers a transaction entry by entry: a PUT whose url names another id is refused (400), the
    other entries are kept. The refused entry is reported at its resource's first cell, in text too."""
    output = copy_some_bundles(reference, tmp_path / "fhir", 1)
    path = next(output.glob("bundle-*.json"))
    bundle = json.loads(path.read_bytes())
    index = next(i for i, entry in enumerate(bundle["entry"]) if entry["resource"]["resourceType"] == "AdverseEvent")
    bundle["entry"][index]["request"]["url"] = "AdverseEvent/another-id"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = CliRunner().invoke(main, ["push", str(tmp_path), "--server", fhir_server])
    assert result.exit_code == 1, result.output
    sheet, cell = first_cell(bundle["entry"][index]["resource"])
    line = next(line for line in result.output.splitlines() if " W100 " in line)
    assert line.startswith(f"clean.xlsx › {sheet}!{cell}: error W100 push-rejected:")
    assert f"entry {index + 1} (PUT AdverseEvent/" in line
    assert "1 rejected" in result.output
