"""Output safety: file names made from subject ids stay inside OUT and are never device names; text that
starts like a formula is neutralised in SDTM csv and nothing crfmap adds to an annotated copy is a formula;
--redact keeps planted cell values out of every message; a convert that fails mid-way leaves the previous
OUT byte for byte."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import FatalIssue, make_issue
from crfmap.writers import WRITERS
from tests.e2e.reference import CLEAN, STUDY
from tests.minimal_study import write_minimal_study
from tests.published import crfmap_debris, read_published
from tests.shared_data import REPO_ROOT

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
HOSTILE_IDS = ["../../etc/x", "CON", "a/b", "..", "", "nul.txt", "/abs/path", "..\\..\\win", "a_b"]
FORMULA_TEXTS = ['=HYPERLINK("http://evil.example/x","click")', "+1", "-2+3", "@SUM(A1)"]
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def run_crfmap(*arguments: str | Path) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", "crfmap", *map(str, arguments)], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in completed.stderr + completed.stdout
    return completed


def minimal_workbook(path: Path, subject_ids: list[str]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "DM"
    sheet.append(["Subject ID", "Sex"])
    for subject_id in subject_ids:
        sheet.append([subject_id, "M"])
    workbook.create_sheet("LB").append(["Subject ID", "Date", "Blasts"])
    workbook.save(path)
    return path


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


# ── file names from data ─────────────────────────────────────────────────────────────────────────────

def test_hostile_subject_ids_stay_inside_out(tmp_path):
    study = write_minimal_study(tmp_path / "study")  # no id pattern: the ids reach the writers
    workbook = minimal_workbook(tmp_path / "ids.xlsx", HOSTILE_IDS)
    out = tmp_path / "deep" / "er" / "out"  # "../../etc/x" from OUT/fhir would land in tmp_path/deep
    completed = run_crfmap("convert", workbook, "--study", study, "--out", out, "--allow-errors", "--ndjson",
                           "--sdtm-format", "csv", "--sdtm-format", "json", "--sdtm-format", "xpt")
    assert completed.returncode == 1, completed.stdout[-2000:]  # the empty id is an error; the rest is written
    inputs = {workbook, *files_under(study)}
    assert set(files_under(tmp_path)) - inputs == set(files_under(out))  # nothing was written outside OUT
    for path in files_under(out):
        assert path.resolve().is_relative_to(out.resolve())
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name), path.name
        assert path.name.split(".")[0].upper() not in RESERVED, path.name
        assert not path.name.startswith(".crfmap-tmp")
    bundles = [path for path in files_under(out / "fhir") if path.name.startswith("bundle-")]
    assert len(bundles) == len(HOSTILE_IDS) - 1  # one per subject with an id; "a/b" and "a_b" both kept
    identifiers = set()
    for line in (out / "fhir" / "Patient.ndjson").read_text(encoding="utf-8").splitlines():
        patient = json.loads(line)
        identifiers |= {item["value"] for item in patient["identifier"] if item["system"] == "urn:mini:subject"}
    assert identifiers == set(HOSTILE_IDS) - {""}  # the ids themselves are kept as written


def test_convert_never_deletes_its_input(tmp_path):
    out = tmp_path / "out"
    (out / "fhir").mkdir(parents=True)
    workbook = out / "fhir" / "site.xlsx"
    workbook.write_bytes(CLEAN.read_bytes())
    completed = run_crfmap("convert", workbook, "--study", STUDY, "--out", out, "--to", "fhir")
    assert workbook.exists() and workbook.read_bytes() == CLEAN.read_bytes()
    if completed.returncode == 2:  # refusing is the expected fix: one W001 line
        assert " W001 " in completed.stderr


def test_out_that_is_a_file_is_refused_with_a_catalogue_code(tmp_path):
    out = tmp_path / "out"
    out.write_text("a file, not a folder", encoding="utf-8")
    completed = run_crfmap("convert", CLEAN, "--study", STUDY, "--out", out)
    assert completed.returncode == 2
    assert out.read_text(encoding="utf-8") == "a file, not a folder"
    lines = completed.stderr.splitlines()
    assert len(lines) == 1 and " W001 " in lines[0] and "internal error" not in lines[0], completed.stderr


def test_reference_study_refuses_hostile_ids_and_writes_only_inside_out(tmp_path):
    workbook = openpyxl.load_workbook(CLEAN)
    demographics = workbook["Demographics"]
    hostile = {2: "../../etc/x", 3: "CON", 4: "a/b", 5: ".."}
    for row, subject_id in hostile.items():
        demographics.cell(row, 1).value = subject_id
    path = tmp_path / "site.xlsx"
    workbook.save(path)
    out = tmp_path / "deep" / "out"
    completed = run_crfmap("convert", path, "--study", STUDY, "--out", out, "--allow-errors", "--allow-unmapped",
                           "--sdtm-format", "csv", "--ndjson", "--format", "concise")
    assert completed.returncode == 1
    for row in hostile:  # the id pattern rejects them at their cells
        assert f"Demographics!A{row}: error S106 " in completed.stdout, row
    assert set(files_under(tmp_path)) == {path, *files_under(out)}
    names = [file.name for file in files_under(out)]
    assert names and all(re.fullmatch(r"[A-Za-z0-9._-]+", name) for name in names)
    assert not any(name.startswith(("bundle-_", "bundle-a_b", "bundle-CON")) for name in names)


# ── formula injection ────────────────────────────────────────────────────────────────────────────────

def set_text(sheet, reference: str, text: str) -> None:
    sheet[reference] = text
    sheet[reference].data_type = "s"  # a text cell, as a site types it; not a formula


def test_formula_like_free_text_is_neutralised_in_sdtm_csv(tmp_path):
    workbook = openpyxl.load_workbook(CLEAN)
    for row, text in enumerate(FORMULA_TEXTS, start=2):
        set_text(workbook["Transplant"], f"E{row}", text)  # E: conditioning regimen, free text
    set_text(workbook["Treatment"], "J2", "=cmd|' /C calc'!A0")  # interruption reason, free text
    path = tmp_path / "site.xlsx"
    workbook.save(path)
    out = tmp_path / "out"
    completed = run_crfmap("convert", path, "--study", STUDY, "--out", out, "--to", "sdtm", "--sdtm-format", "csv")
    assert completed.returncode == 0, completed.stdout[-2000:]
    fields = []
    for csv_path in sorted((out / "sdtm").glob("*.csv")):
        with csv_path.open(encoding="utf-8", newline="") as stream:
            fields += [(csv_path.name, value) for row in csv.reader(stream) for value in row]
    values = {value for _name, value in fields}
    for text in FORMULA_TEXTS:
        assert "'" + text in values, text  # written, with the leading apostrophe
    for name, value in fields:
        if value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not NUMBER.fullmatch(value)):
            pytest.fail(f"{name}: {value!r} would run as a formula in a spreadsheet")


def test_annotated_copy_adds_no_formula(tmp_path):
    workbook = openpyxl.load_workbook(CLEAN)
    set_text(workbook["Adverse events"], "B2", '=HYPERLINK("http://evil.example/x","click")')  # S104
    set_text(workbook["Adverse events"], "R3", "@SUM(A1)")  # S301
    set_text(workbook["Transplant"], "E2", "+1")  # free text: valid
    workbook.create_sheet("Notes")["A1"] = "stray"  # S007: an issue without a cell, listed on the added sheet
    source = tmp_path / "=1+2.xlsx"  # the file name starts the 'where' text on the added sheet
    workbook.save(source)
    annotated = tmp_path / "annotated.xlsx"
    completed = run_crfmap("validate", source, "--study", STUDY, "--annotate", annotated)
    assert completed.returncode == 1
    original, copy = openpyxl.load_workbook(source), openpyxl.load_workbook(annotated)
    assert copy.sheetnames == ["crfmap issues", *original.sheetnames]  # the index sheet first
    for sheet in original.worksheets:  # the site's own cells stay exactly as they were, none added
        before = {(cell.coordinate, cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row
                  if cell.value is not None}
        after = {(cell.coordinate, cell.value, cell.data_type) for row in copy[sheet.title].iter_rows()
                 for cell in row if cell.value is not None}
        assert after == before, sheet.title
    commented = {(sheet.title, cell.coordinate) for sheet in copy.worksheets for row in sheet.iter_rows()
                 for cell in row if cell.comment is not None}
    assert {("Adverse events", "B2"), ("Adverse events", "R3")} <= commented
    added = [cell for row in copy["crfmap issues"].iter_rows() for cell in row if cell.value is not None]
    assert any("Notes" in str(cell.value) for cell in added)
    for cell in added:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        assert not str(cell.value).startswith(("=", "+", "-", "@")), (cell.coordinate, cell.value)


# ── --redact ─────────────────────────────────────────────────────────────────────────────────────────

def redact_workbook(folder: Path, plant) -> Path:
    workbook = openpyxl.load_workbook(CLEAN)
    plant(workbook)
    path = folder / "site.xlsx"
    workbook.save(path)
    return path


def redacted_runs(path: Path, out: Path) -> list[subprocess.CompletedProcess]:
    return [
        run_crfmap("validate", path, "--study", STUDY, "--redact"),
        run_crfmap("validate", path, "--study", STUDY, "--redact", "--format", "json", "--coverage"),
        run_crfmap("convert", path, "--study", STUDY, "--out", out, "--redact", "--allow-errors"),
    ]


def plant_bad_values(workbook: openpyxl.Workbook) -> None:
    workbook["Adverse events"]["B2"] = "Feverish QX7731"  # S104
    workbook["Demographics"]["E3"] = "QX8842 years"  # S102
    workbook["Bone marrow"]["D3"] = 1577.25  # S105
    workbook["Adverse events"]["R3"] = "Mother QX5519"  # S301


def test_redact_hides_values_but_keeps_positions(tmp_path):
    path = redact_workbook(tmp_path, plant_bad_values)
    text, as_json, converted = redacted_runs(path, tmp_path / "out")
    for completed in (text, as_json, converted):
        assert completed.returncode == 1
        output = completed.stdout + completed.stderr
        for marker in ("QX7731", "QX8842", "1577", "Mother"):
            assert marker not in output, marker
    for completed in (text, converted):
        for position in ("Adverse events!B2", "Demographics!E3", "Bone marrow!D3", "Adverse events!R3"):
            assert position in completed.stdout, position
    cells = {(issue["sheet"], issue["cell"], issue["code"]) for issue in json.loads(as_json.stdout)["issues"]}
    assert {("Adverse events", "B2", "S104"), ("Demographics", "E3", "S102"), ("Bone marrow", "D3", "S105"),
            ("Adverse events", "R3", "S301")} <= cells


def test_redacted_annotations_hold_no_values(tmp_path):
    """The annotated copy keeps the site's cells (they are its own data), but what crfmap adds is redacted."""
    path = redact_workbook(tmp_path, plant_bad_values)
    annotated = tmp_path / "annotated.xlsx"
    assert run_crfmap("validate", path, "--study", STUDY, "--redact", "--annotate", annotated).returncode == 1
    copy = openpyxl.load_workbook(annotated)
    comments = {(sheet.title, cell.coordinate): cell.comment.text for sheet in copy.worksheets
                for row in sheet.iter_rows() for cell in row if cell.comment is not None}
    assert {("Adverse events", "B2"), ("Demographics", "E3"), ("Bone marrow", "D3")} <= set(comments)
    added = [str(cell.value) for sheet in copy.worksheets if sheet.title == "crfmap issues"
             for row in sheet.iter_rows() for cell in row if cell.value is not None]
    for text in [*comments.values(), *added]:
        for marker in ("QX7731", "QX8842", "1577", "Mother"):
            assert marker not in text, (marker, text)


