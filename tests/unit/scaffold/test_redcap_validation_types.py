"""REDCap's field and text validation types, as `crfmap init` types them, read values the way REDCap exports
them (raw csv: dates as YYYY-MM-DD, datetimes as YYYY-MM-DD HH:MM[:SS], comma decimals as typed, codes)."""

from __future__ import annotations

import csv
from datetime import time
from decimal import Decimal

import pytest

from crfmap.api import init_mapping, load_mapping, validate_workbook
from crfmap.model import Coded, PartialDate
from crfmap.readers import ReadOptions
from crfmap.validate.checks import check_pattern
from crfmap.values.cells import ParseContext, parse_cell
from crfmap.values.coded import build_codelist_indexes
from tests.shared_data import shared_path

# One value per field of REDCapR's validation-types-1 project, written as REDCap's raw csv export writes them.
VALUES = {
    "f_calculated": ("7", Decimal(7)), "f_dropdown": ("1", "1"), "f_radio": ("2", "2"),
    "f_slider": ("50", 50), "f_text": ("free text", "free text"), "f_notes": ("a note", "a note"),
    "f_true_false": ("0", False), "f_yes_no": ("1", True),
    "v_date_dmy": ("2019-12-31", "2019-12-31"), "v_date_mdy": ("2019-12-31", "2019-12-31"),
    "v_date_ymd": ("2019-12-31", "2019-12-31"),
    "v_datetime_dmy": ("2019-12-31 10:30", "2019-12-31T10:30"), "v_datetime_ymd": ("2019-12-31 10:30", "2019-12-31T10:30"),
    "v_datetime_seconds_ymd": ("2019-12-31 10:30:15", "2019-12-31T10:30:15"),
    "v_email": ("someone@example.org", "someone@example.org"), "v_integer": ("42", 42),
    "v_number": ("3.25", Decimal("3.25")), "v_number_1dp": ("3.2", Decimal("3.2")),
    "v_number_comma_decimal": ("3,25", Decimal("3.25")), "v_number_2dp_comma_decimal": ("1,50", Decimal("1.50")),
    "v_time_hh_mm": ("10:30", time(10, 30)), "v_time_hh_mm_ss": ("10:30:15", time(10, 30, 15)),
    "v_phone": ("(405) 321-1111", "(405) 321-1111"), "v_zipcode": ("73104", "73104"),
}
CHECKED = {"f_checkbox___1": "1", "f_checkbox___2": "1", "f_checkbox___0": "0"}


def shown(value):
    if isinstance(value, PartialDate):
        return value.iso()
    if isinstance(value, Coded):
        return value.value
    if isinstance(value, tuple):
        return tuple(shown(item) for item in value)
    return value


@pytest.mark.shared
def test_every_validation_type_reads_redcaps_exported_values(tmp_path):
    dictionary = shared_path("redcap", "redcapr", "validation-types-1", "dictionary.csv")
    original = dictionary.parent / "data.csv"
    with original.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream))
    row = {name: "" for name in header} | {"record_id": "1"} | {name: raw for name, (raw, _) in VALUES.items()}
    row |= CHECKED
    data = tmp_path / "data.csv"
    with data.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerow([row[name] for name in header])
    init_mapping(dictionary, "redcap-dictionary", tmp_path / "draft", data=data)
    mapping, _issues = load_mapping(tmp_path / "draft")
    result = validate_workbook(data, mapping, read_options=ReadOptions(dictionary=dictionary))
    assert [issue.code for issue in result.report.issues] == []  # every value is what its type expects
    form = mapping.forms["form_1"]
    context = ParseContext(build_codelist_indexes(mapping.codelists))
    for name, (raw, expected) in VALUES.items():
        column = form.column(name)
        assert column is not None, name
        parsed = parse_cell(raw, column, context)
        assert parsed.problems == () and shown(parsed.value) == expected, (name, column.type, parsed)
    checkbox = form.column("f_checkbox")
    assert checkbox is not None and checkbox.multiple
    assert shown(parse_cell("1 | 2", checkbox, context).value) == ("1", "2")
    email = form.column("v_email")
    assert email is not None
    assert check_pattern(email, "not an email").code == "S106" and check_pattern(email, "a@b.org") is None
    # the order REDCap's validation type names is declared, so a date written that way (a label export, a
    # site's own file) is read in it, not guessed (S115); the raw export's yyyy-mm-dd reads in any order
    for name, order, written in (("v_date_dmy", "dmy", "31/12/2019"), ("v_date_mdy", "mdy", "12/31/2019"),
                                 ("v_datetime_mdy", "mdy", "12/31/2019 10:30")):
        column = form.column(name)
        assert column is not None and column.date_format == order, name
        parsed = parse_cell(written, column, context)
        assert parsed.problems == () and shown(parsed.value).startswith("2019-12-31"), (name, parsed)
    ambiguous = form.column("v_date_mdy")
    assert ambiguous is not None
    assert shown(parse_cell("03/04/2019", ambiguous, context).value) == "2019-03-04"
