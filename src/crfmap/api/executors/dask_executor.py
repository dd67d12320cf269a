"""The Dask executor: partitions as tasks on a `dask.distributed` cluster.

With `settings.scheduler` it connects to a running cluster (`dask scheduler` / `dask worker`, a Kubernetes or
HPC deployment) and leaves it running; without, it starts a LocalCluster of `settings.workers` single-threaded
worker processes for the run and stops it after. The work function and its arguments travel by pickle; the
input files do not: every worker must see the site exports at the same path (a shared file system), and the
merge checks that every partition of an export read the same bytes (R057). Needs `pip install 'crfmap[dask]'`.

How long a running cluster is waited for, to answer and to have a first worker, is dask's own connect timeout
(`distributed.comm.timeouts.connect`, 30 s unless the user's dask configuration or
DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT says otherwise): past it the run stops with W146 naming the address,
instead of waiting for ever on a scheduler that has no workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from crfmap.issues import FatalIssue, make_issue

if TYPE_CHECKING:
    from crfmap.api.executors import ExecutorSettings

def run(function: Callable[[Any], Any], items: Sequence[Any], settings: ExecutorSettings) -> list[Any]:
    try:
        from distributed import Client, LocalCluster
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker
    except ImportError as missing:
        raise FatalIssue(make_issue("W145", value="dask", detail=f"{missing.name or 'distributed'} is not "
                                    "installed")) from None
    if settings.scheduler is not None:
        client = connect(Client, settings.scheduler)
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


def connect(client_class: Any, address: str) -> Any:
    """A client of the running cluster at `address` once it has a worker, or W146 naming the address."""
    import dask.config

    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        client = client_class(address, timeout=timeout)
    except (OSError, ValueError) as problem:  # dask's connect timeout is an OSError
        raise FatalIssue(make_issue("W146", value=address,
                                    detail=f"the scheduler cannot be reached ({problem})")) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        detail = (f"the scheduler answers but no worker joined it within {timeout}; start workers with "
                  f"`dask worker {address}`")
        raise FatalIssue(make_issue("W146", value=address, detail=detail)) from None
    check_workers(client, address)
    return client


def check_workers(client: Any, address: str) -> None:
    """W146 unless every worker imports this crfmap's version: the tasks carry crfmap's classes by name, and a
    worker without crfmap fails them with dask's own message (or an old one, with a wrong field)."""
    import crfmap

    def crfmap_version() -> str | None:  # local, so cloudpickle sends it by value: it runs where crfmap is missing
        try:
            import crfmap as installed
        except ImportError:
            return None
        return str(getattr(installed, "__version__", "unknown"))

    wrong = {worker: version for worker, version in sorted(client.run(crfmap_version).items())
             if version != crfmap.__version__}
    if wrong:
        client.close()
        found = "; ".join(f"{worker} {'has no crfmap' if version is None else f'runs crfmap {version}'}"
                          for worker, version in wrong.items())
        detail = f"{found}; install crfmap {crfmap.__version__} (as here) on every worker, then restart them"
        raise FatalIssue(make_issue("W146", value=address, detail=detail))


def apply_to(function: Callable[[Any], Any], item: Any) -> Any:
    """Runs on a worker: the scattered function (dask passes its value) on one item."""
    return function(item)
