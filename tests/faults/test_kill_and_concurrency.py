"""Fault injection on the output (issue #15): `crfmap convert` killed with SIGKILL at seeded random moments and
exactly at the switch, several runs into one OUT at once, and a reader polling OUT meanwhile. Whatever
happens, OUT shows either the complete previous set or the complete new one (FHIR and SDTM of one run, byte
for byte as a clean run writes them), and the next run leaves nothing of a killed one.

Sets A and B come from the reference workbook and a copy with one birth date changed, so both FHIR (Patient)
and SDTM (DM) differ between them: a mix of the two cannot pass for either. CRFMAP_FAULT_KILLS sets how many
random kills a run tries (default 6 in the suite; the release check runs 200, see docs/release-checks.md)."""

from __future__ import annotations

import datetime
import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.reference import CLEAN, STUDY
from tests.faults.harness import HANG_GUARD_SECONDS, run_crfmap
from tests.published import crfmap_debris, read_published
from tests.shared_data import REPO_ROOT

KILLS = int(os.environ.get("CRFMAP_FAULT_KILLS", "6"))
SEED = int(os.environ.get("CRFMAP_FAULT_SEED", "15"))
ARGUMENTS = ("--study", str(STUDY), "--sdtm-format", "xpt", "--sdtm-format", "json")

# A child that runs the command line with the switch of `current` replaced by one that kills the process just
# before or just after the rename: the boundary no random moment is likely to hit.
KILL_AT_SWITCH = r"""
import os, signal, sys
from crfmap.writers import publish
real = publish.switch_link
moment = sys.argv[1]
def switch_then_die(link, target):
    if link.name == "current" and moment == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(link, target)
    if link.name == "current" and moment == "after":
        os.kill(os.getpid(), signal.SIGKILL)
publish.switch_link = switch_then_die
sys.argv = ["crfmap", *sys.argv[2:]]
from crfmap.cli import main
main()
"""


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, tuple[Path, dict[str, bytes]]]:
    """The two workbooks and the complete set each one publishes when nothing goes wrong."""
    folder = tmp_path_factory.mktemp("fault-sets")
    workbook = openpyxl.load_workbook(CLEAN)
    workbook["Demographics"]["D2"] = datetime.datetime(2009, 1, 9)
    changed = folder / "changed.xlsx"
    workbook.save(changed)
    found = {}
    for name, path in (("A", CLEAN), ("B", changed)):
        run = run_crfmap("convert", path, *ARGUMENTS, "--out", folder / f"out-{name}")
        assert run.status == 0, run.stdout[-2000:] + run.stderr
        found[name] = (path, read_published(folder / f"out-{name}"))
    assert found["A"][1].keys() == found["B"][1].keys()
    differing = {name.split("/")[0] for name in found["A"][1] if found["A"][1][name] != found["B"][1][name]}
    assert differing == {"fhir", "sdtm"}, differing
    return found


def which_set(out: Path, sets: dict[str, tuple[Path, dict[str, bytes]]]) -> str:
    published = read_published(out)
    matches = [name for name, (_path, files) in sets.items() if files == published]
    assert matches, f"OUT shows neither complete set: {sorted(published)[:5]} …"
    return matches[0]


def read_one_version(out: Path) -> dict[str, bytes]:
    """What an integration engine following the README reads: OUT/fhir resolved once, the version folder held
    with a shared lock (crfmap removes no version a reader holds), both targets read from there. A version
    removed between resolving and locking is resolved again."""
    while True:
        version = Path(os.path.realpath(out / "fhir")).parent
        try:
            handle = os.open(version, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if not version.is_dir():  # removed just before the lock was granted
                continue
            return {f"{target}/{path.relative_to(version / target).as_posix()}": path.read_bytes()
                    for target in ("fhir", "sdtm") for path in sorted((version / target).rglob("*")) if path.is_file()}
        finally:
            os.close(handle)


def start_convert(workbook: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "crfmap", "convert", str(workbook), *ARGUMENTS, "--out", str(out)],
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_at_random_moments_leaves_one_complete_set(sets, tmp_path):
    out = tmp_path / "out"
    first = run_crfmap("convert", sets["A"][0], *ARGUMENTS, "--out", out)
    assert first.status == 0
    started = time.monotonic()
    timing = run_crfmap("convert", sets["A"][0], *ARGUMENTS, "--out", tmp_path / "timing")
    duration = time.monotonic() - started  # only to spread the kills over a run; nothing asserts on it
    assert timing.status == 0
    rng = random.Random(SEED)
    shown = "A"
    outcomes = {"killed": 0, "finished": 0}
    for _ in range(KILLS):
        other = "B" if shown == "A" else "A"
        child = start_convert(sets[other][0], out)
        time.sleep(rng.uniform(0.05, 1.1) * duration)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            outcomes["killed"] += 1
        else:
            outcomes["finished"] += 1
        child.wait(timeout=HANG_GUARD_SECONDS)
        assert b"Traceback" not in child.stderr.read()  # type: ignore[union-attr]
        shown = which_set(out, sets)
    assert outcomes["killed"] >= 1, outcomes
    final = run_crfmap("convert", sets["B"][0], *ARGUMENTS, "--out", out)
    assert final.status == 0, final.stderr
    assert which_set(out, sets) == "B"
    assert crfmap_debris(tmp_path / "out") == []


@pytest.mark.parametrize("moment, expected", [("before", "A"), ("after", "B")])
def test_sigkill_at_the_switch(sets, tmp_path, moment, expected):
    out = tmp_path / "out"
    assert run_crfmap("convert", sets["A"][0], *ARGUMENTS, "--out", out).status == 0
    child = subprocess.run([sys.executable, "-c", KILL_AT_SWITCH, moment, "convert", str(sets["B"][0]), *ARGUMENTS,
                            "--out", str(out)], cwd=REPO_ROOT, capture_output=True, timeout=HANG_GUARD_SECONDS,
                           check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert which_set(out, sets) == expected
    assert read_one_version(out) == sets[expected][1]
    again = run_crfmap("convert", sets["A"][0], *ARGUMENTS, "--out", out)
    assert again.status == 0 and which_set(out, sets) == "A"
    assert crfmap_debris(out) == []


def test_concurrent_runs_into_one_out_and_a_reader_meanwhile(sets, tmp_path):
    out = tmp_path / "out"
    assert run_crfmap("convert", sets["A"][0], *ARGUMENTS, "--out", out).status == 0
    children = [start_convert(sets[name][0], out) for name in ("B", "A", "B", "A")]
    seen = set()
    while any(child.poll() is None for child in children):
        version = read_one_version(out)  # never a mix, whatever the runs are doing
        matches = [name for name, (_path, files) in sets.items() if files == version]
        assert matches, "a reader saw neither complete set"
        seen.add(matches[0])
    for child in children:
        assert child.wait(timeout=HANG_GUARD_SECONDS) == 0, child.stderr.read()  # type: ignore[union-attr]
    assert which_set(out, sets) in ("A", "B")
    assert seen <= {"A", "B"}
    assert crfmap_debris(out) == []
