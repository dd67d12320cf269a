"""docs/mapping.md is run, not just read: its files are written in order (a later version of a file replaces the
earlier one) and each `$ crfmap …` of its console blocks is run at that point; the issue codes, the summary lines
and the exit status the guide shows must be what crfmap prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from crfmap.cli import main
from tests.shared_data import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "mapping.md"
FENCE = re.compile(r"^```(\w+)(?: file=(\S+))?\n(.*?)^```", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"\b[PRSMW]\d{3}\b")


def test_the_guide_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    study = tmp_path / "bp_clinic"
    runner = CliRunner()
    for part in ("study", "form", "codelist", "concepts"):
        (study / "forms").mkdir(parents=True, exist_ok=True)
        (study / "codelists").mkdir(exist_ok=True)
        schema = runner.invoke(main, ["schema", "--part", part])
        (study / f"{part}.schema.json").write_text(schema.output, encoding="utf-8")
    commands = 0
    for language, file_name, body in FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        if file_name:
            target = tmp_path / file_name if file_name.endswith(".csv") else study / file_name
            target.write_text(body, encoding="utf-8")
        elif language == "console":
            commands += run_console(runner, body)
    assert commands == 4
    assert (tmp_path / "out" / "sdtm" / "vs.xpt").is_file()
    import pyreadstat

    vs, _ = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "vs.xpt"))
    weight = vs[(vs.USUBJID == "BPC-01-P02") & (vs.VSTESTCD == "WEIGHT")].iloc[0]
    assert (weight.VSORRES, weight.VSORRESU, weight.VSSTRESN, weight.VSSTRESU) == ("180", "LB", 81.6, "kg")


def run_console(runner: CliRunner, body: str) -> int:
    """Run each `$ crfmap …` line; compare the codes, summaries and exit status shown after it."""
    blocks = re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]
    for block in blocks:
        command, *shown = block.rstrip("\n").split("\n")
        arguments = shlex.split(command)
        assert arguments[0] == "crfmap"
        result = runner.invoke(main, arguments[1:])
        output = result.output
        status = next((int(line.split()[-1]) for line in shown if line.startswith("# exit status")), None)
        assert result.exit_code == status, (command, output)
        expected_codes = sorted(code for line in shown for code in CODE.findall(line))
        actual_codes = sorted(code for line in output.splitlines() if ": error " in line or ": warning " in line
                              for code in CODE.findall(line)[:1])
        assert actual_codes == expected_codes, (command, output)
        for line in shown:
            if line.startswith("#"):
                continue
            if CODE.search(line):
                assert line in output, (command, line, output)
            else:
                assert line in output, (command, line, output)
    return len(blocks)
