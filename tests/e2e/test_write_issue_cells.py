"""Every write-stage issue names the cell its value came from (issue #15): W002 (text SAS XPORT cannot hold)
at the cell that holds the text, W066 (subject missing from DM) at the cell that holds the subject id — not the
first cell of the record's row, as before (a value in Transplant!E2 was reported at B2). Checked against the
workbook read with openpyxl: the named cell holds exactly the value the issue quotes."""

from __future__ import annotations

import openpyxl

from crfmap import api
from tests.e2e.reference import MESSY, STUDY
from tests.minimal_study import FILES, write_minimal_study


def test_w002_names_the_cell_that_holds_the_text(tmp_path):
    outcome = api.convert_workbook(MESSY, STUDY, api.ConvertOptions(out=tmp_path / "out", targets=("sdtm",),
                                                                    allow_errors=True, allow_unmapped=True))
    issues = [issue for issue in outcome.report.issues if issue.code == "W002" and issue.cell]
    assert len(issues) > 10
    workbook = openpyxl.load_workbook(MESSY)
    for issue in issues:
        assert str(workbook[issue.sheet][issue.cell].value).strip() == issue.value, (issue.where, issue.value)


def test_w066_names_the_subject_id_cell(tmp_path):
    labs_without_rule = FILES["forms/labs.yaml"].split("        rules:")[0]  # no subject_exists: 02 gets through
    study = write_minimal_study(tmp_path / "study", **{"forms__labs.yaml": labs_without_rule, "concepts.yaml": """
        concepts:
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              birth_date: {op: copy, column: birth_date}
              site: {op: constant, value: "01"}
              country: {op: constant, value: RUS}
            sdtm: {domain: DM}
          - id: blasts
            form: labs
            record: finding
            fields:
              category: {op: constant, value: laboratory}
              test: {op: constant_code, codelist: lab_test, value: BLAST}
              value_quantity: {op: quantity, column: blasts}
              date: {op: copy, column: lab_date}
            sdtm: {domain: LB}
        """})
    book = openpyxl.Workbook()
    book.active.title = "DM"
    book["DM"].append(["Subject ID", "Sex"])
    book["DM"].append(["01", "M"])
    labs = book.create_sheet("LB")
    labs.append(["Date", "Blasts", "Subject ID"])  # the subject id is the last column of its row
    labs.append(["2024-01-02", 12, "01"])
    labs.append(["2024-01-03", 15, "02"])  # no DM row for 02
    path = tmp_path / "site.xlsx"
    book.save(path)
    outcome = api.convert_workbook(path, study, api.ConvertOptions(out=tmp_path / "out", targets=("sdtm",)))
    found = [(issue.sheet, issue.cell, issue.value) for issue in outcome.report.issues if issue.code == "W066"]
    assert found == [("LB", "C3", "MINI01-02")]  # before: LB!A3, the date


def test_w060_names_the_cell_of_the_value_not_carried(tmp_path):
    study = write_minimal_study(tmp_path / "study", **{"concepts.yaml": """
        concepts:
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              site: {op: constant, value: "01"}
              country: {op: constant, value: RUS}
            qualifiers:
              birth_note: {op: copy, column: birth_date}
            sdtm: {domain: DM}
          - id: blasts
            form: labs
            record: finding
            fields:
              category: {op: constant, value: laboratory}
              test: {op: constant_code, codelist: lab_test, value: BLAST}
              value_quantity: {op: quantity, column: blasts}
              date: {op: copy, column: lab_date}
            sdtm: {domain: LB}
        """})
    book = openpyxl.Workbook()
    book.active.title = "DM"
    book["DM"].append(["Subject ID", "Sex", "Birth date"])
    book["DM"].append(["01", "M", "2010"])
    book.create_sheet("LB").append(["Subject ID", "Date", "Blasts"])
    path = tmp_path / "site.xlsx"
    book.save(path)
    outcome = api.convert_workbook(path, study, api.ConvertOptions(out=tmp_path / "out", targets=("sdtm",)))
    found = [(issue.sheet, issue.cell) for issue in outcome.report.issues if issue.code == "W060"]
    assert found == [("DM", "C2")]  # the birth date's cell; before: B2, the record's first cell
