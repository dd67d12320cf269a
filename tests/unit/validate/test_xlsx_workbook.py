"""A real xlsx written by openpyxl, read by crfmap's xlsx reader, validated: native cell types (dates,
numbers, booleans), an Excel serial in a General-formatted date cell, the fictitious 29.02.1900, text typed
where numbers and dates belong, and a date before 1900 typed as text."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from crfmap.issues import Report
from crfmap.model import PartialDate
from crfmap.readers import ReadOptions, open_workbook
from crfmap.validate import ValidationContext, locate_header, match_sheets, plan_forms, validate_sheet
from tests.unit.validate.study_builder import DEMOGRAPHICS, MARROW, build_study


def write_workbook(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Демография"
    sheet.append(["Номер пациента", "Пол", "Дата рождения", "Возраст", "Дата диагноза", "ТГСК в анамнезе"])
    sheet.append(["01-001", "муж", date(2012, 5, 14), 9.0, 43475, True])  # 43475 = 10.01.2019, General format
    sheet.append(["01-002", "Ж", "01.01.1899", 10, datetime(2019, 2, 20), False])
    sheet.append(["01-003", "F", 60, 9, "14.05.2019", "да"])
    sheet["C4"].number_format = "dd.mm.yyyy"  # serial 60 in a date cell: 29.02.1900 never existed
    marrow = workbook.create_sheet("Костный мозг")
    marrow.append(["Subject ID", "Assessment date", "Бласты, %", "МОБ, %"])
    marrow.append(["01-001", datetime(2019, 5, 14, 0, 0), "12,5", 0.01])
    workbook.save(path)


def test_native_cells_from_a_real_workbook(tmp_path: Path) -> None:
    path = tmp_path / "site.xlsx"
    write_workbook(path)
    study = build_study(forms=[DEMOGRAPHICS, MARROW])
    report = Report()
    rows_by_form = {}
    with open_workbook(path, ReadOptions(), report.add) as workbook:
        context = ValidationContext(study, sink=report.add, file_name=path.name,
                                    native_types=workbook.format == "xlsx")
        matched, issues = match_sheets(study, workbook.sheets(), file_name=path.name, count_cells=lambda name: 0)
        report.extend(issues)
        for form in plan_forms(study):
            header, rows = locate_header(form, matched[form.name].name, workbook.iter_rows(matched[form.name].name),
                                         context)
            assert header is not None
            rows_by_form[form.name] = list(validate_sheet(form, matched[form.name].name, rows, header, context))
    assert report.flatten() == [
        ("S108", "Демография", "C4"),
        ("S113", "Демография", "E4"),
        ("S112", "Костный мозг", "C2"),
    ]
    first, second, third = rows_by_form["demographics"]
    assert first.values["birth_date"] == PartialDate(2012, 5, 14)
    assert first.values["diagnosis_date"] == PartialDate(2019, 1, 10)
    assert first.values["age"] == 9 and type(first.values["age"]) is int
    assert first.values["prior_hsct"] is True and second.values["prior_hsct"] is False
    assert second.values["birth_date"] == PartialDate(1899, 1, 1)
    assert second.values["diagnosis_date"] == PartialDate(2019, 2, 20)
    assert third.has_errors and "birth_date" not in third.values and third.raw["birth_date"] == 60
    (marrow,) = rows_by_form["bone_marrow"]
    assert marrow.values["date"] == PartialDate(2019, 5, 14)
    assert str(marrow.values["blasts"]) == "12.5" and str(marrow.values["mrd"]) == "0.01"


def test_a_workbook_in_the_1904_date_system_is_read_in_it(tmp_path: Path) -> None:
    """Excel for Mac's old default: serials count from 1 January 1904. The reader knew it for date-formatted
    cells; a General-formatted number in a date column now goes through the same system: 43475 is 2023-01-11
    (1904-01-01 + 43475 days), where the 1900 system would say 2019-01-10. With the data cut-off at 2020-12-31
    only the 1904 reading is a date in the future (S107), which is how the test sees which system was used."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    from crfmap.api import validate_workbook

    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = "Демография"
    sheet.append(["Номер пациента", "Пол", "Дата рождения", "Возраст", "Дата диагноза", "ТГСК в анамнезе"])
    sheet.append(["01-001", "муж", date(2012, 5, 14), 9, 43475, True])  # diagnosis date: General format
    path = tmp_path / "mac.xlsx"
    workbook.save(path)
    result = validate_workbook(path, build_study(forms=[DEMOGRAPHICS], cutoff="2020-12-31"))
    assert result.report.flatten(("code", "sheet", "cell", "value")) == [("S107", "Демография", "E2", "43475")]
    workbook.epoch = CALENDAR_WINDOWS_1900
    workbook.save(path)
    result = validate_workbook(path, build_study(forms=[DEMOGRAPHICS], cutoff="2020-12-31"))
    assert result.report.flatten(("code", "sheet", "cell")) == []
