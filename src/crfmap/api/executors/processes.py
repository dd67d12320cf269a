"""The processes executor: partitions in worker processes on this machine, `settings.workers` at a time.

For one machine with several cores and no cluster: no scheduler to start, nothing to install. Workers are
spawned, not forked: each imports crfmap afresh (a fraction of a second), and none inherits the parent's
threads or open files. The work function, with the mapping it carries, and each partition's result travel by
pickle; the site exports are read by each worker from the same paths. A worker that dies (killed, out of
memory) stops the run with W146 before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from crfmap.issues import FatalIssue, make_issue

if TYPE_CHECKING:
    from crfmap.api.executors import ExecutorSettings


def run(function: Callable[[Any], Any], items: Sequence[Any], settings: ExecutorSettings) -> list[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    workers = max(1, min(settings.workers, len(items)))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(function, items))
    except BrokenProcessPool as problem:
        raise FatalIssue(make_issue("W146", value="processes", detail=f"a worker process stopped ({problem}); "
                                                                      "nothing was written")) from None
