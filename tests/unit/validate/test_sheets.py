"""match_sheets: forms find their sheets by name in any case, spacing or language."""

from __future__ import annotations

from crfmap.sources import SheetInfo
from crfmap.validate import match_sheets
from tests.unit.validate.study_builder import build_study


def sheets(*names: str) -> list[SheetInfo]:
    return [SheetInfo(name=name, index=index) for index, name in enumerate(names)]


def test_sheet_names_match_in_any_case_spacing_and_language() -> None:
    study = build_study()
    counted: list[str] = []
    matched, issues = match_sheets(study, sheets(" демография ", "ae", "КОСТНЫЙ  МОЗГ"), file_name="site.xlsx",
                                   count_cells=lambda name: counted.append(name) or 5)
    assert {form: sheet.name for form, sheet in matched.items()} == {
        "demographics": " демография ", "adverse_events": "ae", "bone_marrow": "КОСТНЫЙ  МОЗГ"}
    assert issues == []
    assert counted == []  # matched sheets are not read just to count their cells


def test_missing_ambiguous_and_unused_sheets() -> None:
    study = build_study(ignore_sheets=("Инструкция",))
    cells = {"Demographics": 10, "AE": 4, "Нежелательные явления": 3, "Notes": 2, "Инструкция": 7, "Empty": 0}
    matched, issues = match_sheets(study, sheets(*cells), file_name="site.xlsx", count_cells=cells.__getitem__)
    assert set(matched) == {"demographics"}
    assert [(issue.code, issue.form, issue.sheet) for issue in issues] == [
        ("S006", "adverse_events", None),
        ("S001", "bone_marrow", None),
        ("S007", None, "Notes"),
    ]
    assert "'AE', 'Нежелательные явления'" in issues[0].message
    assert all(issue.file == "site.xlsx" for issue in issues)
