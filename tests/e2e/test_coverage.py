"""No cell goes unnoticed: stray cells planted in copies of the reference workbook are each reported at their
cell (S301) or with their sheet (S007), and `validate --coverage --format json` accounts for every non-empty
cell, checked against an independent count made with openpyxl. Also the cross-row checks (S004, S203, S205,
S206) and the spellings sites really type (Unicode oddities, Да/Нет, "12,5", "48%", dates around 1900)."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl

from crfmap import api
from crfmap.model import PartialDate
from tests.e2e.reference import CLEAN, STUDY
from tests.minimal_study import write_minimal_study
from tests.shared_data import REPO_ROOT

AE, DM, BM, TX = "Adverse events", "Demographics", "Bone marrow", "Transplant"


def planted_copy(folder: Path, plant: Callable[[openpyxl.Workbook], None], name: str = "site.xlsx") -> Path:
    workbook = openpyxl.load_workbook(CLEAN)
    plant(workbook)
    path = folder / name
    workbook.save(path)
    return path


def validate_json(path: Path, study: Path = STUDY) -> tuple[int, dict]:
    completed = subprocess.run(
        [sys.executable, "-m", "crfmap", "validate", str(path), "--study", str(study), "--coverage",
         "--format", "json"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in completed.stderr
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def count_non_empty(path: Path) -> dict[str, int]:
    """The independent count: cells openpyxl sees with a value other than empty or blank text."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    counts = {}
    for sheet in workbook.worksheets:
        counts[sheet.title] = sum(1 for row in sheet.iter_rows(values_only=True) for value in row
                                  if value is not None and not (isinstance(value, str) and not value.strip()))
    workbook.close()
    return counts


def found(data: dict, code: str) -> set[tuple[str | None, str | None]]:
    return {(issue["sheet"], issue["cell"]) for issue in data["issues"] if issue["code"] == code}


def issues_at(data: dict, sheet: str, cell: str) -> list[dict]:
    return [issue for issue in data["issues"] if issue["sheet"] == sheet and issue["cell"] == cell]


def assert_every_cell_accounted(path: Path, data: dict) -> dict[str, dict]:
    accounts = {account["sheet"]: account for account in data["coverage"]}
    assert set(accounts) == set(count_non_empty(path))  # every sheet has an account, none invented
    for sheet, expected in count_non_empty(path).items():
        account = accounts[sheet]
        assert account["unaccounted"] == 0, account
        assert account["non_empty"] == expected, (sheet, account, expected)
        assert account["header"] + account["mapped"] + account["ignored"] + account["unmapped"] == expected
    assert data["summary"]["cells_unaccounted"] == 0
    return accounts


# ── coverage ─────────────────────────────────────────────────────────────────────────────────────────

def test_clean_workbook_is_fully_accounted():
    status, data = validate_json(CLEAN)
    assert status == 0
    accounts = assert_every_cell_accounted(CLEAN, data)
    assert all(account["unmapped"] == 0 for account in accounts.values())


def plant_strays(workbook: openpyxl.Workbook) -> None:
    adverse = workbook[AE]  # table A1:O14 (the last six columns are the seriousness criteria)
    adverse["R3"] = "see source notes"  # right of the table, after two empty columns
    adverse["Q20"] = "checked by monitor"  # below the table after blank rows, outside its columns
    transplant = workbook[TX]
    transplant.insert_rows(1)  # the header moves to row 2; a title goes above it
    transplant["A1"] = "Site 01 transplant log"
    notes = workbook.create_sheet("Notes")
    notes["B2"] = "patient 01-003 moved"
    notes["C5"] = 42


def test_stray_cells_are_reported_and_accounted(tmp_path):
    path = planted_copy(tmp_path, plant_strays)
    _status, data = validate_json(path)
    assert found(data, "S301") == {(AE, "R3"), (AE, "Q20"), (TX, "A1")}
    [unused] = [issue for issue in data["issues"] if issue["code"] == "S007"]
    assert unused["sheet"] == "Notes" and "2 non-empty" in unused["message"]
    values = {issue["cell"]: issue["value"] for issue in data["issues"] if issue["code"] == "S301"}
    assert values == {"R3": "see source notes", "Q20": "checked by monitor", "A1": "Site 01 transplant log"}
    accounts = assert_every_cell_accounted(path, data)
    assert {sheet: account["unmapped"] for sheet, account in accounts.items() if account["unmapped"]} == {
        AE: 2, TX: 1, "Notes": 2}
    # every table is still read in full (the transplant table under its title too): the clean workbook's rows
    assert data["summary"]["rows_read"] == validate_json(CLEAN)[1]["summary"]["rows_read"] == 132
    assert data["summary"]["errors"] == 0, [issue for issue in data["issues"] if issue["severity"] == "error"]


