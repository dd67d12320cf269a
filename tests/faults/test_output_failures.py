"""Every way the output side can fail ends in W001 (exit 2, one line on stderr naming where), never an internal
error, and leaves OUT as it was: `--out` under a regular file, on a read-only file system, on a full disk, under
a file-size limit; the same for `validate --annotate` (a folder, under a file, read-only, full). A failed run
never leaves an empty OUT where there was none, nor anything of its own; debris of killed runs is cleared by
the next run, and only crfmap's own. Issue #15."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.writers.atomic import lock_path
from tests.e2e.reference import CLEAN, STUDY
from tests.faults.harness import (
    assert_cannot_write,
    make_read_only,
    minimal_workbook,
    mounted_tmpfs,
    run_crfmap,
)
from tests.minimal_study import write_minimal_study
from tests.published import crfmap_debris, read_published

SMALL = ("--to", "fhir", "--to", "sdtm", "--sdtm-format", "csv")


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "study")


# ── convert ──────────────────────────────────────────────────────────────────────────────────────────

def test_out_under_a_regular_file(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder", encoding="utf-8")
    run = run_crfmap("convert", CLEAN, "--study", STUDY, "--out", blocker / "sub" / "out")
    assert_cannot_write(run, str(blocker / "sub" / "out"))  # before: internal error (NotADirectoryError)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_out_on_a_read_only_file_system(tmp_path):
    with mounted_tmpfs(tmp_path / "mnt", "4m") as mount:
        make_read_only(mount)
        run = run_crfmap("convert", CLEAN, "--study", STUDY, "--out", mount / "out")
        assert_cannot_write(run, str(mount / "out"))  # before: internal error
        assert list(mount.iterdir()) == []


def test_previous_output_on_a_file_system_made_read_only_is_kept(tmp_path, study):
    with mounted_tmpfs(tmp_path / "mnt", "8m") as mount:
        out = mount / "out"
        first = run_crfmap("convert", minimal_workbook(tmp_path / "a.xlsx", ["01", "02"]), "--study", study,
                           "--out", out, *SMALL)
        assert first.status == 0, first.stdout + first.stderr
        before = read_published(out)
        make_read_only(mount)
        run = run_crfmap("convert", minimal_workbook(tmp_path / "b.xlsx", ["01", "02", "03"]), "--study", study,
                         "--out", out, *SMALL)
        assert_cannot_write(run, str(out))
        assert read_published(out) == before


def test_a_full_disk_keeps_the_previous_output_and_leaves_nothing(tmp_path, study):
    with mounted_tmpfs(tmp_path / "mnt", "2m") as mount:
        out = mount / "out"
        first = run_crfmap("convert", minimal_workbook(tmp_path / "a.xlsx", ["01", "02"]), "--study", study,
                           "--out", out, *SMALL)
        assert first.status == 0, first.stdout + first.stderr
        before = read_published(out)
        filler = mount / "filler"
        with open(filler, "wb") as stream:  # leave a few KiB: the next run's files do not fit
            try:
                while True:
                    stream.write(b"\0" * 65536)
                    stream.flush()
            except OSError:
                pass
        filler.write_bytes(filler.read_bytes()[:-(24 * 1024)])
        many = [f"{number:03d}" for number in range(1, 300)]
        run = run_crfmap("convert", minimal_workbook(tmp_path / "b.xlsx", many), "--study", study, "--out", out,
                         *SMALL)
        assert_cannot_write(run, str(out))
        assert "No space left on device" in run.stderr
        assert read_published(out) == before
        assert crfmap_debris(mount) == []


@pytest.mark.parametrize("out_name", [".", "out"])
def test_a_file_size_limit_is_w001_on_stderr_naming_out(tmp_path, out_name):
    work = tmp_path / "work"
    work.mkdir()
    run = run_crfmap("convert", CLEAN, "--study", STUDY, "--out", out_name, file_size_limit=16 * 1024, cwd=work)
    assert_cannot_write(run, out_name)  # before: W001 on stdout with an empty location, stderr empty
    assert "File too large" in run.stderr and "nothing was written" in run.stdout
    assert list(work.iterdir()) == []  # no empty OUT where there was none, no .crfmap, no temporary files


def test_a_failed_run_into_a_new_out_leaves_no_out(tmp_path):
    out = tmp_path / "new" / "deeper" / "out"
    run = run_crfmap("convert", CLEAN, "--study", STUDY, "--out", out, file_size_limit=16 * 1024)
    assert_cannot_write(run, str(out))
    assert not (tmp_path / "new").exists()


# ── validate --annotate ──────────────────────────────────────────────────────────────────────────────

def assert_annotation_refused(run, target: Path) -> None:
    assert_cannot_write(run, target.name)
    assert "0 error(s)" in run.stdout  # the report was printed before the copy failed
    assert not [path for path in target.parent.glob(".crfmap-tmp*")] if target.parent.is_dir() else True


def test_annotate_to_a_folder(tmp_path):
    run = run_crfmap("validate", CLEAN, "--study", STUDY, "--annotate", tmp_path)
    assert_cannot_write(run, tmp_path.name)
    assert list(tmp_path.iterdir()) == []


def test_annotate_under_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    target = tmp_path / "afile" / "copy.xlsx"
    run = run_crfmap("validate", CLEAN, "--study", STUDY, "--annotate", target)
    assert_cannot_write(run, "copy.xlsx")
    assert "afile" in run.stderr and "not a folder" in run.stderr  # before: "File exists"


def test_annotate_on_a_read_only_file_system(tmp_path):
    with mounted_tmpfs(tmp_path / "mnt", "1m") as mount:
        make_read_only(mount)
        run = run_crfmap("validate", CLEAN, "--study", STUDY, "--annotate", mount / "copy.xlsx")
        assert_cannot_write(run, "copy.xlsx")
        assert "Read-only file system" in run.stderr
        assert list(mount.iterdir()) == []


def test_annotate_on_a_full_disk(tmp_path):
    with mounted_tmpfs(tmp_path / "mnt", "12k") as mount:
        run = run_crfmap("validate", CLEAN, "--study", STUDY, "--annotate", mount / "copy.xlsx")
        assert_cannot_write(run, "copy.xlsx")
        assert "No space left on device" in run.stderr
        assert list(mount.iterdir()) == []


def test_annotate_under_a_file_size_limit(tmp_path):
    target = tmp_path / "copy.xlsx"
    run = run_crfmap("validate", CLEAN, "--study", STUDY, "--annotate", target, file_size_limit=8 * 1024)
    assert_cannot_write(run, "copy.xlsx")
    assert list(tmp_path.iterdir()) == []


# ── the layout of OUT, and what killed runs leave ───────────────────────────────────────────────────

def test_out_shows_the_targets_as_links_into_one_version(tmp_path, study):
    out = tmp_path / "out"
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study, ConvertOptions(out=out))
    assert int(outcome.exit_status) == 0
    assert sorted(entry.name for entry in out.iterdir()) == [".crfmap", "fhir", "sdtm"]
    assert os.readlink(out / "fhir") == ".crfmap/current/fhir" and os.readlink(out / "sdtm") == ".crfmap/current/sdtm"
    assert (out / "fhir").resolve().parent == (out / "sdtm").resolve().parent  # one version, one switch
    assert (out / "fhir" / "bundle-01.json").is_file() and (out / "sdtm" / "ts.xpt").is_file()


def test_a_former_layout_is_adopted_and_a_target_not_written_keeps_its_files(tmp_path, study):
    out = tmp_path / "out"
    for target in ("fhir", "sdtm"):
        (out / target).mkdir(parents=True)
        (out / target / "old.txt").write_text(f"old {target}", encoding="utf-8")
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study,
                               ConvertOptions(out=out, targets=("fhir",)))
    assert int(outcome.exit_status) == 0
    published = read_published(out)
    assert published["sdtm/old.txt"] == b"old sdtm"  # not written this run: as it was
    assert "fhir/old.txt" not in published and "fhir/bundle-01.json" in published  # replaced as a whole
    assert (out / "fhir").is_symlink() and (out / "sdtm").is_symlink()
    assert crfmap_debris(tmp_path) == []


def test_debris_of_killed_runs_is_cleared_and_nothing_else(tmp_path, study):
    out = tmp_path / "out"
    convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study, ConvertOptions(out=out))
    dead_version = out / ".crfmap" / "runs" / "run-killed"
    (dead_version / "fhir").mkdir(parents=True)
    (dead_version / "fhir" / "bundle-x.json").write_text("{}", encoding="utf-8")
    former_staging = out / ".crfmap-tmp-abc123"
    (former_staging / "fhir").mkdir(parents=True)
    os.symlink("runs/run-killed", out / ".crfmap" / "current.new-4242")
    user_files = {out / "notes.txt": "mine", out / ".crfmap-tmpish" / "keep.txt": "mine too",
                  out / "archive" / "fhir" / "old.json": "{}"}
    for path, text in user_files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    live = out / ".crfmap" / "runs" / "run-alive"  # a run still writing: its lock is held
    live.mkdir()
    handle = lock_path(live, wait=True)
    try:
        outcome = convert_workbook(minimal_workbook(tmp_path / "b.xlsx", ["01", "02"]), study, ConvertOptions(out=out))
        assert int(outcome.exit_status) == 0
        assert not dead_version.exists() and not former_staging.exists()
        assert not (out / ".crfmap" / "current.new-4242").is_symlink()
        assert live.is_dir()  # never another live run's folder
    finally:
        assert handle is not None
        os.close(handle)
    assert all(path.read_text(encoding="utf-8") == text for path, text in user_files.items())
    assert "fhir/bundle-02.json" in read_published(out)


def test_a_former_runs_set_aside_output_is_put_back_when_its_target_is_missing(tmp_path, study):
    """The former layout moved OUT/fhir aside, then the new one in: killed between, OUT/fhir was missing and
    the previous output lay in `.crfmap-tmp-old-fhir-<pid>`. The next run puts it back (and then, being a
    real folder, adopts it) instead of deleting it."""
    out = tmp_path / "out"
    aside = out / ".crfmap-tmp-old-fhir-31337"
    aside.mkdir(parents=True)
    (aside / "bundle-old.json").write_text("{}", encoding="utf-8")
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study,
                               ConvertOptions(out=out, targets=("sdtm",)))
    assert int(outcome.exit_status) == 0
    assert read_published(out)["fhir/bundle-old.json"] == b"{}"
    assert crfmap_debris(tmp_path) == []


def test_annotate_a_strict_ooxml_workbook(tmp_path):
    """Strict OOXML (ISO/IEC 29500 Strict namespaces): openpyxl re-reading it for --annotate ended in a traceback;
    the copy is built from what crfmap read, so it is written."""
    from tests.hostile.raw_xlsx import cell, package_parts, row, worksheet, write_package

    transitional = {
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "http://purl.oclc.org/ooxml/spreadsheetml/main",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships":
            "http://purl.oclc.org/ooxml/officeDocument/relationships",
    }
    parts = package_parts([("DM", worksheet(row(1, cell("A1", 1)) + row(2, cell("A2", 2))), "")])
    for name, text in parts.items():
        for old, new in transitional.items():
            text = text.replace(old, new)
        parts[name] = text
    path = write_package(tmp_path / "strict.xlsx", parts)
    target = tmp_path / "copy.xlsx"
    run = run_crfmap("validate", path, "--study", write_minimal_study(tmp_path / "study"), "--annotate", target)
    assert run.status == 1 and "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert target.is_file()
