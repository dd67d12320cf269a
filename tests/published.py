"""What `convert` published in OUT, as a user reads it: OUT/<target> for each target (links into crfmap's
versions, followed), never crfmap's own `.crfmap` folder. Path.rglob does not follow links to folders, so
tests that look at OUT read it through here."""

from __future__ import annotations

import os
from pathlib import Path


def published_files(out: Path) -> list[tuple[str, Path]]:
    """(path relative to OUT as a user writes it, the file) for every file under OUT's visible entries."""
    found: list[tuple[str, Path]] = []
    if not out.is_dir():
        return found
    for top, folders, files in os.walk(out, followlinks=True):
        relative = Path(top).relative_to(out)
        if relative.parts[:1] == (".crfmap",):
            folders[:] = []
            continue
        folders[:] = sorted(name for name in folders if not (top == str(out) and name == ".crfmap"))
        found.extend(((relative / name).as_posix(), Path(top) / name) for name in files)
    return sorted(found)


def read_published(out: Path) -> dict[str, bytes]:
    """{relative path: bytes} of every published file (what a byte-for-byte comparison needs)."""
    return {name: path.read_bytes() for name, path in published_files(out)}


def crfmap_debris(folder: Path) -> list[Path]:
    """What a killed or failed run could leave behind: the former layout's temporary folders and files, and
    versions of `.crfmap/runs` that neither `current` nor `previous` names."""
    found = [path for path in folder.rglob(".crfmap-tmp*")]
    for control in folder.rglob(".crfmap"):
        named = {os.path.realpath(control / link) for link in ("current", "previous") if (control / link).is_symlink()}
        found += [version for version in (control / "runs").iterdir() if os.path.realpath(version) not in named]
        found += [link for link in control.iterdir() if ".new-" in link.name]
    return sorted(found)
