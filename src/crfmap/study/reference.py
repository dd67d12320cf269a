"""The mapping vocabulary as Markdown, generated from the models (`crfmap schema --format markdown`): record fields
per record kind, the operations, and each output target's keys. The README's reference is this text, and a test
keeps them equal, so the documentation cannot drift from what the loader accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from crfmap.model import RECORD_TYPES, record_fields
from crfmap.study import models
from crfmap.study.fields import literal_choices
from crfmap.study.targets import TargetModels

KIND_NAMES = {"text": "text", "integer": "integer", "number": "number", "boolean": "yes/no", "date": "date",
              "coded": "coded", "quantity": "quantity"}
OPERATION_MODELS = (models.CopyOp, models.CodeOp, models.ConstantOp, models.ConstantCodeOp, models.QuantityOp,
                    models.ConvertUnitOp, models.CombineDatetimeOp, models.JoinOp, models.LookupOp,
                    models.MapBooleanOp, models.RowNumberOp)


def mapping_reference_markdown(targets: Mapping[str, TargetModels]) -> str:
    intro = ("What each `record:` kind of concept has; a concept's `fields:` fills them by operations. Items with no "
             "field go under `qualifiers:` (SUPP-- in SDTM, extensions in FHIR).")
    lines = ["#### Record fields", "", intro, ""]
    for kind in RECORD_TYPES:
        lines += [f"`record: {kind}` — {_first_line(RECORD_TYPES[kind].__doc__)}", "",
                  "| field | value | meaning |", "|---|---|---|"]
        for info in record_fields(kind):
            choices = literal_choices(kind, info.name)
            value = " \\| ".join(f"`{choice}`" for choice in choices) if choices else KIND_NAMES[info.kind]
            lines.append(f"| `{info.name}` | {value} | {_cell(info.doc)} |")
        lines.append("")
    lines += ["#### Operations", "", "| op | keys | gives |", "|---|---|---|"]
    for model in OPERATION_MODELS:
        keys = ", ".join(f"`{name}`" for name in model.model_fields if name != "op")
        op = model.model_fields["op"].annotation.__args__[0]  # type: ignore[union-attr]
        lines.append(f"| `{op}` | {keys or '—'} | {_cell(_first_line(model.__doc__))} |")
    lines += ["", "#### Output targets", ""]
    for name, pair in sorted(targets.items()):
        lines += _model_table(f"A concept's `{name}:`", pair.concept)
        lines += _model_table(f"study.yaml `{name}:`", pair.study)
    return "\n".join(lines).rstrip("\n") + "\n"


def _model_table(title: str, model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    lines = [f"{title} — {_first_line(model.__doc__)}", "", "| key | value | meaning |", "|---|---|---|"]
    for key, prop in schema.get("properties", {}).items():
        lines.append(f"| `{key}` | {_type(prop, definitions)} | {_cell(prop.get('description', ''))} |")
    nested = sorted(name for name in definitions if definitions[name].get("properties"))
    for name in nested:
        definition = definitions[name]
        keys = ", ".join(f"`{key}`" for key in definition["properties"])
        lines.append(f"| ↳ {name} | {keys} | {_cell(_first_line(definition.get('description', '')))} |")
    return [*lines, ""]


def _type(prop: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return " \\| ".join(f"`{value}`" for value in prop["enum"])
    for union in ("anyOf", "oneOf"):
        if union in prop:
            parts = [_type(part, definitions) for part in prop[union] if part.get("type") != "null"]
            return " \\| ".join(parts) if len(parts) < 5 else "one of " + ", ".join(parts)
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}), definitions)}"
    if kind == "object":
        return f"map to {_type(prop.get('additionalProperties', {}), definitions)}"
    return {"string": "text", "integer": "integer", "number": "number", "boolean": "yes/no"}.get(kind or "", "any")


def _first_line(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
