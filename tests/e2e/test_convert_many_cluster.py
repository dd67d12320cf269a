"""`crfmap convert-many --executor dask --scheduler ADDRESS` against a cluster started on its own, as the README
shows: a `dask scheduler` and a `dask worker --nworkers 2` as separate OS processes, started with dask's own
command line, and crfmap's command line run as a process of its own. Its outputs and JSON report are byte for byte
those of one `crfmap convert` of the same export.

The cluster's processes import the crfmap under test (PYTHONPATH names this checkout's src, and a test asks the
workers where their crfmap comes from). They are stopped with SIGTERM, then SIGKILL, each process group waited
for, so no worker outlives the tests. No wall-clock assertions: hang guards (120 s to start, 600 s per command)
fail a test instead of blocking CI.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import crfmap
from crfmap.issues import ExitStatus
from tests.e2e.reference import CLEAN, STUDY
from tests.e2e.test_convert_many import FHIR_OPTIONS, SDTM_OPTIONS, resave
from tests.golden.checks import check_sdtm
from tests.published import crfmap_debris, read_published

distributed = pytest.importorskip("distributed")

START_GUARD_SECONDS = 120  # for the scheduler to write its file and the workers to join
COMMAND_GUARD_SECONDS = 600  # for one crfmap command
STOP_GUARD_SECONDS = 60  # for a process to end after SIGTERM, before SIGKILL
CRFMAP_SOURCE = Path(crfmap.__file__).resolve().parents[1]  # this checkout's src/


def dask_command() -> list[str]:
    """dask's own command line, of the Python running the tests (so the same installed packages)."""
    script = Path(sys.executable).parent / "dask"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def cluster_environment(**extra: str) -> dict[str, str]:
    """The environment of every process started here: this checkout's crfmap first on the path."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CRFMAP_SOURCE), environment.get("PYTHONPATH")]))
    environment.update(extra)
    return environment


@dataclass
class Cluster:
    address: str
    processes: list[subprocess.Popen[bytes]]
    logs: Path

    def log_tail(self) -> str:
        return "\n".join(f"── {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                         for log in sorted(self.logs.glob("*.log")))


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    # a process group of its own: the nanny's worker processes are stopped with it
    with log.open("wb") as output:
        return subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, env=cluster_environment(),
                                start_new_session=True)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group (workers first), wait; SIGKILL what is left. Leaves no orphan."""
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=STOP_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_GUARD_SECONDS)
        try:  # a worker process the nanny did not take down with it
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_scheduler(folder: Path, processes: list[subprocess.Popen[bytes]]) -> str:
    """`dask scheduler` on a free port of the loopback; its address, read from the scheduler file."""
    scheduler_file = folder / "scheduler.json"
    processes.append(start([*dask_command(), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(scheduler_file)], folder / "scheduler.log"))
    deadline = time.monotonic() + START_GUARD_SECONDS
    while time.monotonic() < deadline:
        if processes[-1].poll() is not None:
            pytest.fail(f"dask scheduler exited {processes[-1].returncode}:\n"
                        f"{(folder / 'scheduler.log').read_text(errors='replace')[-3000:]}")
        try:
            return str(json.loads(scheduler_file.read_text())["address"])
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.2)
    pytest.fail(f"hang guard: dask scheduler wrote no {scheduler_file.name} within {START_GUARD_SECONDS} s")


