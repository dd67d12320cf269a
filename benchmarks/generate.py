"""Write a deterministic, realistic export of the reference study at any size (benchmark input).

    python benchmarks/generate.py --patients 1000 --out /tmp/bench.xlsx
    python benchmarks/generate.py --patients 1000 --out /tmp/bench-csv --format csv   # a folder, one csv per form
    python benchmarks/generate.py --lab-rows 50000 --out /tmp/lab.csv                 # the lab-results case

The study export: the 14 patients of fixtures/blinatumomab_ped_all/cohort.py repeated under new subject ids
(500 per site), their rows built by the cohort's own functions (repeated visits: dosing steps, marrow
assessments, adverse events) and spelled by site_style.py: sites with an even number write Russian values
(Лихорадка, да/нет, пре-B), odd ones the mapping's English terms; headers and sheet names are Russian. Dates
alternate between real date cells (Excel serials with a date format) and text (dd.mm.yyyy, or yyyy-mm-dd); empty
optional cells stay blank. ≈ 9.5 rows per patient, so 1,000 patients ≈ 9,500 rows in six sheets. The data
validate without errors, so every command runs its whole path.

The lab case: one csv, one row per lab result (subject, test, value, unit, dd.mm.yyyy date), converted with
benchmarks/lab_mapping/ to one FHIR Observation per row.

No randomness and no wall clock: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "blinatumomab_ped_all"
sys.path.insert(0, str(FIXTURES))  # the reference fixtures' generator modules, reused as they are

from cohort import (  # noqa: E402
    PATIENTS, Patient, adverse_event_rows, demographics_row, marrow_rows, outcome_row, transplant_row,
    treatment_rows,
)
from generate import DATE_FORMAT, save_deterministic  # noqa: E402
from site_style import COLUMNS, MESSY_HEADERS, MESSY_SHEETS, clean_value, messy_value  # noqa: E402

PATIENTS_PER_SITE = 500  # subject ids are NN-NNN: site, then patient within the site
FORMS = ("demographics", "treatment", "bone_marrow", "adverse_events", "transplant", "outcome")
LAB_TESTS = (("HGB", "Гемоглобин", "g/L", 80, 140), ("WBC", "Лейкоциты", "10*9/L", 1, 30),
             ("PLAT", "Тромбоциты", "10*9/L", 20, 400), ("NEUT", "Нейтрофилы", "10*9/L", 0, 10),
             ("CRP", "C-реактивный белок", "mg/L", 0, 120))


@dataclasses.dataclass(frozen=True)
class BenchPatient(Patient):
    """A copy of a reference patient under a new id; `template` keeps the reference patient's own date offsets."""

    template: str = ""

    @property
    def birth_date(self) -> date:
        anniversary = self.start.replace(year=self.start.year - self.age)
        return anniversary - timedelta(days=40 + (int(self.template[-3:]) * 23) % 320)

    @property
    def diagnosis_date(self) -> date:
        return self.start - timedelta(days=420 + int(self.template[-3:]) * 31)


