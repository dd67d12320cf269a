"""Progress appears on a terminal and nowhere else, and is cleared when the work ends."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from crfmap.terminal import row_progress
from tests.e2e.reference import CLEAN, FIXTURES, STUDY
from tests.shared_data import REPO_ROOT

MESSY = FIXTURES / "messy.xlsx"


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


def test_phases_show_totals_and_disappear_when_done():
    stream = Terminal()
    with row_progress(stream) as progress:
        assert progress is not None
        progress.begin("sheet:AE", "checking AE", 15000)
        progress.advance("sheet:AE", 1200)
        progress.display.refresh()
        during = stream.getvalue()
        progress.end("sheet:AE")
        assert progress.tasks == {}
    assert "checking AE" in during and "1,200/15,000 rows" in during


def test_a_run_on_a_terminal_shows_its_phases_on_stderr_and_clears_them(tmp_path):
    """Under a pseudo-terminal: the sheets being checked and the reports being written appear on stderr, and the
    display ends erased (rich's transient progress), so the terminal keeps only the report."""
    command = [sys.executable, "-m", "crfmap", "validate", str(MESSY), "--study", str(STUDY), "--report",
               str(tmp_path / "r.html"), "--quiet"]
    leader, follower = pty.openpty()
    done = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 1
    text = shown.decode("utf-8", "replace")
    assert "checking Демография" in text and "writing r.html" in text
    assert "\x1b[2K" in text  # lines erased at the end
    assert text.rstrip().endswith("report: " + str(tmp_path / "r.html"))  # said after the display is gone
    assert "\x1b[?25h" in text.split("report: ")[0]  # the cursor is back: the display ended before
