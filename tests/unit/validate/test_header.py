"""locate_header: the header row, found among the first rows or fixed, mapped column by column."""

from __future__ import annotations

from crfmap.issues import Report
from crfmap.study.models import Form
from crfmap.validate import ValidationContext, locate_header
from tests.unit.validate.study_builder import ADVERSE_EVENTS, DEMOGRAPHICS, build_study, make_rows, run_validation


def locate(form_data: dict, table: list[list], sheet: str = "Sheet"):
    study = build_study()
    report = Report()
    context = ValidationContext(study, sink=report.add, file_name="site.xlsx")
    form = Form.model_validate(form_data)
    header, rest = locate_header(form, sheet, iter(make_rows(table)), context)
    return header, list(rest), report


def test_header_below_a_title_with_site_spellings_in_any_order() -> None:
    header, rest, report = locate(DEMOGRAPHICS, [
        ["Форма 1. Демография"],
        [],
        ["ПОЛ", "Номер\nпациента", "Дата рождения (дд.мм.гггг)*", "возраст", "Дата  диагноза", "ТГСК в анамнезе"],
        ["F", "01-001", "14.05.2012"],
        ["M", "01-002"],
    ])
    assert header is not None and header.row == 3
    assert header.columns == {1: "sex", 2: "subject", 3: "birth_date", 4: "age", 5: "diagnosis_date",
                              6: "prior_hsct"}
    assert [row.number for row in rest] == [4, 5]  # rows read ahead while searching are not lost
    assert report.flatten() == [("S301", "Sheet", "A1")]


def test_missing_unknown_duplicate_and_ignored_headers() -> None:
    header, _, report = locate(ADVERSE_EVENTS, [
        ["Номер пациента", "Нежелательное явлен", "Дата начала", "Onset date", "Комментарий монитора", "Серьезное"],
        ["01-001", "Тремор", "2019-05-14", "2019-05-14", "проверено", "нет"],
    ])
    assert header is not None
    assert header.columns == {1: "subject", 3: "start", 6: "serious"}
    assert header.ignored == {5} and header.rejected == {4}
    assert report.flatten(("code", "cell", "column")) == [
        ("S003", None, "term"),
        ("S004", "B1", None),
        ("S005", "D1", "start"),
    ]
    by_code = {issue.code: issue for issue in report}
    assert by_code["S003"].message.endswith("closest header: 'Нежелательное явлен'")
    assert by_code["S004"].expected == "AE term"


def test_no_header_in_the_first_rows() -> None:
    header, rest, report = locate(DEMOGRAPHICS, [["a", "b"], ["c", "d"]])
    assert header is None and rest == []
    assert report.flatten(("code", "sheet", "form")) == [("S002", "Sheet", "demographics")]


def test_fixed_header_row() -> None:
    fixed = dict(DEMOGRAPHICS, header_row=2)
    header, rest, report = locate(fixed, [
        ["Subject ID", "Sex"],  # looks like a header but the form says row 2
        ["Subject ID", "Sex", "Age, years"],
        ["01-001", "M", 9],
    ])
    assert header is not None and header.row == 2 and [row.number for row in rest] == [3]
    assert report.flatten() == [("S301", "Sheet", "A1"), ("S301", "Sheet", "B1")]


def test_cells_right_of_the_header_and_under_unknown_headers_are_reported_once_each() -> None:
    outcome = run_validation(build_study(), {"Demographics": [
        ["Subject ID", "Sex", "Age, years", "Site note"],
        ["01-001", "M", 9, "see source", None, "stray"],
        ["01-002", "F", 10],
    ]})
    assert outcome.flat() == [
        ("S001", None, None),  # bone_marrow and adverse_events have no sheet in this workbook
        ("S001", None, None),
        ("S004", "Demographics", "D1"),
        ("S301", "Demographics", "D2"),
        ("S301", "Demographics", "F2"),
    ]
