"""Progress appears on a terminal and nowhere else, and is cleared when the work ends."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from crfmap.terminal import row_progress
from tests.e2e.reference import CLEAN, STUDY
from tests.shared_data import REPO_ROOT


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_when_not_a_terminal():
    stream = io.StringIO()
    with row_progress(stream) as progress:
        assert progress is None
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_names_the_form_and_the_rows():
    stream = Terminal()
    with row_progress(stream) as progress:
        assert progress is not None
        progress("adverse_events", 1000)
        progress("adverse_events", 2000)
    shown = stream.getvalue()
    assert "adverse_events" in shown and "2,000 rows" in shown


def test_piped_run_prints_nothing_on_stderr_and_the_report_is_the_same_on_a_terminal():
    command = [sys.executable, "-m", "crfmap", "validate", str(CLEAN), "--study", str(STUDY)]
    piped = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert piped.returncode == 0 and piped.stderr == ""
    leader, follower = pty.openpty()
    on_terminal = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=follower, timeout=120,
                                 check=False)
    os.close(follower)
    assert on_terminal.returncode == 0
    assert on_terminal.stdout.decode() == piped.stdout  # the report itself never changes with the terminal
    os.close(leader)
