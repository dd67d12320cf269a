"""The mapping engine: each validated row, through each concept of its form, into canonical records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.mapping.operations import OPERATIONS, Operation, text_of
from crfmap.model import RECORD_TYPES, Coded, FieldKind, Record
from crfmap.sources import SourceCell
from crfmap.study import models
from crfmap.study.fields import field_kind
from crfmap.study.models import StudyMapping
from crfmap.values.coded import make_coded
from crfmap.values.row import FormRow
from crfmap.values.row import condition_holds as holds


@dataclass(frozen=True)
class ConceptPlan:
    """A concept as the engine runs it on every row: each operation's function, each field's kind, the record
    class and the subject column are looked up once per concept, not once per row."""

    concept: models.ConceptSpec
    fields: tuple[tuple[str, Operation, Any, FieldKind | None], ...]  # field, operation, its spec, the field's kind
    qualifiers: tuple[tuple[str, Operation, Any, str], ...]  # qualifier, operation, its spec, its name in sources
    record_type: type[Record]
    subject_column: str
    key_columns: tuple[str, ...]  # the columns whose values make the record's key (MappingEngine._key)
    keyed_by_subject: bool  # without them, a one-row-per-subject form's record is keyed by its subject


def plan_concept(concept: models.ConceptSpec, study: StudyMapping) -> ConceptPlan:
    form = study.forms[concept.form]
    return ConceptPlan(
        concept=concept,
        fields=tuple((name, OPERATIONS[type(spec)], spec, field_kind(concept.record, name))
                     for name, spec in concept.fields.items()),
        qualifiers=tuple((name, OPERATIONS[type(spec)], spec, f"qualifiers.{name}")
                         for name, spec in concept.qualifiers.items()),
        record_type=RECORD_TYPES[concept.record],
        subject_column=form.identity.subject,
        key_columns=tuple(concept.key or form.identity.keys),
        keyed_by_subject=not form.repeating and not concept.key)


@dataclass
class MappingEngine:
    """Runs the concepts of a study. `subject_row` is the validation context's index of one-row-per-subject
    forms, which the `lookup` operation reads."""

    study: StudyMapping
    subject_row: Callable[[str, str], FormRow | None]
    sink: Callable[[Issue], None]
    _by_form: dict[str, list[models.ConceptSpec]] = field(init=False)
    _plans: dict[str, tuple[ConceptPlan, ...]] = field(init=False, default_factory=dict)  # planned at a form's first row
    _constants: dict[tuple[str, str], Coded] = field(init=False, default_factory=dict)
    # (form, column) → its declaration: operations ask for a column's unit or code list on every row
    _columns: dict[tuple[str, str], models.Column] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_form = {}
        for concept in self.study.concepts:
            self._by_form.setdefault(concept.form, []).append(concept)
        for name, form in self.study.forms.items():
            for column in reversed(form.columns):  # the first of a repeated name wins, as Form.column has it
                self._columns[(name, column.name)] = column

    def coded_constant(self, codelist: str, value: str) -> Coded:
        key = (codelist, value)
        if key not in self._constants:
            source = self.study.codelists[codelist]
            found = source.find(value)
            assert found is not None, (codelist, value)  # the linter (P012) refuses a mapping without it
            self._constants[key] = make_coded(source, found)
        return self._constants[key]

    def column_codelist(self, form: str, column: str) -> str | None:
        spec = self._columns.get((form, column))
        return spec.codelist if spec else None

    def column_unit(self, form: str, column: str) -> str | None:
        spec = self._columns.get((form, column))
        return spec.unit if spec else None

    def report(self, code: str, row: FormRow, column: str, **details: Any) -> None:
        """An issue at one cell of the row (e.g. M003 a unit that cannot be converted)."""
        self.sink(make_issue(code, at=row.cells.get(column), form=row.form, subject=row.subject_id, column=column,
                             **details))

    def map_row(self, row: FormRow) -> Iterator[Record]:
        """The records one row makes (none for a row without a subject id)."""
        subject_id = row.subject_id
        if subject_id is None:
            return
        plans = self._plans.get(row.form)
        if plans is None:
            plans = self._plans[row.form] = tuple(plan_concept(concept, self.study)
                                                  for concept in self._by_form.get(row.form, ()))
        for plan in plans:
            concept = plan.concept
            if concept.when is not None and not condition_holds(concept.when, row):
                continue
            for each in split_values(concept, row):
                record = self._build(plan, each, subject_id)
                if record is not None:
                    yield record

    def _build(self, plan: ConceptPlan, row: FormRow, subject_id: str) -> Record | None:
        concept = plan.concept
        values: dict[str, Any] = {}
        sources: dict[str, tuple[SourceCell, ...]] = {}
        for name, operation, spec, kind in plan.fields:
            output = operation(spec, row, self)
            if output.value is not None:
                values[name] = as_field_kind(output.value, kind)
                if output.sources:
                    sources[name] = output.sources
        qualifiers: dict[str, Any] = {}
        for name, operation, spec, source_name in plan.qualifiers:
            output = operation(spec, row, self)
            if output.value is not None:
                qualifiers[name] = output.value
                if output.sources:
                    sources[source_name] = output.sources
        try:
            return plan.record_type(subject_id=subject_id, concept=concept.id, key=self._key(plan, row),
                                    sources=sources, qualifiers=qualifiers,
                                    subject_cell=row.cells.get(plan.subject_column), **values)
        except TypeError as problem:  # a required record field (e.g. a finding's test) has no value
            cell = row.cells.get(plan.subject_column)
            self.sink(make_issue("M002", at=cell, form=row.form, subject=row.subject_id,
                                 expected=concept.record, detail=_missing_field(problem)))
            return None

    def _key(self, plan: ConceptPlan, row: FormRow) -> str:
        concept, columns = plan.concept, plan.key_columns
        parts = [text_of(row.values[column]) for column in columns if row.values.get(column) is not None]
        if concept.for_each is not None and concept.for_each not in columns:  # one record per value
            each = row.values.get(concept.for_each)
            suffix = [text_of(each)] if each is not None else []
            if columns and len(parts) == len(columns):
                return "|".join(parts + suffix)
            if plan.keyed_by_subject:
                return "|".join([row.subject_id or "", *suffix])
            return "|".join([f"row{row.number}", *suffix])
        if columns and len(parts) == len(columns):
            return "|".join(parts)
        if plan.keyed_by_subject:
            return row.subject_id or ""
        return f"row{row.number}"


def as_field_kind(value: Any, kind: str | None) -> Any:
    """A value in the form its field holds: numbers and coded values (their code list value) as text for text
    fields, numbers as Decimal for number fields, integral Decimals as int for integer fields (the linter allows
    only these pairs, P022)."""
    if kind == "text" and not isinstance(value, str):
        return text_of(value)
    if kind == "number" and isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if kind == "integer" and isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def split_values(concept: models.ConceptSpec, row: FormRow) -> Iterator[FormRow]:
    """The row itself; for a `for_each` concept, one copy per value of the multi-valued column, holding that
    value alone (none when the column is empty)."""
    if concept.for_each is None:
        yield row
        return
    values = row.values.get(concept.for_each)
    for value in values if isinstance(values, tuple) else (() if values is None else (values,)):
        yield replace(row, values={**row.values, concept.for_each: value})


def condition_holds(condition: models.Condition, row: FormRow) -> bool:
    return holds(condition, row.values)


def _missing_field(problem: TypeError) -> str:
    message = str(problem)
    return message.split("argument: ")[-1].strip("'") if "argument" in message else "a required field"
