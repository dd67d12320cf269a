"""The issue catalogue: well-formed entries, and the README's reference generated from it."""

from __future__ import annotations

import re

from crfmap.issues import CATALOGUE, Report, make_issue
from crfmap.issues.reference import render_codes
from tests.shared_data import REPO_ROOT


def test_codes_are_stage_letter_and_three_digits_with_unique_slugs() -> None:
    slugs = [entry.slug for entry in CATALOGUE.values()]
    assert len(slugs) == len(set(slugs))
    for code, entry in CATALOGUE.items():
        assert re.fullmatch(r"[PRSMW]\d{3}", code), code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.slug), entry.slug
        assert entry.hint, f"{code} has no hint"


def test_readme_reference_is_the_generated_table() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- codes:begin -->")[1].split("<!-- codes:end -->")[0].strip()
    assert block == render_codes("markdown"), "regenerate: crfmap codes --format markdown"


def test_every_template_fills_without_error_text() -> None:
    for code in CATALOGUE:
        issue = make_issue(code, value="x", expected="y", column="c", form="f", subject="s", sheet="S", detail="d")
        # make_issue falls back to "<title> (<missing field>)" when a template names an unknown field
        assert not issue.message.startswith(CATALOGUE[code].title + " ("), code


def test_report_orders_by_position_and_counts() -> None:
    report = Report()
    report.add(make_issue("S105", file="a.xlsx", sheet="LB", row=10, cell="AA10", form="labs"))
    report.add(make_issue("S104", file="a.xlsx", sheet="LB", row=10, cell="C10", form="labs"))
    report.add(make_issue("S004", file="a.xlsx", sheet="LB", row=2, cell="E2", form="labs"))
    report.add(make_issue("P003", file="m/forms/x.yaml", line=4, detail="d"))
    assert report.flatten() == [("P003", None, None), ("S004", "LB", "E2"), ("S104", "LB", "C10"),
                                ("S105", "LB", "AA10")]
    summary = report.summary()
    assert (summary["errors"], summary["warnings"]) == (3, 1)
    assert summary["by_form"]["labs"] == {"error": 2, "warning": 1}
    assert int(report.exit_status) == 1