def test_without_redact_the_values_are_shown(tmp_path):
    """Guards the test above: the markers do reach the output when --redact is not given."""
    path = redact_workbook(tmp_path, plant_bad_values)
    output = run_crfmap("validate", path, "--study", STUDY).stdout
    for marker in ("QX7731", "QX8842", "1577.25", "Mother QX5519"):
        assert marker in output, marker


def plant_conflicting_birth_date(workbook: openpyxl.Workbook) -> None:
    demographics = workbook["Demographics"]
    assert demographics["D2"].value == datetime.datetime(2009, 1, 8)
    values = [cell.value for cell in demographics[2]]
    values[3] = datetime.datetime(2009, 2, 8)
    demographics.append(values)  # row 16: subject 01-001 again, another birth date


def plant_end_before_start(workbook: openpyxl.Workbook) -> None:
    adverse = workbook["Adverse events"]
    assert adverse["C3"].value == datetime.datetime(2018, 9, 4)
    adverse["D3"] = datetime.datetime(2018, 9, 1)


def plant_formula_without_value(workbook: openpyxl.Workbook) -> None:
    workbook["Transplant"]["E2"] = '="Bu QX9911 "&"Flu"'  # openpyxl saves no calculated value


# Data reaches an issue by more ways than its value: the other value of a conflict (S206), the other date of
# an order check (S201), the formula text of a cell (R009).
# case: (plant, the issue code, texts from the planted cells that must not be printed)
LEAKS = {
    "S206-conflict": (plant_conflicting_birth_date, "S206", ("2009-02-08", "2009-01-08")),
    "S201-end-before-start": (plant_end_before_start, "S201", ("2018-09-01", "2018-09-04")),
    "R009-formula": (plant_formula_without_value, "R009", ("QX9911",)),
}


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_without_redact_the_planted_values_are_printed(tmp_path, case):
    """Guards the test below: each planted value does reach the output when --redact is not given."""
    plant, code, secrets = LEAKS[case]
    output = run_crfmap("validate", redact_workbook(tmp_path, plant), "--study", STUDY).stdout
    assert code in output
    for secret in secrets:
        assert secret in output, secret


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_redact_hides_values_printed_from_other_fields(tmp_path, case):
    plant, code, secrets = LEAKS[case]
    path = redact_workbook(tmp_path, plant)
    for completed in redacted_runs(path, tmp_path / "out"):
        output = completed.stdout + completed.stderr
        assert code in output  # the issue is reported ...
        for secret in secrets:
            assert secret not in output, secret  # ... without the planted values


