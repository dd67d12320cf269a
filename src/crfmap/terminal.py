"""What the command line shows while it works: progress on stderr, only on a terminal, cleared at the end; and
whether its reports may use colour (a terminal, unless NO_COLOR; or FORCE_COLOR).

Piped or redirected output never carries progress, so reports stay byte-identical wherever they are sent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

PIPED_WIDTH = 100  # reports sent to a file or a pipe wrap here, whatever terminal started the command


class TerminalProgress:
    """One line per running phase (reading a sheet, writing a target, a report), with a bar where the total is
    known; finished phases disappear, and the whole display is cleared when the command ends."""

    def __init__(self, display: Any) -> None:
        self.display = display
        self.tasks: dict[str, Any] = {}

    def begin(self, task: str, description: str, total: int | None = None, unit: str = "rows") -> None:
        if task in self.tasks:
            self.display.remove_task(self.tasks.pop(task))
        self.tasks[task] = self.display.add_task(description, total=total, unit=unit)

    def advance(self, task: str, completed: int) -> None:
        if task in self.tasks:
            self.display.update(self.tasks[task], completed=completed)

    def end(self, task: str) -> None:
        if task in self.tasks:
            self.display.remove_task(self.tasks.pop(task))

    def __call__(self, what: str, count: int) -> None:
        """The simple form: `what` has reached `count` rows (a task is begun on first sight)."""
        if what not in self.tasks:
            self.begin(what, what)
        self.advance(what, count)


@contextmanager
def row_progress(stream: IO[str]) -> Iterator[TerminalProgress | None]:
    """A progress display on `stream` while the block runs; None when `stream` is not a terminal."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """'1,200/15,000 rows', or '1,200 rows' while the total is unknown."""

        def render(self, task: Task) -> Text:
            unit = task.fields.get("unit", "rows")
            if not task.completed and task.total is None:
                return Text("")
            shown = f"{int(task.completed):,}" + (f"/{int(task.total):,}" if task.total is not None else "")
            return Text(f"{shown} {unit}")

    console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")))
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=30), CountColumn(),
               TimeElapsedColumn())
    with RichProgress(*columns, console=console, transient=True, expand=False) as display:
        yield TerminalProgress(display)


def use_colour(stream: IO[str]) -> bool:
    """Colour on a terminal; never when NO_COLOR is set (no-color.org); always when FORCE_COLOR is set to
    anything but 0 (force-color.org) and NO_COLOR is not."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def report_width(stream: IO[str]) -> int:
    """How wide the text report may be: the terminal's width, or PIPED_WIDTH when it goes to a file or pipe
    (so that a saved report does not depend on the window that made it)."""
    if getattr(stream, "isatty", lambda: False)():
        return max(60, shutil.get_terminal_size((PIPED_WIDTH, 24)).columns)
    return PIPED_WIDTH
