"""The blank workbook a site fills in, from a study's forms: one sheet per form (long layout), column titles
from the labels (with unit, and * when required) in the site's language, Excel data validation (drop-downs of
code lists, yes/no, date and number ranges, text lengths), required cells highlighted while empty, the header
row and subject column frozen, an instructions sheet, and the mapping it was made from recorded (stamp.py).

The bytes are reproducible: fixed document dates and zip entry times, no wall clock.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from crfmap.study.models import Codelist, Column, Form, StudyMapping
from crfmap.template.language import pick_spelling, word
from crfmap.template.stamp import STAMP_SHEET, TemplateStamp

FIXED_TIME = datetime(2000, 1, 1)
EXCEL_EPOCH = date(1899, 12, 30)
REQUIRED_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's light red
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
NUMBER_LIMIT = 1_000_000_000


def build_template(mapping: StudyMapping, language: str, rows: int, crfmap_version: str) -> tuple[Workbook,
                                                                                                  TemplateStamp]:
    book = Workbook()
    instructions = book.active
    instructions.title = word(language, "instructions")
    lists = book.create_sheet(word(language, "lists"))
    lists.sheet_state = "hidden"
    list_ranges: dict[str, str] = {}
    taken = {instructions.title, lists.title, STAMP_SHEET}
    sheets: list[tuple[str, Form]] = []
    # one-row-per-subject forms (demographics …) first, as sites fill them first; otherwise the mapping's order
    for form in sorted(mapping.forms.values(), key=lambda form: form.repeating):
        sheet = book.create_sheet(sheet_name(form, language, taken))
        taken.add(sheet.title)
        sheets.append((sheet.title, form))
        write_form(sheet, form, mapping, language, rows, lists, list_ranges)
    stamp = TemplateStamp(study=mapping.study.id, folder=mapping.folder, version=mapping.study.version,
                          sha256=mapping.sha256, crfmap_version=crfmap_version, language=language,
                          sheets=(instructions.title, lists.title, STAMP_SHEET))
    write_instructions(instructions, mapping, sheets, language)
    write_stamp(book, stamp)
    return book, stamp


def sheet_name(form: Form, language: str, taken: set[str]) -> str:
    name = pick_spelling(form.sheets[0], [*form.sheets[1:], form.label], language)
    name = BAD_SHEET_CHARACTERS.sub(" ", name).strip()[:31] or form.name[:31]
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name[:28]} {number}"
        number += 1
    return candidate


def header_text(column: Column, form: Form, language: str) -> str:
    text = pick_spelling(column.label, column.headers, language)
    if column.unit and column.unit not in text:
        text += f" ({column.unit})"
    if column.required or column.name == form.identity.subject:
        text += " *"
    return text


def write_form(sheet: Worksheet, form: Form, mapping: StudyMapping, language: str, rows: int, lists: Worksheet,
               list_ranges: dict[str, str]) -> None:
    columns = [column for column in form.columns if not column.ignore or column.name == form.identity.subject]
    columns.sort(key=lambda column: column.name != form.identity.subject)  # the subject first
    last = rows + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(1, index, header_text(column, form, language))
        required = column.required or column.name == form.identity.subject
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(cell.value)) + 2))
        validation = make_validation(column, mapping, language, lists, list_ranges)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(validation)
        if column.type in ("date", "datetime"):
            for row in range(2, last + 1):
                sheet.cell(row, index).number_format = "dd.mm.yyyy" if language.startswith("ru") else "yyyy-mm-dd"
        if required and index > 1:  # an empty required cell turns red once the row has a subject
            sheet.conditional_formatting.add(f"{letter}2:{letter}{last}", FormulaRule(
                formula=[f'AND($A2<>"",ISBLANK({letter}2))'], fill=REQUIRED_FILL))
    sheet.freeze_panes = "B2"


def make_validation(column: Column, mapping: StudyMapping, language: str, lists: Worksheet,
                    list_ranges: dict[str, str]) -> DataValidation | None:
    title = column.label[:32]
    if column.type == "coded" and column.codelist and not column.multiple:
        source = list_range(mapping.codelists[column.codelist], language, lists, list_ranges)
        return DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                              errorTitle=title, error="Choose a value from the list.", promptTitle=title,
                              prompt="Choose from the list.", showInputMessage=True)
    if column.type == "boolean":
        yes, no = word(language, "yes"), word(language, "no")
        return DataValidation(type="list", formula1=f'"{yes},{no}"', allow_blank=True, showErrorMessage=True,
                              errorTitle=title, error=f"{yes} / {no}")
    if column.type in ("integer", "decimal"):
        low = float(column.min) if column.min is not None else -NUMBER_LIMIT
        high = float(column.max) if column.max is not None else NUMBER_LIMIT
        kind = "whole" if column.type == "integer" else "decimal"
        unit = f" {column.unit}" if column.unit else ""
        return DataValidation(type=kind, operator="between", formula1=number_text(low), formula2=number_text(high),
                              allow_blank=True, showErrorMessage=True, errorTitle=title,
                              error=f"A number from {number_text(low)} to {number_text(high)}{unit}.")
    if column.type in ("date", "datetime"):
        cutoff = date.fromisoformat(mapping.study.data_cutoff) if mapping.study.data_cutoff else date(2099, 12, 31)
        latest = date(2099, 12, 31) if column.allow_future else cutoff
        return DataValidation(type="date", operator="between", formula1=str(serial(date(1900, 1, 1))),
                              formula2=str(serial(latest)), allow_blank=True, showErrorMessage=True,
                              errorTitle=title, error=f"A date up to {latest.isoformat()}.")
    if column.type == "string" and column.max_length:
        return DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(column.max_length),
                              allow_blank=True, showErrorMessage=True, errorTitle=title,
                              error=f"At most {column.max_length} characters.")
    if column.multiple or column.type == "partial_date":
        prompt = ("Several values separated by |" if column.multiple
                  else "yyyy-mm-dd, or yyyy-mm / yyyy when the day or month is unknown")
        return DataValidation(type=None, allow_blank=True, showInputMessage=True, promptTitle=title, prompt=prompt)
    return None


def list_range(codelist: Codelist, language: str, lists: Worksheet, list_ranges: dict[str, str]) -> str:
    """A code list's spellings in the language, one per row of its own column in the hidden lists sheet."""
    if codelist.id not in list_ranges:
        column = len(list_ranges) + 1
        letter = get_column_letter(column)
        for row, value in enumerate(codelist.values, start=1):
            lists.cell(row, column, pick_spelling(value.display, [*value.synonyms, value.value], language))
        list_ranges[codelist.id] = f"{quote_sheetname(lists.title)}!${letter}$1:${letter}${len(codelist.values)}"
    return list_ranges[codelist.id]


