"""The reference study end to end through the public API: the clean workbook validates silently, the messy one
yields exactly the planted issues, and the accepted messiness is read as planted.yaml says.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from crfmap.issues.catalogue.schema import ENTRIES as SCHEMA_ENTRIES
from crfmap.model import Coded, PartialDate, Quantity

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "blinatumomab_ped_all"
STUDY = REPO / "mappings" / "blinatumomab_ped_all"
ERROR_CODES = {entry.code for entry in SCHEMA_ENTRIES if entry.severity.value == "error"}


@pytest.fixture(scope="module")
def api():
    return pytest.importorskip("crfmap.api", reason="crfmap.api (the lead's orchestration) is not there yet")


@pytest.fixture(scope="module")
def planted() -> list[dict]:
    return yaml.safe_load((FIXTURES / "planted.yaml").read_text(encoding="utf-8"))["planted"]


@pytest.fixture(scope="module")
def messy(api):
    return api.validate_workbook(FIXTURES / "messy.xlsx", STUDY)


def test_clean_workbook_has_no_errors_and_no_warnings(api):
    result = api.validate_workbook(FIXTURES / "clean.xlsx", STUDY)
    assert [(issue.code, issue.sheet, issue.cell) for issue in result.report.issues
            if issue.severity.value in ("error", "warning")] == []
    subjects = {record.subject_id for record in result.records if record.concept == "subject"}
    assert len(subjects) == 14
    assert result.left_out == []


def test_messy_workbook_yields_exactly_the_planted_issues(messy, planted):
    expected = sorted((entry["code"], entry["sheet"], entry["cell"]) for entry in planted if entry["code"])
    flattened = messy.report.flatten(("code", "sheet", "cell", "severity"))
    actual = sorted((code, sheet, cell) for code, sheet, cell, severity in flattened
                    if getattr(severity, "value", severity) != "info")
    assert actual == expected


@pytest.mark.parametrize("plant_id", ["P01", "P02", "P03", "P04", "P07", "P09", "P12", "P16", "P18", "P24", "P30"])
def test_accepted_messiness_is_read_as_planted(messy, planted, plant_id):
    entry = next(item for item in planted if item["id"] == plant_id)
    values = values_from_cell(messy.records, entry["sheet"], entry["cell"])
    assert values, f"no record field was made from {entry['sheet']}!{entry['cell']}"
    assert {plain(value) for value in values} == {plain(entry["read_as"])}


def test_russian_sheet_and_header_are_read(messy, planted):
    sheet = next(item for item in planted if item["id"] == "P27")["sheet"]
    events = [record for record in messy.records if record.concept == "adverse_event"]
    assert events and all(cell.sheet == sheet for record in events for cell in record.all_sources)
    header = next(item for item in planted if item["id"] == "P28")
    column_letter = header["cell"].rstrip("0123456789")
    # demographics rows with a planted error are left out of mapping; every other subject is read
    rejected = {item["subject"] for item in planted if item["form"] == "demographics" and item["subject"]
                and item["code"] in ERROR_CODES}
    sexes = [record.sex for record in messy.records if record.concept == "subject"]
    assert len(sexes) == 14 - len(rejected) and all(isinstance(sex, Coded) for sex in sexes)
    sources = {cell.a1.rstrip("0123456789") for record in messy.records if record.concept == "subject"
               for cell in record.sources.get("sex", ())}
    assert sources == {column_letter}


def test_ignored_sheet_produces_no_issue(messy, planted):
    ignored = next(item for item in planted if item["id"] == "P29")["sheet"]
    assert [issue for issue in messy.report.issues if issue.sheet == ignored] == []


def values_from_cell(records, sheet: str, cell: str) -> list[object]:
    """Every record field (or qualifier) whose source is the given cell."""
    found = []
    for record in records:
        for name, cells in record.sources.items():
            if any(source.sheet == sheet and source.a1 == cell for source in cells):
                if name.startswith("qualifiers."):
                    found.append(record.qualifiers.get(name.removeprefix("qualifiers.")))
                else:
                    found.append(getattr(record, name))
    return found


def plain(value: object) -> object:
    """A comparable form: code list value, ISO date at its precision, number as Decimal text."""
    if isinstance(value, Coded):
        return value.value
    if isinstance(value, PartialDate):
        return value.iso()
    if isinstance(value, Quantity):
        value = value.value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    return value


def test_cli_shows_every_planted_mistake_in_text_json_and_the_annotated_copy(planted, tmp_path):
    """Issue 2's definition of done, through the command line a data manager runs."""
    import json

    from click.testing import CliRunner
    from openpyxl import load_workbook

    from crfmap.cli import main

    expected = {(entry["code"], entry["sheet"], entry["cell"]) for entry in planted if entry["code"]}
    messy = str(FIXTURES / "messy.xlsx")
    text = CliRunner().invoke(main, ["validate", messy, "--study", str(STUDY)])
    assert text.exit_code == 1
    headings = text.stdout.splitlines()
    for code, sheet, cell in expected:  # each issue's first line: where, severity and code
        assert any(line.startswith(f"{sheet}!{cell}  ") and f" {code} " in line for line in headings), (code, sheet,
                                                                                                       cell)
    as_json = CliRunner().invoke(main, ["validate", messy, "--study", str(STUDY), "--format", "json"])
    found = {(issue["code"], issue["sheet"], issue["cell"]) for issue in json.loads(as_json.stdout)["issues"]}
    assert expected <= found
    annotated = tmp_path / "messy.checked.xlsx"
    CliRunner().invoke(main, ["validate", messy, "--study", str(STUDY), "--annotate", str(annotated)])
    book = load_workbook(annotated)
    for code, sheet, cell in expected:
        comment = book[sheet][cell].comment
        assert comment is not None and code in comment.text, (code, sheet, cell)


def test_validate_without_records_reports_the_same_and_keeps_none(api, messy):
    """`crfmap validate` maps every valid row (the mapping's checks run) but keeps only the count of records, so its
    memory is the cross-form state, not the data: the report, issues and counts are those of a run that keeps them."""
    lean = api.validate_workbook(FIXTURES / "messy.xlsx", STUDY, keep_records=False)
    assert lean.records == [] and messy.records
    assert lean.records_made == messy.records_made == len(messy.records)
    assert lean.report.facts["records"] == len(messy.records)
    assert lean.report.as_dict() == messy.report.as_dict()
