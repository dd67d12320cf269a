"""The JSON Schema of the mapping format, generated from the pydantic models (never written by hand)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crfmap.study.models import Codelist, Concepts, Form, Study

PARTS: dict[str, type[BaseModel]] = {"study": Study, "form": Form, "codelist": Codelist, "concepts": Concepts}
FILES = {"study": "study.yaml", "form": "forms/*.yaml", "codelist": "codelists/*.yaml", "concepts": "concepts.yaml"}


def mapping_json_schema(part: str | None = None) -> dict[str, Any]:
    """One part's schema, or all four under $defs (for yaml-language-server `# yaml-language-server:
    $schema=…` lines or editor settings keyed by file pattern)."""
    if part is not None:
        schema = PARTS[part].model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["description"] = f"crfmap mapping file {FILES[part]}"
        return schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "crfmap mapping folder",
        "description": "One schema per kind of file in mappings/<study>/: " +
                       ", ".join(f"{name} = {pattern}" for name, pattern in FILES.items()),
        "$defs": {name: model.model_json_schema() for name, model in PARTS.items()},
    }