def bench_patients(count: int) -> Iterator[BenchPatient]:
    for number in range(count):
        template = PATIENTS[number % len(PATIENTS)]
        site, within = divmod(number, PATIENTS_PER_SITE)
        if site >= 99:
            raise SystemExit(f"at most {99 * PATIENTS_PER_SITE} patients (subject ids are NN-NNN)")
        fields = {field.name: getattr(template, field.name) for field in dataclasses.fields(Patient)}
        fields.update(subject=f"{site + 1:02d}-{within + 1:03d}", template=template.subject,
                      start=template.start - timedelta(days=number // len(PATIENTS) % 28))
        yield BenchPatient(**fields)


def patient_rows(patient: BenchPatient) -> dict[str, list[dict]]:
    rows = {"demographics": [demographics_row(patient)], "treatment": treatment_rows(patient),
            "bone_marrow": marrow_rows(patient), "adverse_events": adverse_event_rows(patient),
            "transplant": [], "outcome": [outcome_row(patient)]}
    if (transplant := transplant_row(patient)) is not None:
        rows["transplant"].append(transplant)
    return rows


def spelled(column: str, value: object, russian: bool, serial: bool, counter: int) -> object:
    """One cell as the site writes it. Dates: a date cell (serial) or text, dd.mm.yyyy or ISO."""
    if value is None:
        return None
    if isinstance(value, date):
        if serial:
            return datetime(value.year, value.month, value.day)
        return value.strftime("%d.%m.%Y") if counter % 3 else value.isoformat()
    return messy_value(column, value) if russian else clean_value(column, value)


def form_tables(patients: int, serial_dates: bool) -> dict[str, list[list[object]]]:
    """Every form's rows as lists of cells in COLUMNS order (headers not included)."""
    tables: dict[str, list[list[object]]] = {form: [] for form in FORMS}
    counter = 0
    for patient in bench_patients(patients):
        russian = int(patient.site) % 2 == 0
        for form, rows in patient_rows(patient).items():
            for row in rows:
                counter += 1
                serial = serial_dates and counter % 2 == 0
                tables[form].append([spelled(column, row.get(column), russian, serial, counter)
                                     for column in COLUMNS[form]])
    return tables


def write_xlsx(path: Path, patients: int) -> int:
    from openpyxl import Workbook  # openpyxl writes strings inline (t="inlineStr"), as many exporters do
    from openpyxl.cell import WriteOnlyCell

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    count = 0
    for form, rows in form_tables(patients, serial_dates=True).items():
        sheet = workbook.create_sheet(MESSY_SHEETS[form])
        sheet.append([MESSY_HEADERS[form][column] for column in COLUMNS[form]])
        for row in rows:
            sheet.append([date_cell(sheet, value, WriteOnlyCell) if isinstance(value, datetime) else value
                          for value in row])
        count += len(rows)
    save_deterministic(workbook, path)
    return count


def date_cell(sheet: object, value: datetime, cell_class: type) -> object:
    cell = cell_class(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def write_csv_folder(folder: Path, patients: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for form, rows in form_tables(patients, serial_dates=False).items():
        with (folder / f"{MESSY_SHEETS[form]}.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow([MESSY_HEADERS[form][column] for column in COLUMNS[form]])
            writer.writerows(["" if value is None else value for value in row] for row in rows)
        count += len(rows)
    return count


def write_lab_csv(path: Path, rows: int) -> int:
    """Lab results, one per row: the 5 tests per visit, visits every 7 days, 200 rows (40 visits) per subject."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["subject_id", "test", "value", "unit", "date"])
        for number in range(rows):
            subject = f"{number // 200 // PATIENTS_PER_SITE + 1:02d}-{number // 200 % PATIENTS_PER_SITE + 1:03d}"
            code, _, unit, low, high = LAB_TESTS[number % len(LAB_TESTS)]
            when = date(2021, 1, 4) + timedelta(days=7 * (number % 200 // 5))
            value = low + (number * 7919 % 1000) * (high - low) / 1000
            text = f"{value:.1f}".replace(".", ",") if number % 4 == 0 else f"{value:.1f}"  # Russian decimals too
            writer.writerow([subject, code, text, unit, when.strftime("%d.%m.%Y")])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--patients", type=int, help="reference-study export with this many patients")
    size.add_argument("--lab-rows", type=int, help="lab-results csv with this many rows")
    parser.add_argument("--out", type=Path, required=True, help="xlsx file, csv folder, or lab csv file")
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    arguments = parser.parse_args(argv)
    if arguments.lab_rows is not None:
        count = write_lab_csv(arguments.out, arguments.lab_rows)
    elif arguments.format == "csv":
        count = write_csv_folder(arguments.out, arguments.patients)
    else:
        count = write_xlsx(arguments.out, arguments.patients)
    print(f"{arguments.out}: {count} data rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