def start_workers(folder: Path, processes: list[subprocess.Popen[bytes]], count: int, *extra: str) -> None:
    """`dask worker --nworkers <count>` (single-threaded processes under one nanny each) for the scheduler of
    `folder`'s scheduler file."""
    processes.append(start([*dask_command(), "worker", "--scheduler-file", str(folder / "scheduler.json"),
                            "--nworkers", str(count), "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                            "--local-directory", str(folder / "workers"), *extra], folder / "workers.log"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two single-threaded worker processes, as the README's commands start them."""
    folder = tmp_path_factory.mktemp("cluster")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        address = start_scheduler(folder, processes)
        start_workers(folder, processes, 2)
        running = Cluster(address, processes, folder)
        with distributed.Client(address, timeout=f"{START_GUARD_SECONDS}s") as client:
            try:
                client.wait_for_workers(2, timeout=START_GUARD_SECONDS)
            except TimeoutError:
                pytest.fail(f"hang guard: 2 workers did not join within {START_GUARD_SECONDS} s\n"
                            f"{running.log_tail()}")
        yield running
    finally:
        stop(processes)


def run_crfmap(*argv: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """crfmap's command line as its own process (python -m crfmap), as a user runs it."""
    return subprocess.run([sys.executable, "-m", "crfmap", *argv], check=False, capture_output=True,
                          text=True, env=cluster_environment(**environment), timeout=COMMAND_GUARD_SECONDS)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_crfmap_files(address: str) -> dict[str, str]:
    """Each worker's answer to: which crfmap package do you import?"""
    with distributed.Client(address, timeout=f"{START_GUARD_SECONDS}s") as client:
        # a lambda travels by value (cloudpickle); the workers need not import this test module
        return dict(client.run(lambda: str(Path(__import__("crfmap").__file__).resolve())))


def partition_tasks_run(address: str) -> int:
    """How many of crfmap's partition tasks the scheduler has seen computed (dask names a task by its function;
    a prefix counts the transitions into each state since the scheduler started)."""
    def finished(dask_scheduler: object) -> int:
        prefix = dask_scheduler.task_prefixes.get("apply_to")  # type: ignore[attr-defined]
        return 0 if prefix is None else int(prefix.state_counts.get("memory", 0))

    with distributed.Client(address, timeout=f"{START_GUARD_SECONDS}s") as client:
        return int(client.run_on_scheduler(finished))


def test_workers_import_the_crfmap_under_test(cluster: Cluster) -> None:
    files = worker_crfmap_files(cluster.address)
    assert len(files) == 2, cluster.log_tail()
    assert set(files.values()) == {str(Path(crfmap.__file__).resolve())}


def test_convert_many_on_a_separately_started_cluster_equals_one_convert(cluster: Cluster, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    export = resave(CLEAN, exports / "registry.xlsx", copies=2)  # 42 subjects, so every partition has some
    tasks_before = partition_tasks_run(cluster.address)
    one = run_crfmap("convert", str(export), "--study", str(STUDY), "--out", str(tmp_path / "one"), *FHIR_OPTIONS,
                     *SDTM_OPTIONS, "--report", str(tmp_path / "one.json"))
    assert one.returncode == ExitStatus.OK, one.stderr[-3000:]
    many = run_crfmap("convert-many", str(exports), "--study", str(STUDY), "--out", str(tmp_path / "many"),
                      *FHIR_OPTIONS, *SDTM_OPTIONS, "--report", str(tmp_path / "many.json"),
                      "--executor", "dask", "--scheduler", cluster.address, "--partitions", "3")
    assert many.returncode == ExitStatus.OK, many.stderr[-3000:] + cluster.log_tail()
    assert "registry.xlsx: 3 partition(s)" in many.stdout
    # the three partitions ran as tasks of this cluster, not in crfmap's own process
    assert partition_tasks_run(cluster.address) - tasks_before == 3
    expected, written = read_published(tmp_path / "one"), read_published(tmp_path / "many")
    assert len(expected) > 40 and sorted(written) == sorted(expected)
    assert [name for name in expected if written[name] != expected[name]] == []
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    patients = [json.loads(line) for line in written["fhir/Patient.ndjson"].decode().splitlines()]
    assert len(patients) == 42
    assert check_sdtm(tmp_path / "many" / "sdtm") == []
    assert crfmap_debris(tmp_path / "many") == []
    # the cluster is still there for its other users: crfmap closes its client, not the cluster
    assert len(worker_crfmap_files(cluster.address)) == 2


def exports_of_clean(folder: Path) -> Path:
    exports = folder / "exports"
    exports.mkdir()
    (exports / CLEAN.name).write_bytes(CLEAN.read_bytes())
    return exports


def test_nothing_listening_at_the_scheduler_address_is_w146_naming_it(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    refused = run_crfmap("convert-many", str(exports_of_clean(tmp_path)), "--study", str(STUDY),
                         "--out", str(tmp_path / "out"), "--executor", "dask", "--scheduler", address,
                         DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    assert refused.returncode == ExitStatus.CANNOT_RUN, refused.stderr
    assert refused.stderr.startswith("error W146 executor-failed: ") and address in refused.stderr
    assert "cannot be reached" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stdout == ""
    assert not (tmp_path / "out").exists()


def test_a_scheduler_without_workers_is_w146_not_a_hang(tmp_path: Path) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        address = start_scheduler(tmp_path, processes)
        refused = run_crfmap("convert-many", str(exports_of_clean(tmp_path)), "--study", str(STUDY),
                             "--out", str(tmp_path / "out"), "--executor", "dask", "--scheduler", address,
                             DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    finally:
        stop(processes)
    assert refused.returncode == ExitStatus.CANNOT_RUN, refused.stderr
    assert "W146" in refused.stderr and address in refused.stderr and "no worker joined" in refused.stderr
    assert f"dask worker {address}" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists()


def test_a_worker_without_crfmap_is_w146_naming_it(tmp_path: Path) -> None:
    """A worker whose Python cannot import crfmap (a dask preload hides it) is named before any task is sent."""
    preload = tmp_path / "without_crfmap.py"
    preload.write_text('import sys\n\nsys.modules["crfmap"] = None  # import crfmap now fails, as if not installed\n')
    processes: list[subprocess.Popen[bytes]] = []
    try:
        address = start_scheduler(tmp_path, processes)
        start_workers(tmp_path, processes, 1, "--preload", str(preload))
        with distributed.Client(address, timeout=f"{START_GUARD_SECONDS}s") as client:
            client.wait_for_workers(1, timeout=START_GUARD_SECONDS)
            worker = next(iter(client.scheduler_info()["workers"]))
        refused = run_crfmap("convert-many", str(exports_of_clean(tmp_path)), "--study", str(STUDY),
                             "--out", str(tmp_path / "out"), "--executor", "dask", "--scheduler", address)
    finally:
        stop(processes)
    assert refused.returncode == ExitStatus.CANNOT_RUN, refused.stderr
    assert "W146" in refused.stderr and f"{worker} has no crfmap" in refused.stderr
    assert f"install crfmap {crfmap.__version__}" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists()
