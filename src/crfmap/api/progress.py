"""What long phases tell a progress display: the application layer reports, the command line shows.

Every phase is a task with a key, a description and, when it is known in advance, a total (a sheet's last row
from its declared dimension). A display that is None shows nothing (not a terminal, or a Python caller).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from crfmap.sources import Row

_LAST_ROW = re.compile(r"(?:^|:)[A-Za-z]{1,3}([0-9]+)$")
UPDATE_EVERY = 256  # rows between updates: a display redraws a few times a second anyway


class Progress(Protocol):
    def begin(self, task: str, description: str, total: int | None = None, unit: str = "rows") -> None: ...

    def advance(self, task: str, completed: int) -> None: ...

    def end(self, task: str) -> None: ...


def last_row(dimension: str | None) -> int | None:
    """The last row of a declared sheet dimension ("A1:K15" → 15); None when the file does not say."""
    match = _LAST_ROW.search(dimension or "")
    return int(match.group(1)) if match else None


def rows_with_progress(rows: Iterator[Row], progress: Progress | None, task: str, description: str,
                       total: int | None) -> Iterator[Row]:
    """The rows, unchanged, while the display shows how far into the sheet they are (by row number)."""
    if progress is None:
        yield from rows
        return
    progress.begin(task, description, total)
    number = 0
    try:
        for count, row in enumerate(rows, 1):
            number = row.number
            if count % UPDATE_EVERY == 0:
                progress.advance(task, number)
            yield row
    finally:
        progress.advance(task, total if total is not None and number <= total else number)
        progress.end(task)


@contextmanager
def phase(progress: Progress | None, task: str, description: str, total: int | None = None,
          unit: str = "rows") -> Iterator[None]:
    """A phase without countable steps (writing one target, a report): shown while it runs."""
    if progress is None:
        yield
        return
    progress.begin(task, description, total, unit)
    try:
        yield
    finally:
        progress.end(task)
