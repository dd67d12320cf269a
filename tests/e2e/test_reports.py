"""The reports around the issues: the spreadsheet report (P21 layout, links into the annotated copy), the
annotated copy (index sheet, tab colours, macros, file mode), byte-identical reports, and the text report's
layout and options. Files are read back with independent readers (openpyxl, python-calamine, lxml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from crfmap.cli import main
from crfmap.issues import CATALOGUE
from tests.e2e.reference import CLEAN, FIXTURES, STUDY
from tests.shared_data import REPO_ROOT

MESSY = FIXTURES / "messy.xlsx"


def run(*arguments: object, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, [str(argument) for argument in arguments])


def messy_issues() -> list[dict]:
    return json.loads(run("validate", MESSY, "--study", STUDY, "--format", "json").stdout)["issues"]


def test_spreadsheet_report_links_each_issue_to_its_cell_in_the_annotated_copy(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    report, annotated = tmp_path / "reports" / "messy.report.xlsx", tmp_path / "messy.annotated.xlsx"
    assert run("validate", MESSY, "--study", STUDY, "--report", report, "--annotate", annotated).exit_code == 1
    issues = messy_issues()
    calamine = CalamineWorkbook.from_path(str(report))
    assert calamine.sheet_names == ["Summary", "Issue summary", "Details", "Rules"]
    details = calamine.get_sheet_by_name("Details").to_python()
    assert details[0][:3] == ["Sheet", "Cell", "Row"]
    assert [(row[6], row[0], row[1]) for row in details[1:]] == [(i["code"], i["sheet"], i["cell"]) for i in issues]
    summary = calamine.get_sheet_by_name("Issue summary").to_python()
    assert {row[0]: row[4] for row in summary[1:]} == {code: sum(i["code"] == code for i in issues)
                                                        for code in {i["code"] for i in issues}}
    rules = calamine.get_sheet_by_name("Rules").to_python()
    assert [row[0] for row in rules[1:]] == sorted(CATALOGUE)
    book = openpyxl.load_workbook(report)
    copy = openpyxl.load_workbook(annotated)
    for row in book["Details"].iter_rows(min_row=2):
        link = row[1].hyperlink
        target, _, location = link.target.partition("#")
        assert target == "../messy.annotated.xlsx"  # relative to the report's folder
        sheet_title, _, cell = location.rpartition("!")
        assert copy[sheet_title.strip("'")][cell].comment is not None, location
    summary_text = [str(cell.value) for row in book["Summary"].iter_rows() for cell in row if cell.value]
    assert "BLINA-PED-ALL version 1" in summary_text and "Демография" in summary_text


def test_annotated_copy_index_links_and_tab_colours(tmp_path: Path) -> None:
    annotated = tmp_path / "a.xlsx"
    run("validate", MESSY, "--study", STUDY, "--annotate", annotated)
    copy = openpyxl.load_workbook(annotated)
    original = openpyxl.load_workbook(MESSY)
    assert copy.sheetnames == ["crfmap issues", *original.sheetnames]
    index = copy["crfmap issues"]
    issues = messy_issues()
    rows = list(index.iter_rows(min_row=2))
    assert [(row[2].value, row[0].value) for row in rows] == [(i["code"], f"{i['sheet']}!{i['cell']}")
                                                               for i in issues]
    for row in rows:
        sheet_title, _, cell = row[0].hyperlink.location.rpartition("!")
        assert copy[sheet_title.strip("'")][cell].comment is not None
    colours = {sheet.title: sheet.sheet_properties.tabColor.rgb if sheet.sheet_properties.tabColor else None
               for sheet in copy.worksheets}
    assert colours["НЯ"].endswith("C00000")  # errors
    assert colours["Инструкция"] is None  # no issue


def test_reports_and_copy_are_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        arguments = ["validate", str(MESSY), "--study", str(STUDY), "--annotate", str(folder / "a.xlsx")]
        for name in ("r.html", "r.xlsx", "r.json", "r.txt"):
            arguments += ["--report", str(folder / name)]
        subprocess.run([sys.executable, "-m", "crfmap", *arguments], cwd=REPO_ROOT, capture_output=True, timeout=120,
                       env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        outputs.append({path.name: path.read_bytes() for path in sorted(folder.iterdir())})
    assert sorted(outputs[0]) == ["a.xlsx", "r.html", "r.json", "r.txt", "r.xlsx"]
    assert outputs[0] == outputs[1]
    assert b"generated" not in outputs[0]["r.json"]


def test_timestamp_only_when_asked(tmp_path: Path) -> None:
    stamped = json.loads(run("validate", CLEAN, "--study", STUDY, "--format", "json", "--timestamp").stdout)
    assert stamped["run"]["generated_at"].endswith("+00:00")
    assert "generated_at" not in json.loads(run("validate", CLEAN, "--study", STUDY, "--format", "json").stdout)["run"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    before = os.umask(umask)
    try:
        annotated, report = tmp_path / "a.xlsx", tmp_path / "r.html"
        run("validate", MESSY, "--study", STUDY, "--annotate", annotated, "--report", report)
    finally:
        os.umask(before)
    assert annotated.stat().st_mode & 0o777 == mode
    assert report.stat().st_mode & 0o777 == mode


def test_macro_workbooks_are_copied_as_xlsx_with_a_warning(tmp_path: Path) -> None:
    macro = tmp_path / "site.xlsm"
    macro.write_bytes(CLEAN.read_bytes())
    asked = tmp_path / "site.checked.xlsm"
    shown = run("validate", macro, "--study", STUDY, "--annotate", asked, "--format", "json")
    written = tmp_path / "site.checked.xlsx"
    assert written.exists() and not asked.exists()
    codes = [issue["code"] for issue in json.loads(shown.stdout)["issues"]]
    assert codes.count("W130") == 1  # one warning: the input's macros are not in the copy, written as .xlsx
    assert openpyxl.load_workbook(written).sheetnames[0] == "crfmap issues"
    plain = tmp_path / "plain.xlsx"
    shown = run("validate", macro, "--study", STUDY, "--annotate", plain, "--format", "json")
    assert [issue["code"] for issue in json.loads(shown.stdout)["issues"]].count("W130") == 1 and plain.exists()
    clean_copy = run("validate", CLEAN, "--study", STUDY, "--annotate", tmp_path / "c.xlsx", "--format", "json")
    assert json.loads(clean_copy.stdout)["issues"] == []


def test_unknown_report_ending_stops_before_any_work(tmp_path: Path) -> None:
    shown = run("validate", MESSY, "--study", STUDY, "--report", tmp_path / "report.pdf")
    assert shown.exit_code == 2 and " W131 " in shown.stderr and shown.stdout == ""


def test_html_report_is_one_file_that_loads_nothing(tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    run("validate", MESSY, "--study", STUDY, "--report", report)
    page = lxml_html.fromstring(report.read_bytes())
    assert page.xpath("//script/@src | //link/@href | //img/@src | //iframe | //object") == []
    policy = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]
    assert policy.startswith("default-src 'none';")
    assert len(page.xpath('//table[@id="issue-table"]/tbody/tr[@data-severity]')) == 19
    assert page.xpath("//h1")[0].text_content() == "crfmap report: messy.xlsx"


def test_redacted_reports_hold_no_cell_values(tmp_path: Path) -> None:
    html, sheet, as_json = tmp_path / "r.html", tmp_path / "r.xlsx", tmp_path / "r.json"
    run("validate", MESSY, "--study", STUDY, "--redact", "--report", html, "--report", sheet, "--report", as_json)
    from python_calamine import CalamineWorkbook

    cells = [str(value) for name in ("Details", "Issue summary", "Summary")
             for row in CalamineWorkbook.from_path(str(sheet)).get_sheet_by_name(name).to_python() for value in row]
    for marker in ("Тремр", "нет данных", "31.06.2022", "см. выписку", "возможно"):
        assert marker not in html.read_text(encoding="utf-8"), marker
        assert marker not in as_json.read_text(encoding="utf-8"), marker
        assert not any(marker in cell for cell in cells), marker
    assert "НЯ" in html.read_text(encoding="utf-8")  # positions stay


# ── the text report ──────────────────────────────────────────────────────────────────────────────────

def text_report(*extra: object, env: dict[str, str] | None = None) -> str:
    return run("validate", MESSY, "--study", STUDY, *extra, env=env).stdout


def test_text_report_counts_first_then_sheets_in_tab_order() -> None:
    lines = text_report().splitlines()
    assert lines[0] == "messy.xlsx: 13 error(s), 6 warning(s), 0 note(s) in 134 row(s)"
    rules = [line.split(" · ")[0][3:] for line in lines if line.startswith("── ")]
    tabs = [sheet for sheet in openpyxl.load_workbook(MESSY, read_only=True).sheetnames]
    assert rules == [sheet for sheet in tabs if sheet in rules]
    assert rules == ["Демография", "Терапия", "Костный мозг", "НЯ", "ТГСК", "Исходы"]
    assert lines.index("  issue                        count  severity") < lines.index(
        next(line for line in lines if line.startswith("── ")))


def test_text_report_speaks_the_sites_words_and_ids_only_when_verbose() -> None:
    plain, verbose = text_report(), text_report("--verbose")
    assert "Терапия!F9  error S101 required-value-missing · Доза, мкг/м²/сут · subject 01-003" in plain
    assert "'Доза, мкг/м²/сут' is required but empty." in plain
    assert "'dose'" not in plain and "column dose" not in plain
    assert "form treatment; column dose" in verbose
    assert verbose.startswith("crfmap:") and "mapping SHA-256:" in verbose


def test_text_report_wraps_to_the_width() -> None:
    for line in text_report().splitlines():
        assert len(line) <= 100 or " " not in line.strip(), line


def test_quiet_prints_only_the_counts() -> None:
    quiet = text_report("--quiet")
    assert quiet.startswith("messy.xlsx: 13 error(s)") and "Hint:" not in quiet and "── " not in quiet


def test_colour_follows_no_color_and_force_color() -> None:
    assert "\x1b[" not in text_report()  # not a terminal
    assert "\x1b[" in text_report(env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in text_report(env={"FORCE_COLOR": "1", "NO_COLOR": "1"})


def test_convert_prints_json_with_the_run_and_outputs(tmp_path: Path) -> None:
    shown = run("convert", CLEAN, "--study", STUDY, "--out", tmp_path / "out", "--to", "fhir", "--format", "json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["run"]["input"]["name"] == "clean.xlsx" and data["issues"] == []
    assert data["outputs"]["fhir"]["files"] and data["outputs"]["fhir"]["counts"]["Patient"] == 14


def test_spreadsheet_report_and_annotated_copy_take_linear_work_in_the_issues(tmp_path: Path, monkeypatch) -> None:
    """openpyxl answers `max_row` by looking at every cell written: asked once per issue (for the cell to link),
    the spreadsheet report and the annotated copy's index took 68 and 34 s for 15,574 issues. Counted, not timed:
    the reports ask a fixed number of times, however many issues there are."""
    from openpyxl.worksheet.worksheet import Worksheet

    asked: list[int] = []
    original = Worksheet.max_row.fget  # type: ignore[attr-defined]
    counted = property(lambda sheet: asked.append(1) or original(sheet))
    report, annotated = tmp_path / "messy.report.xlsx", tmp_path / "messy.annotated.xlsx"
    monkeypatch.setattr(Worksheet, "max_row", counted)
    assert run("validate", MESSY, "--study", STUDY, "--report", report, "--annotate", annotated).exit_code == 1
    monkeypatch.undo()
    linked = sum(1 for issue in messy_issues() if issue["sheet"] and issue["cell"])
    assert linked > 12 and len(asked) <= 3, (linked, len(asked))
    # each link still on its issue's row, in both files
    details = openpyxl.load_workbook(report)["Details"]
    links = [(row[0].value, row[1].value, row[1].hyperlink.target) for row in details.iter_rows(min_row=2)
             if row[1].hyperlink]
    assert len(links) == linked and all(target.endswith(f"!{cell}") for _sheet, cell, target in links)
    index = openpyxl.load_workbook(annotated).worksheets[0]
    places = [(row[0].value, row[0].hyperlink.location) for row in index.iter_rows(min_row=2) if row[0].hyperlink]
    assert len(places) == linked and all(location.endswith(place.split("!")[-1]) for place, location in places)
