"""Run-time validation (`strict`): every resource through fhir.resources R4B models and, when a schema
file is given, the official R4 JSON Schema. Both imported lazily: a normal run pays for neither.

The R4 JSON Schema is not shipped with crfmap; pass its path as `schema` (fhir.schema.json from
https://hl7.org/fhir/R4/fhir.schema.json.zip).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import orjson

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.writers.fhir_r4.emit import dump_json

# fhir.resources module per resource type (R4B; these resources are the same shape in R4 and R4B).
MODULES = {
    "Patient": "patient", "ResearchStudy": "researchstudy", "ResearchSubject": "researchsubject",
    "Observation": "observation", "Condition": "condition", "Procedure": "procedure",
    "MedicationAdministration": "medicationadministration", "AdverseEvent": "adverseevent",
    "Provenance": "provenance", "Bundle": "bundle",
}


class ResourceValidator:
    """Checks resources; collects W041 issues rather than stopping at the first."""

    def __init__(self, schema_path: Path | None = None) -> None:
        self.issues: list[Issue] = []
        self.models: dict[str, Any] = {}
        self.schema_validators: dict[str, Any] = {}
        self.schema: dict[str, Any] | None = None
        if schema_path is not None:
            try:
                self.schema = orjson.loads(Path(schema_path).read_bytes())
            except (OSError, orjson.JSONDecodeError) as problem:
                raise FatalIssue(make_issue("W041", value=str(Path(schema_path).name), expected="R4 JSON Schema",
                                            detail=f"the schema cannot be read: {problem}")) from problem

    def check(self, resource: dict[str, Any]) -> None:
        plain = orjson.loads(dump_json(resource))  # what a reader of the file would see
        resource_type = plain["resourceType"]
        label = f"{resource_type}/{plain.get('id')}"
        for problem in self._model_problems(resource_type, plain):
            self.issues.append(make_issue("W041", value=label, expected="fhir.resources R4B", detail=problem))
        for problem in self._schema_problems(resource_type, plain):
            self.issues.append(make_issue("W041", value=label, expected="FHIR R4 JSON Schema", detail=problem))

    def _model_problems(self, resource_type: str, plain: dict[str, Any]) -> list[str]:
        from pydantic import ValidationError

        model = self.models.get(resource_type)
        if model is None:
            module = importlib.import_module(f"fhir.resources.R4B.{MODULES[resource_type]}")
            model = self.models[resource_type] = getattr(module, resource_type)
        try:
            model.model_validate(plain)
        except ValidationError as problem:
            return [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in problem.errors()]
        return []

    def _schema_problems(self, resource_type: str, plain: dict[str, Any]) -> list[str]:
        if self.schema is None:
            return []
        validator = self.schema_validators.get(resource_type)
        if validator is None:
            from jsonschema import Draft6Validator

            definition = {**self.schema, "$ref": f"#/definitions/{resource_type}"}
            definition.pop("oneOf", None)
            validator = self.schema_validators[resource_type] = Draft6Validator(definition)
        return [f"{'.'.join(str(part) for part in error.absolute_path) or resource_type}: {error.message}"
                for error in validator.iter_errors(plain)]
