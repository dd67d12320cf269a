"""The record-field vocabulary of concepts.yaml, as models: which fields each record kind has, what kind of value
each takes, and which kind each operation gives. One source (the canonical model's field metadata) serves the
linter (P009 unknown field, P022 wrong kind), the JSON Schema (`crfmap schema`) and the README's field table.
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model

from crfmap.model import RECORD_TYPES, FieldKind, record_fields
from crfmap.study import models

# What a field of each kind accepts from an operation; the engine turns numbers and coded values (their code list
# value) into text, and integers into numbers, where accepted.
ACCEPTS: dict[str, frozenset[str]] = {
    "text": frozenset({"text", "integer", "number", "coded"}),
    "integer": frozenset({"integer"}),
    "number": frozenset({"integer", "number"}),
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date"}),
    "coded": frozenset({"coded"}),
    "quantity": frozenset({"quantity"}),
}
COLUMN_KINDS: dict[str, str] = {
    "string": "text", "integer": "integer", "decimal": "number", "date": "date", "datetime": "date",
    "partial_date": "date", "time": "time", "boolean": "boolean", "coded": "coded",
}
KIND_WORDS = {"text": "text", "integer": "a whole number", "number": "a number", "boolean": "yes/no",
              "date": "a date", "coded": "a coded value", "quantity": "a number with a unit", "time": "a time of day"}


def operation_kind(operation: Any, mapping: models.StudyMapping, form: models.Form) -> str | None:
    """The kind of value an operation gives (None when it cannot be told: an unknown column, reported as P005)."""
    if isinstance(operation, (models.CodeOp, models.ConstantCodeOp, models.MapBooleanOp)):
        return "coded"
    if isinstance(operation, (models.QuantityOp, models.ConvertUnitOp)):
        return "quantity"
    if isinstance(operation, models.CombineDatetimeOp):
        return "date"
    if isinstance(operation, (models.JoinOp, models.RowNumberOp)):
        return "text"
    if isinstance(operation, models.ConstantOp):
        value = operation.value
        if isinstance(value, bool):
            return "boolean"
        return "integer" if isinstance(value, int) else "number" if isinstance(value, float) else "text"
    if isinstance(operation, models.LookupOp):
        other = mapping.forms.get(operation.form)
        column = other.column(operation.column) if other is not None else None
        return None if column is None else COLUMN_KINDS[column.type]
    if isinstance(operation, models.CopyOp):
        column = form.column(operation.column)
        return None if column is None else COLUMN_KINDS[column.type]
    return None


def literal_choices(record: str, field_name: str) -> tuple[str, ...]:
    """The allowed values of a field typed as a choice (an intervention's or event's category), else ()."""
    hint = RECORD_TYPES[record].__annotations__.get(field_name, "")
    if isinstance(hint, str) and hint.startswith("Literal["):
        return tuple(part.strip(" '\"") for part in hint[len("Literal["):].rstrip("]").split(","))
    return tuple(str(value) for value in get_args(hint))


# ── models of the `fields:` dict per record kind, for the JSON Schema ──────────────────────────────────

@cache
def fields_model(record: str) -> type[BaseModel]:
    """`fields:` of a concept of this record kind: one optional operation per field, described."""
    definitions: dict[str, Any] = {}
    for info in record_fields(record):
        choices = literal_choices(record, info.name)
        text = f"{'Required. ' if info.required and not info.doc.startswith('Required') else ''}{info.doc} " \
               f"[{info.kind}{': ' + ' | '.join(choices) if choices else ''}]"
        definitions[info.name] = (models.Operation | None, Field(None, description=text))
    name = f"{record.capitalize()}Fields"
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), __doc__=f"The record fields of a {record}.", **definitions)
    return model


@cache
def field_kind(record: str, field_name: str) -> FieldKind | None:
    return next((info.kind for info in record_fields(record) if info.name == field_name), None)
