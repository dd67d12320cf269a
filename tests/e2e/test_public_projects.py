"""Data no one here wrote: every public REDCap project (REDCapR's csv exports with their dictionaries, REDCap's ODM
exports, PyCap's ODM projects) and odmlib's ODM snapshot converts to FHIR R4 and SDTM with its mapping in
mappings/ (scaffolded by crfmap init, finished in YAML). Outputs are checked independently: every FHIR resource
against HL7's R4 JSON Schema, every XPT read back by pyreadstat with the subjects counted in the source by
Python's csv module or lxml. A project exported both ways gives the same canonical records from either export.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from crfmap.api import load_mapping, validate_workbook
from crfmap.cli import main
from crfmap.model import Coded
from crfmap.readers import ReadOptions
from tests.shared_data import REPO_ROOT, shared_path

REDCAPR = ("redcap", "redcapr")
# (mapping folder, source file under ../shared/public-data, subjects in the source)
CASES = [
    ("redcapr_simple", (*REDCAPR, "simple", "data.csv")),
    ("redcapr_simple", (*REDCAPR, "simple", "project.xml")),
    ("redcapr_longitudinal", (*REDCAPR, "longitudinal", "data.csv")),
    ("redcapr_longitudinal", (*REDCAPR, "longitudinal", "project.xml")),
    ("redcapr_repeating_instruments", (*REDCAPR, "repeating-instruments", "data.csv")),
    ("redcapr_repeating_instruments", (*REDCAPR, "repeating-instruments", "project.xml")),
    ("redcapr_repeating_instruments_sparse", (*REDCAPR, "repeating-instruments-sparse", "data.csv")),
    ("redcapr_repeating_instruments_sparse", (*REDCAPR, "repeating-instruments-sparse", "project.xml")),
    ("redcapr_vignette_repeating", (*REDCAPR, "vignette-repeating", "data.csv")),
    ("redcapr_vignette_repeating", (*REDCAPR, "vignette-repeating", "project.xml")),
    ("redcapr_checkboxes_1", (*REDCAPR, "checkboxes-1", "data.csv")),
    ("redcapr_checkboxes_1", (*REDCAPR, "checkboxes-1", "project.xml")),
    ("redcapr_clinical_trial_1", (*REDCAPR, "clinical-trial-1", "data.csv")),
    ("redcapr_validation_types_1", (*REDCAPR, "validation-types-1", "data.csv")),
    ("pycap_doctest_project", ("redcap", "pycap", "doctest_project.xml")),
    ("pycap_test_simple_project", ("redcap", "pycap", "test_simple_project.xml")),
    ("pycap_test_long_project", ("redcap", "pycap", "test_long_project.xml")),
    ("odmlib_snapshot", ("odm", "odmlib", "odm-data-snapshot.xml")),
]
BOTH_EXPORTS = ["simple", "longitudinal", "repeating-instruments", "repeating-instruments-sparse",
                "vignette-repeating", "checkboxes-1"]


def subjects_in(source: Path) -> set[str]:
    """The subject ids of a source, read without crfmap."""
    if source.suffix == ".csv":
        with source.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
        return {row[0] for row in rows[1:] if row and row[0]}
    tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True))
    return {element.get("SubjectKey") for element in tree.iter("{*}SubjectData")}


def read_options(source: Path) -> ReadOptions:
    return ReadOptions(dictionary=source.parent / "dictionary.csv") if source.suffix == ".csv" else ReadOptions()


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("mapping, source_parts", CASES, ids=[f"{case[0]}-{case[1][-1]}" for case in CASES])
def test_public_project_converts_to_fhir_and_sdtm(tmp_path, mapping, source_parts, schema_errors):
    import pyreadstat

    source = shared_path(*source_parts)
    arguments = ["convert", str(source), "--study", str(REPO_ROOT / "mappings" / mapping), "--out", str(tmp_path)]
    if source.suffix == ".csv":
        arguments += ["--dictionary", str(source.parent / "dictionary.csv")]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output[-3000:]
    assert " error(s)" in result.output and "0 error(s)" in result.output
    bundles = sorted((tmp_path / "fhir").glob("bundle-*.json"))
    subjects = subjects_in(source)
    assert len(bundles) == len(subjects)
    problems = []
    for bundle in bundles:
        data = json.loads(bundle.read_text(encoding="utf-8"))
        problems += [f"{bundle.name}: {problem}" for problem in schema_errors(data)]
        for entry in data["entry"]:
            problems += [f"{bundle.name} {entry['resource']['resourceType']}: {problem}"
                         for problem in schema_errors(entry["resource"])]
    assert problems == []
    dm, _meta = pyreadstat.read_xport(str(tmp_path / "sdtm" / "dm.xpt"))
    assert set(dm["SUBJID"]) == subjects
    for xpt in (tmp_path / "sdtm").glob("*.xpt"):
        frame, _meta = pyreadstat.read_xport(str(xpt))
        dataset = json.loads(xpt.with_suffix(".json").read_text(encoding="utf-8"))
        assert len(frame) == dataset["records"], xpt.name


def canonical_records(source: Path, mapping, keep_verbatim: bool):
    result = validate_workbook(source, mapping, read_options=read_options(source))
    assert [issue.code for issue in result.report.errors] == []
    return sorted((comparable(record, keep_verbatim) for record in result.records), key=lambda record: record.sort_key)


def comparable(record, keep_verbatim: bool):
    """The record without its source cells, and with runs of whitespace in text as one space: REDCap's ODM export
    writes line breaks raw inside attributes, which XML reads as spaces (the csv keeps them)."""
    changes = {"sources": {}}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str):
            changes[item.name] = " ".join(value.split())
        elif isinstance(value, Coded) and not keep_verbatim:
            changes[item.name] = dataclasses.replace(value, verbatim=None)
    return dataclasses.replace(record, **changes)


@pytest.mark.shared
@pytest.mark.parametrize("project", BOTH_EXPORTS)
def test_csv_and_odm_exports_give_the_same_records(project):
    """The same records from either export. The simple project's csv copy holds sex as R's FALSE/TRUE where the
    ODM export holds 0/1 (same codes, other spelling): there the site's spelling (verbatim) is set aside."""
    folder = shared_path(*REDCAPR, project)
    mapping, _issues = load_mapping(REPO_ROOT / "mappings" / f"redcapr_{project.replace('-', '_')}")
    keep_verbatim = project != "simple"
    from_csv = canonical_records(folder / "data.csv", mapping, keep_verbatim)
    from_odm = canonical_records(folder / "project.xml", mapping, keep_verbatim)
    assert from_csv and from_csv == from_odm


@pytest.mark.parametrize("folder", sorted(path.name for path in (REPO_ROOT / "mappings").iterdir()
                                           if (path / "study.yaml").is_file()))  # mappings/schema: the JSON Schemas
def test_every_mapping_passes_check_mapping_without_drafts(folder):
    _mapping, issues = load_mapping(REPO_ROOT / "mappings" / folder)
    assert [issue.code for issue in issues if issue.code in ("P050", "P051")] == []  # finished: no draft left
    assert [issue for issue in issues if issue.severity.value == "error"] == []
