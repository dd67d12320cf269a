"""Loading a mapping folder with the output registry's targets, and the JSON Schema of the mapping format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crfmap.issues import FatalIssue, Issue, Severity
from crfmap.study import StudyMapping, load_study_with_issues
from crfmap.study.reference import mapping_reference_markdown
from crfmap.study.schema import mapping_json_schema as study_json_schema
from crfmap.study.targets import TargetModels
from crfmap.writers import WRITERS


def target_models() -> dict[str, TargetModels]:
    """What each registered writer lets a mapping say (its `<name>:` keys)."""
    return {name: TargetModels(writer.concept_target, writer.study_settings) for name, writer in WRITERS.items()}


def load_mapping(study_dir: Path) -> tuple[StudyMapping, list[Issue]]:
    """Load and lint a mapping folder, once: the files, their cross-references, the writers' targets (shape by
    their models, then what only each writer can check). Raises FatalIssue when anything is an error."""
    mapping, issues = load_study_with_issues(Path(study_dir), target_models())
    if mapping is not None and not _has_errors(issues):
        for writer in WRITERS.values():
            issues = issues + writer.lint(mapping)
    if mapping is None or _has_errors(issues):
        raise FatalIssue(*([issue for issue in issues if issue.severity is Severity.ERROR] or issues))
    return mapping, issues


def mapping_json_schema(part: str | None = None) -> dict[str, Any]:
    """The mapping format's JSON Schema, with every registered writer's target keys in it."""
    return study_json_schema(part, target_models())


def mapping_reference() -> str:
    """The mapping vocabulary as Markdown (record fields, operations, target keys): the README's reference."""
    return mapping_reference_markdown(target_models())


def _has_errors(issues: list[Issue]) -> bool:
    return any(issue.severity is Severity.ERROR for issue in issues)
