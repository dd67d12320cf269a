"""Start-up pays only for what a run uses (issue #16): converting a small study must not import openpyxl, numpy,
pandas or the web and push stacks. Checked in a fresh interpreter by the modules loaded, never by timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.reference import CLEAN, STUDY

PROBE = r"""
import json, sys
from crfmap.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted(name.split(".")[0] for name in sys.modules)), file=sys.stderr)
"""
NOT_AT_START = {"openpyxl", "numpy", "pandas", "fhir", "starlette", "uvicorn", "httpx", "jwt", "cryptography",
                "jsonschema", "pyreadstat", "lark", "ucumvert", "pint"}


def loaded_by(arguments: list[str]) -> set[str]:
    finished = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True,
                              timeout=300, check=False)
    return set(json.loads(finished.stderr.strip().splitlines()[-1]))


def test_convert_of_the_reference_study_imports_no_heavy_package(tmp_path: Path) -> None:
    loaded = loaded_by(["convert", str(CLEAN), "--study", str(STUDY), "--out", str(tmp_path / "out"), "-q"])
    assert (tmp_path / "out" / "fhir").is_dir() and (tmp_path / "out" / "sdtm").is_dir()
    assert "crfmap" in loaded and "lxml" in loaded  # the probe sees what the run loaded
    assert not loaded & NOT_AT_START


def test_an_annotated_copy_still_loads_openpyxl_when_asked(tmp_path: Path) -> None:
    copy = tmp_path / "annotated.xlsx"
    loaded = loaded_by(["validate", str(CLEAN), "--study", str(STUDY), "--annotate", str(copy), "-q"])
    assert copy.is_file()
    assert "openpyxl" in loaded