def test_stray_below_table_in_a_table_column_is_reported_at_its_cell(tmp_path):
    """A cell under the table's own columns, after blank rows, reads as a (bad) data row: still reported at
    its cell with its value, and no record is made from it."""
    def plant(workbook: openpyxl.Workbook) -> None:
        workbook[AE]["B20"] = "ask Dr. K"

    path = planted_copy(tmp_path, plant)
    status, data = validate_json(path)
    assert status == 1
    assert [issue["value"] for issue in issues_at(data, AE, "B20")] == ["ask Dr. K"]
    assert_every_cell_accounted(path, data)
    assert data["summary"]["rows_left_out"] == 1


def test_unknown_header_column_is_reported_and_its_cells_accounted(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        workbook[AE]["P1"] = "Investigator comment"  # right after the last column (O)
        workbook[AE]["P2"] = "called parents"

    path = planted_copy(tmp_path, plant)
    status, data = validate_json(path)
    assert status == 0  # warnings only
    [unknown] = [issue for issue in data["issues"] if issue["code"] == "S004"]
    assert (unknown["sheet"], unknown["cell"], unknown["value"]) == (AE, "P1", "Investigator comment")
    assert found(data, "S301") == {(AE, "P2")}
    assert_every_cell_accounted(path, data)


# ── cross-row checks ─────────────────────────────────────────────────────────────────────────────────

def test_duplicate_subject_with_conflicting_birth_date(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        demographics = workbook[DM]
        values = [cell.value for cell in demographics[2]]
        values[3] = datetime.datetime(2009, 2, 8)  # the first row says 2009-01-08
        demographics.append(values)  # row 16

    path = planted_copy(tmp_path, plant)
    status, data = validate_json(path)
    assert status == 1
    [twice] = [issue for issue in data["issues"] if issue["code"] == "S205"]
    assert (twice["sheet"], twice["cell"], twice["subject"]) == (DM, "A16", "01-001")
    assert twice["related"] == [f"{DM}!A2"]
    [conflict] = [issue for issue in data["issues"] if issue["code"] == "S206"]
    assert (conflict["sheet"], conflict["cell"], conflict["column"]) == (DM, "D16", "birth_date")
    assert conflict["related"] == [f"{DM}!D2"]
    assert "2009-02-08" in conflict["message"] and "2009-01-08" in conflict["message"]
    assert found(data, "S206") == {(DM, "D16")}  # only the birth date differs


def test_record_for_unknown_subject(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        workbook[AE].append(["09-999", "Fever", datetime.datetime(2019, 1, 1), None, "1", "No", "RELATED",
                             "DOSE NOT CHANGED", "RECOVERED/RESOLVED"])  # row 15

    path = planted_copy(tmp_path, plant)
    status, data = validate_json(path)
    assert status == 1
    [unknown] = [issue for issue in data["issues"] if issue["code"] == "S203"]
    assert (unknown["sheet"], unknown["cell"], unknown["subject"]) == (AE, "A15", "09-999")
    assert [issue["code"] for issue in data["issues"] if issue["severity"] == "error"] == ["S203"]


# ── spellings sites type ─────────────────────────────────────────────────────────────────────────────

def validate_in_process(path: Path, study: Path = STUDY) -> api.ValidationResult:
    return api.validate_workbook(path, study)


def records_from_row(result: api.ValidationResult, sheet: str, row: int, concept: str) -> list:
    return [record for record in result.records if record.concept == concept and any(
        cell.sheet == sheet and cell.row == row for cells in record.sources.values() for cell in cells)]


def errors_at(result: api.ValidationResult, sheet: str, cell: str) -> list[str]:
    return [issue.code for issue in result.report if issue.sheet == sheet and issue.cell == cell
            and issue.severity.value == "error"]


UNICODE_TERMS = {  # AE rows whose term is Fever in the clean workbook
    2: "Fever\u00a0",  # non-breaking space
    3: "\u200bFever",  # zero-width space pasted from a web page
    4: "Fever   ",  # trailing spaces
    5: "ЛИХОРАДКА",  # the Russian synonym in capitals
    6: "повышение  температуры",  # a Russian synonym, lower case, doubled space
}


def test_unicode_oddities_in_coded_values_are_accepted(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        for row, text in UNICODE_TERMS.items():
            assert workbook[AE].cell(row, 2).value == "Fever"
            workbook[AE].cell(row, 2).value = text

    result = validate_in_process(planted_copy(tmp_path, plant))
    for row in UNICODE_TERMS:
        assert errors_at(result, AE, f"B{row}") == [], row
        [event] = records_from_row(result, AE, row, "adverse_event")
        assert event.decoded.value == "FEVER"
        codes = {(coding.system, coding.code) for coding in event.decoded.codings}
        assert ("http://snomed.info/sct", "386661006") in codes  # Fever (finding)


def test_smart_quotes_match_a_plain_apostrophe(tmp_path):
    study = write_minimal_study(tmp_path / "study", **{"codelists__sex.yaml": """
        id: sex
        name: Sex
        values:
          - {value: M, display: Male, synonyms: [муж]}
          - {value: F, display: Female, synonyms: [жен]}
          - {value: U, display: Unknown, synonyms: ["don't know"]}
        """})
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "DM"
    sheet.append(["Subject ID", "Sex"])
    sheet.append(["01-001", "don\u2019t know"])  # typographic apostrophe from Word
    sheet.append(["01-002", "Ж\u00a0"])  # not a synonym: must still fail, or the test proves nothing
    workbook.create_sheet("LB").append(["Subject ID", "Date", "Blasts"])
    path = tmp_path / "quotes.xlsx"
    workbook.save(path)
    result = validate_in_process(path, study)
    errors = [(issue.code, issue.cell) for issue in result.report if issue.severity.value == "error"]
    assert errors == [("S104", "B3")]
    sexes = {record.subject_id: record.sex.value for record in result.records if record.concept == "subject"}
    assert sexes == {"01-001": "U"}


def test_yes_no_spellings(tmp_path):
    spellings = {2: ("Да", True), 3: ("Нет", False), 4: ("yes", True), 5: (1, True), 6: ("N", False)}

    def plant(workbook: openpyxl.Workbook) -> None:
        for row, (text, _answer) in spellings.items():
            workbook[DM].cell(row, 11).value = text  # K: Prior HSCT

    result = validate_in_process(planted_copy(tmp_path, plant))
    for row, (_text, answer) in spellings.items():
        assert errors_at(result, DM, f"K{row}") == []
        [prior] = records_from_row(result, DM, row, "prior_hsct")
        assert prior.occurred is answer, row


def test_comma_decimals_and_percent_text(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        marrow = workbook[BM]
        assert (marrow["D2"].value, marrow["E2"].value, marrow["D5"].value) == (48, 45.12, 12)
        marrow["D2"] = "48%"
        marrow["E2"] = "45,12"
        marrow["D5"] = "12,5"

    result = validate_in_process(planted_copy(tmp_path, plant))
    expected = {(2, "marrow_blasts"): Decimal(48), (2, "mrd"): Decimal("45.12"),
                (5, "marrow_blasts"): Decimal("12.5")}
    for (row, concept), value in expected.items():
        [finding] = records_from_row(result, BM, row, concept)
        assert finding.value_quantity.value == value
        assert finding.value_quantity.unit == "%"
    for cell in ("D2", "E2", "D5"):
        assert errors_at(result, BM, cell) == []
        assert [issue.code for issue in result.report if issue.sheet == BM and issue.cell == cell] == ["S112"]


def test_excel_1900_leap_day_is_an_impossible_date(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        demographics = workbook[DM]
        demographics["D2"] = 60  # serial 60: Excel shows 29.02.1900, a day that never existed
        demographics["D2"].number_format = "DD.MM.YYYY"
        demographics["D3"] = "29.02.1900"

    result = validate_in_process(planted_copy(tmp_path, plant))
    assert errors_at(result, DM, "D2") == ["S108"]
    [leap_day] = [issue for issue in result.report if issue.sheet == DM and issue.cell == "D2"]
    assert "29 February 1900" in leap_day.hint  # the cell shows 29.02.1900; the hint says why it is refused
    assert errors_at(result, DM, "D3") == ["S108"]
    assert records_from_row(result, DM, 2, "subject") == []  # the row is left out, not guessed


def test_dates_before_1900_as_text_are_read(tmp_path):
    def plant(workbook: openpyxl.Workbook) -> None:
        workbook[DM]["D3"] = "15.03.1899"
        workbook[DM]["D4"] = "1890-12-31"

    result = validate_in_process(planted_copy(tmp_path, plant))
    for row, date in ((3, PartialDate(1899, 3, 15)), (4, PartialDate(1890, 12, 31))):
        assert errors_at(result, DM, f"D{row}") == []
        [subject] = records_from_row(result, DM, row, "subject")
        assert subject.birth_date == date
