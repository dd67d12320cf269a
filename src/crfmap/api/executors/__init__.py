"""Where `convert-many` runs its partitions: one registry, one module per executor.

An executor is a way to run a pure function over a list of work items and give back its results in the
items' order: `run(function, items, settings) -> list`. Nothing else of crfmap is visible to it, so adding
one (Spark's `mapPartitions`, Ray's `ray.remote` tasks) is a module here and a line in `EXECUTORS`; the work
(`api.partitions.convert_partition`) and the merge do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crfmap.api.executors import dask_executor, local, processes


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """`scheduler`: the address of a running cluster's scheduler (tcp://host:8786); None makes a cluster on
    this machine. `workers`: how many worker processes such a local cluster (or the processes executor) has."""

    scheduler: str | None = None
    workers: int = 2


@dataclass(frozen=True, slots=True)
class Executor:
    name: str
    summary: str  # one line for --help
    run: Callable[[Callable[[Any], Any], Sequence[Any], ExecutorSettings], list[Any]]
    # True when the partitions run on this machine and can leave files for the driver (api/partitions.py
    # SpilledParts); else what they make travels back in their results
    on_this_machine: Callable[[ExecutorSettings], bool] = lambda settings: False


EXECUTORS: dict[str, Executor] = {
    "local": Executor("local", "in this process, one partition after another", local.run,
                      on_this_machine=lambda settings: True),
    "processes": Executor("processes", "in --workers processes on this machine, at once", processes.run,
                          on_this_machine=lambda settings: True),
    "dask": Executor("dask", "on a dask.distributed cluster (--scheduler, else a local one); needs the dask extra",
                     dask_executor.run, on_this_machine=lambda settings: settings.scheduler is None),
}

__all__ = ["EXECUTORS", "Executor", "ExecutorSettings"]
