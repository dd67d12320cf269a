"""Does using both cores pay? `crfmap convert` against `crfmap convert-many` on one large export (issue #16).

    python benchmarks/parallel.py                          # 2,000 patients, xlsx and csv, 3 rounds, ≈ 15 min
    python benchmarks/parallel.py --patients 500 --rounds 1   # a quick look

For one export (benchmarks/generate.py) as xlsx and as a folder of csv, and two targets (`--to fhir --ndjson`;
`--to sdtm --transliterate`, XPT), it runs as separate processes, interleaved (each round runs every case once,
so a change of machine load hits all of them alike):
- `convert`: one process, the reference;
- `many-local-p1`, `many-local-p2`: `convert-many --executor local` with 1 and 2 partitions (in turn, in one
  process: what partitioning itself costs, as every partition reads its whole export);
- `many-procs-w2-p2`: `convert-many --executor processes --workers 2 --partitions 2` (two spawned worker
  processes on this machine);
- `many-dask-w2-p2`, `many-dask-w2-p4`: `convert-many --executor dask --workers 2` (a LocalCluster of two
  single-threaded worker processes, started and stopped by the run) with 2 and 4 partitions;
- `many-dask-addr-p2`: `convert-many --executor dask --scheduler ADDRESS --partitions 2`, against a cluster of
  two single-threaded worker processes this script starts once, as a cluster that is already running (crfmap
  then treats the partitions as running on other machines).
For `--to fhir` the partitions write their subjects' bundles and NDJSON themselves and send back bytes (left in a
temporary folder on this machine, or pickled in their results from the cluster at an address); for `--to sdtm`
they leave their records, sorted, in files of that folder and the writers run in the driver on all of them, but
for the cluster at an address, where they build their subjects' SDTM rows and send those
(writers.base.SubjectParts.on_this_machine).
Each case: wall time with process start (best and median of the rounds), CPU time of the process and the children
it waited for (dask's worker processes included: Linux's wait4 reports both; for the cluster at an address only
crfmap's own process, the driver: its workers are this script's), peak RSS of the largest of them, and whether its
published files are byte for byte those of `convert` of the same input and target.
Then, in this process, where the time of one SDTM run goes (`profile_phases`: the records path on this machine),
and from it the best a pool of two processes could do with two free cores: what bounds any process pool over
partitions whose records the driver writes, whatever the load.

Writes benchmarks/results/parallel.json (every measurement, the machine, the load average before and after each
round) and benchmarks/results/parallel.md (the table the README quotes). The machine may be shared: compare
within one run, and read the load averages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache" / "parallel"  # git-ignored
RESULTS = HERE / "results"
STUDY = ROOT / "mappings" / "blinatumomab_ped_all"
TARGETS = {"fhir-ndjson": ["--to", "fhir", "--ndjson"], "sdtm": ["--to", "sdtm", "--transliterate"]}
MODES = {
    "convert": None,
    "many-local-p1": ["--executor", "local", "--partitions", "1"],
    "many-local-p2": ["--executor", "local", "--partitions", "2"],
    "many-procs-w2-p2": ["--executor", "processes", "--workers", "2", "--partitions", "2"],
    "many-dask-w2-p2": ["--executor", "dask", "--workers", "2", "--partitions", "2"],
    "many-dask-w2-p4": ["--executor", "dask", "--workers", "2", "--partitions", "4"],
    "many-dask-addr-p2": ["--executor", "dask", "--scheduler", "{scheduler}", "--partitions", "2"],
}


def crfmap_command() -> list[str]:
    script = Path(sys.executable).parent / "crfmap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crfmap"]


def case_argv(mode: str, target: str, export: Path, out: Path, scheduler: str = "") -> list[str]:
    options = ["--study", str(STUDY), "--out", str(out), "-q", *TARGETS[target]]
    if MODES[mode] is None:
        return [*crfmap_command(), "convert", str(export), *options]
    many = [argument.format(scheduler=scheduler) for argument in MODES[mode] or []]
    return [*crfmap_command(), "convert-many", str(export.parent), *options, *many]


def measure(argv: list[str]) -> dict[str, float]:
    """One process: wall time (start included), CPU time of it and its waited-for children, peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} exited {code}:\n{stderr.decode(errors='replace')[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def published_digest(out: Path) -> str:
    """SHA-256 over every published file's relative path and bytes (OUT/fhir, OUT/sdtm; links followed)."""
    digest = hashlib.sha256()
    for top, folders, files in os.walk(out, followlinks=True):
        folders[:] = sorted(name for name in folders if name != ".crfmap")
        for name in sorted(files):
            path = Path(top) / name
            digest.update(path.relative_to(out).as_posix().encode() + b"\0")
            with path.open("rb") as file:  # in chunks: a child's peak RSS counts this process's at its start
                for chunk in iter(lambda file=file: file.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


@contextmanager
def running_cluster() -> Iterator[str]:
    """A dask scheduler and two single-threaded worker processes started apart, as an existing cluster (the
    README's commands), for `many-dask-addr-p2`; their address. Not in this process: a child's peak RSS would
    count this process's at its start."""
    dask = Path(sys.executable).parent / "dask"
    folder = CACHE / "cluster"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    address_file = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(address_file)], **quiet)
    workers = None
    try:
        for _ in range(600):
            if address_file.exists() and address_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        workers = subprocess.Popen([str(dask), "worker", "--scheduler-file", str(address_file), "--nworkers", "2",
                                    "--nthreads", "1", "--no-dashboard"], **quiet)
        time.sleep(8)  # crfmap waits for a first worker; both should be there before the first timed run
        yield address
    finally:
        for process in (workers, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)


def generate_inputs(patients: int) -> dict[str, tuple[Path, int]]:
    """Each input alone in a folder of its own: convert reads the export, convert-many the folder."""
    inputs = {}
    for kind in ("xlsx", "csv"):
        folder = CACHE / "inputs" / f"{patients}-{kind}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        export = folder / (f"study-{patients}.xlsx" if kind == "xlsx" else f"study-{patients}-csv")
        printed = subprocess.run([sys.executable, str(HERE / "generate.py"), "--patients", str(patients),
                                  "--out", str(export), "--format", kind], check=True, capture_output=True, text=True)
        inputs[kind] = (export, int(printed.stdout.split(": ")[1].split()[0]))
    return inputs


def run_rounds(inputs: dict[str, tuple[Path, int]], rounds: int, scheduler: str) -> tuple[list[dict], list[dict]]:
    runs, loads = [], []
    for number in range(1, rounds + 1):
        load_before = os.getloadavg()
        for kind, (export, rows) in inputs.items():
            for target in TARGETS:
                for mode in MODES:
                    out = CACHE / "out" / f"{kind}-{target}-{mode}"
                    shutil.rmtree(out, ignore_errors=True)
                    figures = measure(case_argv(mode, target, export, out, scheduler))
                    run = {"round": number, "format": kind, "target": target, "mode": mode, "rows": rows,
                           **figures, "digest": published_digest(out)}
                    runs.append(run)
                    print(f"  round {number} {kind:4s} {target:11s} {mode:16s} {figures['wall_s']:6.2f} s wall "
                          f"{figures['cpu_s']:6.2f} s CPU {figures['peak_rss_mib']:6.0f} MiB", flush=True)
        loads.append({"round": number, "before": load_before, "after": os.getloadavg()})
        print(f"  round {number}: load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after",
              flush=True)
    return runs, loads


def profile_phases(export: Path, target: str, out: Path, repeat: int = 3) -> dict[str, float]:
    """In one process (best of `repeat`), the path of a convert-many on this machine: one partition of the whole
    export (read, validate, map; its records set aside in a file of the run's folder), each half of two
    partitions, a half's result pickled both ways (what a worker process sends back: the file's name and its runs,
    not the records), and the driver's part (merge the partitions, read the records back from their files, the
    writers). From these, the best a pool of two processes could do on two free cores: the slower half, its
    transfer, then the driver's part, against one partition and the driver's part in one process."""
    import pickle
    import tempfile

    from crfmap.api import ConvertOptions, load_mapping
    from crfmap.api.many import _finish
    from crfmap.api.partitions import Partition, convert_partition

    from crfmap.cli import _tune_collector

    _tune_collector()  # the garbage collector as the command line sets it (a quarter of the CPU otherwise)
    mapping, _issues = load_mapping(STUDY)
    options = ConvertOptions(out=out, targets=(target.split("-")[0],),
                             writer_options={"fhir": {"ndjson": True}, "sdtm": {"transliterate": True}})
    spills = Path(tempfile.mkdtemp(prefix="crfmap-phases-"))

    def timed(work, prepare=lambda: None):
        """The best of `repeat` runs of `work(prepare())`, with `prepare` untimed: a pause of the garbage
        collector or the machine is noise."""
        best, value = float("inf"), None
        for _ in range(repeat):
            given = prepare()
            started = time.perf_counter()
            value = work(given)
            best = min(best, time.perf_counter() - started)
        return best, value

    def new_folder() -> str:  # a partition leaves its records in a new file: a folder per run, as convert-many's
        return tempfile.mkdtemp(dir=spills)

    def partition(index: int, count: int):
        return lambda folder: convert_partition(mapping, None, Partition(export.resolve(), index, count),
                                                spill_folder=folder)

    def driver(results):
        def prepare():  # each write makes OUT anew; the driver lets the list of results go as it merges them
            shutil.rmtree(out, ignore_errors=True)
            return list(results)
        return timed(lambda given: _finish(export.parent, mapping, [], given, 1, None, options, [], None, None),
                     prepare)[0]

    try:
        whole_s, whole = timed(partition(0, 1), new_folder)
        halves = [timed(partition(index, 2), new_folder) for index in range(2)]
        pickled = [timed(lambda _, result=result: pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
                   for _seconds, result in halves]
        sizes = [len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)) for _seconds, result in halves]
        driver_whole_s = driver([whole])
        driver_halves_s = driver([result for _seconds, result in halves])
    finally:
        shutil.rmtree(spills, ignore_errors=True)
    half_s = [seconds for seconds, _result in halves]
    figures = {"whole_partition_s": whole_s, "half_partition_s": half_s,
               "read_estimate_s": max(0.0, sum(half_s) - whole_s), "pickle_round_trip_s": [t for t, _ in pickled],
               "pickled_mib": [size / 2**20 for size in sizes], "driver_whole_s": driver_whole_s,
               "driver_halves_s": driver_halves_s}
    figures["one_process_s"] = whole_s + driver_whole_s
    figures["two_processes_best_s"] = max(half_s) + max(t for t, _ in pickled) + driver_halves_s
    return figures


