"""Data no one here wrote: every public REDCap project (REDCapR's csv exports with their dictionaries, REDCap's ODM
exports, PyCap's ODM projects) and odmlib's ODM snapshot converts to FHIR R4 and SDTM with its mapping in
mappings/ (scaffolded by crfmap init, finished in YAML). Outputs are checked independently: every FHIR resource
against HL7's R4 JSON Schema, every XPT read back by pyreadstat with the subjects counted in the source by
Python's csv module or lxml, and the collected values of each SDTM test (VS, LB, CM, the custom domains) compared
with the export's own cells. A project exported both ways gives the same canonical records from either export.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections import Counter
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
# The SDTM datasets each mapping writes (besides TS), and the concepts left out of SDTM on purpose (W006), each
# with its reason in the mapping: a lab test the project never names, a fixture note longer than XPT v5 holds,
# several races per subject (DM RACE MULTIPLE + SUPPDM), adverse events no one has coded to MedDRA.
DATASETS = {
    "redcapr_simple": {"DM", "VS"},
    "redcapr_longitudinal": {"DM", "DS", "LB", "VS"},
    "redcapr_repeating_instruments": {"DM", "VS"},
    "redcapr_repeating_instruments_sparse": {"DM", "VS"},
    "redcapr_vignette_repeating": {"DM", "VS"},
    "redcapr_checkboxes_1": {"DM", "XC"},
    "redcapr_clinical_trial_1": {"DM", "VS"},
    "redcapr_validation_types_1": {"DM"},
    "pycap_doctest_project": {"DM", "XT"},
    "pycap_test_simple_project": {"DM", "VS"},
    "pycap_test_long_project": {"DM", "LB", "VS"},
    "odmlib_snapshot": {"CM", "DM", "DS", "LB", "SUPPLB", "VS"},
}
NOT_IN_SDTM = {
    "redcapr_simple": {"race"},
    "redcapr_vignette_repeating": {"laboratory"},
    "redcapr_checkboxes_1": {"desired_result"},
    "odmlib_snapshot": {"adverse_event"},
}
HEIGHT_WEIGHT_BMI = [("VS", {"VSTESTCD": "HEIGHT"}, ["height"]), ("VS", {"VSTESTCD": "WEIGHT"}, ["weight"]),
                     ("VS", {"VSTESTCD": "BMI"}, ["bmi"])]
BLOOD_PRESSURE = [("VS", {"VSTESTCD": "SYSBP"}, ["bp_systolic"]), ("VS", {"VSTESTCD": "DIABP"}, ["bp_diastolic"])]
# (dataset, the rows' keys, the export's fields whose non-empty values are those rows' --ORRES, or the variable
# named last). A field ending in ___ is a REDCap checkbox: its ticked choice codes. Fields are csv columns and, in
# ODM, ItemOIDs.
COLLECTED = {
    "redcapr_simple": HEIGHT_WEIGHT_BMI,
    "redcapr_longitudinal": [
        ("VS", {"VSCAT": "DEMOGRAPHICS", "VSTESTCD": "HEIGHT"}, ["height"]),
        ("VS", {"VSCAT": "DEMOGRAPHICS", "VSTESTCD": "WEIGHT"}, ["weight"]),
        ("VS", {"VSCAT": "DEMOGRAPHICS", "VSTESTCD": "BMI"}, ["bmi"]),
        ("VS", {"VSCAT": "BASELINE DATA", "VSTESTCD": "HEIGHT"}, ["height2"]),
        ("VS", {"VSCAT": "BASELINE DATA", "VSTESTCD": "WEIGHT"}, ["weight2"]),
        ("VS", {"VSCAT": "BASELINE DATA", "VSTESTCD": "BMI"}, ["bmi2"]),
        ("LB", {"LBTESTCD": "NPCRATE"}, ["npcr_b", "vld3", "npcr_4"]),
    ],
    "redcapr_repeating_instruments": BLOOD_PRESSURE,
    "redcapr_repeating_instruments_sparse": BLOOD_PRESSURE,
    "redcapr_vignette_repeating": [*HEIGHT_WEIGHT_BMI, ("VS", {"VSTESTCD": "SYSBP"}, ["sbp"]),
                                   ("VS", {"VSTESTCD": "DIABP"}, ["dbp"])],
    "redcapr_checkboxes_1": [("XC", {"XCTESTCD": "CHECK1"}, ["check_one___"]),
                             ("XC", {"XCTESTCD": "CHECK2"}, ["check_two___"])],
    "redcapr_clinical_trial_1": HEIGHT_WEIGHT_BMI[:2],
    "pycap_doctest_project": [("XT", {"XTTESTCD": "CHKBOX"}, ["checkbox_field___"])],
    "pycap_test_simple_project": HEIGHT_WEIGHT_BMI,
    "pycap_test_long_project": [("VS", {"VSTESTCD": "WEIGHT"}, ["weight2"])],
    "odmlib_snapshot": [
        ("VS", {"VSTESTCD": "PULSE"}, ["IT.PT_PULSE"]), ("VS", {"VSTESTCD": "TEMP"}, ["IT.PT_TEMP"]),
        ("VS", {"VSTESTCD": "HEIGHT"}, ["IT.PT_HEIGHT"]), ("VS", {"VSTESTCD": "WEIGHT"}, ["IT.PT_WEIGHT"]),
        ("VS", {"VSTESTCD": "BMI"}, ["IT.PT_BMI"]), ("CM", {}, ["IT.CMTRT"], "CMTRT"),
        ("CM", {}, ["IT.CMROUTE"], "CMROUTE"),
    ],
}
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


def collected_in(source: Path, fields: list[str]) -> Counter:
    """(subject, value) of every non-empty value of the fields in the export, read without crfmap; a checkbox
    (field___) gives its ticked choice codes."""
    found: Counter = Counter()
    if source.suffix == ".csv":
        with source.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        subject_column = next(iter(rows[0]))
        for row in rows:
            for name, cell in row.items():
                for field in fields:
                    if field.endswith("___") and name.startswith(field) and cell == "1":
                        found[(row[subject_column], name.removeprefix(field))] += 1
                    elif name == field and cell.strip():
                        found[(row[subject_column], cell.strip())] += 1
        return found
    tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True))
    for subject in tree.iter("{*}SubjectData"):
        for item in subject.iter("{*}ItemData"):
            oid, value = item.get("ItemOID"), (item.get("Value") or "").strip()
            for field in fields:
                if field.endswith("___") and oid.startswith(field) and value == "1":
                    found[(subject.get("SubjectKey"), oid.removeprefix(field))] += 1
                elif oid == field and value:
                    found[(subject.get("SubjectKey"), value)] += 1
    return found


def same_number_or_text(value: str) -> str:
    """'80' and '80.0' are the same collected number; anything else compares as text."""
    try:
        return repr(float(value))
    except ValueError:
        return value


def read_options(source: Path) -> ReadOptions:
    return ReadOptions(dictionary=source.parent / "dictionary.csv") if source.suffix == ".csv" else ReadOptions()


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("mapping, source_parts", CASES, ids=[f"{case[0]}-{case[1][-1]}" for case in CASES])
def test_public_project_converts_to_fhir_and_sdtm(tmp_path, mapping, source_parts, schema_errors):
    import pyreadstat

    source = shared_path(*source_parts)
    report = tmp_path / "report.json"
    arguments = ["convert", str(source), "--study", str(REPO_ROOT / "mappings" / mapping), "--out", str(tmp_path),
                 "--report", str(report)]
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
    frames = {}
    for xpt in (tmp_path / "sdtm").glob("*.xpt"):
        frame, _meta = pyreadstat.read_xport(str(xpt))
        dataset = json.loads(xpt.with_suffix(".json").read_text(encoding="utf-8"))
        assert len(frame) == dataset["records"], xpt.name
        frames[xpt.stem.upper()] = frame
    assert set(frames) - {"TS"} == DATASETS[mapping]
    issues = json.loads(report.read_text(encoding="utf-8"))["issues"]
    left_out = {issue["message"].split("'")[1] for issue in issues if issue["code"] == "W006"}
    assert left_out == NOT_IN_SDTM.get(mapping, set())
    subject_of = dict(zip(dm["USUBJID"], dm["SUBJID"], strict=True))
    for domain, keys, fields, *result_variable in COLLECTED.get(mapping, []):
        frame = frames[domain]
        for variable, value in keys.items():
            frame = frame[frame[variable] == value]
        results = frame[(result_variable or [f"{domain}ORRES"])[0]]
        written = Counter((subject_of[usubjid], same_number_or_text(result))
                          for usubjid, result in zip(frame["USUBJID"], results, strict=True))
        expected = Counter({(subject, same_number_or_text(value)): count
                            for (subject, value), count in collected_in(source, fields).items()})
        assert written and written == expected, (domain, keys)


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
    """The same records from either export, verbatim texts included. The simple project's csv copy holds sex as R's
    FALSE/TRUE where the ODM export holds 0/1: both are choice codes (`entry: choice`), so neither is kept as the
    site's words and the records agree."""
    folder = shared_path(*REDCAPR, project)
    mapping, _issues = load_mapping(REPO_ROOT / "mappings" / f"redcapr_{project.replace('-', '_')}")
    from_csv = canonical_records(folder / "data.csv", mapping, keep_verbatim=True)
    from_odm = canonical_records(folder / "project.xml", mapping, keep_verbatim=True)
    assert from_csv and from_csv == from_odm


