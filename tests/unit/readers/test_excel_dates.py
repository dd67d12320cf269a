"""Date formats and serials, checked against openpyxl's own conversion as an independent reference."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from crfmap.readers.excel_dates import DateKind, classify_code, classify_format, convert_serial


@pytest.mark.parametrize("code, kind", [
    ("yyyy-mm-dd", DateKind.DATE), ("dd/mm/yyyy", DateKind.DATE), ("d-mmm-yy", DateKind.DATE),
    ("mmm yyyy", DateKind.DATE), ("dd.mm.yyyy hh:mm", DateKind.DATETIME), ("h:mm", DateKind.TIME),
    ("mm:ss", DateKind.TIME), ("[h]:mm:ss", DateKind.TIME), ("h:mm AM/PM", DateKind.TIME),
    ("[$-F800]dddd, mmmm dd, yyyy", DateKind.DATE), ('yyyy"г."', DateKind.DATE),
    ("General", DateKind.NONE), ("0.00", DateKind.NONE), ("#,##0_);[Red](#,##0)", DateKind.NONE),
    ('0 "days"', DateKind.NONE), ('"Day "0', DateKind.NONE), ("0.0E+00", DateKind.NONE), ("@", DateKind.NONE),
    (r"0\d", DateKind.NONE), ("[Red]0.0", DateKind.NONE),
])
def test_classify_format_code(code, kind):
    assert classify_code(code) == kind


def test_builtin_ids_and_custom_override():
    assert [classify_format(number, {}) for number in (0, 1, 14, 15, 18, 22, 45, 47, 49)] == [
        DateKind.NONE, DateKind.NONE, DateKind.DATE, DateKind.DATE, DateKind.TIME, DateKind.DATETIME,
        DateKind.TIME, DateKind.TIME, DateKind.NONE]
    assert classify_format(14, {14: "0.00"}) == DateKind.NONE  # a workbook may redefine a built-in id


@pytest.mark.parametrize("serial", [1, 2, 31, 59, 61, 366, 25569, 36526, 43831.5, 45327, 45327.999988426, 2958465])
def test_1900_serials_match_openpyxl(serial):
    expected = from_excel(serial, CALENDAR_WINDOWS_1900)
    ours = convert_serial(serial, DateKind.DATETIME, date1904=False)
    assert abs((ours - expected).total_seconds()) < 0.001


@pytest.mark.parametrize("serial", [1, 1462, 43865, 43865.25])
def test_1904_serials_match_openpyxl(serial):
    expected = from_excel(serial, CALENDAR_MAC_1904)
    assert convert_serial(serial, DateKind.DATETIME, date1904=True) == expected


def test_1904_serial_zero_is_its_epoch():
    # openpyxl turns serial 0 into a bare time; in the 1904 system day 0 is a real date, 1 January 1904
    assert convert_serial(0, DateKind.DATE, date1904=True) == date(1904, 1, 1)


def test_fictitious_and_impossible_serials_stay_numbers():
    assert convert_serial(60, DateKind.DATE, date1904=False) == 60
    assert convert_serial(60.5, DateKind.DATETIME, date1904=False) == 60.5
    assert convert_serial(0, DateKind.DATE, date1904=False) == 0
    assert convert_serial(-3, DateKind.DATE, date1904=False) == -3
    assert convert_serial(10**9, DateKind.DATE, date1904=False) == 10**9  # beyond year 9999


def test_date_kinds_shape_the_result():
    assert convert_serial(45327, DateKind.DATE, False) == date(2024, 2, 5)
    assert type(convert_serial(45327, DateKind.DATE, False)) is date
    assert convert_serial(45327.5, DateKind.DATE, False) == datetime(2024, 2, 5, 12)  # the time is kept
    assert convert_serial(45327, DateKind.DATETIME, False) == datetime(2024, 2, 5)
    assert convert_serial(0.5, DateKind.TIME, False) == time(12)
    assert convert_serial(1.5, DateKind.TIME, False) == datetime(1900, 1, 1, 12)  # [h]:mm past 24 h
    assert convert_serial(0.000011574, DateKind.TIME, False) == time(0, 0, 1)  # rounded to the millisecond
