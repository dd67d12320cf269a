"""Independent readers of converted outputs: pyreadstat for XPT, jsonschema for Dataset-JSON, plain JSON
(decimals kept as Decimal) for FHIR bundles."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.shared_data import shared_path


def read_xpt_rows(path: Path) -> list[dict[str, Any]]:
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(path))
    return frame.to_dict(orient="records")


@lru_cache(maxsize=1)
def dataset_json_validator() -> Any:
    import jsonschema

    schema = json.loads(shared_path("schemas", "dataset-json-1.1", "dataset.schema.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def read_dataset_json_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a Dataset-JSON 1.1 file as dicts, after checking it against the official schema."""
    document = json.loads(path.read_text("utf-8"), parse_float=Decimal)
    errors = sorted(dataset_json_validator().iter_errors(json.loads(path.read_text("utf-8"))), key=str)
    assert not errors, f"{path.name} breaks the Dataset-JSON 1.1 schema: {errors[0].message}"
    names = [column["name"] for column in document["columns"]]
    assert document["records"] == len(document["rows"])
    return [dict(zip(names, row, strict=True)) for row in document["rows"]]


def read_fhir_resources(folder: Path) -> list[dict[str, Any]]:
    """Every resource of every bundle in a FHIR output folder, numbers read as Decimal (digits kept)."""
    resources = []
    for path in sorted(folder.glob("*.json")):
        bundle = json.loads(path.read_text("utf-8"), parse_float=Decimal)
        assert bundle["resourceType"] == "Bundle"
        resources.extend(entry["resource"] for entry in bundle.get("entry", []))
    return resources