@pytest.mark.shared
@pytest.mark.parametrize("export", ["data.csv", "project.xml"])
def test_a_choice_code_is_reported_by_its_label_not_its_code(tmp_path, export):
    """A REDCap raw export holds the choice code ("1"), which no one wrote: DSTERM, the reported term, is the label
    the site picked, read here from the project's own data dictionary with Python's csv module."""
    import pyreadstat

    folder = shared_path(*REDCAPR, "longitudinal")
    with (folder / "dictionary.csv").open(encoding="utf-8", newline="") as stream:
        field = next(row for row in csv.reader(stream) if row[0] == "withdraw_reason")
    labels = dict(choice.split(",", 1) for choice in field[5].split("|"))  # REDCap's 6th column: the choices
    labels = {code.strip(): label.strip() for code, label in labels.items()}
    reasons = {subject: code for (subject, code), _count in collected_in(folder / export, ["withdraw_reason"]).items()}
    arguments = ["convert", str(folder / export), "--study", str(REPO_ROOT / "mappings" / "redcapr_longitudinal"),
                 "--out", str(tmp_path), "--to", "sdtm"]
    if export == "data.csv":
        arguments += ["--dictionary", str(folder / "dictionary.csv")]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output[-3000:]
    ds, _meta = pyreadstat.read_xport(str(tmp_path / "sdtm" / "ds.xpt"))
    withdrawn = ds[ds["DSDECOD"] != "COMPLETED"]
    written = {usubjid.rsplit("-", 1)[1]: term for usubjid, term in zip(withdrawn["USUBJID"], withdrawn["DSTERM"],
                                                                          strict=True)}
    assert reasons and written == {subject: labels[code] for subject, code in reasons.items()}
    assert not set(written.values()) & set(labels)  # no bare code left as a term


@pytest.mark.parametrize("folder", sorted(path.name for path in (REPO_ROOT / "mappings").iterdir()
                                           if (path / "study.yaml").is_file()))  # mappings/schema: the JSON Schemas
def test_every_mapping_passes_check_mapping_without_drafts(folder):
    _mapping, issues = load_mapping(REPO_ROOT / "mappings" / folder)
    assert [issue.code for issue in issues if issue.code in ("P050", "P051")] == []  # finished: no draft left
    assert [issue for issue in issues if issue.severity.value == "error"] == []
