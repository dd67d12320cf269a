"""Every emitted resource validates against the official R4 JSON Schema and the fhir.resources R4B models."""

from __future__ import annotations

import pytest

from tests.unit.writers.fhir_r4.conftest import read_bundles, read_ndjson
from tests.unit.writers.fhir_r4.writing import write_cohort

BUNDLE_MODES = [
    {}, {"request": "put"}, {"bundle": "collection"}, {"single": True}, {"pretty": True},
]


@pytest.mark.parametrize("options", BUNDLE_MODES, ids=lambda options: ",".join(options) or "default")
def test_every_bundle_resource_is_valid_r4(tmp_path, options, schema_errors, model_errors):
    write_cohort(tmp_path / "out", **options)
    bundles = read_bundles(tmp_path / "out")
    assert bundles
    checked = 0
    for name, bundle in bundles.items():
        assert schema_errors(bundle) == [], name
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert schema_errors(resource) == [], (name, resource["resourceType"])
            assert model_errors(resource) == [], (name, resource["resourceType"])
            checked += 1
    assert checked >= 23  # 3 patients, 14 clinical records, age, study, provenance


def test_every_ndjson_resource_is_valid_r4(tmp_path, schema_errors, model_errors):
    write_cohort(tmp_path / "out", ndjson=True)
    files = read_ndjson(tmp_path / "out")
    assert set(files) == {"AdverseEvent", "Condition", "MedicationAdministration", "Observation", "Patient",
                          "Procedure", "Provenance", "ResearchStudy", "ResearchSubject"}
    for resource_type, resources in files.items():
        for resource in resources:
            assert resource["resourceType"] == resource_type
            assert schema_errors(resource) == []
            assert model_errors(resource) == []


def test_strict_mode_accepts_the_cohort(tmp_path, fhir_schema):
    from crfmap.writers.fhir_r4 import FhirOptions, write_fhir
    from tests.shared_data import shared_path
    from tests.unit.writers.fhir_r4.cohort import build_records, build_study
    from tests.unit.writers.fhir_r4.writing import SOURCE

    result = write_fhir(build_records(), build_study(), tmp_path / "out", FhirOptions(strict=True), SOURCE,
                        schema=shared_path("schemas", "fhir-r4", "fhir.schema.json"))
    assert result.counts["Patient"] == 3
