"""The speed and memory benchmark of issue #16, in one run: crfmap against the I/O floor and against a peer.

    python benchmarks/run.py                      # 500 and 2,000 patients (≈4.7k and 19k rows), ≈ 5-10 min
    python benchmarks/run.py --patients 250 --rounds 1 --skip-peer   # a quick look
    python benchmarks/run.py --reference-only     # only the 14-patient reference convert (issue #16: ≤ 0.5 s)

For two sizes 4× apart, on xlsx and on a folder of csv (benchmarks/generate.py), it times as separate processes,
interleaved (each round runs every case once, so a change of machine load hits all of them alike):
the floor (benchmarks/floor.py: read every cell, write one compact JSON line per row), `crfmap validate`,
`crfmap convert --to fhir --ndjson`, `--to fhir` (bundles only) and `--to sdtm` (XPT + Dataset-JSON,
--transliterate: the Russian sites' text). Each case: wall time with process start (the best of the rounds),
rows/s, ratio to the floor of the same input, peak RSS of the process (its own ru_maxrss, from wait4) and how
time and memory grow from the small size to the large one. Then the 50,000-row lab csv (dd.mm.yyyy dates, one
Observation per row, benchmarks/lab_mapping) through `crfmap convert --to fhir --ndjson` and through
python-fhir-converter (benchmarks/peer_fhir_converter.py, installed into its own venv under benchmarks/.cache/),
and the 14-patient reference convert (fixtures/blinatumomab_ped_all/clean.xlsx, both targets, median of 5).

Writes benchmarks/results/latest.json (every measurement, the machine, the load average before and after) and
benchmarks/results/latest.md (the table the README quotes). Absolute times move with the machine's load;
compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import venv
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"  # git-ignored: generated inputs, outputs, the peer's venv
RESULTS = HERE / "results"
STUDY = ROOT / "mappings" / "blinatumomab_ped_all"
LAB_STUDY = HERE / "lab_mapping"
TWO_PROCESSES = "crfmap, 2 processes"
REFERENCE = ROOT / "fixtures" / "blinatumomab_ped_all" / "clean.xlsx"
PEER_PACKAGE = "python-fhir-converter==0.3.0"
COMMANDS = ("floor", "validate", "fhir-ndjson", "fhir-bundles", "sdtm")
TARGETS = {"validate": 1.5, "fhir-ndjson": 2.0, "sdtm": 2.0}  # × the floor (issue #16)
MEMORY_GROWTH_TARGET = 1.2  # 4× the rows → at most 1.2× the peak RSS (NDJSON and SDTM)


def crfmap_command() -> list[str]:
    script = Path(sys.executable).parent / "crfmap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crfmap"]


def case_argv(command: str, source: Path, out: Path) -> list[str]:
    if command == "floor":
        return [sys.executable, str(HERE / "floor.py"), str(source), str(out / "floor.ndjson")]
    base = crfmap_command()
    if command == "validate":
        return [*base, "validate", str(source), "--study", str(STUDY), "--format", "concise", "-q"]
    convert = [*base, "convert", str(source), "--study", str(STUDY), "--out", str(out), "-q"]
    return convert + {"fhir-ndjson": ["--to", "fhir", "--ndjson"], "fhir-bundles": ["--to", "fhir"],
                      "sdtm": ["--to", "sdtm", "--transliterate"]}[command]


def measure(argv: list[str], expect: tuple[int, ...] = (0,)) -> dict[str, float]:
    """Run one process; its wall time (process start included), CPU time and own peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in expect:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}:\n{stderr.decode(errors='replace')[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def generate_inputs(sizes: list[int]) -> dict[tuple[int, str], tuple[Path, int]]:
    inputs = {}
    for patients in sizes:
        for kind, path in (("xlsx", CACHE / "inputs" / f"study-{patients}.xlsx"),
                           ("csv", CACHE / "inputs" / f"study-{patients}-csv")):
            extra = ["--format", "csv"] if kind == "csv" else []
            printed = subprocess.run([sys.executable, str(HERE / "generate.py"), "--patients", str(patients),
                                      "--out", str(path), *extra], check=True, capture_output=True, text=True)
            inputs[(patients, kind)] = (path, int(printed.stdout.split(": ")[1].split()[0]))
    return inputs


def peer_python() -> Path:
    """python-fhir-converter in its own venv (it pins lxml and others), created once under the cache."""
    folder = CACHE / "peer-venv"
    python = folder / "bin" / "python"
    marker = folder / "installed.txt"
    if not marker.exists() or marker.read_text() != PEER_PACKAGE:
        shutil.rmtree(folder, ignore_errors=True)
        venv.create(folder, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_PACKAGE], check=True)
        marker.write_text(PEER_PACKAGE)
    return python


def run_study_cases(inputs: dict, rounds: int) -> dict[str, list[dict]]:
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for (patients, kind), (source, rows) in inputs.items():
            for command in COMMANDS:
                out = CACHE / "out" / f"{patients}-{kind}-{command}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                figures = measure(case_argv(command, source, out))
                key = f"{patients}/{kind}/{command}"
                print(f"  {key:28s} {figures['wall_s']:7.2f} s {figures['peak_rss_mib']:7.1f} MiB", flush=True)
                previous = best.get(key)
                if previous is None or figures["wall_s"] < previous["wall_s"]:
                    best[key] = {"patients": patients, "format": kind, "command": command, "rows": rows, **figures}
    return {"cases": list(best.values())}


def run_lab(rows: int, skip_peer: bool) -> dict:
    source = CACHE / "inputs" / f"lab-{rows}" / "lab.csv"  # the sheet is the file's stem: form labs reads "lab"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--lab-rows", str(rows), "--out", str(source)],
                   check=True, capture_output=True)
    out = CACHE / "out" / "lab"
    shutil.rmtree(out, ignore_errors=True)
    crfmap = measure([*crfmap_command(), "convert", str(source), "--study", str(LAB_STUDY), "--out", str(out),
                      "--to", "fhir", "--ndjson", "-q"])
    from parallel import published_digest  # benchmarks/parallel.py, beside this script

    one_process = published_digest(out)
    # the same file on both cores: convert-many's partitions write their subjects' bundles and NDJSON lines
    shutil.rmtree(out, ignore_errors=True)
    two = measure([*crfmap_command(), "convert-many", str(source.parent), "--study", str(LAB_STUDY), "--out", str(out),
                   "--to", "fhir", "--ndjson", "-q", "--executor", "processes", "--workers", "2", "--partitions", "2"])
    two["identical"] = published_digest(out) == one_process
    result = {"rows": rows, "crfmap": crfmap, TWO_PROCESSES: two}
    if not skip_peer:
        python = peer_python()
        result["python-fhir-converter"] = measure([str(python), str(HERE / "peer_fhir_converter.py"), str(source),
                                                   str(CACHE / "out" / "lab-peer.ndjson")])
    print(f"  lab {rows} rows: {json.dumps(result)}", flush=True)
    return result


