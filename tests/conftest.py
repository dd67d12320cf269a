"""Fixtures every test folder may use: the independent FHIR R4 checkers (HL7's official R4 JSON Schema and
the fhir.resources R4B models)."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.fhir_engines.fixtures import fhir_engines, fhir_server, fhir_validate  # noqa: F401  (fixtures for every test)
from tests.shared_data import shared_path

# No test may fail on a duration: a busy 2-core CI machine is slow, not wrong. Under CI=true the examples are
# also derandomised, so CI runs the same cases every time (local runs keep exploring new ones).
settings.register_profile("crfmap", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("crfmap-ci", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True, database=None, print_blob=True)
settings.load_profile("crfmap-ci" if os.environ.get("CI", "").lower() == "true" else "crfmap")

# fhir.resources R4B module per resource type we emit; these resources have the same shape in R4 and R4B.
R4B_MODULES = {
    "Patient": "patient", "ResearchStudy": "researchstudy", "ResearchSubject": "researchsubject",
    "Observation": "observation", "Condition": "condition", "Procedure": "procedure",
    "MedicationAdministration": "medicationadministration", "AdverseEvent": "adverseevent",
    "Provenance": "provenance", "Bundle": "bundle",
}


@pytest.fixture(scope="session")
def fhir_schema() -> dict[str, Any]:
    return json.loads(shared_path("schemas", "fhir-r4", "fhir.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def schema_errors(fhir_schema: dict[str, Any]) -> Callable[[dict[str, Any]], list[str]]:
    """Errors of one resource (or Bundle) against the R4 JSON Schema definition of its type."""
    from jsonschema import Draft6Validator

    validators: dict[str, Draft6Validator] = {}

    def check(resource: dict[str, Any]) -> list[str]:
        resource_type = resource["resourceType"]
        if resource_type not in validators:
            schema = {key: value for key, value in fhir_schema.items() if key != "oneOf"}
            schema["$ref"] = f"#/definitions/{resource_type}"
            validators[resource_type] = Draft6Validator(schema)
        return [f"{list(error.absolute_path)}: {error.message}"
                for error in validators[resource_type].iter_errors(resource)]

    return check


@pytest.fixture(scope="session")
def model_errors() -> Callable[[dict[str, Any]], list[str]]:
    """Errors of one resource against its fhir.resources R4B model."""
    from pydantic import ValidationError

    def check(resource: dict[str, Any]) -> list[str]:
        resource_type = resource["resourceType"]
        module = importlib.import_module(f"fhir.resources.R4B.{R4B_MODULES[resource_type]}")
        try:
            getattr(module, resource_type).model_validate(resource)
        except ValidationError as problem:
            return [str(error) for error in problem.errors()]
        return []

    return check
