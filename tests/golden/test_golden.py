"""The reference outputs, byte for byte: every file `convert` writes and every report `validate` prints.

A change to any output shows here as a diff against `tests/golden/<case>/`. When the change is intended, rebuild
with `python -m pytest tests/golden --accept-golden -n 0`: the new outputs are accepted only if HL7's, CDISC's
and pyreadstat's independent checks pass on them (see checks.py), and the diff is reviewed in the commit.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.golden.cases import CASES, GoldenCase
from tests.golden.checks import check_independently
from tests.published import read_published
from tests.shared_data import REPO_ROOT

GOLDEN = Path(__file__).parent
STDOUT = "stdout.txt"


def run_case(case: GoldenCase, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The case's outputs as {relative path: bytes}: stdout, then every file under OUT."""
    monkeypatch.chdir(REPO_ROOT)
    arguments = [str(out) if argument == "OUT" else argument for argument in case.arguments]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == case.exit_status, result.output[-3000:]
    outputs = {STDOUT: result.stdout_bytes}
    outputs.update({f"out/{name}": content for name, content in read_published(out).items()})
    return outputs


def read_golden(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def describe_difference(name: str, expected: bytes, actual: bytes) -> str:
    try:
        lines = difflib.unified_diff(expected.decode().splitlines(), actual.decode().splitlines(),
                                     f"golden/{name}", f"this run/{name}", lineterm="", n=1)
        return "\n".join(list(lines)[:60])
    except UnicodeDecodeError:
        return f"{name}: binary content differs ({len(expected)} → {len(actual)} bytes)"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_outputs_match_their_golden_copy(case: GoldenCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         accept_golden: bool) -> None:
    out = tmp_path / "out"
    actual = run_case(case, out, monkeypatch)
    folder = GOLDEN / case.name
    if accept_golden:
        problems = check_independently(out) if out.exists() else []
        assert problems == [], "not accepted: the new outputs fail independent checks"
        shutil.rmtree(folder, ignore_errors=True)
        for name, content in actual.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        return
    expected = read_golden(folder)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    different = [name for name in expected if expected[name] != actual[name]]
    assert not different, "\n\n".join(describe_difference(name, expected[name], actual[name])
                                      for name in different[:3])


def _writes_sdtm(case: GoldenCase) -> bool:
    return any(name.startswith("out/sdtm/") for name in read_golden(GOLDEN / case.name))


@pytest.mark.parametrize("case", [case for case in CASES if _writes_sdtm(case)],
                         ids=[case.name for case in CASES if _writes_sdtm(case)])
def test_sdtm_set_aside_on_disk_matches_the_golden_copy(case: GoldenCase, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes when every SDTM dataset's rows go to disk in blocks of 3 and come back on every pass
    (writers/sdtm/domains/stored_rows.py), and the records wait in a tiny spool: what a registry export of
    hundreds of thousands of rows does with the real sizes."""
    from crfmap.model import spool
    from crfmap.writers.sdtm.domains import stored_rows

    monkeypatch.setattr(stored_rows, "BLOCK_ROWS", 3)
    monkeypatch.setattr(spool, "BUFFER", 5)
    actual = run_case(case, tmp_path / "out", monkeypatch)
    expected = read_golden(GOLDEN / case.name)
    assert sorted(actual) == sorted(expected)
    different = [name for name in expected if expected[name] != actual[name]]
    assert not different, "\n\n".join(describe_difference(name, expected[name], actual[name])
                                      for name in different[:3])
