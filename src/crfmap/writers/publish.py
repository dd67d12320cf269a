"""Publishing a run's outputs into OUT as one set: OUT/fhir and OUT/sdtm switch together, or not at all.

Two folders cannot be renamed at once, so OUT holds versions and one switch:

    OUT/fhir -> .crfmap/current/fhir          the paths users and integration engines read stay the same
    OUT/sdtm -> .crfmap/current/sdtm
    OUT/.crfmap/current -> runs/<id>          replaced in one rename: the switch
    OUT/.crfmap/previous -> runs/<id>         the set it replaced, kept until the next run for readers mid-way
    OUT/.crfmap/runs/<id>/{fhir,sdtm}         complete versions, and the one being written (locked while alive)

A run writes its version beside the others while holding a lock on it, then, under OUT's own lock, fills in
the targets it did not write from the current version (hard links, no copy), syncs the new version to disk
(every file and folder at once, not one file at a time: atomic.sync_tree) and renames one link. A crash
at any point leaves `current` naming a complete version: before the rename the previous set, after it the new
one; never new FHIR beside old SDTM. Whatever a killed run left (an unlocked version no link names, the
temporary links, a former layout's `.crfmap-tmp-*` folders) is crfmap's own and is removed by the next run;
nothing else in OUT is touched. A run that fails removes what it made, and OUT itself if it made OUT.

A reader that must see one consistent set while crfmap may run resolves OUT/fhir once (`realpath`) and reads
from there: that version stays on disk until the run after next, and for as long as the reader holds a shared
lock on it (`flock(LOCK_SH)`), since a version is removed only by a run that can take its lock exclusively.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.writers.atomic import TEMP_PREFIX, lock_path, sync_tree

CONTROL = ".crfmap"  # crfmap's own folder inside OUT
RUNS = "runs"
CURRENT = "current"
PREVIOUS = "previous"
LOCK = "lock"
RUN_PREFIX = "run-"
FORMER_PREFIX = TEMP_PREFIX  # staging and set-aside folders of the former layout, temporary files of atomic.py
FORMER_ASIDE = ".crfmap-tmp-old-"  # a former run's previous output, set aside while it moved the new one in


@dataclass
class OutputRun:
    """One run's version folder (`folder / <target>` for each writer) and what it must undo if it fails."""

    out: Path
    folder: Path
    made: list[Path] = field(default_factory=list)  # folders this run created, deepest last
    handle: int | None = None  # holds the lock that tells other runs this version is being written

    @property
    def control(self) -> Path:
        return self.out / CONTROL


def start_run(out: Path, known_targets: Iterable[str]) -> OutputRun:
    """Make OUT (and its parents) if needed, clear what killed runs left, and open a locked version folder.
    Raises OSError when OUT cannot be made or written (the caller reports W001)."""
    run = OutputRun(out=out, folder=out / CONTROL / RUNS)
    try:
        make_folders(out / CONTROL / RUNS, run.made)
        with out_lock(run.control):  # so that no other run takes the new folder for debris before it is locked
            clear_debris(out, set(known_targets))
            make_version(out / CONTROL / RUNS, run)
            run.handle = lock_path(run.folder, wait=True)
    except BaseException:
        abandon_run(run)
        raise
    return run


def publish_run(run: OutputRun, written: Iterable[str], known_targets: Iterable[str]) -> None:
    """Make `run`'s version the current set: targets not written this run keep their current files."""
    written = list(written)
    with out_lock(run.control):
        adopt_former_layout(run.out, run.control, known_targets)
        current = version_of(run.control / CURRENT)
        if current is not None:
            for target in sorted(os.listdir(current)):
                if target not in written and (current / target).is_dir() and not (run.folder / target).exists():
                    copy_as_links(current / target, run.folder / target)
        # All the switch will show, on disk before it (its files, their folders, the version's entry in runs/): a
        # crash just after the switch must find the new set complete. See sync_tree. Before OUT's links are made,
        # so that a failure here leaves nothing of this run in OUT.
        sync_tree(run.folder, run.folder.parent)
        for target in sorted(entry.name for entry in run.folder.iterdir() if entry.is_dir()):
            link_target(run.out, target)  # through `current`: it shows the new files only after the switch
        switch_link(run.control / CURRENT, f"{RUNS}/{run.folder.name}")  # the one step that changes the set
        if current is not None:
            switch_link(run.control / PREVIOUS, f"{RUNS}/{current.name}")
        release(run)
        clear_debris(run.out, set(known_targets))


def abandon_run(run: OutputRun) -> None:
    """Remove the run's version and the folders it made (OUT too, if this run made it and it stays empty)."""
    if run.folder.name.startswith(RUN_PREFIX):
        shutil.rmtree(run.folder, ignore_errors=True)
    release(run)
    for folder in reversed(run.made):
        try:
            if folder.name == CONTROL:
                (folder / LOCK).unlink(missing_ok=True)
            folder.rmdir()
        except OSError:  # not empty (another run's files) or gone: leave it, and what holds it
            break


# ── pieces ───────────────────────────────────────────────────────────────────────────────────────────

