"""`crfmap schema`: a JSON Schema that editors can use — every $ref resolves, the reference mapping's files
validate against it, and the writers' target keys (fhir:, sdtm:) are in it, typos and all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from crfmap.api import mapping_json_schema
from tests.e2e.reference import STUDY


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize("part", [None, "study", "form", "codelist", "concepts"])
def test_every_reference_resolves_and_the_schema_is_valid_draft_7(part):
    schema = mapping_json_schema(part)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)
    found = references(schema)
    assert found
    for reference in found:
        assert isinstance(resolve(schema, reference), dict), reference


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_reference_mapping_validates_against_the_published_schema():
    folder_schema = mapping_json_schema()
    files = {"study": [STUDY / "study.yaml"], "concepts": [STUDY / "concepts.yaml"],
             "form": sorted((STUDY / "forms").glob("*.yaml")), "codelist": sorted((STUDY / "codelists").glob("*.yaml"))}
    for part, paths in files.items():
        validator = Draft7Validator({**folder_schema, "$ref": f"#/$defs/{part}"})
        for path in paths:
            assert [error.message for error in validator.iter_errors(load(path))] == [], path.name


def test_target_keys_are_typed_so_a_typo_is_caught_by_the_editor():
    validator = Draft7Validator(mapping_json_schema("concepts"))
    concepts = load(STUDY / "concepts.yaml")
    concept = next(item for item in concepts["concepts"] if "fhir" in item and "sdtm" in item)
    concept["fhir"]["resorce"] = "Observation"
    concept["sdtm"]["domian"] = "LB"
    concept["colour"] = "red"
    messages = [error.message for error in validator.iter_errors(concepts)]
    assert any("resorce" in message for message in messages)
    assert any("domian" in message for message in messages)
    assert any("colour" in message for message in messages)


def concept_errors(concept: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(mapping_json_schema("concepts"))
    return [error.message for error in validator.iter_errors({"concepts": [concept]})]


def test_record_fields_are_in_the_schema_per_record_kind():
    base = {"id": "x", "form": "f", "record": "finding", "fields": {
        "category": {"op": "constant", "value": "laboratory"}, "test": {"op": "constant_code", "codelist": "t",
                                                                         "value": "A"}}}
    assert concept_errors(base) == []
    # a field of another record kind, and a misspelt one, are flagged by the editor as by the loader (P009)
    assert concept_errors({**base, "fields": {**base["fields"], "sex": {"op": "code", "column": "sex"}}})
    assert concept_errors({**base, "fields": {**base["fields"], "tset": {"op": "code", "column": "t"}}})
    assert concept_errors({**base, "record": "subject", "fields": {"sex": {"op": "code", "column": "sex"}}}) == []
    described = mapping_json_schema("concepts")["$defs"]["FindingFields"]["properties"]["value_quantity"]
    assert "quantity" in described["description"] and "--ORRES" in described["description"]


def test_every_bundled_mapping_validates_against_the_published_schema():
    folder_schema = mapping_json_schema()
    for study in sorted((STUDY.parent).iterdir()):
        if not (study / "study.yaml").is_file():
            continue
        files = {"study": [study / "study.yaml"], "concepts": [study / "concepts.yaml"],
                 "form": sorted((study / "forms").glob("*.yaml")),
                 "codelist": sorted((study / "codelists").glob("*.yaml"))}
        for part, paths in files.items():
            validator = Draft7Validator({**folder_schema, "$ref": f"#/$defs/{part}"})
            for path in paths:
                assert [error.message for error in validator.iter_errors(load(path))] == [], path


def test_the_bundled_schema_files_the_modelines_name_are_the_published_ones():
    """mappings/schema/<part>.schema.json are what the `# yaml-language-server: $schema=…` lines of the bundled
    mappings point to (one file per kind of mapping file, no JSON pointer, which every editor follows); each must be
    exactly `crfmap schema --part <part>` (regenerate with that command)."""
    import json

    folder = STUDY.parent / "schema"
    for part in ("study", "form", "codelist", "concepts"):
        bundled = json.loads((folder / f"{part}.schema.json").read_text(encoding="utf-8"))
        assert bundled == mapping_json_schema(part), f"regenerate: crfmap schema --part {part} > mappings/schema/{part}.schema.json"
    study = STUDY.parent / "vitals_phq9_cohort"
    files = sorted(study.rglob("*.yaml"))
    for path in files:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        part = "study" if path.name == "study.yaml" else "concepts" if path.name == "concepts.yaml" else (
            "form" if path.parent.name == "forms" else "codelist")
        assert target == (folder / f"{part}.schema.json").resolve(), path
        schema = json.loads(target.read_text(encoding="utf-8"))
        assert [error.message for error in Draft7Validator(schema).iter_errors(load(path))] == [], path