def test_redact_hides_the_value_in_an_impossible_date_hint(tmp_path):
    """Without --redact the hint says 'June 2011 has 30 days': month and year of the planted date."""
    def plant(workbook: openpyxl.Workbook) -> None:
        workbook["Demographics"]["D4"] = "31.06.2011"

    path = redact_workbook(tmp_path, plant)
    for completed in redacted_runs(path, tmp_path / "out"):
        output = completed.stdout + completed.stderr
        assert "S108" in output and ("Demographics!D4" in output or '"D4"' in output)
        assert "31.06.2011" not in output
        assert "2011" not in output.replace("2011-", "")  # no year of the planted date, in any wording


# ── atomicity ────────────────────────────────────────────────────────────────────────────────────────

def snapshot(folder: Path) -> dict[str, bytes]:
    return read_published(folder)


def leftovers(folder: Path) -> list[Path]:
    return crfmap_debris(folder)


def failing_after_writing(target_name: str, problem: BaseException):
    real = WRITERS[target_name]

    def write_then_fail(request):
        real.write(request)
        assert any(request.folder.rglob("*")), "the failing writer must have written something first"
        raise problem

    return dataclasses.replace(real, write=write_then_fail)


@pytest.mark.parametrize("target_name, problem, status, code", [
    ("sdtm", OSError(28, "No space left on device"), 2, "W001"),  # the disk: cannot run
    ("fhir", FatalIssue(make_issue("W003", file="x", detail="planted failure")), 1, "W003"),  # the data
])
def test_failed_convert_leaves_previous_output(tmp_path, monkeypatch, target_name, problem, status, code):
    study = write_minimal_study(tmp_path / "study")
    out = tmp_path / "out"
    options = ConvertOptions(out=out, writer_options={"fhir": {"ndjson": True}, "sdtm": {"sdtm_formats": ("xpt", "json", "csv")}})
    first = convert_workbook(minimal_workbook(tmp_path / "first.xlsx", ["01-001", "01-002"]), study, options)
    assert sorted(first.written) == ["fhir", "sdtm"]
    before = snapshot(out)
    assert any(name.startswith("fhir/bundle-") for name in before)

    # the second run has different data, so a partial replacement would show in the bytes
    second_workbook = minimal_workbook(tmp_path / "second.xlsx", ["01-001", "01-002", "01-003"])
    monkeypatch.setitem(WRITERS, target_name, failing_after_writing(target_name, problem))
    outcome = convert_workbook(second_workbook, study, options)
    assert outcome.written == {} and int(outcome.exit_status) == status
    assert code in [issue.code for issue in (*outcome.report.errors, *outcome.failure)]
    assert snapshot(out) == before
    assert sorted(path.name for path in out.iterdir()) == [".crfmap", "fhir", "sdtm"]
    assert leftovers(tmp_path) == []


