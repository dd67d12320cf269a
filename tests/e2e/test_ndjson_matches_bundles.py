"""--ndjson writes each resource once into its bundle and once as an NDJSON line (built once, its references
rewritten): checked here from the files alone. Every NDJSON resource but the Provenances (whose targets differ:
a bundle's Provenance also names the ResearchStudy) must equal its bundle copy with each `urn:uuid:<id>`
reference turned into `<Type>/<id>`, computed here independently of crfmap's code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus
from tests.e2e.reference import CLEAN, MESSY, STUDY


def relative(value: Any, types: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {key: relative(item, types) for key, item in value.items()}
        reference = out.get("reference")
        if isinstance(reference, str) and reference.startswith("urn:uuid:"):
            target = reference.removeprefix("urn:uuid:")
            out["reference"] = f"{types[target]}/{target}"
        return out
    if isinstance(value, list):
        return [relative(item, types) for item in value]
    return value


@pytest.mark.parametrize("workbook", [CLEAN, MESSY], ids=["clean", "messy"])
def test_ndjson_resources_are_the_bundle_resources_with_relative_references(workbook: Path, tmp_path: Path) -> None:
    outcome = convert_workbook(workbook, STUDY, ConvertOptions(out=tmp_path, targets=("fhir",), allow_errors=True,
                                                              writer_options={"fhir": {"ndjson": True}}))
    assert outcome.exit_status is not ExitStatus.CANNOT_RUN
    folder = tmp_path / "fhir"
    in_bundles: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("bundle-*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            in_bundles[entry["resource"]["id"]] = entry["resource"]
    types = {identifier: resource["resourceType"] for identifier, resource in in_bundles.items()}
    lines = [json.loads(line) for path in sorted(folder.glob("*.ndjson"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    compared = 0
    for resource in lines:
        if resource["resourceType"] == "Provenance":
            continue
        assert resource == relative(in_bundles[resource["id"]], types), resource["id"]
        compared += 1
    # every bundle resource but the Provenances is written once as NDJSON (the ResearchStudy once, not per bundle)
    assert compared == sum(1 for resource in in_bundles.values() if resource["resourceType"] != "Provenance")
    assert not any("urn:uuid:" in json.dumps(resource) for resource in lines)