def run_reference(repeat: int = 5) -> dict:
    out = CACHE / "out" / "reference"
    runs = []
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        runs.append(measure([*crfmap_command(), "convert", str(REFERENCE), "--study", str(STUDY), "--out", str(out),
                             "-q"]))
    result = {"runs": len(runs), "wall_s": statistics.median(run["wall_s"] for run in runs),
              "cpu_s": statistics.median(run["cpu_s"] for run in runs),
              "best_wall_s": min(run["wall_s"] for run in runs), "best_cpu_s": min(run["cpu_s"] for run in runs),
              "peak_rss_mib": statistics.median(run["peak_rss_mib"] for run in runs)}
    print(f"  reference convert: {result}", flush=True)
    return result


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.system(),
            "load_average_before": os.getloadavg()}


def summarise(result: dict) -> None:
    """Add ratios to the floor and growth from the small size to the large one."""
    cases = {(case["patients"], case["format"], case["command"]): case for case in result["cases"]}
    small, large = result["sizes"]
    for (patients, kind, command), case in cases.items():
        case["rows_per_s"] = case["rows"] / case["wall_s"]
        case["x_floor"] = case["wall_s"] / cases[(patients, kind, "floor")]["wall_s"]
        if patients == large:
            before = cases[(small, kind, command)]
            case["time_growth"] = case["wall_s"] / before["wall_s"]
            case["rss_growth"] = case["peak_rss_mib"] / before["peak_rss_mib"]
            case["rows_growth"] = case["rows"] / before["rows"]


def verdict(value: float, limit: float, unit: str = "×") -> str:
    return f"met ({value:.2f}{unit} ≤ {limit}{unit})" if value <= limit else f"missed: {value:.2f}{unit} > {limit}{unit}"


