"""Property (a): a valid workbook raises no errors, and every value written reaches the canonical records,
the SDTM datasets (XPT read by pyreadstat, Dataset-JSON checked by its schema) and the FHIR bundles
exactly as written: partial-date precision kept, decimal digits kept where they were typed."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from crfmap.api import ConvertOptions, convert_workbook, validate_workbook
from crfmap.issues import ExitStatus
from crfmap.study.models import StudyMapping
from tests.property.expectations import (
    assert_decimal,
    check_records,
    expected_findings,
    expected_subjects,
    iso_of,
)
from tests.property.mapping_folder import STUDY_ID, TIME_ZONE
from tests.property.outputs import (
    read_dataset_json_rows,
    read_fhir_resources,
    read_xpt_rows,
)
from tests.property.workbooks import WorkbookPlan, workbook_plans, write_workbook
from tests.published import read_published

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
GENDERS = {"M": "male", "F": "female"}
Checker = Callable[[dict[str, Any]], list[str]]


def run_validation(plan: WorkbookPlan, study: StudyMapping):
    with tempfile.TemporaryDirectory() as folder:
        return validate_workbook(write_workbook(plan, Path(folder) / "site.xlsx"), study)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(plan=workbook_plans())
def test_valid_workbook_reads_every_value_as_written(plan: WorkbookPlan, study_mapping: StudyMapping) -> None:
    check_records(plan, run_validation(plan, study_mapping))


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(plan=workbook_plans(max_subjects=3, blank_sex=False))
def test_converted_outputs_hold_the_written_values(plan: WorkbookPlan, study_mapping: StudyMapping,
                                                   schema_errors: Checker, model_errors: Checker) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_workbook(plan, Path(folder) / "site.xlsx")
        outcome = convert_workbook(workbook, study_mapping, ConvertOptions(out=Path(folder) / "out"))
        assert outcome.exit_status is ExitStatus.OK, outcome.report.flatten(("code", "sheet", "cell"))
        sdtm, fhir = Path(folder) / "out" / "sdtm", Path(folder) / "out" / "fhir"
        if expected_findings(plan):
            check_sdtm_lb(plan, read_xpt_rows(sdtm / "lb.xpt"), "lb.xpt")
            check_sdtm_lb(plan, read_dataset_json_rows(sdtm / "lb.json"), "lb.json")
        else:  # no finding, no LB dataset
            assert not (sdtm / "lb.xpt").exists() and not (sdtm / "lb.json").exists()
        check_sdtm_dm(plan, read_xpt_rows(sdtm / "dm.xpt"), "dm.xpt")
        check_sdtm_dm(plan, read_dataset_json_rows(sdtm / "dm.json"), "dm.json")
        check_fhir(plan, read_fhir_resources(fhir))
        for path in sorted(fhir.glob("*.json")):  # R4 JSON Schema and R4B models, resource by resource
            for entry in json.loads(path.read_bytes())["entry"]:
                assert not schema_errors(entry["resource"]) and not model_errors(entry["resource"]), path.name
        again = convert_workbook(workbook, study_mapping, ConvertOptions(out=Path(folder) / "again"))
        assert again.exit_status is ExitStatus.OK
        assert read_tree(Path(folder) / "out") == read_tree(Path(folder) / "again"), "output is not deterministic"


def read_tree(folder: Path) -> dict[str, bytes]:
    return read_published(folder)


def check_sdtm_lb(plan: WorkbookPlan, rows: list[dict], name: str) -> None:
    expected = {(f"{STUDY_ID}-{subject}", day): cell for (subject, day), cell in expected_findings(plan).items()}
    actual = {(row["USUBJID"], row["LBDTC"]): row for row in rows}
    assert len(actual) == len(rows), f"{name}: two rows share USUBJID and LBDTC"
    assert actual.keys() == expected.keys(), name
    for key, cell in expected.items():
        row = actual[key]
        assert_decimal(row["LBORRES"], cell, f"{name} {key} LBORRES")
        assert row["LBORRESU"] == "%"
        assert abs(float(row["LBSTRESN"]) - float(cell.expected)) < 1e-9, f"{name} {key} LBSTRESN"


def check_sdtm_dm(plan: WorkbookPlan, rows: list[dict], name: str) -> None:
    actual = {row["USUBJID"]: row for row in rows}
    assert len(actual) == len(rows) == len(plan.demographics), name
    for subject_id, cells in expected_subjects(plan).items():
        row = actual[f"{STUDY_ID}-{subject_id}"]
        assert row["SUBJID"] == subject_id
        assert row["SEX"] == cells["sex"].expected[0]
        birth = cells["birth_date"].expected
        written = iso_of(birth) if birth else None
        assert (row.get("BRTHDTC") or None) == written, f"{name} {subject_id} BRTHDTC"  # Perm: may be dropped


def read_fhir_moment(text: str) -> str:
    """A FHIR dateTime back to the workbook's precision: the time is written with :00 seconds and the
    study's zone, which must be exactly those."""
    if "T" not in text:
        return text
    assert text.endswith(":00" + TIME_ZONE), text
    return text[: -len(":00" + TIME_ZONE)]


def check_fhir(plan: WorkbookPlan, resources: list[dict]) -> None:
    patients = {resource["id"]: resource for resource in resources if resource["resourceType"] == "Patient"}
    subject_of = {f"urn:uuid:{key}": patient["identifier"][0]["value"] for key, patient in patients.items()}
    assert sorted(subject_of.values()) == sorted(expected_subjects(plan))
    for patient in patients.values():
        cells = expected_subjects(plan)[patient["identifier"][0]["value"]]
        assert patient["gender"] == GENDERS[cells["sex"].expected[0]]
        birth = cells["birth_date"].expected
        assert patient.get("birthDate") == (iso_of(birth) if birth else None)
    observations = {}
    for resource in resources:
        if resource["resourceType"] == "Observation":
            key = (subject_of[resource["subject"]["reference"]], read_fhir_moment(resource["effectiveDateTime"]))
            assert key not in observations, f"two Observations for {key}"
            observations[key] = resource
    assert observations.keys() == expected_findings(plan).keys()
    for key, cell in expected_findings(plan).items():
        quantity = observations[key]["valueQuantity"]
        assert_decimal(quantity["value"], cell, f"Observation {key} valueQuantity.value")
        assert (quantity.get("system"), quantity.get("code")) == ("http://unitsofmeasure.org", "%")
