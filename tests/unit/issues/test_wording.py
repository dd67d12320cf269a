"""Messages in the site's words: quoted column names become header texts, never inside the cell's value."""

from __future__ import annotations

from crfmap.issues import Report, make_issue
from crfmap.issues.layout import SheetLayout
from crfmap.issues.wording import in_site_words

LABELS = {"sex": "Пол", "birth_date": "Дата рождения", "age_years": "Возраст, лет"}


def test_column_names_become_the_sites_headers():
    issue = make_issue("S101", column="sex", sheet="DM", cell="B3")
    assert in_site_words(issue, LABELS).message == "'Пол' is required but empty"


def test_a_value_that_spells_a_column_name_stays_as_typed():
    issue = make_issue("S104", value="sex", expected="sex", column="sex", sheet="DM", cell="B3")
    assert issue.message == "'sex' is not in code list sex"
    assert in_site_words(issue, LABELS).message == issue.message


def test_a_list_of_column_names_is_translated_in_message_and_expected():
    issue = make_issue("S202", expected=["birth_date", "age_years"], sheet="DM", cell="C4")
    worded = in_site_words(issue, LABELS)
    assert worded.message == "one of 'Дата рождения', 'Возраст, лет' is required; all are empty"
    assert worded.expected == "'Дата рождения', 'Возраст, лет'"


def test_report_fills_header_only_below_the_header_row():
    layout = SheetLayout(name="DM", index=0, form="demographics", header_row=2, titles={1: "ID", 2: "Пол"},
                         columns={"subject_id": 1, "sex": 2})
    report = Report([make_issue("S301", value="banner", sheet="DM", cell="B1", row=1),
                     make_issue("S104", value="x", expected="sex", column="sex", sheet="DM", cell="B3", row=3)],
                    sheets=[layout])
    above, below = report.presented()
    assert above.header is None and below.header == "Пол"
    assert report.as_dict()["issues"][1]["header"] == "Пол"


def test_reading_order_follows_the_tabs():
    layouts = [SheetLayout(name="Z first", index=0), SheetLayout(name="A second", index=1)]
    report = Report([make_issue("S301", value="x", sheet="A second", cell="A1", row=1),
                     make_issue("S301", value="y", sheet="Z first", cell="A2", row=2),
                     make_issue("S301", value="z", sheet="Unknown", cell="A1", row=1)], sheets=layouts)
    assert [issue.sheet for issue in report.sorted()] == ["Z first", "A second", "Unknown"]
