"""A column remembers how it read each raw value (issue #16: sites repeat the same codes, units, dates and
results on thousands of rows). Remembering must change nothing but the work done: every issue, position and
record is what reading each cell afresh gives, and values that are equal in Python but read differently
(a FlawedText and its text, -0.0 and 0.0, True and 1) never share a reading."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from crfmap.api.validation import validate_workbook
from crfmap.study.models import Column
from crfmap.validate import sheet
from crfmap.validate.sheet import SheetValidator
from crfmap.values import cells
from tests.e2e.reference import CLEAN, MESSY, STUDY


def validate(workbook: Path) -> tuple[list, list, list]:
    result = validate_workbook(workbook, STUDY)
    records = [(record, record.subject_cell, record.sources) for record in result.records]
    return result.report.issues, records, [row.raw for row in result.left_out]


@pytest.mark.parametrize("workbook", [MESSY, CLEAN], ids=["messy", "clean"])
def test_remembered_readings_give_what_reading_every_cell_gives(workbook, monkeypatch):
    remembered = validate(workbook)
    monkeypatch.setattr(sheet, "MEMO_LIMIT", 0)
    afresh = validate(workbook)
    assert remembered == afresh
    assert remembered[1], "no records: this test would compare nothing"


def test_repeated_problems_are_reported_at_every_cell_they_are_in(tmp_path, monkeypatch):
    # Typos, impossible dates, out-of-range results and unknown units, each on several rows.
    lines = ["subject_id,test,value,unit,date"]
    bad = [("HBG", "80", "g/L", "01.02.2021"), ("HGB", "-5", "g/L", "02.02.2021"), ("HGB", "80", "g/l", "03.02.2021"),
           ("HGB", "80", "g/L", "31.02.2021"), ("HGB", "восемь", "g/L", "04.02.2021"), ("HGB", "", "g/L", "05.02.2021"),
           ("HGB", "81", "мг", "UNK"), ("WBC", "4,5", "10*9/L", "06.02.2021")]
    lines += [f"01-{subject:03d},{test},{value},{unit},{day}" for subject in range(1, 4) for test, value, unit, day in bad]
    source = tmp_path / "lab.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run() -> tuple[list, list, list]:
        result = validate_workbook(source, LAB_STUDY)
        return result.report.issues, [(record, record.sources) for record in result.records], result.left_out

    remembered = run()
    monkeypatch.setattr(sheet, "MEMO_LIMIT", 0)
    assert remembered == run()
    per_code = Counter(issue.code for issue in remembered[0])
    assert len(per_code) >= 4 and all(count >= 3 for count in per_code.values())  # each at all 3 subjects' rows
    assert len({issue.cell for issue in remembered[0]}) == len(remembered[0])  # each issue at its own cell


def test_each_distinct_raw_value_is_parsed_once_per_column(tmp_path, monkeypatch):
    # 40 rows of 4 subjects repeating 10 dates and 3 results: the parser sees each distinct value once per column.
    lines = ["subject_id,test,value,unit,date"]
    lines += [f"01-{row % 4 + 1:03d},HGB,{row % 3 + 80},g/L,{row // 4 + 1:02d}.01.2021" for row in range(40)]
    source = tmp_path / "lab.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: Counter[tuple[str, object]] = Counter()
    parse = cells.parse_cell

    def counting(raw, column, context):
        seen[(column.name, raw)] += 1
        return parse(raw, column, context)

    monkeypatch.setattr(sheet, "parse_cell", counting)
    result = validate_workbook(source, LAB_STUDY)
    assert result.rows_read == 40 and not result.left_out
    assert seen["value", "81"] == 1 and seen["date", "01.01.2021"] == 1
    assert sum(seen.values()) == 4 + 1 + 3 + 1 + 10  # subjects, test, values, unit, dates


def test_values_equal_in_python_but_read_differently_do_not_share_a_reading():
    from crfmap.sources import EXCEL_ERROR, FlawedText

    validator = SheetValidator.__new__(SheetValidator)
    validator.readings = {"value": {}, "flag": {}, "note": {}}
    validator.memo_limit = sheet.MEMO_LIMIT
    validator.checks = {"value": (), "flag": (), "note": ()}
    validator.context = type("Context", (), {"parsing": cells.ParseContext(codelists={}, native_types=True)})()

    number = Column(name="value", label="value", type="decimal")
    validator.reading(number, -0.0)
    validator.reading(number, 0.0)
    assert validator.readings["value"] == {}  # zeros are read afresh: -0.0 == 0.0 in a dict
    validator.reading(number, 2.5)
    assert set(validator.readings["value"]) == {(float, 2.5)}
    note = Column(name="note", label="note", type="string")
    assert validator.reading(note, "#N/A")[0].value == "#N/A"
    flawed = validator.reading(note, FlawedText("#N/A", EXCEL_ERROR))[0]
    assert flawed.value is None and [problem.code for problem in flawed.problems] == ["S150"]
    flag = Column(name="flag", label="flag", type="boolean")
    assert validator.reading(flag, 1)[0].value is True
    assert validator.reading(flag, True)[0].value is True
    assert set(validator.readings["flag"]) == {(int, 1), (bool, True)}


def test_a_column_remembers_at_most_the_limit(monkeypatch):
    validator = SheetValidator.__new__(SheetValidator)
    validator.readings = {"note": {}}
    validator.memo_limit = 5
    validator.checks = {"note": ()}
    validator.context = type("Context", (), {"parsing": cells.ParseContext(codelists={})})()

    note = Column(name="note", label="note", type="string")
    for number in range(50):
        assert validator.reading(note, f"текст {number}")[0].value == f"текст {number}"
    assert len(validator.readings["note"]) == 5


LAB_STUDY = Path(__file__).resolve().parents[3] / "benchmarks" / "lab_mapping"
