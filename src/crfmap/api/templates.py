"""Site workbooks made by `crfmap template`: writing one, and recognising one when it comes back filled in.

A filled template names its study (the stamp sheet), so `validate` and `convert` find the mapping without
`--study`: `mappings/<folder>` under the current folder, or under the workbook's folder or one above it. The
template's own sheets (instructions, drop-down lists, the stamp) are left out of the data, and a mapping that
changed since the template was made is said (P053).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from crfmap import __version__
from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.readers import ReadOptions, open_workbook
from crfmap.sources import Row, SheetInfo, Workbook
from crfmap.study import StudyMapping
from crfmap.template import STAMP_SHEET, TemplateStamp, parse_stamp

LANGUAGE_BY_COUNTRY = {"RUS": "ru", "BLR": "ru", "KAZ": "ru", "KGZ": "ru", "UKR": "uk"}
SEARCH_PARENTS = 2


@dataclass
class TemplateOutcome:
    path: Path
    stamp: TemplateStamp
    sheets: int


def write_template(mapping: StudyMapping, out: Path, *, language: str | None = None, rows: int = 500) -> TemplateOutcome:
    """Write the blank site workbook for `mapping` to `out` (.xlsx). The language defaults to the study's
    country's (ru for RUS …), else English."""
    language = language or LANGUAGE_BY_COUNTRY.get(mapping.study.country or "", "en")
    from crfmap.template.build import build_template, save_template  # openpyxl: only when a template is made

    book, stamp = build_template(mapping, language, rows, __version__)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_template(book, out)
    except OSError as problem:
        raise FatalIssue(make_issue("W001", file=out.name, detail=f"the template cannot be written "
                                                                  f"({problem.strerror or problem})")) from problem
    return TemplateOutcome(path=out, stamp=stamp, sheets=len(mapping.forms))


def read_stamp(book: Workbook) -> TemplateStamp | None:
    """The stamp of a workbook made by `crfmap template`, or None."""
    if not any(info.name == STAMP_SHEET for info in book.sheets()):
        return None
    rows = [(str(row.cells.get(1, "")).strip(), str(row.cells.get(2, "")).strip())
            for row in book.iter_rows(STAMP_SHEET)]
    return parse_stamp(rows)


def find_study(workbook: Path, read_options: ReadOptions) -> Path:
    """The mapping folder a filled template was made from; P054 when it is not one or the folder is not found."""
    workbook = Path(workbook)
    with open_workbook(workbook, read_options, lambda issue: None) as book:
        stamp = read_stamp(book)
    if stamp is None:
        raise FatalIssue(make_issue("P054", file=workbook.name, detail=(
            f"{workbook.name} does not say which study it belongs to (it was not made by crfmap template)")))
    places = [Path(os.getcwd()), *[workbook.resolve().parents[level] for level in range(SEARCH_PARENTS)
                                   if level < len(workbook.resolve().parents)]]
    for place in places:
        folder = place / "mappings" / stamp.folder
        if (folder / "study.yaml").is_file():
            return folder
    raise FatalIssue(make_issue("P054", file=workbook.name, detail=(
        f"{workbook.name} was made for study {stamp.study} (mapping folder {stamp.folder}), which is not in "
        f"mappings/ here or beside the workbook")))


def check_stamp(stamp: TemplateStamp, mapping: StudyMapping, file: str) -> list[Issue]:
    if stamp.study != mapping.study.id:
        return [make_issue("P054", file=file, detail=(
            f"{file} was made for study {stamp.study}, not {mapping.study.id}; pass the study it belongs to"))]
    if stamp.version != mapping.study.version:
        return [make_issue("P053", file=file, detail=(
            f"{file} was made from mapping version {stamp.version}; the mapping is now version "
            f"{mapping.study.version}"))]
    if stamp.sha256 != mapping.sha256:
        return [make_issue("P053", file=file, detail=(
            f"{file} was made from mapping version {stamp.version}, which has changed since (its files differ)"))]
    return []


class WithoutTemplateSheets:
    """A workbook seen without a template's own sheets (instructions, drop-down lists, the stamp)."""

    def __init__(self, book: Workbook, hidden: tuple[str, ...]) -> None:
        self.book = book
        self.hidden = set(hidden)
        self.path, self.format, self.typed_cells = book.path, book.format, book.typed_cells

    def sheets(self) -> list[SheetInfo]:
        return [info for info in self.book.sheets() if info.name not in self.hidden]

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        return self.book.iter_rows(sheet)

    def close(self) -> None:
        self.book.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