def test_failed_switch_leaves_previous_output(tmp_path, monkeypatch):
    """The one rename that switches OUT/fhir and OUT/sdtm together fails (say, a locked folder): W001, and the
    previous set is what OUT shows, with nothing of the failed run left."""
    study = write_minimal_study(tmp_path / "study")
    out = tmp_path / "out"
    options = ConvertOptions(out=out, writer_options={"fhir": {"ndjson": True}, "sdtm": {"sdtm_formats": ("csv",)}})
    convert_workbook(minimal_workbook(tmp_path / "first.xlsx", ["01-001", "01-002"]), study, options)
    before = snapshot(out)
    real_replace = os.replace

    def refuse_the_switch(source, target) -> None:
        if Path(target) == out / ".crfmap" / "current":
            raise PermissionError(13, "The process cannot access the file because it is being used", str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", refuse_the_switch)
    outcome = convert_workbook(minimal_workbook(tmp_path / "second.xlsx", ["01-001", "01-002", "01-003"]), study,
                               options)
    assert int(outcome.exit_status) == 2 and outcome.written == {}
    assert [issue.code for issue in outcome.failure] == ["W001"]
    assert leftovers(tmp_path) == []
    assert snapshot(out) == before


def test_fhir_says_when_times_of_day_are_cut_to_dates(tmp_path):
    """FHIR needs a zone with a time; without study fhir.timezone the time is dropped, and the run says so."""
    study = write_minimal_study(tmp_path / "study")
    concepts = study / "concepts.yaml"
    concepts.write_text(concepts.read_text(encoding="utf-8") + "    fhir: {category: laboratory}\n"
                        "    sdtm: {domain: LB}\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = "DM"
    book["DM"].append(["Subject ID", "Sex", "Birth date"])
    book["DM"].append(["01-001", "M", "2014"])
    book.create_sheet("LB").append(["Subject ID", "Date", "Blasts"])
    book["LB"].append(["01-001", datetime.datetime(2021, 3, 4, 8, 30), 12])
    workbook = tmp_path / "timed.xlsx"
    book.save(workbook)
    outcome = convert_workbook(workbook, study, ConvertOptions(out=tmp_path / "out", targets=("fhir",)))
    assert [issue.code for issue in outcome.report.issues if issue.code == "W043"] == ["W043"]
