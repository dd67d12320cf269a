"""A run's outputs are on disk before they become the output: every file and folder of the new set is fsynced
before the switch that makes it current (writers/atomic.py sync_tree), once for the whole set rather than once per
file as it is written; an fsync that fails fails the run and keeps the previous set."""

from __future__ import annotations

import errno
import os
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

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
        self.synced: list[Inode] = []
        self.at_switch: set[Inode] | None = None
        real_fsync, real_switch = os.fsync, publish.switch_link

        def fsync(handle: int) -> None:
            if fail:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            real_fsync(handle)
            status = os.fstat(handle)
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
    folders = [version, version / "fhir", version / "sdtm", version.parent, out]
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
    log = FsyncLog(monkeypatch, fail=True)
    outcome = convert_workbook(minimal_workbook(tmp_path / "b.xlsx", ["01", "02"]), study, ConvertOptions(out=out))
    assert outcome.exit_status is ExitStatus.CANNOT_RUN
    assert [issue.code for issue in outcome.failure] == ["W001"]
    assert log.at_switch is None and read_published(out) == before


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
