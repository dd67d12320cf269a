"""Write xlsx packages byte by byte, for files openpyxl cannot make (or makes with a timestamp).

Every member gets the same fixed zip timestamp, so the same call writes the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
DEFAULT_STYLES = (f'<styleSheet xmlns="{MAIN}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>')


def worksheet(rows: str, head: str = "", tail: str = "") -> str:
    """A worksheet part: `head` goes before sheetData (dimension, cols), `tail` after it (mergeCells)."""
    return f'{PROLOG}<worksheet xmlns="{MAIN}">{head}<sheetData>{rows}</sheetData>{tail}</worksheet>'


def shared_strings(*texts: str) -> str:
    items = "".join(f"<si><t xml:space=\"preserve\">{text}</t></si>" for text in texts)
    return f'{PROLOG}<sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'


def package_parts(sheets: Iterable[tuple[str, str, str]], strings: str | None = None,
                  styles: str = DEFAULT_STYLES, workbook_properties: str = "") -> dict[str, str]:
    """The parts of a workbook; `sheets` are (name, worksheet XML, state) with state '' for visible."""
    sheets = list(sheets)
    sheet_entries = "".join(
        f'<sheet name="{name}" sheetId="{number}" r:id="rId{number}"{f" state={chr(34)}{state}{chr(34)}" if state else ""}/>'
        for number, (name, _xml, state) in enumerate(sheets, start=1))
    relations = "".join(
        f'<Relationship Id="rId{number}" Type="{RELATIONS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, len(sheets) + 1))
    relations += f'<Relationship Id="rIdStyles" Type="{RELATIONS}/styles" Target="styles.xml"/>'
    if strings is not None:
        relations += f'<Relationship Id="rIdStrings" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>'
    parts = {
        "[Content_Types].xml": (
            f'{PROLOG}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>'),
        "_rels/.rels": (
            f'{PROLOG}<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
            f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{PROLOG}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}">{workbook_properties}'
            f'<sheets>{sheet_entries}</sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": f'{PROLOG}<Relationships xmlns="{PACKAGE}">{relations}</Relationships>',
        "xl/styles.xml": PROLOG + styles,
    }
    for number, (_name, xml, _state) in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{number}.xml"] = xml
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    return parts


def write_package(path: Path, parts: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_xlsx(path: Path, sheets: Iterable[tuple[str, str, str]], strings: str | None = None,
               styles: str = DEFAULT_STYLES, workbook_properties: str = "") -> Path:
    return write_package(path, package_parts(sheets, strings, styles, workbook_properties))


def cell(reference: str, value: str | float, kind: str = "", style: str = "") -> str:
    attributes = f' r="{reference}"' + (f' t="{kind}"' if kind else "") + (f' s="{style}"' if style else "")
    return f"<c{attributes}><v>{value}</v></c>"


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'
