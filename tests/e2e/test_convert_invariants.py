"""`crfmap convert` on the reference study: determinism across runs and hash seeds, atomic replacement,
refusal of data with errors, and --allow-errors writing only the valid records."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.published import crfmap_debris, read_published


def tree_digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256(content).hexdigest() for name, content in read_published(folder).items()}


def convert_in_subprocess(out: Path, seed: str, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, "-m", "crfmap", "convert", str(CLEAN), "--study", str(STUDY), "--out", str(out),
               "--sdtm-format", "xpt", "--sdtm-format", "json", "--sdtm-format", "ndjson", *extra]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300,
                          check=False)


def test_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    first = convert_in_subprocess(tmp_path / "a", "1")
    second = convert_in_subprocess(tmp_path / "b", "4242")
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    digest_a, digest_b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert len(digest_a) > 20  # both standards, many files
    assert digest_a == digest_b
    ndjson = convert_in_subprocess(tmp_path / "c", "7", "--to", "fhir", "--ndjson")
    again = convert_in_subprocess(tmp_path / "d", "99", "--to", "fhir", "--ndjson")
    assert ndjson.returncode == 0 and again.returncode == 0
    assert tree_digest(tmp_path / "c") == tree_digest(tmp_path / "d")


def test_errors_block_output_and_leave_previous_output_intact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--out", str(out)])
    assert good.exit_code == 0, good.output
    before = tree_digest(out)
    bad = CliRunner().invoke(main, ["convert", str(MESSY), "--study", str(STUDY), "--out", str(out)])
    assert bad.exit_code == 1
    assert "W005" in bad.stdout and "nothing was written" in bad.stdout
    assert tree_digest(out) == before  # previous output untouched
    assert crfmap_debris(out) == []  # no half files


def test_allow_errors_writes_valid_records_and_lists_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(MESSY), "--study", str(STUDY), "--out", str(out),
                                       "--allow-errors", "--allow-unmapped", "--to", "fhir", "--format", "concise"])
    assert result.exit_code == 1  # written, but the data still has errors: the status says so
    assert (out / "fhir").is_dir() and any((out / "fhir").iterdir())
    left_out = [line for line in result.stdout.splitlines() if " M004 " in line]
    assert left_out, "rows with errors must be listed as left out"
    assert all("no record was made from it" in line for line in left_out)


def test_unmapped_cells_block_output_unless_allowed(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(CLEAN)
    book["Demographics"]["Z40"] = "stray note"
    stray = tmp_path / "stray.xlsx"
    book.save(stray)
    blocked = CliRunner().invoke(main, ["convert", str(stray), "--study", str(STUDY), "--out", str(tmp_path / "o")])
    assert blocked.exit_code == 1
    assert "Demographics!Z40" in blocked.stdout and "S301" in blocked.stdout
    assert not (tmp_path / "o" / "fhir").exists()
    allowed = CliRunner().invoke(main, ["convert", str(stray), "--study", str(STUDY), "--out", str(tmp_path / "o"),
                                        "--allow-unmapped"])
    assert allowed.exit_code == 0, allowed.output
    assert (tmp_path / "o" / "sdtm" / "dm.xpt").is_file()
