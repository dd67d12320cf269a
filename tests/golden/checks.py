"""Independent checks a golden output must pass before it is accepted: HL7's R4 JSON Schema for every FHIR
resource (bundles and NDJSON), CDISC's Dataset-JSON 1.1 schema, the Define-XML 2.1 XSD, and pyreadstat reading
every XPT with the same rows as its Dataset-JSON. None of them is crfmap's own code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.shared_data import shared_path


def fhir_resources(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(folder.rglob("*.json")):
        data = json.loads(path.read_bytes())
        if data.get("resourceType") == "Bundle":
            yield path.name, data
            for entry in data.get("entry", []):
                yield path.name, entry["resource"]
    for path in sorted(folder.rglob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            yield path.name, json.loads(line)


def check_fhir(folder: Path) -> list[str]:
    from jsonschema import Draft6Validator

    schema = json.loads(shared_path("schemas", "fhir-r4", "fhir.schema.json").read_text(encoding="utf-8"))
    problems, validators = [], {}
    for name, resource in fhir_resources(folder):
        kind = resource["resourceType"]
        if kind not in validators:
            validators[kind] = Draft6Validator({**{k: v for k, v in schema.items() if k != "oneOf"},
                                                "$ref": f"#/definitions/{kind}"})
        problems += [f"{name} {kind}: {error.message}" for error in validators[kind].iter_errors(resource)]
    return problems


def check_sdtm(folder: Path) -> list[str]:
    import jsonschema
    import pyreadstat
    from lxml import etree

    problems: list[str] = []
    schema = json.loads(shared_path("schemas", "dataset-json-1.1", "dataset.schema.json").read_text("utf-8"))
    dataset_json = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_bytes())
        problems += [f"{path.name}: {error.message}" for error in dataset_json.iter_errors(data)]
        xpt = path.with_suffix(".xpt")
        if xpt.exists():
            frame, _meta = pyreadstat.read_xport(str(xpt))
            if len(frame) != len(data["rows"]):
                problems.append(f"{xpt.name}: {len(frame)} rows, its Dataset-JSON has {len(data['rows'])}")
    define = folder / "define.xml"
    if define.exists():
        safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        xsd = shared_path("schemas", "define-xml-2.1", "cdisc-define-2.1", "define2-1-0.xsd")
        validator = etree.XMLSchema(etree.parse(str(xsd), safe))
        if not validator.validate(etree.parse(str(define), safe)):
            problems += [f"define.xml: {error.message}" for error in validator.error_log]
    return problems


def check_independently(folder: Path) -> list[str]:
    problems: list[str] = []
    if (folder / "fhir").is_dir():
        problems += check_fhir(folder / "fhir")
    if (folder / "sdtm").is_dir():
        problems += check_sdtm(folder / "sdtm")
    return problems
