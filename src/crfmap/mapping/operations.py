"""The closed vocabulary of mapping operations: one small function each, one registry.

Every operation takes (its spec, the validated row, the mapping context) and returns an `Output`: the value
(None when there is nothing to set) and the cells it came from. A mapping names operations; it never
contains code. Adding an operation is one function here, one model in study/models.py, one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any, Protocol

from crfmap.model import Coded, PartialDate, Quantity
from crfmap.sources import SourceCell
from crfmap.standards.ucum import convert
from crfmap.study import models
from crfmap.study.systems import CODE_SYSTEMS
from crfmap.values.row import FormRow, value_text

UCUM = CODE_SYSTEMS["ucum"]


@dataclass(frozen=True, slots=True)
class Output:
    value: Any
    sources: tuple[SourceCell, ...] = ()


NOTHING = Output(None)


class MappingContext(Protocol):
    def coded_constant(self, codelist: str, value: str) -> Coded: ...

    def subject_row(self, form: str, subject: str) -> FormRow | None: ...

    def report(self, code: str, row: FormRow, column: str, **details: Any) -> None: ...


def _cell(row: FormRow, column: str) -> tuple[SourceCell, ...]:
    cell = row.cells.get(column)
    return (cell,) if cell is not None else ()


def copy_value(spec: models.CopyOp, row: FormRow, context: MappingContext) -> Output:
    value = row.values.get(spec.column)
    return NOTHING if value is None else Output(value, _cell(row, spec.column))


def code_value(spec: models.CodeOp, row: FormRow, context: MappingContext) -> Output:
    value = row.values.get(spec.column)
    if value is None and spec.default is not None and spec.column not in row.raw:  # empty: the declared default
        codelist = getattr(context, "column_codelist", lambda form, column: None)(row.form, spec.column)
        return Output(context.coded_constant(codelist, spec.default)) if codelist else NOTHING
    return Output(value, _cell(row, spec.column)) if isinstance(value, Coded) else NOTHING


def constant_value(spec: models.ConstantOp, row: FormRow, context: MappingContext) -> Output:
    return Output(spec.value)


def constant_code(spec: models.ConstantCodeOp, row: FormRow, context: MappingContext) -> Output:
    return Output(context.coded_constant(spec.codelist, spec.value))


def quantity_value(spec: models.QuantityOp, row: FormRow, context: MappingContext) -> Output:
    """A number with its unit. With `unit_column` the row's unit, through its code list to UCUM; with `unit` as
    well, the value converted into `unit` (the collected one kept). A unit that is missing or cannot be converted
    is an issue at its cell, and the quantity is not made: never a number with the wrong unit."""
    number = row.values.get(spec.column)
    if number is None or isinstance(number, bool) or not isinstance(number, (int, Decimal)):
        return NOTHING
    if spec.unit_column is None:
        unit = spec.unit or context_unit(context, row.form, spec.column)
        return Output(Quantity(Decimal(number), unit, spec.unit_display), _cell(row, spec.column))
    cells = _cell(row, spec.column) + _cell(row, spec.unit_column)
    coded = row.values.get(spec.unit_column)
    if not isinstance(coded, Coded):
        context.report("M005", row, spec.column, value=str(number),
                       detail=f"{number} in column {spec.column!r} has no unit in {spec.unit_column!r}; the value "
                              "is not written without its unit")
        return NOTHING
    collected = Quantity(Decimal(number), unit_code(coded), spec.unit_display or coded.display)
    if spec.unit is None or collected.unit == spec.unit:
        return Output(collected, cells)
    converted = convert(collected.value, collected.unit or "", spec.unit)
    if converted is None:
        context.report("M003", row, spec.unit_column, value=coded.verbatim or coded.value, expected=spec.unit,
                       detail=f"{number} {collected.unit} cannot be converted to {spec.unit}, the unit this concept "
                              "declares; the value is not written")
        return NOTHING
    return Output(Quantity(converted, spec.unit, spec.unit_display, as_collected=collected), cells)


def unit_code(coded: Coded) -> str:
    """The UCUM code of a unit code list value: its UCUM coding, else the value itself (the linter checks both)."""
    coding = coded.coding(UCUM)
    return coding.code if coding is not None else coded.value


def convert_unit(spec: models.ConvertUnitOp, row: FormRow, context: MappingContext) -> Output:
    number = row.values.get(spec.column)
    if number is None or isinstance(number, bool) or not isinstance(number, (int, Decimal)):
        return NOTHING
    return Output(Quantity(Decimal(number) * spec.factor, spec.unit, spec.unit_display), _cell(row, spec.column))


def combine_datetime(spec: models.CombineDatetimeOp, row: FormRow, context: MappingContext) -> Output:
    day = row.values.get(spec.date)
    if not isinstance(day, PartialDate):
        return NOTHING
    clock = row.values.get(spec.time)
    if not isinstance(clock, time) or not day.is_complete_date:
        # A time without a full date means nothing on its own; the date keeps its own precision.
        return Output(day, _cell(row, spec.date))
    combined = PartialDate(day.year, day.month, day.day, clock.hour, clock.minute,
                           clock.second if clock.second else None)
    return Output(combined, _cell(row, spec.date) + _cell(row, spec.time))


def join_text(spec: models.JoinOp, row: FormRow, context: MappingContext) -> Output:
    parts = [(column, row.values.get(column)) for column in spec.columns]
    present = [(column, value) for column, value in parts if value not in (None, "")]
    if not present:
        return NOTHING
    text = spec.separator.join(text_of(value) for _, value in present)
    return Output(text, tuple(cell for column, _ in present for cell in _cell(row, column)))


def lookup_value(spec: models.LookupOp, row: FormRow, context: MappingContext) -> Output:
    if row.subject_id is None:
        return NOTHING
    other = context.subject_row(spec.form, row.subject_id)
    if other is None:
        return NOTHING
    value = other.values.get(spec.column)
    return NOTHING if value is None else Output(value, _cell(other, spec.column))


def map_boolean(spec: models.MapBooleanOp, row: FormRow, context: MappingContext) -> Output:
    value = row.values.get(spec.column)
    if not isinstance(value, bool):
        return NOTHING
    return Output(context.coded_constant(spec.codelist, spec.yes if value else spec.no), _cell(row, spec.column))


def row_number(spec: models.RowNumberOp, row: FormRow, context: MappingContext) -> Output:
    return Output(str(row.number))


Operation = Callable[[Any, FormRow, MappingContext], Output]

OPERATIONS: dict[type, Operation] = {
    models.CopyOp: copy_value,
    models.CodeOp: code_value,
    models.ConstantOp: constant_value,
    models.ConstantCodeOp: constant_code,
    models.QuantityOp: quantity_value,
    models.ConvertUnitOp: convert_unit,
    models.CombineDatetimeOp: combine_datetime,
    models.JoinOp: join_text,
    models.LookupOp: lookup_value,
    models.MapBooleanOp: map_boolean,
    models.RowNumberOp: row_number,
}


def run_operation(spec: Any, row: FormRow, context: MappingContext) -> Output:
    return OPERATIONS[type(spec)](spec, row, context)


def context_unit(context: MappingContext, form: str, column: str) -> str | None:
    unit_of = getattr(context, "column_unit", None)
    return unit_of(form, column) if unit_of else None


def text_of(value: Any) -> str:
    """A value as key or joined text: stable, no Python reprs."""
    return value_text(value)