def make_version(runs: Path, run: OutputRun | None = None) -> Path:
    """A new, empty version folder with a unique name. Made with mkdir, not mkdtemp, so that it has the
    permissions of any folder the user makes (mkdtemp's are private, and OUT/fhir is read through it). With `run`,
    it is the run's folder from before it is made: a run interrupted (Ctrl-C) just as it makes it, before it
    could be told of it, still removes it (abandon_run)."""
    while True:
        folder = runs / f"{RUN_PREFIX}{secrets.token_hex(6)}"
        if run is not None:
            run.folder = folder
        try:
            folder.mkdir()
        except FileExistsError:  # another run's
            if run is not None:
                run.folder = runs
            continue
        return folder


def make_folders(folder: Path, made: list[Path] | None = None) -> list[Path]:
    """mkdir -p, returning the folders it created, outermost first. Each is listed in `made` before it is made
    (and taken off if it was there already), so that a run interrupted just as it makes one (Ctrl-C) still
    knows to remove it."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    made = [] if made is None else made
    try:
        for path in reversed(missing):
            made.append(path)
            try:
                path.mkdir()
            except FileExistsError:  # made meanwhile by another run: not this run's to remove
                made.pop()
                raise
    except FileExistsError:
        if not folder.is_dir():
            raise
    except OSError:
        while made:
            made.pop().rmdir()
        raise
    return made


@contextmanager
def out_lock(control: Path) -> Iterator[None]:
    """OUT's own lock: one run at a time clears debris and switches the set."""
    import fcntl

    handle = os.open(control / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock, also when the process is killed


def release(run: OutputRun) -> None:
    if run.handle is not None:
        os.close(run.handle)
        run.handle = None


def version_of(link: Path) -> Path | None:
    """The version folder a control link names, if the link exists and the folder is there."""
    if not link.is_symlink():
        return None
    folder = link.parent / os.readlink(link)
    return folder if folder.is_dir() else None


def switch_link(link: Path, target: str) -> None:
    """Point `link` at `target` in one rename, so that a reader sees the old or the new target, never none."""
    temporary = link.with_name(f"{link.name}.new-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    try:
        os.replace(temporary, link)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def link_target(out: Path, target: str) -> None:
    """OUT/<target> as a link through `current`; made once, it never changes again."""
    path = out / target
    wanted = f"{CONTROL}/{CURRENT}/{target}"
    if path.is_symlink() and os.readlink(path) == wanted:
        return
    switch_link(path, wanted)


def copy_as_links(source: Path, target: Path) -> None:
    """A copy of a finished version's folder that shares its files (hard links), or copies where it cannot."""
    def link_or_copy(source_file: str, target_file: str) -> None:
        try:
            os.link(source_file, target_file)
        except OSError:
            shutil.copy2(source_file, target_file)

    shutil.copytree(source, target, copy_function=link_or_copy, symlinks=True)


def adopt_former_layout(out: Path, control: Path, known_targets: Iterable[str]) -> None:
    """OUT/fhir and OUT/sdtm as real folders (written before versions existed) become part of the current
    version, so they are kept until replaced, and then replaced together with the rest. The version is made
    current before they move into it, so that a crash never leaves them in a folder the next run would clear;
    each target is missing only between its own rename and link, never mixed with another run's."""
    former = [target for target in known_targets
              if (out / target).is_dir() and not (out / target).is_symlink()]
    if not former:
        return
    current = version_of(control / CURRENT)
    version = make_version(control / RUNS)
    if current is not None:
        for target in sorted(os.listdir(current)):
            if target not in former and (current / target).is_dir():
                copy_as_links(current / target, version / target)
    switch_link(control / CURRENT, f"{RUNS}/{version.name}")
    for target in former:
        os.rename(out / target, version / target)
        link_target(out, target)


def clear_debris(out: Path, known_targets: set[str]) -> None:
    """Remove what killed runs left, and only that: versions no link names and no live run holds, temporary
    links, and the former layout's folders. A former run's set-aside previous output is put back first if its
    target is missing (it was killed between moving the old folder out and the new one in)."""
    control = out / CONTROL
    for entry in sorted(out.iterdir()) if out.is_dir() else []:
        if not entry.name.startswith(FORMER_PREFIX) or entry.is_symlink():
            continue
        if entry.name.startswith(FORMER_ASIDE):
            target = entry.name[len(FORMER_ASIDE):].rsplit("-", 1)[0]
            if target in known_targets and not os.path.lexists(out / target):
                os.rename(entry, out / target)
                continue
        handle = lock_path(entry, wait=False)
        if handle is not None:  # no live process writes into it
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            os.close(handle)
    if not control.is_dir():
        return
    for entry in control.iterdir():
        if ".new-" in entry.name and entry.is_symlink():
            entry.unlink(missing_ok=True)
    kept = {version_of(control / CURRENT), version_of(control / PREVIOUS)}
    runs = control / RUNS
    for version in sorted(runs.iterdir()) if runs.is_dir() else []:
        if version in kept or not version.is_dir():
            continue
        handle = lock_path(version, wait=False)
        if handle is not None:
            shutil.rmtree(version, ignore_errors=True)
            os.close(handle)
