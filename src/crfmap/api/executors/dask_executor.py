"""The Dask executor: partitions as tasks on a `dask.distributed` cluster.

With `settings.scheduler` it connects to a running cluster (`dask scheduler` / `dask worker`, a Kubernetes or
HPC deployment) and leaves it running; without, it starts a LocalCluster of `settings.workers` single-threaded
worker processes for the run and stops it after. The work function and its arguments travel by pickle; the
input files do not: every worker must see the site exports at the same path (a shared file system), and the
merge checks that every partition of an export read the same bytes (R057). Needs `pip install 'crfmap[dask]'`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from crfmap.issues import FatalIssue, make_issue

if TYPE_CHECKING:
    from crfmap.api.executors import ExecutorSettings

CONNECT_TIMEOUT = "30s"


def run(function: Callable[[Any], Any], items: Sequence[Any], settings: ExecutorSettings) -> list[Any]:
    try:
        from distributed import Client, LocalCluster
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker
    except ImportError as missing:
        raise FatalIssue(make_issue("W145", value="dask", detail=f"{missing.name or 'distributed'} is not "
                                    "installed")) from None
    if settings.scheduler is not None:
        try:
            client = Client(settings.scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as problem:
            raise FatalIssue(make_issue("W146", value=settings.scheduler,
                                        detail=f"the scheduler cannot be reached ({problem})")) from None
        cluster = None
    else:
        # its status pages on a free port (":0"): several runs, or a cluster already there, never collide
        cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    try:
        # the function (with the mapping it carries) goes to each worker once, not once per partition
        shared = client.scatter(function, broadcast=True, hash=False)
        futures = [client.submit(apply_to, shared, item, pure=False) for item in items]
        try:
            return list(client.gather(futures))
        except (KilledWorker, FutureCancelledError) as problem:
            detail = f"a partition could not be run ({problem}); nothing was written"
            raise FatalIssue(make_issue("W146", value=settings.scheduler or "local cluster",
                                        detail=detail)) from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def apply_to(function: Callable[[Any], Any], item: Any) -> Any:
    """Runs on a worker: the scattered function (dask passes its value) on one item."""
    return function(item)
