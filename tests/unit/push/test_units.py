"""What push sends, in which order: study-level entries first, bundles in parallel, big PUT bundles split in
reference order, big conditional bundles refused, NDJSON in waves of resource types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crfmap.push.units import Plan, find_inputs, plan_bundles, plan_ndjson, references_of
from tests.e2e.fhir_reference import convert_reference


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("outputs")
    return {"default": convert_reference(root / "default", "--ndjson"),
            "single": convert_reference(root / "single", "--single"),
            "single-put": convert_reference(root / "single-put", "--single", "--request", "put"),
            "collection": convert_reference(root / "collection", "--bundle", "collection")}


def names(plan: Plan) -> list[list[list[str]]]:
    return [[[unit.name for unit in lane] for lane in wave] for wave in plan.waves]


def test_bundles_study_level_first_then_one_lane_per_bundle(outputs: dict[str, Path]) -> None:
    folder, files = find_inputs(outputs["default"].parent, ndjson=False)
    assert folder == outputs["default"]
    plan = plan_bundles(files, 100)
    waves = names(plan)
    assert waves[0] == [["study-level entries"]]
    assert sorted(lane[0] for lane in waves[1]) == sorted(path.name for path in files) and len(waves[1]) == 14
    shared = plan.waves[0][0][0]
    payload = shared.load()
    sent = json.loads(payload.body)
    assert sent["type"] == "transaction"
    assert [(entry["resource"]["resourceType"], entry["request"]["method"]) for entry in sent["entry"]] == [
        ("ResearchStudy", "PUT")]
    # a bundle is sent byte for byte as written, and its digest is its file's
    bundle_unit = plan.waves[1][0][0]
    assert bundle_unit.load().body == (folder / bundle_unit.name).read_bytes()
    assert plan_bundles(files, 100).waves[1][0][0].digest == bundle_unit.digest


def test_collection_bundles_are_refused(outputs: dict[str, Path]) -> None:
    _, files = find_inputs(outputs["collection"], ndjson=False)
    plan = plan_bundles(files, 100)
    assert not plan.waves and len(plan.refused) == 14
    assert "--bundle transaction" in plan.refused[0][1]


def test_a_big_conditional_bundle_is_refused_not_split(outputs: dict[str, Path]) -> None:
    _, files = find_inputs(outputs["single"], ndjson=False)
    plan = plan_bundles(files, 100)
    assert not plan.waves and [name for name, _ in plan.refused] == ["bundle.json"]
    assert plan_bundles(files, 1000).waves  # fits when the server takes that many


def test_a_big_put_bundle_is_split_in_reference_order(outputs: dict[str, Path]) -> None:
    _, files = find_inputs(outputs["single-put"], ndjson=False)
    whole = json.loads(files[0].read_bytes())
    plan = plan_bundles(files, 50)
    [[lane]] = plan.waves
    assert len(lane) == -(-len(whole["entry"]) // 50)
    sent: set[str] = set()
    every: list[str] = []
    for unit in lane:
        bundle = json.loads(unit.load().body)
        assert len(bundle["entry"]) <= 50 and bundle["type"] == "transaction"
        keys = [f"{entry['resource']['resourceType']}/{entry['resource']['id']}" for entry in bundle["entry"]]
        for entry in bundle["entry"]:
            for reference in references_of(entry["resource"]):
                assert not reference.startswith("urn:uuid:"), reference  # rewritten to Type/id
                if not reference.startswith("#"):
                    assert reference in sent or reference in keys, reference  # never ahead of its target
        sent.update(keys)
        every += keys
    assert sorted(every) == sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in whole["entry"])


def test_ndjson_waves_follow_references(outputs: dict[str, Path]) -> None:
    _, files = find_inputs(outputs["default"], ndjson=True)
    plan = plan_ndjson(files, 30)
    order = [{unit.origin.removesuffix(".ndjson") for lane in wave for unit in lane} for wave in plan.waves]
    position = {name: index for index, names_ in enumerate(order) for name in names_}
    assert position["Patient"] < position["ResearchSubject"] and position["ResearchStudy"] < position["ResearchSubject"]
    assert position["Condition"] < position["MedicationAdministration"] < position["AdverseEvent"]
    assert order[-1] == {"Provenance"}
    lines = 0
    for unit in plan.units():
        payload = unit.load()
        bundle = json.loads(payload.body)
        assert bundle["type"] == "batch" and 0 < len(bundle["entry"]) <= 30
        assert all(entry["request"] == {"method": "PUT", "url": f"{entry['resource']['resourceType']}/"
                                                                f"{entry['resource']['id']}"}
                   for entry in bundle["entry"])
        assert payload.entries[0].position.startswith("line ")
        lines += len(bundle["entry"])
    assert lines == sum(len(path.read_bytes().splitlines()) for path in files)


def test_nothing_to_push(tmp_path: Path) -> None:
    from crfmap.push.units import PlanError

    with pytest.raises(PlanError):
        find_inputs(tmp_path, ndjson=False)
