"""match_sheets: which sheet each form reads, by the form's sheet names in any case, spacing or language."""

from __future__ import annotations

from collections.abc import Callable

from crfmap.issues import Issue, make_issue
from crfmap.sources import SheetInfo, Workbook
from crfmap.sources.text import normalize_name
from crfmap.study.models import Form, StudyMapping


def match_sheets(study: StudyMapping, sheets: list[SheetInfo], *, file_name: str,
                 count_cells: Callable[[str], int]) -> tuple[dict[str, SheetInfo], list[Issue]]:
    """Form name → its sheet, and the issues: S001 no sheet, S006 several sheets, S007 unused sheet.

    `count_cells(sheet name)` gives a sheet's non-empty cells; it is called only for sheets no form reads
    and the study does not ignore, so a workbook whose sheets all match is read once.
    A form with several matching sheets reads none of them (which one is meant is the user's call).
    """
    matched: dict[str, SheetInfo] = {}
    issues: list[Issue] = []
    used: set[str] = set()
    for form in study.forms.values():
        names = accepted_names(form)
        candidates = [sheet for sheet in sheets if normalize_name(sheet.name_in_file) in names]
        used.update(sheet.name for sheet in candidates)
        if len(candidates) == 1:
            matched[form.name] = candidates[0]
        elif not candidates:
            issues.append(make_issue("S001", file=file_name, form=form.name, expected=form.sheets))
        else:
            issues.append(make_issue("S006", file=file_name, form=form.name,
                                     detail=", ".join(repr(sheet.name) for sheet in candidates)))
    ignored = {normalize_name(name) for name in study.study.ignore_sheets}
    for sheet in sheets:
        if sheet.name in used or normalize_name(sheet.name_in_file) in ignored:
            continue
        count = count_cells(sheet.name)
        if count:
            issues.append(make_issue("S007", file=file_name, sheet=sheet.name, detail=count))
    return matched, issues


def accepted_names(form: Form) -> set[str]:
    return {normalize_name(name) for name in (*form.sheets, form.name, form.label)} - {""}


def count_cells_in(workbook: Workbook) -> Callable[[str], int]:
    """The `count_cells` for match_sheets that reads an unused sheet once, streaming, to count its cells."""
    return lambda name: sum(len(row.cells) for row in workbook.iter_rows(name))
