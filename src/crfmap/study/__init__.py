"""The mapping folder: models, loader (with YAML line numbers), linter and JSON Schema."""

from crfmap.study.loader import load_study, load_study_with_issues
from crfmap.study.models import StudyMapping

__all__ = ["StudyMapping", "load_study", "load_study_with_issues"]
