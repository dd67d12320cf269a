"""A convert whose records wait on disk (issue #16, flat memory) writes the same bytes as one that holds them all,
and a temporary folder that cannot take them is a clear W147, with nothing written.

The spool's sizes are set tiny here, so that the reference fixtures (a few hundred records) are spilled into many
runs and merged in several passes, as an export of hundreds of thousands of rows would be with the real sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crfmap.cli import main
from crfmap.model import spool as spool_module
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.published import read_published

CASES = {
    "clean, FHIR bundles and NDJSON": (CLEAN, ["--to", "fhir", "--ndjson"]),
    "clean, one FHIR bundle": (CLEAN, ["--to", "fhir", "--single"]),
    "messy, --allow-errors (subjects left out)": (MESSY, ["--to", "fhir", "--ndjson", "--allow-errors",
                                                          "--allow-unmapped"]),
}


def convert(workbook: Path, out: Path, extra: list[str]) -> tuple[int, str, dict[str, bytes]]:
    result = CliRunner().invoke(main, ["convert", str(workbook), "--study", str(STUDY), "--out", str(out),
                                       "--format", "json", *extra])
    return result.exit_code, result.output, read_published(out)


def count_spills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tiny spool sizes; the list gets the size of every run written."""
    spills: list[int] = []
    original = spool_module.RecordSpool._spill

    def counted(self: spool_module.RecordSpool) -> None:
        spills.append(len(self.buffer))
        original(self)

    monkeypatch.setattr(spool_module, "BUFFER", 5)
    monkeypatch.setattr(spool_module, "CHUNK", 2)
    monkeypatch.setattr(spool_module, "FAN_IN", 3)
    monkeypatch.setattr(spool_module.RecordSpool, "_spill", counted)
    return spills


@pytest.mark.parametrize("case", sorted(CASES))
def test_spilled_records_give_the_same_output_and_report(case, tmp_path, monkeypatch):
    workbook, extra = CASES[case]
    held = convert(workbook, tmp_path / "held", extra)
    spills = count_spills(monkeypatch)
    spilled = convert(workbook, tmp_path / "spilled", extra)
    assert len(spills) > 3 * 3  # more runs than the fan-in, twice over: merged in passes
    assert held[0] == spilled[0] and held[0] in (0, 1), held[1][-2000:]
    assert held[1] == spilled[1]  # the report
    assert held[2] and held[2] == spilled[2]  # every file, byte for byte
    assert all(name.startswith("fhir/") for name in held[2])


def test_records_are_set_aside_for_sdtm_too(tmp_path, monkeypatch):
    """The SDTM build takes the records a block of subjects at a time and sets its rows aside
    (writers/sdtm/domains/stored_rows.py): with FHIR and SDTM, the records wait on disk."""
    held = convert(CLEAN, tmp_path / "held", ["--ndjson", "--transliterate"])
    spills = count_spills(monkeypatch)
    spilled = convert(CLEAN, tmp_path / "spilled", ["--ndjson", "--transliterate"])
    assert len(spills) > 3 * 3
    assert held[0] == spilled[0] == 0, held[1][-2000:]
    assert held[1] == spilled[1] and held[2] == spilled[2]
    assert any(name.endswith(".xpt") for name in held[2]) and any(name.startswith("fhir/") for name in held[2])


def convert_clean_fhir(out: Path) -> Result:
    return CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--out", str(out),
                                     "--to", "fhir", "--ndjson"])


def no_space(*args: object, **kwargs: object) -> None:
    """A temporary folder that is full: in place of tempfile.TemporaryFile."""
    raise OSError(28, "No space left on device")


def test_a_full_temporary_folder_is_w147_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(spool_module, "BUFFER", 5)
    monkeypatch.setattr(spool_module.tempfile, "TemporaryFile", no_space)
    out = tmp_path / "out"
    result = convert_clean_fhir(out)
    assert result.exit_code == 2, result.output[-2000:]
    assert "W147" in result.output and "No space left on device" in result.output
    assert "TMPDIR" in result.output  # the fix a user can act on
    assert "Traceback" not in result.output
    assert read_published(out) == {}


def test_a_temporary_folder_that_fills_during_a_merge_pass_is_w147_not_w001(tmp_path, monkeypatch):
    # the first file takes the sorted runs; the merge pass's file, made when the writer reads them back, fails
    made = []
    make = spool_module.tempfile.TemporaryFile

    def fills_up(*args: object, **kwargs: object):
        made.append(1)
        if len(made) > 1:
            raise OSError(28, "No space left on device")
        return make(*args, **kwargs)

    monkeypatch.setattr(spool_module, "BUFFER", 5)
    monkeypatch.setattr(spool_module, "FAN_IN", 3)
    monkeypatch.setattr(spool_module.tempfile, "TemporaryFile", fills_up)
    out = tmp_path / "out"
    result = convert_clean_fhir(out)
    assert result.exit_code == 2, result.output[-2000:]
    assert len(made) == 2  # the merge pass was reached
    assert "W147" in result.output and "W001" not in result.output
    assert "No space left on device" in result.output and "TMPDIR" in result.output
    assert "Traceback" not in result.output
    assert read_published(out) == {}
