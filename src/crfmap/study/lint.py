"""Cross-reference checks over a loaded mapping: every name a part uses must exist and fit.

The pydantic models check each file's shape; this checks how the files refer to one another
(concept → form → column → code list), so that a broken mapping stops before any data is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crfmap.issues import Issue, Severity, make_issue
from crfmap.model import record_fields
from crfmap.standards.ucum import is_valid_ucum
from crfmap.study import models
from crfmap.study.fields import ACCEPTS, KIND_WORDS, field_kind, literal_choices, operation_kind
from crfmap.study.lint_inputs import lint_site_inputs
from crfmap.study.locations import MappingSource
from crfmap.study.systems import CODE_SYSTEMS, resolve_system

COLUMN_OPS = (models.CopyOp, models.CodeOp, models.QuantityOp, models.ConvertUnitOp, models.MapBooleanOp)


def lint_study(mapping: models.StudyMapping, source: MappingSource) -> list[Issue]:
    issues = list(_lint_codelists(mapping, source))
    issues.extend(_lint_forms(mapping, source))
    issues.extend(_lint_shared_sheets(mapping, source))
    issues.extend(_lint_concepts(mapping, source))
    issues.extend(_lint_unused_columns(mapping, source))
    issues.extend(lint_site_inputs(mapping, source))
    return issues


def _lint_codelists(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    from crfmap.sources.text import normalize_text  # the same normalisation validation matches with

    for codelist in mapping.codelists.values():
        part = ("codelist", codelist.id)
        owner: dict[str, str] = {}
        seen_values: set[str] = set()
        for index, value in enumerate(codelist.values):
            if value.value in seen_values:
                yield make_issue("P007", value=value.value, **source.at(part, ("values", index, "value")))
            seen_values.add(value.value)
            for spelling in (value.value, value.display, *value.synonyms):
                key = normalize_text(str(spelling))
                if key in owner and owner[key] != value.value:
                    yield make_issue("P010", value=spelling, expected=(owner[key], value.value),
                                     **source.at(part, ("values", index)))
                owner.setdefault(key, value.value)
            for coding_index, coding in enumerate(value.codings):
                if coding.unverified:
                    yield make_issue("P013", value=f"{coding.system} {coding.code} ({value.value})",
                                     expected=codelist.id,
                                     **source.at(part, ("values", index, "codings", coding_index)))
                if resolve_system(coding.system) is None:
                    yield make_issue("P008", value=coding.system,
                                     **source.at(part, ("values", index, "codings", coding_index, "system")))


def _lint_forms(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    for form in mapping.forms.values():
        part = ("form", form.name)
        names = [column.name for column in form.columns]
        for index, name in enumerate(names):
            if names.index(name) != index:
                yield make_issue("P007", value=name, **source.at(part, ("columns", index, "name")))
        for index, column in enumerate(form.columns):
            if column.codelist and column.codelist not in mapping.codelists:
                yield make_issue("P004", value=column.codelist, **source.at(part, ("columns", index, "codelist")))
            for position, condition in enumerate(column.conditions):
                where = ("required_if",) if not isinstance(column.required_if, list) else ("required_if", position)
                yield from _check_column(form, condition.column, source, part, ("columns", index, *where, "column"))
            if column.unit is not None and not is_valid_ucum(column.unit):
                yield make_issue("P023", value=column.unit, detail=f" (unit of column {column.name!r})",
                                 **source.at(part, ("columns", index, "unit")))
        if form.select is not None:
            yield from _check_column(form, form.select.column, source, part, ("select", "column"))
        yield from _check_column(form, form.identity.subject, source, part, ("identity", "subject"))
        for index, key in enumerate(form.identity.keys):
            yield from _check_column(form, key, source, part, ("identity", "keys", index))
        for index, rule in enumerate(form.rules):
            yield from _lint_rule(mapping, form, rule, source, part, ("rules", index))


def _lint_rule(mapping: models.StudyMapping, form: models.Form, rule: Any, source: MappingSource,
               part: tuple[str, ...], path: tuple[Any, ...]) -> Iterator[Issue]:
    for field_name in ("start", "end", "column"):
        if hasattr(rule, field_name):
            yield from _check_column(form, getattr(rule, field_name), source, part, path + (field_name,))
    for index, column in enumerate(getattr(rule, "columns", ())):
        yield from _check_column(form, column, source, part, path + ("columns", index))
    other_form = getattr(rule, "form", None)
    if other_form is not None:
        if other_form not in mapping.forms:
            yield make_issue("P006", value=other_form, **source.at(part, path + ("form",)))
        elif hasattr(rule, "other"):
            yield from _check_column(mapping.forms[other_form], rule.other, source, part, path + ("other",))


def _check_column(form: models.Form, name: str, source: MappingSource, part: tuple[str, ...],
                  path: tuple[Any, ...]) -> Iterator[Issue]:
    if form.column(name) is None:
        yield make_issue("P005", value=name, form=form.name, **source.at(part, path))


def _lint_concepts(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    part = ("concepts",)
    seen: set[str] = set()
    for index, concept in enumerate(mapping.concepts):
        path = ("concepts", index)
        if concept.id in seen:
            yield make_issue("P007", value=concept.id, **source.at(part, path + ("id",)))
        seen.add(concept.id)
        form = mapping.forms.get(concept.form)
        if form is None:
            yield make_issue("P006", value=concept.form, **source.at(part, path + ("form",)))
            continue
        if concept.when is not None:
            yield from _check_column(form, concept.when.column, source, part, path + ("when", "column"))
        for key_index, key in enumerate(concept.key):
            yield from _check_column(form, key, source, part, path + ("key", key_index))
        infos = {info.name: info for info in record_fields(concept.record)}
        for field_name, operation in concept.fields.items():
            if field_name not in infos:
                yield make_issue("P009", value=field_name, expected=concept.record,
                                 **source.at(part, path + ("fields", field_name)))
            else:
                yield from _lint_field_kind(mapping, form, concept, field_name, operation, source,
                                            path + ("fields", field_name))
            yield from _lint_operation(mapping, form, operation, source, part, path + ("fields", field_name))
        for name, operation in concept.qualifiers.items():
            yield from _lint_operation(mapping, form, operation, source, part, path + ("qualifiers", name))
        for info in infos.values():
            if info.required and info.name not in concept.fields:
                yield make_issue("P003", detail=f"concept {concept.id!r}: a {concept.record} needs a "
                                                f"`{info.name}` field", **source.at(part, path + ("fields",)))


def _lint_field_kind(mapping: models.StudyMapping, form: models.Form, concept: models.ConceptSpec, name: str,
                     operation: Any, source: MappingSource, path: tuple[Any, ...]) -> Iterator[Issue]:
    """P022 when the operation cannot give the kind of value the field holds (a constant as a coded test …)."""
    wanted = field_kind(concept.record, name)
    given = operation_kind(operation, mapping, form)
    where = source.at(("concepts",), path)
    if wanted is not None and given is not None and given not in ACCEPTS[wanted]:
        yield make_issue("P022", **where, detail=f"concept {concept.id!r}: field {name!r} holds "
                         f"{KIND_WORDS[wanted]}, but op {operation.op} gives {KIND_WORDS[given]}")
    choices = literal_choices(concept.record, name)
    if choices and not (isinstance(operation, models.ConstantOp) and str(operation.value) in choices):
        yield make_issue("P022", **where, detail=f"concept {concept.id!r}: field {name!r} is one of "
                         f"{', '.join(choices)}, given as {{op: constant, value: …}}")


def _lint_operation(mapping: models.StudyMapping, form: models.Form, operation: Any, source: MappingSource,
                    part: tuple[str, ...], path: tuple[Any, ...]) -> Iterator[Issue]:
    columns: list[str] = []
    if isinstance(operation, COLUMN_OPS):
        columns.append(operation.column)
    elif isinstance(operation, models.CombineDatetimeOp):
        columns.extend((operation.date, operation.time))
    elif isinstance(operation, models.JoinOp):
        columns.extend(operation.columns)
    for column in columns:
        yield from _check_column(form, column, source, part, path)
    if isinstance(operation, models.CodeOp):
        coded = form.column(operation.column)
        if coded is not None and coded.type != "coded":
            yield make_issue("P003", detail=f"op code needs a coded column; {coded.name!r} is {coded.type}",
                             **source.at(part, path))
        elif (coded is not None and operation.default is not None and coded.codelist in mapping.codelists
              and mapping.codelists[coded.codelist].find(operation.default) is None):
            yield make_issue("P012", value=operation.default, expected=coded.codelist, **source.at(part, path))
    yield from _lint_column_types(form, operation, source, part, path)
    yield from _lint_units(mapping, form, operation, source, part, path)
    codelist = getattr(operation, "codelist", None)
    if codelist is not None:
        if codelist not in mapping.codelists:
            yield make_issue("P004", value=codelist, **source.at(part, path + ("codelist",)))
        else:
            wanted = [getattr(operation, name) for name in ("value", "yes", "no") if hasattr(operation, name)]
            for value in wanted:
                if mapping.codelists[codelist].find(str(value)) is None:
                    yield make_issue("P012", value=value, expected=codelist, **source.at(part, path))
    if isinstance(operation, models.LookupOp):
        other = mapping.forms.get(operation.form)
        if other is None:
            yield make_issue("P006", value=operation.form, **source.at(part, path + ("form",)))
        else:
            if other.repeating:
                yield make_issue("P003", detail=f"lookup needs a form with one row per subject; "
                                                f"{other.name!r} is repeating", **source.at(part, path))
            yield from _check_column(other, operation.column, source, part, path + ("column",))


# The column types an operation can read a value from; any other gives nothing, which would lose data silently.
NEEDS_TYPES: dict[type, tuple[str, frozenset[str]]] = {
    models.QuantityOp: ("column", frozenset({"integer", "decimal"})),
    models.ConvertUnitOp: ("column", frozenset({"integer", "decimal"})),
    models.MapBooleanOp: ("column", frozenset({"boolean"})),
}


def _lint_column_types(form: models.Form, operation: Any, source: MappingSource, part: tuple[str, ...],
                       path: tuple[Any, ...]) -> Iterator[Issue]:
    checks = [NEEDS_TYPES[type(operation)]] if type(operation) in NEEDS_TYPES else []
    if isinstance(operation, models.CombineDatetimeOp):
        checks = [("date", frozenset({"date", "datetime", "partial_date"})), ("time", frozenset({"time"}))]
    for attribute, types in checks:
        column = form.column(getattr(operation, attribute))
        if column is not None and column.type not in types:
            yield make_issue("P022", **source.at(part, path), detail=f"op {operation.op} reads {attribute} "
                             f"{column.name!r} as {' or '.join(sorted(types))}, but it is {column.type}")


def _lint_units(mapping: models.StudyMapping, form: models.Form, operation: Any, source: MappingSource,
                part: tuple[str, ...], path: tuple[Any, ...]) -> Iterator[Issue]:
    """Every unit a quantity may carry is UCUM; a unit column's code list gives a UCUM code for each value."""
    unit = getattr(operation, "unit", None)
    if isinstance(operation, (models.QuantityOp, models.ConvertUnitOp)) and unit and not is_valid_ucum(unit):
        yield make_issue("P023", value=unit, detail=f" (unit of op {operation.op})", **source.at(part, path))
    column_name = getattr(operation, "unit_column", None)
    if not isinstance(operation, models.QuantityOp) or column_name is None:
        return
    column = form.column(column_name)
    if column is None:
        yield make_issue("P005", value=column_name, form=form.name, **source.at(part, path + ("unit_column",)))
        return
    codelist = mapping.codelists.get(column.codelist or "")
    if column.type != "coded" or codelist is None:
        yield make_issue("P003", **source.at(part, path + ("unit_column",)),
                         detail=f"unit_column {column_name!r} must be a coded column whose code list maps each unit "
                                "to UCUM")
        return
    for value in codelist.values:
        code = ucum_code(value)
        if code is None or not is_valid_ucum(code):
            yield make_issue("P024", **source.at(("codelist", codelist.id), ("values", codelist.values.index(value))),
                             detail=f"value {value.value!r} of unit code list {codelist.id!r} has no valid UCUM code "
                                    f"({code!r}); give it a coding with system ucum")


