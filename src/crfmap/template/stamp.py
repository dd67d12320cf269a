"""What a template records about the mapping it was made from, and how that record is read back.

The record is a hidden sheet `crfmap` of key/value rows (it survives LibreOffice and Excel round trips, and a
reader of any workbook format sees it), repeated as the workbook's custom document properties for people who
look in File › Info. `validate` and `convert` use it to find the study without `--study`, to leave the
template's own sheets out of the data, and to warn when the mapping has changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

STAMP_SHEET = "crfmap"
MARK = "crfmap template"
KEYS = {"study": "study", "folder": "mapping folder", "version": "mapping version", "sha256": "mapping sha256",
        "crfmap_version": "crfmap version", "language": "language", "sheets": "template sheets"}


@dataclass(frozen=True)
class TemplateStamp:
    study: str
    folder: str
    version: str
    sha256: str
    crfmap_version: str
    language: str
    sheets: tuple[str, ...]  # the template's own sheets (instructions, lists, this stamp): not data

    def rows(self) -> list[tuple[str, str]]:
        values = {"study": self.study, "folder": self.folder, "version": self.version, "sha256": self.sha256,
                  "crfmap_version": self.crfmap_version, "language": self.language, "sheets": ", ".join(self.sheets)}
        return [(MARK, "1"), *((KEYS[key], value) for key, value in values.items())]


def parse_stamp(rows: list[tuple[str, str]]) -> TemplateStamp | None:
    """The stamp from the `crfmap` sheet's (key, value) rows; None when they are not one."""
    values = dict(rows)
    if values.get(MARK) != "1" or not values.get(KEYS["study"]):
        return None
    found = {key: values.get(label, "") for key, label in KEYS.items()}
    sheets = tuple(name.strip() for name in found.pop("sheets").split(",") if name.strip())
    return TemplateStamp(sheets=sheets, **found)
