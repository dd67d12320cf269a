"""Byte-identical output across runs and PYTHONHASHSEED values, in every layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[4]
COHORT = Path(__file__).resolve().parent / "cohort.py"


def run_cohort(out: Path, mode: str, seed: str) -> dict[str, bytes]:
    environment = {**os.environ, "PYTHONHASHSEED": seed,
                   "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")])}
    subprocess.run([sys.executable, str(COHORT), str(out), mode], check=True, env=environment, cwd=REPO_ROOT)
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.mark.parametrize("mode", ["bundle", "single", "ndjson"])
def test_output_is_identical_across_hash_seeds(tmp_path, mode):
    first = run_cohort(tmp_path / "seed0", mode, "0")
    second = run_cohort(tmp_path / "seed1", mode, "12345")
    assert first and first == second


def test_record_order_does_not_matter(tmp_path):
    from tests.unit.writers.fhir_r4.cohort import build_records
    from tests.unit.writers.fhir_r4.writing import write_cohort

    records = build_records()
    write_cohort(tmp_path / "forward", records=records)
    write_cohort(tmp_path / "backward", records=list(reversed(records)))
    for path in sorted((tmp_path / "forward").iterdir()):
        assert path.read_bytes() == (tmp_path / "backward" / path.name).read_bytes()


def test_importing_the_writer_loads_no_heavy_library():
    code = ("import sys, crfmap.writers.fhir_r4; "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('fhir', 'jsonschema', 'pandas')); "
            "print(heavy); sys.exit(1 if heavy else 0)")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")])}
    completed = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                               check=False)
    assert completed.returncode == 0, completed.stdout