def ucum_code(value: models.CodelistValue) -> str | None:
    """The UCUM code of a unit code list value: its ucum coding (verified), else the value itself."""
    coding = next((coding for coding in value.codings if resolve_system(coding.system) == CODE_SYSTEMS["ucum"]
                   and not coding.unverified), None)
    return coding.code if coding is not None else value.value


def _lint_shared_sheets(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    """Forms that accept the same sheet each need `select:`, or every row would be read by several forms."""
    from crfmap.sources.text import normalize_name

    owners: dict[str, list[models.Form]] = {}
    for form in mapping.forms.values():
        for name in {normalize_name(sheet) for sheet in form.sheets} - {""}:
            owners.setdefault(name, []).append(form)
    reported: set[str] = set()
    for forms in owners.values():
        if len(forms) < 2:
            continue
        for form in forms:
            if form.select is None and form.name not in reported:
                reported.add(form.name)
                others = ", ".join(repr(other.name) for other in forms if other is not form)
                yield make_issue("P025", **source.at(("form", form.name), ("sheets",)),
                                 detail=f"form {form.name!r} shares a sheet with {others} but has no `select:` to "
                                        "choose its rows")


def _lint_unused_columns(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    """A column that no concept reads and that is not `ignore: true` would lose data silently."""
    used: dict[str, set[str]] = {name: set() for name in mapping.forms}
    for concept in mapping.concepts:
        form = mapping.forms.get(concept.form)
        if form is None:
            continue
        for operation in (*concept.fields.values(), *concept.qualifiers.values()):
            for attribute in ("column", "date", "time", "unit_column"):
                if isinstance(getattr(operation, attribute, None), str) and not isinstance(operation, models.LookupOp):
                    used[form.name].add(getattr(operation, attribute))
            used[form.name].update(getattr(operation, "columns", ()))
            if isinstance(operation, models.LookupOp):
                used.setdefault(operation.form, set()).add(operation.column)
        used[form.name].update(concept.key or form.identity.keys)  # the columns of the record's key are read
        used[form.name].add(form.identity.subject)
        if concept.for_each is not None:
            used[form.name].add(concept.for_each)
        if concept.when is not None:  # the value decides whether the record exists
            used[form.name].add(concept.when.column)
    for form in mapping.forms.values():
        if form.select is not None:
            used.setdefault(form.name, set()).add(form.select.column)
        for index, column in enumerate(form.columns):
            if not column.ignore and column.name not in used.get(form.name, set()):
                yield make_issue("P003", severity=Severity.ERROR,
                                 detail=f"column {column.name!r} of form {form.name!r} is read by no concept; "
                                        "map it or mark it `ignore: true`",
                                 **source.at(("form", form.name), ("columns", index)))