def summarise(runs: list[dict]) -> list[dict]:
    cases = []
    for kind in dict.fromkeys(run["format"] for run in runs):
        for target in TARGETS:
            reference = [run for run in runs if (run["format"], run["target"], run["mode"]) == (kind, target,
                                                                                                 "convert")]
            base_wall = statistics.median(run["wall_s"] for run in reference)
            for mode in MODES:
                mine = [run for run in runs if (run["format"], run["target"], run["mode"]) == (kind, target, mode)]
                wall = statistics.median(run["wall_s"] for run in mine)
                cases.append({
                    "format": kind, "target": target, "mode": mode, "rows": mine[0]["rows"], "runs": len(mine),
                    "wall_best_s": min(run["wall_s"] for run in mine), "wall_median_s": wall,
                    "cpu_median_s": statistics.median(run["cpu_s"] for run in mine),
                    "peak_rss_mib": max(run["peak_rss_mib"] for run in mine),
                    "x_convert_wall": wall / base_wall,
                    "identical_to_convert": all(run["digest"] == reference[0]["digest"] for run in mine)})
    return cases


def markdown(result: dict) -> str:
    machine = result["machine"]
    loads = ", ".join(f"{load['before'][0]:.1f}→{load['after'][0]:.1f}" for load in result["loads"])
    lines = [(f"Run {result['date']}, {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}; "
             f"{result['patients']:,} patients; {result['rounds']} interleaved round(s), {result['minutes']:.1f} min "
             f"in all; 1-min load average before→after each round: {loads}. Wall: median (best) of the rounds, with "
             "process start (and, for dask without an address, the start and stop of its LocalCluster); CPU: the "
             "process and its worker processes (at an address: the driver only); × convert: median wall over `convert`'s; identical: every published file byte "
             "for byte that of `convert`."), "",
             "| input | target | run | rows | wall | × convert | CPU | peak RSS (largest process) | identical |",
             "|---|---|---|---|---|---|---|---|---|"]
    for case in result["cases"]:
        lines.append(f"| {case['format']} | {case['target']} | {case['mode']} | {case['rows']:,} | "
                     f"{case['wall_median_s']:.2f} s ({case['wall_best_s']:.2f}) | {case['x_convert_wall']:.2f} | "
                     f"{case['cpu_median_s']:.2f} s | {case['peak_rss_mib']:.0f} MiB | "
                     f"{'yes' if case['identical_to_convert'] else 'NO'} |")
    lines += ["", (f"Where an SDTM run's time goes on this machine's executors (the partitions leave their records "
              f"in files for the driver), in one process (load average "
              f"{result['phases'][0]['load_average_before'][0]:.1f} before): one partition of the whole export (read, "
              "validate, map, records set aside); each of two halves (`--partitions 2`: each reads the whole export); "
              "a half's result pickled and unpickled (what a worker process sends back); the driver's part (merge, "
              "records read back from the partitions' files, the writers), after one partition and after two; and "
              "from these the best two processes on two free cores could do (the slower half, its transfer, the "
              "driver's part) against one process."), "",
              ("| input | target | whole | halves | read (≈ halves − whole) | half's pickle round trip (size) | "
               "driver, after one / two | one process | two processes at best |"),
              "|---|---|---|---|---|---|---|---|---|"]
    for phase in result["phases"]:
        halves = " + ".join(f"{seconds:.2f}" for seconds in phase["half_partition_s"])
        transfer = ", ".join(f"{seconds * 1000:.1f} ms ({size * 1024:.0f} KiB)" for seconds, size in
                             zip(phase["pickle_round_trip_s"], phase["pickled_mib"], strict=True))
        lines.append(f"| {phase['format']} | {phase['target']} | {phase['whole_partition_s']:.2f} s | {halves} s | "
                     f"{phase['read_estimate_s']:.2f} s | {transfer} | {phase['driver_whole_s']:.2f} / "
                     f"{phase['driver_halves_s']:.2f} s | {phase['one_process_s']:.2f} s | "
                     f"{phase['two_processes_best_s']:.2f} s |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="parallel", help="results/<name>.json and .md")
    arguments = parser.parse_args()
    started = time.perf_counter()
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    machine = {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}
    inputs = generate_inputs(arguments.patients)
    with running_cluster() as scheduler:
        runs, loads = run_rounds(inputs, arguments.rounds, scheduler)
    phases_load = os.getloadavg()
    phases = [{"format": kind, "target": target, "load_average_before": phases_load,
               **profile_phases(export, target, CACHE / "out" / "phases")}
              for kind, (export, _rows) in inputs.items() for target in TARGETS if target == "sdtm"]
    result = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine,
              "patients": arguments.patients, "rounds": arguments.rounds, "loads": loads,
              "minutes": (time.perf_counter() - started) / 60, "cases": summarise(runs), "phases": phases,
              "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{arguments.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{arguments.name}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
