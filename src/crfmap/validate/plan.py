"""plan_forms: the order forms are validated in, so that every form a rule or a lookup refers to
(demographics, usually) is read before the forms that refer to it."""

from __future__ import annotations

from crfmap.study.models import Form, LookupOp, NotBeforeRule, StudyMapping, SubjectExistsRule


def plan_forms(study: StudyMapping) -> list[Form]:
    """Forms in declared order, moved after the forms they depend on. A cycle keeps declared order."""
    dependencies = {name: depended_forms(study, form) for name, form in study.forms.items()}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting or name not in study.forms:
            return
        visiting.add(name)
        for other in dependencies[name]:
            visit(other)
        visiting.discard(name)
        ordered.append(name)

    for name in study.forms:
        visit(name)
    return [study.forms[name] for name in ordered]


def depended_forms(study: StudyMapping, form: Form) -> list[str]:
    """Forms named by the form's subject_exists / not_before rules and by lookups in its concepts."""
    names = [rule.form for rule in form.rules if isinstance(rule, (SubjectExistsRule, NotBeforeRule))]
    for concept in study.concepts:
        if concept.form != form.name:
            continue
        for operation in (*concept.fields.values(), *concept.qualifiers.values()):
            if isinstance(operation, LookupOp):
                names.append(operation.form)
    return [name for name in names if name != form.name]
