"""Running `crfmap` as a user does (a child process, under limits) against outputs on odd file systems: a
small tmpfs that fills up, a read-only mount, a file-size limit (`ulimit -f`). Mounting needs root: where it is
refused, the tests that need it skip and say why; the `ulimit -f` cases run everywhere."""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from tests.shared_data import REPO_ROOT

HANG_GUARD_SECONDS = 120  # a hang fails the test; no test asserts a duration
ADDRESS_SPACE_LIMIT = 1024 ** 3


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str


def run_crfmap(*arguments: str | Path, file_size_limit: int | None = None, cwd: Path = REPO_ROOT) -> Run:
    """`python -m crfmap …` in a child under a 1 GiB address-space limit (and RLIMIT_FSIZE when given)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    try:
        completed = subprocess.run([sys.executable, "-m", "crfmap", *map(str, arguments)], cwd=cwd,
                                   capture_output=True, text=True, preexec_fn=limit, timeout=HANG_GUARD_SECONDS,
                                   check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"crfmap {' '.join(map(str, arguments))} did not end within {HANG_GUARD_SECONDS} s")
    return Run(completed.returncode, completed.stdout, completed.stderr)


def assert_cannot_write(run: Run, where: str) -> None:
    """Exit 2 with one W001 line on stderr that names `where`; no traceback, no internal error."""
    assert "Traceback" not in run.stdout + run.stderr and "internal error" not in run.stdout + run.stderr, run
    assert run.status == 2, (run.status, run.stdout[-1500:], run.stderr[-1500:])
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and " error W001 output-not-writable: " in lines[0], run.stderr
    assert lines[0].startswith(f"{where}: "), lines[0]
    assert " W001 " not in run.stdout  # the data's report is on stdout; why nothing was written is on stderr


@contextmanager
def mounted_tmpfs(folder: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` at `folder` (read-only after `prepare` when asked), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'needs root'}); the ulimit -f cases "
                    "cover a full disk without it")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def make_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)


def minimal_workbook(path: Path, subject_ids: list[str], sex: str = "M") -> Path:
    """A workbook of the minimal study (tests/minimal_study.py): DM rows for `subject_ids`, an empty LB."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "DM"
    sheet.append(["Subject ID", "Sex"])
    for subject_id in subject_ids:
        sheet.append([subject_id, sex])
    workbook.create_sheet("LB").append(["Subject ID", "Date", "Blasts"])
    workbook.save(path)
    return path
