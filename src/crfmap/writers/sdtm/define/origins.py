"""Define-XML origins from the mapping: which CRF form and item each collected SDTM variable comes from.

A variable the domain tables call collected is Collected (Investigator) when a concept fills it from a form's
column: the Origin's description names the form and item (the site template of `crfmap template` has one sheet per
form and one column per item, so it serves as the annotated CRF), and, when study.yaml names the annotated CRF
(`sdtm.annotated_crf`), a def:DocumentRef points at the form as a named destination. Filled only by constants of
the mapping, it is Assigned (Sponsor); empty in every row, Not Available, with the reason as a comment where the
study gives one (`sdtm.not_collected`). Derived variables keep their method.

The field → variable table is the domain builders' own (domains/lint.py, which a test keeps equal to them).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from crfmap.study import models
from crfmap.writers.sdtm.dataset import Dataset, Origin, Variable
from crfmap.writers.sdtm.domains.lint import BASE_FIELDS, DM_FIELDS, FIELD_SUFFIXES
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows
from crfmap.writers.sdtm.domains.targets import concept_targets, read_study_sdtm

Source = Literal["Investigator", "Sponsor", "Subject", "Vendor"]
COLLECTED_BY: Source = "Investigator"
SPONSOR: Source = "Sponsor"

@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    """One CRF item: the form and the column, with their labels."""

    form: str
    column: str
    form_label: str
    column_label: str

    def describe(self) -> str:
        return f"CRF form {self.form} ({self.form_label!r}), item {self.column} ({self.column_label!r})"


def operation_items(study: models.StudyMapping, concept: models.ConceptSpec, operation: Any) -> list[Item]:
    """The CRF items an operation reads (none for constants and row numbers)."""
    if isinstance(operation, models.LookupOp):
        return _items(study, operation.form, [operation.column])
    if isinstance(operation, models.CombineDatetimeOp):
        return _items(study, concept.form, [operation.date, operation.time])
    if isinstance(operation, models.JoinOp):
        return _items(study, concept.form, list(operation.columns))
    column = getattr(operation, "column", None)
    return _items(study, concept.form, [column]) if isinstance(column, str) else []


def _items(study: models.StudyMapping, form_name: str, columns: list[str]) -> list[Item]:
    form = study.forms.get(form_name)
    if form is None:
        return []
    found = []
    for name in columns:
        column = form.column(name)
        if column is not None:
            found.append(Item(form.name, column.name, form.label, column.label))
    return found


def variable_items(study: models.StudyMapping) -> dict[tuple[str, str], list[Item]]:
    """(dataset, variable) → the CRF items that fill it, over every concept."""
    found: dict[tuple[str, str], list[Item]] = {}
    for concept, target in concept_targets(study):
        domain = target.domain
        for field_name, operation in concept.fields.items():
            if concept.record == "subject":
                names = DM_FIELDS.get(field_name, ())
            else:
                names = tuple(domain + suffix for suffix in FIELD_SUFFIXES[concept.record].get(field_name, ()))
            names += BASE_FIELDS.get(field_name, ())
            for name in names:
                _add(found, (domain, name), operation_items(study, concept, operation))
        for variable, name in target.variables.items():
            source = concept.qualifiers.get(name) or concept.fields.get(name)
            if source is not None:
                _add(found, (domain, variable), operation_items(study, concept, source))
    return found


def qualifier_items(study: models.StudyMapping) -> dict[tuple[str, str], tuple[list[Item], str]]:
    """(SUPP dataset, QNAM) → the CRF items of the qualifier and its QORIG."""
    found: dict[tuple[str, str], tuple[list[Item], str]] = {}
    for concept, target in concept_targets(study):
        for name, supp in target.supp.items():
            operation = concept.qualifiers.get(name) or concept.fields.get(name)
            items = operation_items(study, concept, operation) if operation is not None else []
            known, _ = found.get((f"SUPP{target.domain}", supp.qnam), ([], supp.origin))
            found[(f"SUPP{target.domain}", supp.qnam)] = (_merge(known, items), supp.origin)
    return found


def _add(found: dict[tuple[str, str], list[Item]], key: tuple[str, str], items: list[Item]) -> None:
    if items:
        found[key] = _merge(found.get(key, []), items)


def _merge(known: list[Item], items: list[Item]) -> list[Item]:
    return known + [item for item in items if item not in known]


def collected_origin(items: list[Item], annotated_crf: str | None, source: Source = COLLECTED_BY) -> Origin:
    pages = tuple(dict.fromkeys(item.form for item in items)) if annotated_crf else ()
    return Origin("Collected", source, description="; ".join(item.describe() for item in items), pages=pages,
                  page_type="NamedDestination")


def assign_origins(datasets: list[Dataset], study: models.StudyMapping) -> list[Dataset]:
    """The datasets with each variable's Define-XML origin (and comment) set from the mapping."""
    settings = read_study_sdtm(study)
    items = variable_items(study)
    result = []
    for dataset in datasets:
        filled = _filled(dataset, [variable.name for variable in dataset.variables
                                   if _asks_values(variable, items.get((dataset.name, variable.name), []),
                                                   settings.not_collected.get(f"{dataset.name}.{variable.name}"))])
        variables = [_origin_of(variable, items.get((dataset.name, variable.name), []), settings.annotated_crf,
                                settings.not_collected.get(f"{dataset.name}.{variable.name}"), filled)
                     for variable in dataset.variables]
        result.append(dataclasses.replace(dataset, variables=variables))
    return result


def _asks_values(variable: Variable, items: list[Item], not_collected: str | None) -> bool:
    """Whether `_origin_of` needs to know if some row fills the variable."""
    origin = variable.origin
    return (not_collected is None and origin is not None and origin.type in ("Collected", "Assigned")
            and not (items and origin.type == "Collected"))


def _filled(dataset: Dataset, names: list[str]) -> set[str]:
    """Those of `names` that some row of the dataset fills (one pass over the rows)."""
    if not names:
        return set()
    columns = columns_of_rows(dataset.rows, names)
    return {name for name, column in columns.items() if any(value is not None for value in column)}


def _origin_of(variable: Variable, items: list[Item], annotated_crf: str | None, not_collected: str | None,
               filled: set[str]) -> Variable:
    if not_collected is not None:
        return dataclasses.replace(variable, origin=Origin("Not Available"), comment=not_collected)
    origin = variable.origin
    if origin is None or origin.type not in ("Collected", "Assigned"):
        return variable  # derived (with its method) or protocol
    if items and origin.type == "Collected":
        return dataclasses.replace(variable, origin=collected_origin(items, annotated_crf, origin.source or COLLECTED_BY))
    if variable.name in filled:
        return dataclasses.replace(variable, origin=Origin("Assigned", SPONSOR))
    return dataclasses.replace(variable, origin=Origin("Not Available"))