def markdown(result: dict) -> str:
    small, large = result["sizes"]
    machine = result["machine"]
    lines = [f"Run {result['date']}, {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, load "
             f"average {machine['load_average_before'][0]:.1f} before and {machine['load_average_after'][0]:.1f} "
             f"after; best of {result['rounds']} round(s), {result.get('minutes', 0):.1f} min in all. Times are wall "
             "clock with process start; × floor is the "
             "time over the floor's on the same input; growth is large size over small (rows "
             f"×{result['rows_growth']:.1f}).", "",
             f"| input | command | rows ({small} → {large} patients) | time | × floor | time | rows/s | × floor | CPU "
             "| time growth | peak RSS | RSS growth | target |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cases = {(case["patients"], case["format"], case["command"]): case for case in result["cases"]}
    for kind in ("xlsx", "csv"):
        for command in COMMANDS:
            low, high = cases[(small, kind, command)], cases[(large, kind, command)]
            targets = []
            if command in TARGETS:
                targets.append(f"time {verdict(high['x_floor'], TARGETS[command])}")
                if command != "validate":
                    targets.append(f"RSS {verdict(high['rss_growth'], MEMORY_GROWTH_TARGET)}")
            lines.append(f"| {kind} | {command} | {low['rows']:,} → {high['rows']:,} | {low['wall_s']:.2f} s | "
                         f"{low['x_floor']:.1f} | {high['wall_s']:.2f} s | {high['rows_per_s']:,.0f} | "
                         f"{high['x_floor']:.1f} | {high['cpu_s']:.2f} s | {high['time_growth']:.2f} | "
                         f"{low['peak_rss_mib']:.0f} → {high['peak_rss_mib']:.0f} MiB | {high['rss_growth']:.2f} | "
                         f"{'; '.join(targets)} |")
    lab = result.get("lab")
    if lab:
        same = lab.get(TWO_PROCESSES, {}).get("identical")
        lines += ["", f"Lab csv, {lab['rows']:,} rows, one Observation each (`convert --to fhir --ndjson`, which "
                      "also writes the bundles; and the same through `convert-many --executor processes --workers 2 "
                      "--partitions 2`, "
                      f"{'byte for byte the same files' if same else 'NOT the same files'}):", "",
                  "| tool | time | CPU | rows/s | peak RSS |", "|---|---|---|---|---|"]
        for tool in ("crfmap", TWO_PROCESSES, "python-fhir-converter"):
            if tool in lab:
                figures = lab[tool]
                lines.append(f"| {tool} | {figures['wall_s']:.2f} s | {figures['cpu_s']:.2f} s | "
                             f"{lab['rows'] / figures['wall_s']:,.0f} | {figures['peak_rss_mib']:.0f} MiB |")
        if "python-fhir-converter" in lab:
            ratio = lab["python-fhir-converter"]["wall_s"] / lab["crfmap"]["wall_s"]
            state = "met" if ratio >= 10 else "missed"
            lines.append(f"\ncrfmap's rows/s = {ratio:.2f}× python-fhir-converter's (target ≥ 10×: {state}).")
            if TWO_PROCESSES in lab:
                ratio = lab["python-fhir-converter"]["wall_s"] / lab[TWO_PROCESSES]["wall_s"]
                state = "met" if ratio >= 10 else "missed"
                lines.append(f"On both cores: {ratio:.2f}× (target ≥ 10×: {state}).")
    reference = result.get("reference")
    if reference:
        lines += ["", f"14-patient reference convert (fhir + sdtm), process start included, median of "
                      f"{reference['runs']}: {reference['wall_s']:.2f} s ({reference.get('cpu_s', 0):.2f} s of CPU), "
                      f"{reference['peak_rss_mib']:.0f} MiB "
                      f"(target ≤ 0.5 s: {verdict(reference['wall_s'], 0.5, ' s')})."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500, help="the small size; the large one is 4×")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best of them is kept")
    parser.add_argument("--lab-rows", type=int, default=50_000)
    parser.add_argument("--skip-peer", action="store_true", help="do not install or run python-fhir-converter")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest", help="writes OUTPUT.json and OUTPUT.md")
    parser.add_argument("--reference-only", action="store_true",
                        help="only the 14-patient reference convert (seconds, not minutes), printed; no results files")
    arguments = parser.parse_args(argv)
    if arguments.reference_only:
        print(json.dumps({"machine": machine(), "reference": run_reference()}, indent=2))
        return 0
    sizes = [arguments.patients, 4 * arguments.patients]
    started = time.perf_counter()
    result: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                    "sizes": sizes, "rounds": arguments.rounds}
    print("generating inputs", flush=True)
    inputs = generate_inputs(sizes)
    result["rows_growth"] = inputs[(sizes[1], "xlsx")][1] / inputs[(sizes[0], "xlsx")][1]
    print("study export cases", flush=True)
    result.update(run_study_cases(inputs, arguments.rounds))
    summarise(result)
    print("lab csv", flush=True)
    result["lab"] = run_lab(arguments.lab_rows, arguments.skip_peer)
    print("reference study", flush=True)
    result["reference"] = run_reference()
    result["machine"]["load_average_after"] = os.getloadavg()
    result["minutes"] = (time.perf_counter() - started) / 60
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = markdown(result)
    arguments.output.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
