"""Hypothesis strategies for workbooks of the minimal study (tests/minimal_study.py).

A `WorkbookPlan` holds, for every cell, what is written (`raw`) and what crfmap must read it as
(`expected`), worked out here from the calendar and decimal arithmetic, never from crfmap's own parsers.
Corruptions are planted at known cells with the issue code each must raise (`Planted`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

DATA_CUTOFF = date(2024, 12, 31)  # study.yaml data_cutoff: later dates are S107
DM_COLUMNS = ("subject_id", "sex", "birth_date")
LB_COLUMNS = ("subject_id", "lab_date", "blasts", "note")
HEADERS = {  # the form's label, or a Russian header the form declares
    "DM": {"subject_id": ("Subject ID", "ID пациента"), "sex": ("Sex", "Пол"), "birth_date": ("Birth date",)},
    "LB": {"subject_id": ("Subject ID",), "lab_date": ("Date",), "blasts": ("Blasts",), "note": ("Note",)},
}
SEX_SPELLINGS = {"M": ("M", "Male", "муж", "м"), "F": ("F", "Female", "жен", "ж")}  # value, display, synonyms
EDGE_SPACES = ("", " ", "  ", "\u00a0", "\t")
NOTES = (None, None, "repeat next week", "гемолиз", "x")


@dataclass(frozen=True)
class Written:
    """One cell: what is written and what it must be read as. `exact`: a Decimal must keep its digits."""

    raw: Any
    expected: Any = None
    exact: bool = True


BLANK = Written(None, None)


@dataclass
class PlanRow:
    cells: dict[str, Written]
    blank_before: int = 0  # empty rows written above this one

    @property
    def subject_id(self) -> str | None:
        return self.cells["subject_id"].expected


@dataclass(frozen=True)
class Planted:
    """An issue the workbook must raise: its code at its cell, naming the form's column; `written` is the
    text planted there (None for blanks and duplicates), which the issue must quote."""

    code: str
    sheet: str
    cell: str
    column: str
    written: str | None = field(default=None, compare=False)


@dataclass
class WorkbookPlan:
    demographics: list[PlanRow]
    labs: list[PlanRow]
    lab_order: tuple[str, ...]  # LB column order, as written
    headers: dict[str, tuple[str, ...]]  # sheet → header titles as written, in column order
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sheet → title lines above the header
    strays: dict[tuple[str, str], Any] = field(default_factory=dict)  # (sheet, cell) → value outside the table
    planted: list[Planted] = field(default_factory=list)

    def rows_of(self, sheet: str) -> list[PlanRow]:
        return self.demographics if sheet == "DM" else self.labs

    def order_of(self, sheet: str) -> tuple[str, ...]:
        return DM_COLUMNS if sheet == "DM" else self.lab_order

    def header_row(self, sheet: str) -> int:
        return len(self.titles.get(sheet, ())) + 1

    def row_numbers(self, sheet: str) -> list[int]:
        """The spreadsheet row number of each data row of a sheet."""
        numbers, number = [], self.header_row(sheet)
        for row in self.rows_of(sheet):
            number += 1 + row.blank_before
            numbers.append(number)
        return numbers

    def last_row(self, sheet: str) -> int:
        return ([self.header_row(sheet)] + self.row_numbers(sheet))[-1]

    def cell_of(self, sheet: str, index: int, column: str) -> str:
        """The A1 address of a column of data row `index` (0-based) of a sheet."""
        letter = get_column_letter(self.order_of(sheet).index(column) + 1)
        return f"{letter}{self.row_numbers(sheet)[index]}"

    @property
    def width(self) -> int:
        return max(len(DM_COLUMNS), len(self.lab_order))


def grid_of(plan: WorkbookPlan, sheet: str) -> dict[tuple[int, int], Any]:
    """(row, column) → value of every cell the plan writes on a sheet (strays included)."""
    grid: dict[tuple[int, int], Any] = {}
    for number, title in enumerate(plan.titles.get(sheet, ()), start=1):
        grid[(number, 1)] = title
    if sheet in plan.headers:
        for column, title in enumerate(plan.headers[sheet], start=1):
            grid[(plan.header_row(sheet), column)] = title
        for number, row in zip(plan.row_numbers(sheet), plan.rows_of(sheet)):
            for column, name in enumerate(plan.order_of(sheet), start=1):
                grid[(number, column)] = row.cells[name].raw
    for (stray_sheet, address), value in plan.strays.items():
        if stray_sheet == sheet:
            column, number = coordinate_to_tuple(address)[::-1]
            grid[(number, column)] = value
    return grid


def sheet_names(plan: WorkbookPlan) -> list[str]:
    return ["DM", "LB", *sorted({sheet for sheet, _ in plan.strays} - {"DM", "LB"})]


def write_workbook(plan: WorkbookPlan, path: Path) -> Path:
    """The plan as an xlsx file (openpyxl: native numbers and dates, text as inline strings)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in sheet_names(plan):
        grid = book.create_sheet(sheet)
        for (number, column), value in sorted(grid_of(plan, sheet).items()):
            grid.cell(number, column, value)
    book.save(path)
    return path


