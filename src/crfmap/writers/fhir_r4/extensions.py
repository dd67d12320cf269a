"""Where facts with no FHIR element go: our extensions, and the source cells on each resource's meta.

Every canonical field a resource has no element for is kept (nothing is lost) as a `record-field`
extension (name + value); every mapping qualifier as a `qualifier` extension; the cells a resource came
from as `source-cells` extensions on `meta` (field, file, and the cells as `Sheet!A1`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from crfmap.model import Coded, PartialDate, Quantity, Record, Value
from crfmap.writers.fhir_r4.context import StudyContext
from crfmap.writers.fhir_r4.datatypes import make_codeable_concept, make_date_time, make_quantity


def make_value(value: Value, context: StudyContext) -> tuple[str, Any] | None:
    """The value[x] element name and value for a canonical value; None for an empty value."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "valueBoolean", value
    if isinstance(value, int):
        return "valueInteger", value
    if isinstance(value, Decimal):
        return "valueDecimal", value
    if isinstance(value, PartialDate):
        return "valueDateTime", make_date_time(value, context.zone)
    if isinstance(value, Coded):
        return "valueCodeableConcept", make_codeable_concept(value)
    if isinstance(value, Quantity):
        return "valueQuantity", make_quantity(value)
    return "valueString", str(value)


def make_named_extension(url: str, name: str, value: Value, context: StudyContext) -> dict[str, Any] | None:
    element = make_value(value, context)
    if element is None:
        return None
    return {"url": url, "extension": [{"url": "name", "valueString": name},
                                      {"url": "value", element[0]: element[1]}]}


def make_field_extensions(record: Record, names: Iterable[str], context: StudyContext) -> list[dict[str, Any]]:
    """`record-field` extensions for the record's fields that this resource has no element for."""
    url = context.extension_url("record-field")
    extensions = (make_named_extension(url, name, getattr(record, name), context) for name in names)
    return [extension for extension in extensions if extension is not None]


def make_qualifier_extensions(record: Record, context: StudyContext) -> list[dict[str, Any]]:
    url = context.extension_url("qualifier")
    extensions = (make_named_extension(url, name, record.qualifiers[name], context)
                  for name in sorted(record.qualifiers))
    return [extension for extension in extensions if extension is not None]


def add_extensions(resource: dict[str, Any], extensions: list[dict[str, Any]]) -> None:
    if extensions:
        resource.setdefault("extension", []).extend(extensions)


def make_meta(record: Record | None, profiles: list[str], context: StudyContext,
              fields: Iterable[str] | None = None) -> dict[str, Any] | None:
    """meta.profile from the mapping and the source cells of every field (or of `fields`), by field name."""
    meta: dict[str, Any] = {}
    if profiles:
        meta["profile"] = list(profiles)
    if record is not None:
        chosen = sorted(record.sources) if fields is None else sorted(set(fields) & set(record.sources))
        cells = [make_source_extension(name, record.sources[name], context) for name in chosen
                 if record.sources[name]]
        if cells:
            meta["extension"] = cells
    return meta or None


def make_source_extension(name: str, cells: tuple, context: StudyContext) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "field", "valueString": name}]
    if len(cells) == 1:  # nearly every field: one cell
        parts.append({"url": "file", "valueString": cells[0].file})
        parts.append({"url": "cell", "valueString": _cell_text(cells[0])})
    else:
        for file_name in sorted({cell.file for cell in cells}):
            parts.append({"url": "file", "valueString": file_name})
        parts.extend({"url": "cell", "valueString": _cell_text(cell)} for cell in sorted(cells))
    return {"url": context.extension_url("source-cells"), "extension": parts}


def _cell_text(cell: Any) -> str:
    return f"{_quoted_sheet(cell.sheet)}!{cell.a1}"


@lru_cache(maxsize=1024)
def _quoted_sheet(sheet: str) -> str:
    if not sheet.replace("_", "").isalnum():
        sheet = "'" + sheet.replace("'", "''") + "'"  # Excel's quoting of sheet names with spaces etc.
    return sheet
