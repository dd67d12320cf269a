"""A csv export (cp1251, semicolons, comma decimals) read by crfmap's csv reader and validated: every cell is
text, so text dates and numbers are read without "typed as text" warnings."""

from __future__ import annotations

from pathlib import Path

from crfmap.issues import Report
from crfmap.model import PartialDate
from crfmap.readers import ReadOptions, open_workbook
from crfmap.validate import ValidationContext, count_cells_in, locate_header, match_sheets, validate_sheet
from tests.unit.validate.study_builder import MARROW, build_study

CSV_TEXT = (
    "Номер пациента;Дата исследования;Бласты, %;МОБ, %\r\n"
    "01-001;14.05.2019;35,5;\r\n"
    "01-001;11.06.2019;0,5;0,01%\r\n"
    "01-001;09.07.2019;;<0,01%\r\n"
)


def test_csv_export(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Костный мозг.csv").write_bytes(CSV_TEXT.encode("cp1251"))
    (folder / "Notes.csv").write_bytes("a;b\r\nx;y\r\n".encode("cp1251"))
    marrow = dict(MARROW, columns=[dict(MARROW["columns"][0], headers=["Номер пациента"]),
                                   dict(MARROW["columns"][1], headers=["Дата исследования"]),
                                   *MARROW["columns"][2:]], rules=[])
    study = build_study(forms=[marrow])
    report = Report()
    with open_workbook(folder, ReadOptions(), report.add) as workbook:
        context = ValidationContext(study, sink=report.add, file_name="export", native_types=workbook.format == "xlsx")
        matched, issues = match_sheets(study, workbook.sheets(), file_name="export",
                                       count_cells=count_cells_in(workbook))
        report.extend(issues)
        sheet = matched["bone_marrow"].name
        header, rows = locate_header(study.forms["bone_marrow"], sheet, workbook.iter_rows(sheet), context)
        form_rows = list(validate_sheet(study.forms["bone_marrow"], sheet, rows, header, context))
    # R014: the reader says it guessed cp1251
    assert sorted(report.flatten(), key=str) == sorted([
        ("S007", "Notes", None), ("R014", "Костный мозг", None), ("S114", "Костный мозг", "D4")], key=str)
    assert "4 non-empty cells" in next(issue for issue in report if issue.code == 'S007').message
    assert [str(row.values.get("blasts")) for row in form_rows] == ["35.5", "0.5", "None"]
    assert [str(row.values.get("mrd")) for row in form_rows] == ["None", "0.01", "None"]
    assert form_rows[0].values["date"] == PartialDate(2019, 5, 14)