# ── valid cells ──────────────────────────────────────────────────────────────────────────────────────

@st.composite
def sex_cells(draw: st.DrawFn) -> Written:
    """A code list value, display or synonym in random case with invisible padding; Cyrillic м/ж upper-cased
    is the Cyrillic М that looks like the Latin M."""
    value = draw(st.sampled_from(sorted(SEX_SPELLINGS)))
    spelling = draw(st.sampled_from(SEX_SPELLINGS[value]))
    cased = "".join(letter.upper() if draw(st.booleans()) else letter.lower() for letter in spelling)
    padded = draw(st.sampled_from(EDGE_SPACES)) + cased + draw(st.sampled_from(EDGE_SPACES))
    return Written(padded, (value, cased))


@st.composite
def partial_date_cells(draw: st.DrawFn) -> Written:
    """A birth date at year, month or day precision, written as ISO, day-first, UN parts or a native value.
    `expected` is (year, month or None, day or None)."""
    day = draw(st.dates(date(1990, 1, 1), date(2020, 12, 31)))
    y, m, d = day.year, day.month, day.day
    precision = draw(st.sampled_from(("year", "month", "day")))
    if precision == "year":
        raw = draw(st.sampled_from((str(y), y, f"UN.UN.{y}", f"unk.unk.{y}")))
        return Written(raw, (y, None, None))
    if precision == "month":
        raw = draw(st.sampled_from((f"{y}-{m:02d}", f"{m:02d}.{y}", f"{m}.{y}", f"UN.{m:02d}.{y}")))
        return Written(raw, (y, m, None))
    raw = draw(st.sampled_from((day.isoformat(), f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}", f"{d:02d}/{m:02d}/{y}",
                                day)))
    return Written(raw, (y, m, d))


