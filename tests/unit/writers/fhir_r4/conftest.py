"""Independent checkers of FHIR output: the official R4 JSON Schema and fhir.resources R4B models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_bundles(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))}


def read_ndjson(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {path.stem: [json.loads(line) for line in path.read_bytes().splitlines()]
            for path in sorted(folder.glob("*.ndjson"))}


def find_references(data: Any) -> list[str]:
    """Every Reference.reference value anywhere in a resource."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(find_references(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(find_references(item))
    return found
