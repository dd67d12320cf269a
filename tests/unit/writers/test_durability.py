"""A run's outputs are on disk before they become the output: every file and folder of the new set is fsynced
before the switch that makes it current (writers/atomic.py sync_tree), once for the whole set rather than once per
file as it is written; an fsync that fails fails the run and keeps the previous set."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus
from crfmap.writers import publish
from crfmap.writers.atomic import atomic_output_dir
from tests.faults.harness import minimal_workbook
from tests.minimal_study import write_minimal_study
from tests.published import published_files, read_published

Inode = tuple[int, int]


class FsyncLog:
    """Which inodes were fsynced, and which had been when the `current` link was switched."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: Callable[[os.stat_result], int | None] | None = None,
                 ) -> None:
        self.synced: list[Inode] = []
        self.at_switch: set[Inode] | None = None
        real_fsync, real_switch = os.fsync, publish.switch_link

        def fsync(handle: int) -> None:
            status = os.fstat(handle)
            code = fail(status) if fail is not None else None
            if code is not None:
                raise OSError(code, os.strerror(code))
            real_fsync(handle)
            self.synced.append((status.st_dev, status.st_ino))

        def switch_link(link: Path, target: str) -> None:
            if link.name == publish.CURRENT:
                self.at_switch = set(self.synced)
            real_switch(link, target)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(publish, "switch_link", switch_link)


def inode(path: Path) -> Inode:
    status = path.stat()
    return status.st_dev, status.st_ino


def test_every_file_and_folder_of_the_new_set_is_synced_before_the_switch(tmp_path, monkeypatch):
    study = write_minimal_study(tmp_path / "study")
    out = tmp_path / "out"
    log = FsyncLog(monkeypatch)
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01", "02"]), study,
                               ConvertOptions(out=out, targets=("fhir", "sdtm")))
    assert outcome.exit_status is ExitStatus.OK
    files = [path for _name, path in published_files(out)]
    assert {path.parts[-2] for path in files} == {"fhir", "sdtm"} and len(files) > 4
    version = (out / ".crfmap" / "current").resolve()
    folders = [version, version / "fhir", version / "sdtm", version.parent]
    assert log.at_switch is not None
    missing = [path for path in files + folders if inode(path) not in log.at_switch]
    assert missing == []
    assert len(log.synced) == len(set(log.synced))  # once each: not per file as written and again at the end


def test_a_failing_fsync_fails_the_run_and_keeps_the_previous_set(tmp_path, monkeypatch):
    study = write_minimal_study(tmp_path / "study")
    out = tmp_path / "out"
    first = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study, ConvertOptions(out=out))
    assert first.exit_status is ExitStatus.OK
    before = read_published(out)
    log = FsyncLog(monkeypatch, fail=lambda status: errno.EIO)
    outcome = convert_workbook(minimal_workbook(tmp_path / "b.xlsx", ["01", "02"]), study, ConvertOptions(out=out))
    assert outcome.exit_status is ExitStatus.CANNOT_RUN
    assert [issue.code for issue in outcome.failure] == ["W001"]
    assert log.at_switch is None and read_published(out) == before


def test_a_failing_fsync_into_a_new_out_leaves_no_out(tmp_path, monkeypatch):
    study = write_minimal_study(tmp_path / "study")
    FsyncLog(monkeypatch, fail=lambda status: errno.EIO)
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study,
                               ConvertOptions(out=tmp_path / "new" / "out"))
    assert outcome.exit_status is ExitStatus.CANNOT_RUN
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("refused", "written"), [("folder", True), ("file", False)])
def test_a_file_system_that_cannot_sync_folders_still_takes_the_output(tmp_path, monkeypatch, refused, written):
    """Some network and FUSE file systems answer EINVAL to syncing a folder: nothing more can be made durable
    there, so the run goes on. A file they cannot sync is an error like any other."""
    study = write_minimal_study(tmp_path / "study")
    out = tmp_path / "out"

    def fail(status: os.stat_result) -> int | None:
        return errno.EINVAL if stat.S_ISDIR(status.st_mode) == (refused == "folder") else None

    FsyncLog(monkeypatch, fail=fail)
    outcome = convert_workbook(minimal_workbook(tmp_path / "a.xlsx", ["01"]), study, ConvertOptions(out=out))
    assert (outcome.exit_status is ExitStatus.OK) is written
    assert bool(published_files(out)) is written and out.exists() is written


def test_a_staged_folder_is_synced_before_it_replaces_the_target(tmp_path, monkeypatch):
    log = FsyncLog(monkeypatch)
    target = tmp_path / "target"
    with atomic_output_dir(target) as staging:
        (staging / "a.json").write_bytes(b"{}")
        (staging / "nested").mkdir()
        (staging / "nested" / "b.xpt").write_bytes(b"x" * 100)
        assert log.synced == []
    paths = [target, target / "a.json", target / "nested", target / "nested" / "b.xpt", tmp_path]
    assert {inode(path) for path in paths} <= set(log.synced)
