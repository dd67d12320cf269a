"""Shared fixtures of the property tests: one convertible mapping folder, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap.api import load_mapping
from crfmap.study.models import StudyMapping
from tests.property.mapping_folder import write_convertible_study


@pytest.fixture(scope="session")
def study_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_convertible_study(tmp_path_factory.mktemp("mapping"))


@pytest.fixture(scope="session")
def study_mapping(study_folder: Path) -> StudyMapping:
    mapping, issues = load_mapping(study_folder)
    assert not [issue for issue in issues if issue.severity.value == "error"]
    return mapping
