"""The reference study converted to FHIR through the command line, for conformance, server and push tests."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.reference import CLEAN, STUDY


def convert_reference(out: Path, *options: str) -> Path:
    """`crfmap convert clean.xlsx --to fhir --out OUT [options]`; returns OUT/fhir."""
    result = CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--to", "fhir",
                                       "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return out / "fhir"


def read_bundles(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))}


def distinct_resources(folder: Path) -> Counter[str]:
    """Resources per type the bundles of `folder` describe, each counted once (by type and id)."""
    seen = {(entry["resource"]["resourceType"], entry["resource"]["id"])
            for bundle in read_bundles(folder).values() for entry in bundle["entry"]}
    return Counter(resource_type for resource_type, _ in seen)


def copy_some_bundles(source: Path, target: Path, count: int) -> Path:
    """The first `count` subject bundles of `source` in a fresh folder (a smaller load for slow engines)."""
    target.mkdir(parents=True)
    for path in sorted(source.glob("bundle-*.json"))[:count]:
        shutil.copy(path, target / path.name)
    return target
