"""SDTM rows set aside on disk (issue #16, flat memory) give the same bytes and the same report as rows held in
memory, issues still name their input cells, and a temporary folder that refuses them is a clear W147.

Blocks are set tiny here (3 rows, the records' spool 5), so that the reference fixtures' few hundred rows are
written in many blocks, read back on every pass, and transliterated blocks written again, as a registry export
of hundreds of thousands of rows would be with the real sizes. `tests/golden/test_golden.py` also compares the
golden SDTM cases, checked by CDISC's and pyreadstat's tools when accepted, with tiny blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crfmap.cli import main
from crfmap.model import spool as spool_module
from crfmap.writers.sdtm.domains import stored_rows
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.e2e.test_spilled_records import no_space
from tests.published import read_published
from tests.shared_data import REPO_ROOT

SECOND_STUDY = REPO_ROOT / "mappings" / "vitals_phq9_cohort"
SECOND_EXPORT = REPO_ROOT / "fixtures" / "vitals_phq9_cohort" / "export.csv"
EVERY_FORMAT = ["--to", "sdtm", "--sdtm-format", "xpt", "--sdtm-format", "json", "--sdtm-format", "ndjson",
                "--sdtm-format", "csv"]

CASES = {
    "clean, FHIR and SDTM, transliterated": (CLEAN, STUDY, ["--ndjson", "--transliterate"]),
    "clean, SDTM in every format": (CLEAN, STUDY, [*EVERY_FORMAT, "--transliterate"]),
    "messy, --allow-errors, transliterated": (MESSY, STUDY, [*EVERY_FORMAT, "--transliterate", "--allow-errors",
                                                             "--allow-unmapped"]),
    "messy, Cyrillic refused (W002 at each cell)": (MESSY, STUDY, ["--to", "sdtm", "--allow-errors",
                                                                   "--allow-unmapped"]),
    "second study": (SECOND_EXPORT, SECOND_STUDY, EVERY_FORMAT),
}


def convert(source: Path, study: Path, out: Path, extra: list[str]) -> tuple[int, str, dict[str, bytes]]:
    report = out.parent / f"{out.name}-report.json"
    result = CliRunner().invoke(main, ["convert", str(source), "--study", str(study), "--out", str(out),
                                       "--report", str(report), *extra])
    return result.exit_code, result.output.replace(str(report), "REPORT"), read_published(out)


def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Blocks of 3 rows and a tiny records' spool; the list gets the row count of every block written."""
    written: list[int] = []
    original = stored_rows.RowStore._write

    def counted(self: stored_rows.RowStore, rows: list, cells: tuple) -> None:
        written.append(len(rows))
        original(self, rows, cells)

    monkeypatch.setattr(stored_rows, "BLOCK_ROWS", 3)
    monkeypatch.setattr(stored_rows.RowStore, "_write", counted)
    monkeypatch.setattr(spool_module, "BUFFER", 5)
    monkeypatch.setattr(spool_module, "CHUNK", 2)
    return written


@pytest.mark.parametrize("case", sorted(CASES))
def test_rows_on_disk_give_the_same_files_and_report(case, tmp_path, monkeypatch):
    source, study, extra = CASES[case]
    held = convert(source, study, tmp_path / "held", extra)
    written = tiny_blocks(monkeypatch)
    stored = convert(source, study, tmp_path / "stored", extra)
    assert len(written) > 50 and set(written) == {3}  # every dataset of more than 3 rows went to disk
    assert held[0] == stored[0] and held[0] in (0, 1), held[1][-2000:]
    assert held[1] == stored[1]
    assert held[2] == stored[2]  # every file, byte for byte (none when refused)
    report = (tmp_path / "held-report.json").read_bytes()
    assert report == (tmp_path / "stored-report.json").read_bytes()
    if "W002" in case:  # refused: each Cyrillic value named at its cell, read back from disk
        cells = [issue for issue in json.loads(report)["issues"] if issue["code"] == "W002" and issue["cell"]]
        assert len(cells) > 3 and held[2] == {}
    else:
        assert any(name.startswith("sdtm/") for name in held[2])


def test_a_temporary_folder_that_refuses_the_rows_is_w147_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(stored_rows, "BLOCK_ROWS", 3)
    monkeypatch.setattr(stored_rows.tempfile, "TemporaryFile", no_space)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--out", str(out),
                                       "--transliterate"])
    assert result.exit_code == 2, result.output[-2000:]
    assert "W147" in result.output and "W001" not in result.output
    assert "SDTM rows could not be set aside" in result.output and "No space left on device" in result.output
    assert "TMPDIR" in result.output  # the fix a user can act on
    assert "Traceback" not in result.output
    assert read_published(out) == {}
