"""Output targets inside a mapping: the keys of study.yaml and of each concept that belong to a writer.

The study package knows no writer. The loader is given the writers' models (from the output registry) and
checks every such key here: a key no writer owns is a mistake (P003, "unknown key"), and a known one must
match its writer's model (P011), each reported with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from crfmap.issues import Issue, make_issue
from crfmap.study.model_errors import describe_error
from crfmap.study.models import StudyMapping, WithTargets


@dataclass(frozen=True, slots=True)
class TargetModels:
    """What one writer lets a mapping say: a concept's `<name>:` and study.yaml's `<name>:`."""

    concept: type[BaseModel]
    study: type[BaseModel]


def check_targets(mapping: StudyMapping, targets: Mapping[str, TargetModels]) -> list[Issue]:
    where = mapping.locations
    issues = list(_check_entry(mapping.study, targets, "study", lambda path: where.at_study(path), ()))
    for index, concept in enumerate(mapping.concepts):
        issues.extend(_check_entry(concept, targets, "concept", lambda path: where.at(("concepts",), path),
                                   ("concepts", index)))
    return issues


def _check_entry(entry: WithTargets, targets: Mapping[str, TargetModels], kind: str,
                 locate: Any, prefix: tuple[Any, ...]) -> Iterator[Issue]:
    for key in entry.target_keys():
        models = targets.get(key)
        path = (*prefix, key)
        if models is None:
            known = ", ".join(sorted(targets)) or "none"
            yield make_issue("P003", **locate(path), detail=f"{'.'.join(map(str, path))}: unknown key (check the "
                             f"spelling; output targets here: {known}; `crfmap schema` lists every key)")
            continue
        model = models.study if kind == "study" else models.concept
        data = entry.target_data(key)
        try:
            model.model_validate(data if data is not None else {})
        except ValidationError as problem:
            for error in problem.errors(include_url=False):
                location, detail = describe_error(data, error, path)
                yield make_issue("P011", **locate(location), value=key, detail=detail)
