"""Outputs follow the umask: an integration engine's service account must be able to read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.reference import CLEAN, STUDY


@pytest.mark.parametrize(("umask", "folder_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_output_modes_follow_the_umask(tmp_path: Path, umask: int, folder_mode: int, file_mode: int) -> None:
    previous = os.umask(umask)
    try:
        result = CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--out", str(tmp_path)])
        definitions = CliRunner().invoke(main, ["fhir-definitions", str(tmp_path / "definitions")])
    finally:
        os.umask(previous)
    assert result.exit_code == 0 and definitions.exit_code == 0, result.output + definitions.output
    paths = [path for path in tmp_path.rglob("*") if path.name != tmp_path.name]
    folders = {stat.S_IMODE(path.stat().st_mode) for path in paths if path.is_dir()}
    files = {stat.S_IMODE(path.stat().st_mode) for path in paths if path.is_file()}
    assert folders == {folder_mode} and files == {file_mode}
    assert {"fhir", "sdtm", "definitions"} <= {path.name for path in tmp_path.iterdir()}
