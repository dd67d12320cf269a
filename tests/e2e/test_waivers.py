"""Waivers round-trip: accepted issues become notes marked waived in every report (text, JSON, HTML,
spreadsheet, annotated copy), a waiver that matches nothing is reported, and a broken waivers file stops the
run at its line."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from lxml import html as lxml_html

from crfmap.cli import main
from tests.e2e.reference import FIXTURES, STUDY

MESSY = FIXTURES / "messy.xlsx"
WAIVERS = """\
waivers:
  - code: S112
    cell: "Терапия!G13"
    reason: BSA typed as text by the site; 0.55 confirmed against the source
    by: A. Petrova
    date: 2024-05-02
  - code: S203
    subject: "03-001"
    reason: Screened at site 03; demographics follow in the next export
    by: A. Petrova
    date: 2024-05-02
  - code: S105
    cell: "'Костный мозг'!D99"
    reason: fixed since
    by: A. Petrova
    date: 2024-05-01
"""


def run(*arguments: str):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def test_waived_issues_become_notes_in_every_report(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    html, sheet, annotated = tmp_path / "r.html", tmp_path / "r.xlsx", tmp_path / "a.xlsx"
    shown = run("validate", MESSY, "--study", STUDY, "--waivers", waivers, "--format", "json", "--report", html,
                "--report", sheet, "--annotate", annotated)
    assert shown.exit_code == 1  # other errors remain
    data = json.loads(shown.stdout)
    by_place = {(issue["code"], issue["sheet"], issue["cell"]): issue for issue in data["issues"]}
    bsa, unknown = by_place[("S112", "Терапия", "G13")], by_place[("S203", "НЯ", "A16")]
    for issue, severity in ((bsa, "warning"), (unknown, "error")):
        assert issue["severity"] == "info"
        assert issue["waived"]["severity"] == severity and issue["waived"]["by"] == "A. Petrova"
    assert bsa["waived"]["line"] == 2 and unknown["waived"]["line"] == 7
    stale = [issue for issue in data["issues"] if issue["code"] == "P062"]
    assert len(stale) == 1 and stale[0]["file"] == "waivers.yaml" and stale[0]["line"] == 12
    assert "Костный мозг!D99" in stale[0]["message"]
    summary = data["summary"]
    assert (summary["errors"], summary["warnings"], summary["infos"], summary["waived"]) == (12, 6, 2, 2)
    assert data["run"]["waivers"]["name"] == "waivers.yaml"
    # the other views
    text = run("validate", MESSY, "--study", STUDY, "--waivers", waivers).stdout
    assert "Терапия!G13  waived S112" in text and "Waived (warning) by A. Petrova on 2024-05-02" in text
    page = lxml_html.fromstring(html.read_bytes())
    rows = page.xpath('//tr[@data-severity="waived"]')
    assert sorted(row.get("data-code") for row in rows) == ["S112", "S203"]
    details = openpyxl.load_workbook(sheet)["Details"]
    states = {(row[6].value, row[1].value): row[5].value for row in details.iter_rows(min_row=2)}
    assert states[("S112", "G13")] == "waived warning" and states[("S203", "A16")] == "waived error"
    comment = openpyxl.load_workbook(annotated)["Терапия"]["G13"].comment.text
    assert comment.startswith("waived S112")


def test_a_waiver_file_with_mistakes_stops_the_run_at_its_lines(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - code: S112\n    cell: G13\n    reason: r\n    by: me\n    date: 2024-05-02\n"
                       "  - code: W002\n    subject: '01'\n    reason: r\n    by: me\n    date: 2024-05-02\n"
                       "  - code: S101\n    cell: 'A!B2'\n    by: me\n    date: 2nd May\n", encoding="utf-8")
    shown = run("validate", MESSY, "--study", STUDY, "--waivers", waivers)
    assert shown.exit_code == 2 and shown.stdout == ""
    lines = shown.stderr.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == ["waivers.yaml:2", "waivers.yaml:7", "waivers.yaml:12"]
    assert all(" P061 " in line for line in lines)
    missing = run("validate", MESSY, "--study", STUDY, "--waivers", tmp_path / "absent.yaml")
    assert missing.exit_code == 2 and " P060 " in missing.stderr
