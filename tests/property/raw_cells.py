"""Put hand-written <c> elements into an xlsx that openpyxl wrote: cell types and values openpyxl never
writes (NaN numbers, boolean 2, error cells, ISO date cells, stray shared-string indexes, duplicated cells)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import strategies as st

SHEET_PARTS = {"DM": "xl/worksheets/sheet1.xml", "LB": "xl/worksheets/sheet2.xml"}  # openpyxl's order
PLACEHOLDER = "@@raw-cell@@"

NUMBER_TEXTS = ("nan", "NaN", "inf", "-inf", "1e999", "-1e999", "1e-999", "abc", "", "1.5.3", "0x10", "9" * 400,
                "45000.5", "-0", "1E5")
RAW_TEMPLATES = (
    *(f'<c r="{{ref}}" t="n"><v>{text}</v></c>' for text in NUMBER_TEXTS),
    *(f'<c r="{{ref}}"><v>{text}</v></c>' for text in NUMBER_TEXTS),
    *(f'<c r="{{ref}}" t="b"><v>{text}</v></c>' for text in ("0", "1", "2", "true", "", "-1")),
    *(f'<c r="{{ref}}" t="e"><v>{text}</v></c>' for text in ("#DIV/0!", "#N/A", "#REF!", "#VALUE!")),
    *(f'<c r="{{ref}}" t="d"><v>{text}</v></c>' for text in ("2021-04-31", "2021-02-28T25:00:00", "junk",
                                                             "0001-01-01", "2021-04-05", "2021-04-05T08:30:00")),
    '<c r="{ref}" t="str"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="{ref}"><f>A1</f></c>',
    '<c r="{ref}" t="str"><f>""</f><v></v></c>', '<c r="{ref}"><f t="shared" si="0"/></c>',
    '<c r="{ref}" t="s"><v>99999</v></c>', '<c r="{ref}" t="s"><v>abc</v></c>', '<c r="{ref}" t="s"><v>-1</v></c>',
    '<c r="{ref}" t="zz"><v>1</v></c>', '<c r="{ref}" s="9999"><v>45000</v></c>', '<c r="{ref}" s="x"><v>1</v></c>',
    '<c r="{ref}" t="inlineStr"><is></is></c>', '<c r="{ref}" t="inlineStr"/>',
    '<c r="{ref}" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c>',
    '<c r="{ref}" t="inlineStr"><is><t>_x0001_ _x000D_</t></is></c>', '<c r="{ref}"><v>1</v><v>2</v></c>',
)


@st.composite
def raw_cell_texts(draw: st.DrawFn) -> str:
    """A template with {ref}, or an inline string of any XML-legal text."""
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(RAW_TEMPLATES))
    text = draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)  # not allowed in XML 1.0
    return f'<c r="{{ref}}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def replace_cells(path: Path, replacements: dict[tuple[str, str], str]) -> None:
    """Replace the placeholder cells at (sheet, address) by the given <c> XML (with {ref} filled in)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for (sheet, address), template in replacements.items():
        xml = parts[SHEET_PARTS[sheet]].decode("utf-8")
        pattern = re.compile(rf'<c r="{address}"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
        assert pattern.search(xml), f"no cell {address} in {sheet}"
        cell_xml = template.replace("{ref}", address)
        xml = pattern.sub(lambda _match, cell_xml=cell_xml: cell_xml, xml, count=1)  # no escapes read
        parts[SHEET_PARTS[sheet]] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def insert_cell_before(path: Path, sheet: str, address: str, cell_xml: str) -> None:
    """Insert a <c> element just before the existing cell at `address` (so the row has it twice)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts[SHEET_PARTS[sheet]].decode("utf-8")
    marker = f'<c r="{address}"'
    assert xml.count(marker) == 1, f"no single cell {address} in {sheet}"
    parts[SHEET_PARTS[sheet]] = xml.replace(marker, cell_xml + marker, 1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
