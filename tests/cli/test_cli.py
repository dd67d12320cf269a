"""The CLI in-process: exit statuses, what goes to stdout and stderr, and the files it writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from crfmap.cli import main
from tests.minimal_study import write_minimal_study


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "mini")


def write_workbook(path: Path, demographics: list[list[object]], labs: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Демография"
    for row in [["ID пациента", "Пол", "Birth date"], *demographics]:
        sheet.append(row)
    labs_sheet = book.create_sheet("LB")
    for row in [["Subject ID", "Date", "Blasts", "Note"], *labs]:
        labs_sheet.append(row)
    book.save(path)
    return path


@pytest.fixture()
def clean_book(tmp_path: Path) -> Path:
    from datetime import datetime

    return write_workbook(tmp_path / "clean.xlsx", [["01-001", "M", "2014-05"]],
                          [["01-001", datetime(2021, 3, 4), 12.5, "ok"]])


@pytest.fixture()
def messy_book(tmp_path: Path) -> Path:
    from datetime import datetime

    return write_workbook(tmp_path / "messy.xlsx", [["01-001", "муж", "2014-05"], ["01-002", "Жинский", "2013"]],
                          [["01-001", datetime(2021, 3, 4), 150, None], ["01-009", datetime(2021, 3, 4), 1, None]])


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_clean_workbook_exits_0(clean_book: Path, study: Path) -> None:
    result = run("validate", str(clean_book), "--study", str(study))
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.stdout


def test_data_errors_exit_1_with_issue_positions_in_json(messy_book: Path, study: Path) -> None:
    result = run("validate", str(messy_book), "--study", str(study), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    found = [(issue["code"], issue["sheet"], issue["cell"]) for issue in data["issues"]]
    assert found == [("S104", "Демография", "B3"), ("S105", "LB", "C2"), ("S203", "LB", "A3")]  # tab order
    first = data["issues"][1]
    expected_keys = {"code", "severity", "file", "sheet", "cell", "row", "column", "subject", "value", "expected",
                     "message", "hint"}
    assert expected_keys <= set(first)
    assert first["file"] == "messy.xlsx" and first["value"] == "150" and first["subject"] == "01-001"
    assert data["summary"]["errors"] == 3


def test_missing_workbook_exits_2_with_one_line(study: Path, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.xlsx"), "--study", str(study))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.xlsx" in lines[0] and "R001" in lines[0]
    assert "Traceback" not in result.stderr


def test_broken_mapping_exits_2_naming_file_and_line(clean_book: Path, study: Path) -> None:
    path = study / "forms" / "labs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: decimal", "type: decimall"), encoding="utf-8")
    result = run("validate", str(clean_book), "--study", str(study))
    assert result.exit_code == 2
    assert "mini/forms/labs.yaml:10: error P003" in result.stderr  # the blasts column's line (after date_format)
    assert "Traceback" not in result.stderr


def test_redact_hides_cell_values(messy_book: Path, study: Path) -> None:
    shown = run("validate", str(messy_book), "--study", str(study))
    hidden = run("validate", str(messy_book), "--study", str(study), "--redact")
    assert "Жинский" in shown.stdout
    assert "Жинский" not in hidden.stdout
    assert "LB!C2" in hidden.stdout  # positions stay
    as_json = run("validate", str(messy_book), "--study", str(study), "--redact", "--format", "json")
    values = {issue["value"] for issue in json.loads(as_json.stdout)["issues"]}
    assert values == {"‹redacted›"} and "Жинский" not in as_json.stdout


def test_annotate_marks_cells_and_leaves_input_alone(messy_book: Path, study: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(messy_book.read_bytes()).hexdigest()
    target = tmp_path / "checked.xlsx"
    result = run("validate", str(messy_book), "--study", str(study), "--annotate", str(target))
    assert result.exit_code == 1
    assert hashlib.sha256(messy_book.read_bytes()).hexdigest() == before
    book = load_workbook(target)
    comment = book["LB"]["C2"].comment
    assert comment is not None and "S105" in comment.text
    assert book["LB"]["C2"].fill.start_color.rgb.endswith("FFC7CE")
    assert book["Демография"]["B3"].comment is not None
    assert book["LB"]["B2"].comment is None  # a good cell stays unmarked


def test_annotate_refuses_to_overwrite_input(messy_book: Path, study: Path) -> None:
    result = run("validate", str(messy_book), "--study", str(study), "--annotate", str(messy_book))
    assert result.exit_code == 2 and "W001" in result.stderr


def test_check_mapping_and_schema(study: Path) -> None:
    result = run("check-mapping", str(study))
    assert result.exit_code == 0 and "2 forms, 2 code lists, 2 concepts" in result.stdout
    assert "P013 unverified-code: snomed 00000000 (BLAST)" in result.stdout
    schema = json.loads(run("schema").stdout)
    assert set(schema["$defs"]) == {"study", "form", "codelist", "concepts"}
    form_schema = json.loads(run("schema", "--part", "form").stdout)
    assert "columns" in form_schema["required"]


def test_codes_lists_the_catalogue() -> None:
    from crfmap.issues import CATALOGUE

    result = run("codes", "--format", "json")
    assert {entry["code"] for entry in json.loads(result.stdout)} == set(CATALOGUE)


def test_help_teaches_the_exit_statuses() -> None:
    result = run("--help")
    assert "Exit status: 0 no errors" in result.stdout
    assert "validate" in result.stdout and "convert" in result.stdout


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_failure_after_the_switch_does_not_claim_nothing_changed(clean_book: Path, study: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    failure: type[BaseException]) -> None:
    """Ctrl-C (or a bug) while the summary is printed, after OUT was switched to the new output: the message says
    so, and OUT holds this run's files; the same failure before the switch says nothing changed."""
    import crfmap.cli

    out = tmp_path / "out"

    def fails(*_args: object, **_kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(crfmap.cli, "_print_report", fails)
    result = run("convert", str(clean_book), "--study", str(study), "--to", "fhir", "--out", str(out))
    assert result.exit_code == (130 if failure is KeyboardInterrupt else 2), result.output
    assert f"the new output was switched in at {out}" in result.stderr, result.stderr
    assert "no output was changed" not in result.stderr and "nothing was written" not in result.stderr
    assert sorted(path.name for path in (out / "fhir").iterdir())  # the run's files are there
    before = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}

    monkeypatch.setattr(crfmap.cli.api, "convert_workbook", fails)
    again = run("convert", str(clean_book), "--study", str(study), "--to", "fhir", "--out", str(out))
    said = "interrupted; no output was changed." if failure is KeyboardInterrupt else "nothing was written"
    assert said in again.stderr, again.stderr
    assert {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