@st.composite
def full_date_cells(draw: st.DrawFn, day: date, add_time: bool = True) -> Written:
    """A full date, sometimes with a time of day (hours and minutes, never midnight): `expected` is the
    date, or a datetime when a time was written. A datetime `day` keeps its time; `add_time=False` keeps
    a date a date."""
    if isinstance(day, datetime) or (add_time and draw(st.integers(0, 4)) == 0):
        moment = day if isinstance(day, datetime) else datetime.combine(
            day, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
        if moment.time() == time(0):
            moment = moment.replace(minute=1)
        text = draw(st.sampled_from((f"{moment:%d.%m.%Y %H:%M}", f"{moment:%Y-%m-%dT%H:%M}",
                                     f"{moment:%Y-%m-%d %H:%M}")))
        return Written(draw(st.sampled_from((moment, text))), moment)
    y, m, d = day.year, day.month, day.day
    raw = draw(st.sampled_from((day, day.isoformat(), f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}", f"{d:02d}/{m:02d}/{y}")))
    return Written(raw, day)


def iso_of_moment(value: date) -> str:
    """ISO 8601 at the precision written: a day, or a day and a time to the minute."""
    return f"{value:%Y-%m-%dT%H:%M}" if isinstance(value, datetime) else value.isoformat()


@st.composite
def blasts_cells(draw: st.DrawFn) -> Written:
    """A percentage 0..100 with 0–2 decimals: a native int or float, or text with a comma or point decimal,
    optionally with a % sign. Text keeps its digits ("12,50" is 12.50); a float keeps only its value."""
    if draw(st.integers(0, 9)) == 0:
        return BLANK
    places = draw(st.integers(0, 2))
    value = Decimal(draw(st.integers(0, 100 * 10**places))).scaleb(-places)
    form = draw(st.sampled_from(("native", "comma", "point", "percent")))
    if form == "native":
        return Written(int(value) if places == 0 else float(value), value, exact=places == 0)
    text = str(value) if form == "point" else str(value).replace(".", ",")
    if form == "percent":
        text += draw(st.sampled_from(("%", " %")))
    return Written(text, value)


@st.composite
def subject_cells(draw: st.DrawFn, subject_id: str) -> Written:
    """A subject id with invisible padding; a digits-only id may be written as a native number."""
    if subject_id.isdigit() and draw(st.booleans()):
        return Written(int(subject_id), subject_id)
    return Written(draw(st.sampled_from(EDGE_SPACES)) + subject_id + draw(st.sampled_from(EDGE_SPACES)), subject_id)


@st.composite
def header_texts(draw: st.DrawFn, sheet: str, name: str) -> str:
    """A header the form knows, in random case with invisible padding."""
    spelling = draw(st.sampled_from(HEADERS[sheet][name]))
    cased = "".join(letter.upper() if draw(st.booleans()) else letter.lower() for letter in spelling)
    return draw(st.sampled_from(EDGE_SPACES)) + cased + draw(st.sampled_from(EDGE_SPACES))


@st.composite
def workbook_plans(draw: st.DrawFn, max_subjects: int = 4, max_labs: int = 3, blank_sex: bool = True) -> WorkbookPlan:
    """A valid workbook: 1..max_subjects subjects, each with 0..max_labs lab rows on distinct dates,
    lab rows shuffled, LB columns in random order, headers in English or Russian. `blank_sex=False` for
    conversion: SDTM DM.SEX is a Req variable."""
    count = draw(st.integers(1, max_subjects))
    gaps = draw(st.lists(st.integers(1, 250), min_size=count, max_size=count))  # increasing: unique, no filter
    numbers = [sum(gaps[:position + 1]) for position in range(count)]
    prefix = draw(st.sampled_from(("P-", "ALL-", "")))
    ids = [f"{prefix}{number:03d}" if prefix else str(number) for number in numbers]
    demographics = [
        PlanRow({"subject_id": draw(subject_cells(subject_id)),
                 "sex": draw(sex_cells()) if not blank_sex or draw(st.integers(0, 7)) else BLANK,
                 "birth_date": draw(partial_date_cells()) if draw(st.integers(0, 7)) else BLANK})
        for subject_id in ids]
    labs = []
    for subject_id in ids:
        days = draw(st.lists(st.dates(date(2019, 1, 1), DATA_CUTOFF), max_size=max_labs, unique=True))
        for day in days:
            labs.append(PlanRow({"subject_id": draw(subject_cells(subject_id)),
                                 "lab_date": draw(full_date_cells(day)),
                                 "blasts": draw(blasts_cells()),
                                 "note": Written(draw(st.sampled_from(NOTES)), None)}))
    labs = draw(st.permutations(labs))
    for row in [*demographics, *labs]:  # now and then an empty row inside the table
        row.blank_before = draw(st.sampled_from((0, 0, 0, 0, 0, 1, 2)))
    lab_order = tuple(draw(st.permutations(LB_COLUMNS)))
    headers = {"DM": tuple(draw(header_texts("DM", name)) for name in DM_COLUMNS),
               "LB": tuple(draw(header_texts("LB", name)) for name in lab_order)}
    return WorkbookPlan(demographics=list(demographics), labs=list(labs), lab_order=lab_order, headers=headers)


# ── corruptions ──────────────────────────────────────────────────────────────────────────────────────

NOT_IN_SEX_LIST = ("X", "other", "мальчик", "Mael", "?", 1)  # none is a value, display or synonym of `sex`
IMPOSSIBLE_DATES = ("31.04.2021", "2021-04-31", "29.02.2021", "2021-02-29", "30.02.2020", "00.05.2021",
                    "15.13.2021", "32.01.2022")
IMPOSSIBLE_PARTIAL_DATES = ("2015-13", "13.2015", "31.06.2015", "29.02.2015", "2015-00")
NOT_NUMBERS = ("abc", "двенадцать", "12..5", "1-2", "12,5,1", "5 mg", "12 5 6")
UNKNOWN_SUBJECT = "ZZ-999"  # never generated: generated ids are P-nnn, ALL-nnn or digits

DM_CORRUPTIONS = ("sex_not_in_codelist", "impossible_birth_date")
LB_CORRUPTIONS = ("impossible_date", "out_of_range", "text_in_number", "blank_subject", "blank_date",
                  "unknown_subject", "future_date", "incomplete_date", "comparator")
COMPARATORS = ("<5", "< 0,01", ">=50", "≥ 5", "менее 1")


@st.composite
def out_of_range_cells(draw: st.DrawFn) -> Written:
    low = draw(st.booleans())
    places = draw(st.integers(0, 2))
    step = Decimal(1).scaleb(-places)
    units = draw(st.integers(1, 10_000 * 10**places))
    value = -units * step if low else Decimal(100) + units * step
    raw = draw(st.sampled_from((str(value).replace(".", ","), float(value) if places else int(value))))
    return Written(raw)


@st.composite
def corruption_of(draw: st.DrawFn, kind: str) -> tuple[str, str, Written]:
    """(column, issue code, corrupted cell) of one kind of corruption."""
    if kind == "sex_not_in_codelist":
        return "sex", "S104", Written(draw(st.sampled_from(NOT_IN_SEX_LIST)))
    if kind == "impossible_birth_date":
        return "birth_date", "S108", Written(draw(st.sampled_from(IMPOSSIBLE_PARTIAL_DATES)))
    if kind == "impossible_date":
        return "lab_date", "S108", Written(draw(st.sampled_from(IMPOSSIBLE_DATES)))
    if kind == "out_of_range":
        return "blasts", "S105", draw(out_of_range_cells())
    if kind == "text_in_number":
        return "blasts", "S102", Written(draw(st.sampled_from(NOT_NUMBERS)))
    if kind == "blank_subject":
        return "subject_id", "S101", Written(draw(st.sampled_from((None, "", "   "))))
    if kind == "blank_date":
        return "lab_date", "S101", Written(draw(st.sampled_from((None, "", " \u00a0 "))))
    if kind == "future_date":  # after the study's data cut-off
        day = draw(st.dates(date(2025, 1, 1), date(2099, 12, 31)))
        return "lab_date", "S107", draw(full_date_cells(day))
    if kind == "incomplete_date":  # lab_date is `date`, not `partial_date`
        written = draw(partial_date_cells().filter(lambda cell: cell.expected[2] is None))
        return "lab_date", "S111", Written(written.raw)
    if kind == "comparator":
        return "blasts", "S114", Written(draw(st.sampled_from(COMPARATORS)))
    assert kind == "unknown_subject"
    return "subject_id", "S203", Written(UNKNOWN_SUBJECT)


@st.composite
def corrupted_plans(draw: st.DrawFn) -> WorkbookPlan:
    """A valid plan with 1..4 corruptions, each in its own row, and possibly one duplicated lab row."""
    plan = copy.deepcopy(draw(workbook_plans()))
    targets = [("DM", index) for index in range(len(plan.demographics))]
    targets += [("LB", index) for index in range(len(plan.labs))]
    chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=min(3, len(targets)), unique=True))
    for sheet, index in chosen:
        rows = plan.demographics if sheet == "DM" else plan.labs
        kind = draw(st.sampled_from(DM_CORRUPTIONS if sheet == "DM" else LB_CORRUPTIONS))
        column, code, cell = draw(corruption_of(kind))
        rows[index].cells[column] = cell
        written = cell.raw.strip() if isinstance(cell.raw, str) and cell.raw.strip() else None
        plan.planted.append(Planted(code, sheet, plan.cell_of(sheet, index, column), column, written))
    clean = [index for index in range(len(plan.labs)) if ("LB", index) not in chosen]
    if clean and draw(st.booleans()):
        plan.labs.append(draw(duplicate_of(plan.labs[draw(st.sampled_from(clean))])))
        plan.planted.append(Planted("S204", "LB", plan.cell_of("LB", len(plan.labs) - 1, "subject_id"), "subject_id"))
    clean = [index for index in range(len(plan.demographics)) if ("DM", index) not in chosen]
    if clean and draw(st.booleans()):  # one row per subject; same values (different ones would add S206)
        source = plan.demographics[draw(st.sampled_from(clean))]
        plan.demographics.append(PlanRow({**source.cells,
                                          "subject_id": draw(subject_cells(source.subject_id))}))
        plan.planted.append(Planted("S205", "DM", plan.cell_of("DM", len(plan.demographics) - 1, "subject_id"),
                                    "subject_id"))
    return plan


@st.composite
def duplicate_of(draw: st.DrawFn, row: PlanRow) -> PlanRow:
    """The same subject and date as `row`, possibly written differently (native or text, another date
    format), with its own blasts and note: the identity keys repeat, whatever the spelling."""
    subject = row.cells["subject_id"].expected
    return PlanRow({"subject_id": draw(subject_cells(subject)),
                    "lab_date": draw(full_date_cells(row.cells["lab_date"].expected, add_time=False)),
                    "blasts": draw(blasts_cells()),
                    "note": row.cells["note"]})


# ── stray cells ──────────────────────────────────────────────────────────────────────────────────────

UNUSED_SHEET = "Notes"
TITLES = ("Лабораторные данные", "CRF v2.1 — site 03", "Заполняет врач-исследователь")
STRAY_VALUES = st.one_of(st.sampled_from(("see page 2", "проверить", "x", "N/A")),
                         st.integers(-1000, 1000), st.dates(date(2000, 1, 1), date(2024, 1, 1)))


@st.composite
def plans_with_strays(draw: st.DrawFn) -> WorkbookPlan:
    """A valid plan with 1..5 values outside both tables: one empty column or more to the right of the
    header's width, on any data row or below the table, or on a sheet no form reads."""
    plan = draw(workbook_plans())
    for sheet in ("DM", "LB"):
        plan.titles[sheet] = tuple(draw(st.lists(st.sampled_from(TITLES), max_size=2)))
    count = draw(st.integers(1, 5))
    for _ in range(count):
        sheet = draw(st.sampled_from(("DM", "LB", UNUSED_SHEET)))
        column = draw(st.integers(plan.width + 2, plan.width + 6))
        row = draw(st.integers(2, plan.last_row("LB" if sheet == UNUSED_SHEET else sheet) + 3))
        plan.strays[(sheet, f"{get_column_letter(column)}{row}")] = draw(STRAY_VALUES)
    return plan
