"""The JSON Schema of the mapping format, generated from the pydantic models (never written by hand).

The output targets' keys (`fhir:`, `sdtm:` …) come from the writers' own models, given by the caller (see
`crfmap.api.mapping_json_schema`), so that editors complete them too. Every `$ref` resolves: a part's own
definitions stay under its `$defs`, and references are rewritten when the parts are put together.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from crfmap.model import RECORD_TYPES
from crfmap.study.fields import fields_model
from crfmap.study.models import Codelist, Concepts, Form, Study
from crfmap.study.targets import TargetModels

PARTS: dict[str, type[BaseModel]] = {"study": Study, "form": Form, "codelist": Codelist, "concepts": Concepts}
FILES = {"study": "study.yaml", "form": "forms/*.yaml", "codelist": "codelists/*.yaml", "concepts": "concepts.yaml"}
# Draft-07: the newest draft the YAML extension of Visual Studio Code (yaml-language-server) fully supports.
DRAFT = "http://json-schema.org/draft-07/schema#"


def mapping_json_schema(part: str | None = None,
                        targets: Mapping[str, TargetModels] | None = None) -> dict[str, Any]:
    """One part's schema, or all four under $defs (for `# yaml-language-server: $schema=…` lines or editor
    settings keyed by file pattern)."""
    targets = targets or {}
    if part is not None:
        schema = part_schema(part, targets)
        return {"$schema": DRAFT, "description": f"crfmap mapping file {FILES[part]}", **schema}
    return {
        "$schema": DRAFT,
        "title": "crfmap mapping folder",
        "description": "One schema per kind of file in mappings/<study>/: " +
                       ", ".join(f"{name} = {pattern}" for name, pattern in FILES.items()),
        "$defs": {name: rebase_refs(part_schema(name, targets), f"#/$defs/{name}/$defs/")
                  for name in PARTS},
    }


def part_schema(part: str, targets: Mapping[str, TargetModels]) -> dict[str, Any]:
    schema = PARTS[part].model_json_schema()
    definitions = schema.setdefault("$defs", {})
    if part == "study":
        add_targets(schema, definitions, {key: models.study for key, models in targets.items()}, "settings")
    elif part == "concepts":
        add_targets(definitions["ConceptSpec"], definitions,
                    {key: models.concept for key, models in targets.items()}, "target")
        add_record_fields(definitions["ConceptSpec"], definitions)
    return schema


def add_record_fields(concept: dict[str, Any], definitions: dict[str, Any]) -> None:
    """`fields:` as the record kind allows it: one if/then per kind (draft-07), so that an editor completes and
    checks the field names of a finding, an event … with each field's meaning and value kind."""
    branches = []
    for kind in RECORD_TYPES:
        model = fields_model(kind).model_json_schema(ref_template="#/$defs/{model}")
        for name, definition in model.pop("$defs", {}).items():
            if definitions.setdefault(name, definition) != definition:
                raise ValueError(f"two models define {name!r} differently in the mapping schema")
        name = f"{kind.capitalize()}Fields"
        definitions[name] = model
        branches.append({"if": {"properties": {"record": {"const": kind}}, "required": ["record"]},
                         "then": {"properties": {"fields": {"$ref": f"#/$defs/{name}"}}}})
    concept["allOf"] = branches


def add_targets(owner: dict[str, Any], definitions: dict[str, Any], models: Mapping[str, type[BaseModel]],
                role: str) -> None:
    """Declare one property per output target on `owner` (study or concept), and nothing else allowed."""
    properties = owner.setdefault("properties", {})
    for key, model in sorted(models.items()):
        target = model.model_json_schema()
        for name, definition in target.pop("$defs", {}).items():
            if definitions.setdefault(name, definition) != definition:
                raise ValueError(f"two models define {name!r} differently in the mapping schema")
        name = f"{key}_{role}"
        definitions[name] = target
        properties[key] = {"$ref": f"#/$defs/{name}", "description": target.get("description", "")}
    owner["additionalProperties"] = False


def rebase_refs(schema: dict[str, Any], base: str) -> dict[str, Any]:
    """`#/$defs/X` → `base + X` everywhere in `schema` (a part nested under the folder schema's $defs)."""
    rebased = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                node["$ref"] = base + reference[len("#/$defs/"):]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(rebased)
    return rebased
