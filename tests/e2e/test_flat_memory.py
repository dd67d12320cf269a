"""Peak memory of `convert --to fhir --ndjson` hardly grows with the rows (issue #16): the records wait on disk.

Measured as the peak RSS of the whole process (what a user's machine pays) on the benchmark's generated lab csv at
two sizes, 4× apart. Holding every record, each added row took about 1,900 bytes (61 → 104 MiB); now about 285
(56 → 62 MiB), most of it the form's duplicate-key index (one 16-byte digest and its first row per row while the
file is read, ≈216 bytes; the keys' values took ≈510). A bound on memory, never on time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_data import REPO_ROOT

GENERATE = REPO_ROOT / "benchmarks" / "generate.py"
LAB_STUDY = REPO_ROOT / "benchmarks" / "lab_mapping"
SMALL, LARGE = 8_000, 32_000


def peak_rss(rows: int, folder: Path) -> int:
    """Bytes of peak RSS of one convert process (started from a small launcher, so the figure is the child's)."""
    source = folder / f"lab-{rows}" / "lab.csv"  # the form reads the sheet named after the file: lab
    subprocess.run([sys.executable, str(GENERATE), "--lab-rows", str(rows), "--out", str(source)], check=True,
                   capture_output=True, timeout=600)
    process = subprocess.Popen([sys.executable, "-m", "crfmap", "convert", str(source), "--study", str(LAB_STUDY),
                                "--out", str(folder / f"out-{rows}"), "--to", "fhir", "--ndjson", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stderr is not None
    errors = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, errors[-2000:]
    assert (folder / f"out-{rows}" / "fhir" / "Observation.ndjson").stat().st_size > rows * 100
    return usage.ru_maxrss * 1024  # Linux reports KiB


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB and os.wait4 are Linux's")
def test_fhir_ndjson_memory_barely_grows_with_the_rows(tmp_path):
    small, large = peak_rss(SMALL, tmp_path), peak_rss(LARGE, tmp_path)
    per_row = (large - small) / (LARGE - SMALL)
    assert per_row < 1_000, f"peak RSS {small >> 20} → {large >> 20} MiB: {per_row:.0f} bytes per added row"
