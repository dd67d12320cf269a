"""A few message tests: messages start where to look, quote the value, say what was expected."""

from __future__ import annotations

from tests.unit.validate.study_builder import ADVERSE_EVENTS, DEMOGRAPHICS, build_study, run_validation

AE_HEADER = ["Subject ID", "AE term", "Onset date"]


def test_code_list_miss_names_the_cell_the_value_and_the_closest_value() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS, ADVERSE_EVENTS]), {
        "Demographics": [["Subject ID", "Sex", "Age, years"], ["01-007", "M", 9]],
        "AE": [AE_HEADER, ["01-007", "Фебрильная лихорадк ", "14.05.2019"]]}, native_types=False)
    (issue,) = outcome.report.issues
    assert issue.where == "site.xlsx › AE!B2"
    assert issue.message == "'Фебрильная лихорадк ' is not in code list ae_term; closest: 'Фебрильная лихорадка'"
    assert (issue.column, issue.subject) == ("term", "01-007")
    assert "Фебрильная лихорадка" in issue.hint


def test_impossible_date_message_and_hint() -> None:
    outcome = run_validation(build_study(forms=[DEMOGRAPHICS]), {
        "Demographics": [["Subject ID", "Sex", "Age, years", "Date of diagnosis"], ["01-007", "M", 9, "31.06.2021"]]},
        native_types=False)
    (issue,) = outcome.report.issues
    assert issue.message == "'31.06.2021' is not a real calendar date"
    assert issue.hint == "June 2021 has 30 days; check day and month."
