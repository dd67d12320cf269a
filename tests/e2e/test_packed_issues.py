"""A run's issues packed a block at a time (issue #16, flat memory: `crfmap.issues.PackedIssues`) give the same
output, exit status and reports, byte for byte, as issues held as objects: every view (text, concise, JSON on
the terminal; HTML, spreadsheet, JSON and text report files; the annotated copy), with waivers turning packed
issues into notes, and with partitions whose packed issues are merged.

Blocks are set to 3 issues here, so that the messy fixture's issues are packed into dozens of blocks and read
back on every pass, as a registry export's tens of thousands of warnings would be with the real size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crfmap.cli import main
from crfmap.issues import packed as packed_module
from tests.e2e.reference import CLEAN, FIXTURES, STUDY
from tests.e2e.test_waivers import WAIVERS
from tests.published import read_published

MESSY = FIXTURES / "messy.xlsx"
REPORTS = ("report.html", "report.xlsx", "report.json", "report.txt", "annotated.xlsx")


def packed_blocks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Blocks of 3 issues; the list gets the size of every block packed."""
    packed: list[int] = []
    original = packed_module._pack

    def counted(issues: list) -> bytes:
        packed.append(len(issues))
        return original(issues)

    monkeypatch.setattr(packed_module, "BLOCK", 3)
    monkeypatch.setattr(packed_module, "_pack", counted)
    return packed


def validate(folder: Path, terminal_format: str, waivers: Path | None) -> tuple[int, str, dict[str, bytes]]:
    folder.mkdir()
    arguments = ["validate", str(MESSY), "--study", str(STUDY), "--format", terminal_format]
    for name in REPORTS[:-1]:
        arguments += ["--report", str(folder / name)]
    arguments += ["--annotate", str(folder / REPORTS[-1])]
    if waivers is not None:
        arguments += ["--waivers", str(waivers)]
    result = CliRunner().invoke(main, arguments)
    output = result.output.replace(str(folder), "FOLDER")
    return result.exit_code, output, {name: (folder / name).read_bytes() for name in REPORTS}


@pytest.mark.parametrize("terminal_format", ["text", "concise", "json"])
@pytest.mark.parametrize("waived", [False, True], ids=["as found", "waived"])
def test_packed_issues_give_the_same_views_byte_for_byte(terminal_format, waived, tmp_path, monkeypatch):
    waivers = None
    if waived:
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(WAIVERS, encoding="utf-8")
    held = validate(tmp_path / "held", terminal_format, waivers)
    packed = packed_blocks(monkeypatch)
    stored = validate(tmp_path / "packed", terminal_format, waivers)
    issues = json.loads(held[2]["report.json"])["issues"]
    assert len(issues) > 12 and len(packed) >= len(issues) // 3 and set(packed) == {3}
    assert held[0] == stored[0] == 1
    assert held[1] == stored[1]
    for name in REPORTS:
        assert held[2][name] == stored[2][name], name
    if waived:
        assert sum(1 for issue in issues if issue["waived"]) == 2


def convert(folder: Path, name: str, command: str, extra: tuple[str, ...]) -> tuple[int, str, dict[str, bytes], bytes]:
    out, report = folder / name, folder / f"{name}-report.json"
    source = MESSY if command == "convert" else folder / "exports"
    arguments = [command, str(source), "--study", str(STUDY), "--out", str(out), "--report", str(report),
                 "--allow-errors", "--allow-unmapped", *extra]
    result = CliRunner().invoke(main, arguments)
    output = result.output.replace(str(folder), "FOLDER").replace(name, "NAME")
    return result.exit_code, output, read_published(out), report.read_bytes()


@pytest.mark.parametrize("command", ["convert", "convert-many"])
def test_a_conversion_with_packed_issues_writes_the_same_files_and_report(command, tmp_path, monkeypatch):
    extra: tuple[str, ...] = ("--to", "fhir", "--ndjson")
    if command == "convert-many":  # the messy and clean exports, each in three partitions whose issues are merged
        extra = ("--to", "fhir", "--partitions", "3", "--executor", "local")
        (tmp_path / "exports").mkdir()
        for export in (MESSY, CLEAN):
            (tmp_path / "exports" / export.name).write_bytes(export.read_bytes())
    held = convert(tmp_path, "held", command, extra)
    packed = packed_blocks(monkeypatch)
    stored = convert(tmp_path, "packed", command, extra)
    assert len(packed) > 4 and set(packed) == {3}
    assert held[0] == stored[0] == 1  # data errors, written with --allow-errors
    assert held[1] == stored[1]
    assert held[2] == stored[2] and any(name.startswith("fhir/") for name in held[2])
    assert held[3] == stored[3]
    assert json.loads(held[3])["summary"]["errors"] > 0
