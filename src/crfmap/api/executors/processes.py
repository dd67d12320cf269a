"""The processes executor: partitions in worker processes on this machine, `settings.workers` at a time.

For one machine with several cores and no cluster: no scheduler to start, nothing to install. Workers are
spawned, not forked: each imports crfmap afresh (a fraction of a second), and none inherits the parent's
threads or open files. The work function, with the mapping it carries, and each partition's result travel by
pickle; the site exports are read by each worker from the same paths. A worker that dies (killed, out of
memory) stops the run with W146 before anything is written.

Ctrl-C reaches the whole process group, workers too; in a worker it would be a KeyboardInterrupt wherever the
worker is (starting up, importing, waiting for work), each printing its traceback. So the workers ignore SIGINT
from their first instruction (they start with it held back, as the driver holds it while it starts them, and
ignore it before taking work), and the driver, interrupted, stops them itself (SIGTERM), also when the SIGINT was
sent to it alone.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crfmap.issues import FatalIssue, make_issue

if TYPE_CHECKING:
    from crfmap.api.executors import ExecutorSettings


def run(function: Callable[[Any], Any], items: Sequence[Any], settings: ExecutorSettings) -> list[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    workers = max(1, min(settings.workers, len(items)))
    others = set(multiprocessing.active_children())
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_ignore_interrupts) as pool:
            try:
                with _interrupts_held():
                    results = pool.map(function, items)  # starts the workers: they inherit SIGINT held back
                return list(results)
            except BaseException:  # interrupted (or a worker died): none of them may run on
                for worker in multiprocessing.active_children():
                    if worker not in others:
                        worker.terminate()
                raise
    except BrokenProcessPool as problem:
        raise FatalIssue(make_issue("W146", value="processes", detail=f"a worker process stopped ({problem}); "
                                                                      "nothing was written")) from None


def _ignore_interrupts() -> None:
    """A worker's first step: SIGINT ignored (a pending one dropped), then no longer held back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT held back from this thread, and from the processes it starts meanwhile; the driver gets a SIGINT
    that came meanwhile as soon as it lets it through."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks; the workers ignore SIGINT from
        # their first step on
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