def write_instructions(sheet: Worksheet, mapping: StudyMapping, sheets: list[tuple[str, Form]], language: str) -> None:
    study = mapping.study
    lines = [
        study.title, f"Study {study.id}" + (f", protocol {study.protocol}" if study.protocol else ""),
        f"Made from mapping {mapping.folder}, version {study.version}.", "",
        "How to fill in this workbook:",
        "- one sheet per form, one row per record (an adverse event, a visit …); the first column is the subject;",
        "- do not rename sheets or column titles: crfmap finds them by name;",
        "- columns marked * are required; their empty cells turn red once the row has a subject;",
        "- choose coded values from the drop-down lists; type dates as dates;",
        "- check the workbook with: crfmap validate <this file> (the study is recognised from the workbook).", "",
        "Sheets:",
    ]
    lines += [f"- {name}: {form.label}" for name, form in sheets]
    if study.data_cutoff:
        lines += ["", f"Data cut-off: {study.data_cutoff} (later dates are refused)."]
    for row, text in enumerate(lines, start=1):
        sheet.cell(row, 1, text)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 110


def write_stamp(book: Workbook, stamp: TemplateStamp) -> None:
    sheet = book.create_sheet(STAMP_SHEET)
    sheet.sheet_state = "hidden"
    for key, value in stamp.rows():
        sheet.append([key, value])
        book.custom_doc_props.append(StringProperty(name=key, value=value))


def save_template(book: Workbook, path: Path) -> None:
    """Save with fixed document dates and zip entry times, so the same mapping gives the same bytes."""
    book.properties.creator = book.properties.lastModifiedBy = "crfmap"
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    output = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes the save time whatever the properties say
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>",
                                 content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    path.write_bytes(output.getvalue())


def serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


def number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
