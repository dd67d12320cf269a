"""Lint is complete: any mapping that passes check-mapping never makes convert end in an internal error, on any
workbook. Mappings are the convertible minimal study (and the reference study) mutated by Hypothesis — fields
filled by any operation, record kinds swapped, SDTM domains and derivations, FHIR resources and categories,
column types, units, date orders, shared sheets — and workbooks are generated ones. A mutant the linter refuses
is fine; one it accepts must convert to a report (exit status), with catalogue codes only, never a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crfmap.api import ConvertOptions, convert_workbook, load_mapping
from crfmap.issues import CATALOGUE, FatalIssue
from crfmap.model import RECORD_TYPES, record_field_names
from tests.e2e.reference import CLEAN, STUDY
from tests.property.mapping_folder import write_convertible_study
from tests.property.workbooks import workbook_plans, write_workbook

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
FIELDS = sorted({name for kind in RECORD_TYPES for name in record_field_names(kind)} | {"nonsense"})
COLUMN_TYPES = ["string", "integer", "decimal", "date", "datetime", "partial_date", "time", "boolean"]
UNITS = ["%", "kg", "mm[Hg]", "/min", "Cel", "ug/m2/d", "not a unit", "mmHg", "{score}"]
DOMAINS = ["DM", "LB", "VS", "QS", "EG", "FA", "AE", "CM", "EX", "DS", "SV", "XW", "TS", "TA", "SUPPLB", "ZZ", "lb"]
VARIABLES = ["--POS", "--CAT", "--SEQ", "--STRESC", "--TESTCD", "--DTC", "VISIT", "--ORRES", "XXXX", "--TPT"]
RESOURCES = ["Observation", "MedicationAdministration", "Procedure", "AdverseEvent", "Condition", "Patient"]
CATEGORIES = ["vital-signs", "laboratory", "survey", "exam", "nonsense", "adverse_event", "exposure", "diagnosis"]
PROFILES = ["http://hl7.org/fhir/StructureDefinition/bodyweight", "http://hl7.org/fhir/StructureDefinition/vitalsigns",
            "urn:not-a-url"]


def operations(codelists: list[str], columns: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    column = st.sampled_from(columns)
    codelist = st.sampled_from([*codelists, "nope"])
    value = st.one_of(st.sampled_from(["laboratory", "BLAST", "M", "exposure", "vital-signs", "2024-01-01", ""]),
                      st.integers(-5, 5), st.booleans(), st.floats(-2, 2, allow_nan=False))
    return st.one_of(
        st.fixed_dictionaries({"op": st.just("copy"), "column": column}),
        st.fixed_dictionaries({"op": st.just("code"), "column": column}),
        st.fixed_dictionaries({"op": st.just("constant"), "value": value}),
        st.fixed_dictionaries({"op": st.just("constant_code"), "codelist": codelist,
                               "value": st.sampled_from(["BLAST", "M", "F", "X"])}),
        st.fixed_dictionaries({"op": st.just("quantity"), "column": column},
                              optional={"unit": st.sampled_from(UNITS), "unit_column": column}),
        st.fixed_dictionaries({"op": st.just("convert_unit"), "column": column, "factor": st.integers(1, 5),
                               "unit": st.sampled_from(UNITS)}),
        st.fixed_dictionaries({"op": st.just("combine_datetime"), "date": column, "time": column}),
        st.fixed_dictionaries({"op": st.just("join"), "columns": st.lists(column, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"op": st.just("lookup"), "form": st.sampled_from(["demographics", "labs"]),
                               "column": column}, optional={"code": st.booleans()}),
        st.fixed_dictionaries({"op": st.just("map_boolean"), "column": column, "codelist": codelist,
                               "yes": st.sampled_from(["M", "BLAST"]), "no": st.sampled_from(["F", "BLAST"])}),
        st.just({"op": "row_number"}),
    )


def sdtm_targets() -> st.SearchStrategy[dict[str, Any]]:
    variable = st.sampled_from(VARIABLES)
    derivation = st.one_of(
        st.fixed_dictionaries({"op": st.just("standard_units"),
                               "units": st.dictionaries(st.sampled_from(["*", "BLAST"]), st.sampled_from(UNITS),
                                                        max_size=2)},
                              optional={"decimals": st.integers(0, 3)}),
        st.sampled_from([{"op": "baseline_flag"}, {"op": "epoch"}, {"op": "visit_number"}]))
    return st.fixed_dictionaries({"domain": st.sampled_from(DOMAINS)}, optional={
        "category": st.just("CHEMISTRY"), "epoch": st.just("TREATMENT"), "end_reference": st.just("END"),
        "derive": st.lists(derivation, max_size=3),
        "constants": st.dictionaries(variable, st.just("X"), max_size=2),
        "variables": st.dictionaries(variable, st.sampled_from(["extra", "test", "date", "sex"]), max_size=2),
        "supp": st.dictionaries(st.sampled_from(["extra", "date", "nothing"]),
                                st.fixed_dictionaries({"qnam": st.sampled_from(["EXTRA", "LBTEST", "X1"]),
                                                       "qlabel": st.just("Extra")}), max_size=2)})


def fhir_targets() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"resource": st.sampled_from(RESOURCES),
                                               "category": st.sampled_from(CATEGORIES),
                                               "profile": st.lists(st.sampled_from(PROFILES), max_size=1)})


@st.composite
def mutations(draw: st.DrawFn, files: dict[str, Any]) -> dict[str, Any]:
    """1–4 changes to a mapping given as parsed YAML (file name → data)."""
    files = copy.deepcopy(files)
    concepts = files["concepts.yaml"]["concepts"]
    forms = [name for name in files if name.startswith("forms/")]
    codelists = [files[name]["id"] for name in files if name.startswith("codelists/")]
    columns = sorted({column["name"] for name in forms for column in files[name]["columns"]}) + ["missing_column"]
    for _ in range(draw(st.integers(1, 4))):
        concept = draw(st.sampled_from(concepts))
        form = files[draw(st.sampled_from(forms))]
        kind = draw(st.sampled_from(["field", "record", "sdtm", "fhir", "type", "qualifier", "when", "unit",
                                     "date_format", "select", "custom"]))
        event(f"mutation: {kind}")
        if kind == "field":
            concept["fields"][draw(st.sampled_from(FIELDS))] = draw(operations(codelists, columns))
        elif kind == "record":
            concept["record"] = draw(st.sampled_from(list(RECORD_TYPES)))
        elif kind == "sdtm":
            concept["sdtm"] = draw(sdtm_targets())
        elif kind == "fhir":
            concept["fhir"] = draw(fhir_targets())
        elif kind == "type":
            column = draw(st.sampled_from(form["columns"]))
            column["type"] = draw(st.sampled_from(COLUMN_TYPES))
            column.pop("codelist", None)
        elif kind == "qualifier":
            concept.setdefault("qualifiers", {})["extra"] = draw(operations(codelists, columns))
        elif kind == "when":
            concept["when"] = {"column": draw(st.sampled_from(columns)), "present": draw(st.booleans())}
        elif kind == "unit":
            draw(st.sampled_from(form["columns"]))["unit"] = draw(st.sampled_from(UNITS))
        elif kind == "date_format":
            form["date_format"] = draw(st.sampled_from(["dmy", "mdy", "ymd", "iso"]))
        elif kind == "select":
            form["select"] = {"column": draw(st.sampled_from(columns)), "present": True}
            form["sheets"] = draw(st.sampled_from([form["sheets"], ["DM", "LB"]]))
        else:
            files["study.yaml"].setdefault("sdtm", {})["custom_domains"] = {
                "XW": {"label": "Custom", "class": draw(st.sampled_from(["Findings", "Events"])), "structure": "x"}}
            files["study.yaml"]["sdtm"]["visits"] = [{"name": "V1", "number": 1}]
    return files


def read_folder(folder: Path) -> dict[str, Any]:
    return {path.relative_to(folder).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
            for path in sorted(folder.rglob("*.yaml"))}


def write_folder(files: dict[str, Any], folder: Path) -> Path:
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def convert_or_refuse(folder: Path, workbook: Path, out: Path) -> None:
    """check-mapping, then (when it passes) convert; only crfmap's own refusals may stop either."""
    try:
        mapping, _ = load_mapping(folder)
    except FatalIssue as refused:
        assert {issue.code for issue in refused.issues} <= set(CATALOGUE)
        event("refused by check-mapping")
        return
    event("accepted by check-mapping")
    try:
        outcome = convert_workbook(workbook, mapping, ConvertOptions(out=out, targets=("fhir", "sdtm"),
                                                                      allow_errors=True, allow_unmapped=True))
    except FatalIssue as refused:  # a clean refusal (the file, or data found only when writing)
        assert {issue.code for issue in refused.issues} <= set(CATALOGUE)
        return
    assert {issue.code for issue in outcome.report.issues} <= set(CATALOGUE)


@given(data=st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
def test_a_mapping_that_passes_check_mapping_converts_any_workbook(data, tmp_path_factory):
    base = tmp_path_factory.getbasetemp() / "lint-base"
    if not base.exists():
        write_convertible_study(base)
    files = data.draw(mutations(read_folder(base)))
    plan = data.draw(workbook_plans(max_subjects=3, max_labs=2))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = write_folder(files, root / "mapping")
        workbook = write_workbook(plan, root / "site.xlsx")
        convert_or_refuse(folder, workbook, root / "out")


@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
def test_mutants_of_the_reference_mapping_convert_the_reference_workbook(data):
    mutated = data.draw(mutations(read_folder(STUDY)))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        convert_or_refuse(write_folder(mutated, root / "mapping"), CLEAN, root / "out")
