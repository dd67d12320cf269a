"""What the command line shows while it works: progress on stderr, only on a terminal, cleared at the end.

Piped or redirected output never carries progress, so reports stay byte-identical wherever they are sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

Progress = Callable[[str, int], None]  # (what is being read, rows so far)


@contextmanager
def row_progress(stream: IO[str]) -> Iterator[Progress | None]:
    """A callback that shows rows read per form on `stream` while the block runs; None when not a terminal."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    console = Console(file=stream)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} rows"),
               TimeElapsedColumn())
    with RichProgress(*columns, console=console, transient=True) as display:
        tasks: dict[str, TaskID] = {}

        def show(what: str, count: int) -> None:
            if what not in tasks:
                tasks[what] = display.add_task(what, total=None)
            display.update(tasks[what], completed=count)

        yield show
