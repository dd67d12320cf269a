"""Open an SDTM output file atomically; an OS error (no space, no permission) becomes W001, not a traceback.

The file is not fsynced on its own: SDTM files are written into a run's version (or staging) folder, which is synced
as a whole before it becomes the output (writers/atomic.py sync_tree, called by writers/publish.py and
atomic_output_dir). Written elsewhere, a file is still replaced atomically, but only a later sync makes it durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from crfmap.issues import FatalIssue, make_issue
from crfmap.writers.atomic import atomic_file


@contextmanager
def open_output(target: Path, mode: str = "wb") -> Iterator[IO]:
    """`atomic_file(target, mode, sync=False)`, raising FatalIssue W001 when the file cannot be written."""
    try:
        with atomic_file(Path(target), mode, sync=False) as stream:
            yield stream
    except OSError as problem:
        detail = f"{Path(target).name}: {problem.strerror or problem}"
        raise FatalIssue(make_issue("W001", value=str(target), detail=detail)) from problem
