"""Checks of what site-input mappings add: drafts left by `crfmap init` (P050, P051), multi-valued columns read
one record per value (P052), and wide layouts that fit their form (P055)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.study import models
from crfmap.study.locations import MappingSource


def lint_site_inputs(mapping: models.StudyMapping, source: MappingSource) -> list[Issue]:
    issues = list(_lint_drafts(mapping, source))
    issues.extend(_lint_multiple(mapping, source))
    issues.extend(_lint_wide(mapping, source))
    return issues


def _lint_drafts(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    drafts: list[Issue] = []
    if mapping.study.draft:
        drafts.append(make_issue("P050", detail="study.yaml", **source.at_study(("draft",))))
    for form in mapping.forms.values():
        part = ("form", form.name)
        if form.draft:
            drafts.append(make_issue("P050", detail=f"form {form.name!r}", **source.at(part, ("draft",))))
        for index, column in enumerate(form.columns):
            if column.draft:
                drafts.append(make_issue("P050", detail=f"column {column.name!r} of form {form.name!r}",
                                         **source.at(part, ("columns", index, "draft"))))
    for codelist in mapping.codelists.values():
        if codelist.draft:
            drafts.append(make_issue("P050", detail=f"code list {codelist.id!r}",
                                     **source.at(("codelist", codelist.id), ("draft",))))
    for concept in mapping.concepts:
        if concept.draft:
            drafts.append(make_issue("P050", detail=f"concept {concept.id!r}",
                                     **source.at_concept(concept.id, ("draft",))))
    yield from drafts
    if drafts:
        yield make_issue("P051", detail=len(drafts), **source.at_study())


COLUMN_ATTRIBUTES = ("column", "date", "time")


def _lint_multiple(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    for concept in mapping.concepts:
        form = mapping.forms.get(concept.form)
        if form is None:
            continue
        if concept.for_each is not None:
            column = form.column(concept.for_each)
            if column is None:
                yield make_issue("P005", value=concept.for_each, form=form.name,
                                 **source.at_concept(concept.id, ("for_each",)))
            elif not column.multiple:
                yield make_issue("P052", detail=f"concept {concept.id!r}: for_each names {column.name!r}, which is "
                                                "not a multi-valued column (multiple: true)",
                                 **source.at_concept(concept.id, ("for_each",)))
        for group, operations in (("fields", concept.fields), ("qualifiers", concept.qualifiers)):
            for name, operation in operations.items():
                for column_name in _columns_of(operation):
                    column = form.column(column_name)
                    if column is not None and column.multiple and column_name != concept.for_each:
                        yield make_issue(
                            "P052", detail=f"concept {concept.id!r} reads {column_name!r}, which holds several "
                                           "values per cell (multiple: true), as one value",
                            **source.at_concept(concept.id, (group, name)))


def _columns_of(operation: Any) -> list[str]:
    if isinstance(operation, models.LookupOp):
        return []
    names = [getattr(operation, attribute) for attribute in COLUMN_ATTRIBUTES
             if isinstance(getattr(operation, attribute, None), str)]
    return names + list(getattr(operation, "columns", ()))


def _lint_wide(mapping: models.StudyMapping, source: MappingSource) -> Iterator[Issue]:
    for form in mapping.forms.values():
        wide = form.wide
        if wide is None:
            continue
        part = ("form", form.name)
        if not form.repeating:
            yield make_issue("P055", detail=f"form {form.name!r} has a wide layout, which makes several rows per "
                                            "subject: it must be `repeating: true`", **source.at(part, ("wide",)))
        named: list[tuple[tuple[Any, ...], str]] = [(("shared", index), name) for index, name in enumerate(wide.shared)]
        if wide.number_column:
            named.append((("number_column",), wide.number_column))
        for group_index, group in enumerate(wide.groups):
            named.extend((("groups", group_index, "values", name), name) for name in group.values)
        for path, name in named:
            if form.column(name) is None:
                yield make_issue("P055", detail=f"form {form.name!r}: the wide layout names {name!r}, which is not "
                                                "one of its columns", **source.at(part, ("wide", *path)))
        for group_index, group in enumerate(wide.groups):
            for name, value in group.values.items():
                column = form.column(name)
                if column is None or column.codelist is None or column.codelist not in mapping.codelists:
                    continue
                if mapping.codelists[column.codelist].find(value) is None:
                    yield make_issue("P012", value=value, expected=column.codelist,
                                     **source.at(part, ("wide", "groups", group_index, "values", name)))
