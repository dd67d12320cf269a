"""Issue #16's third route, measured: crfmap's hot modules compiled with mypyc, against the same code interpreted.

    python benchmarks/prototype_compiled.py                  # build (≈1.5 min), then 3 interleaved rounds (≈5 min)
    python benchmarks/prototype_compiled.py --rounds 5 --perf --keep
    python benchmarks/prototype_compiled.py --work DIR --no-build   # time again a copy built by --keep

A prototype, not a build option: the package stays pure Python. The script copies `src/crfmap` twice into a
temporary folder, `pure/` and `compiled/`, and compiles with mypyc (the `lint` extra's mypy, with the repository's
mypy configuration) the modules of `COMPILED` in `compiled/` (`build_ext --inplace` through mypyc's command line:
each module's extension sits beside its .py and is imported first). Both copies run from the same source as
separate processes, `python -m crfmap` with PYTHONPATH pointing at the copy, bytecode caching on (a warm-up run
writes the .pyc files first). Each round, interleaved (the order of pure and compiled alternates per round):

- `crfmap validate --format concise -q` and `crfmap convert --to fhir --ndjson -q` on the 2,000-patient export
  (`generate.py`), as xlsx and as a folder of csv: the commands and inputs `run.py` times;
- `convert --to fhir --ndjson` on the 50,000-row lab csv with `lab_mapping/`, as `run.py` does;
- `validate` on the 14-patient reference workbook: mostly process start and imports;
- the floor (`floor.py`) on each of the three inputs, and python-fhir-converter on the lab csv (run.py's peer,
  in its venv under the git-ignored `benchmarks/.cache/`; `--skip-peer` leaves it out).

Each run: CPU time (user + system) and peak RSS of the child, from `os.wait4`. The table shows the median CPU of
the rounds; × floor is crfmap's CPU over the floor's on the same input (CPU, not wall as in run.py: the machine
is shared). Every run's output is checked: the OUT folder's files and the printed report must be byte for byte
the same in both copies and every round; then, untimed, the JSON report of `validate`, the JSON report of the
convert (`--report`) and its files, for every input and for the messy fixture (one cell of each problem, converted
with --allow-errors --allow-unmapped), and `convert --to sdtm --transliterate` of the xlsx (compiled modules feed
it too) are compared. A difference is printed loudly, marked in the results, and the exit status is 1.

`--perf` also records the compiled and the pure run of each crfmap case with Linux `perf` (cpu-clock samples,
self time by shared object): how much CPU is left in the bytecode interpreter (`_PyEval_EvalFrameDefault`) and the
rest of libpython (split by kind of work from its functions' names: attributes, dicts, allocation, GC, str and
re, calls), how much in the mypyc extension, and in lxml, orjson, the kernel (perf's own sampling adds to the
kernel's share).

`--tests PATH …` then runs those test paths of the repository against the compiled copy and lists what fails:
compiled code checks annotations at run time (an int where `float` is declared, None where `bool` is), and
ignores monkeypatching of its functions.

Modules left interpreted, and why (see `NOT_COMPILED`): mypyc refuses a class that subclasses `str`
(`sources/positions.py`) and class attributes read through the class without `ClassVar`/`Final`
(`readers/excel_dates.py`); its C for `writers/fhir_r4/targets.py` (pydantic models) does not compile;
`values/dates.py` compiles but fails at run time, because `match_iso` returns a list where its annotation says a
tuple (hidden from mypy by a `type: ignore`), which compiled code checks; and `model/dates.py` and
`model/records.py` compile, but as native classes they lose the slot descriptors through which
`model/spool.py` pickles records.

Writes results/compiled.json (every run) and results/compiled.md (the table).
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from run import PEER_PACKAGE, peer_python

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCE = ROOT / "src" / "crfmap"
CACHE = HERE / ".cache"  # git-ignored
RESULTS = HERE / "results"
STUDY = ROOT / "mappings" / "blinatumomab_ped_all"
LAB_STUDY = HERE / "lab_mapping"
REFERENCE = ROOT / "fixtures" / "blinatumomab_ped_all" / "clean.xlsx"
MESSY = ROOT / "fixtures" / "blinatumomab_ped_all" / "messy.xlsx"  # one cell of each problem: the issues' paths

# The modules that profiles of validate and convert --to fhir --ndjson (xlsx, csv, lab csv) show hot: together
# ≈80 % of crfmap's own Python time in those runs. Paths under src/.
COMPILED = (
    "crfmap/readers/xlsx.py", "crfmap/readers/csv.py",
    "crfmap/validate/__init__.py", "crfmap/validate/checks.py", "crfmap/validate/context.py",
    "crfmap/validate/duplicates.py", "crfmap/validate/header.py", "crfmap/validate/plan.py",
    "crfmap/validate/row_issues.py", "crfmap/validate/rules.py", "crfmap/validate/select.py",
    "crfmap/validate/sheet.py", "crfmap/validate/sheets.py", "crfmap/validate/wide.py",
    "crfmap/values/__init__.py", "crfmap/values/booleans.py", "crfmap/values/cells.py", "crfmap/values/coded.py",
    "crfmap/values/numbers.py", "crfmap/values/problems.py", "crfmap/values/row.py",
    "crfmap/mapping/__init__.py", "crfmap/mapping/engine.py", "crfmap/mapping/operations.py",
    "crfmap/model/__init__.py", "crfmap/model/spool.py",
    "crfmap/sources/__init__.py", "crfmap/sources/files.py", "crfmap/sources/text.py",
    "crfmap/issues/issue.py", "crfmap/issues/report.py", "crfmap/issues/text.py", "crfmap/issues/wording.py",
    "crfmap/api/validation.py",
    "crfmap/writers/fhir_r4/__init__.py", "crfmap/writers/fhir_r4/adverse_event.py",
    "crfmap/writers/fhir_r4/build.py", "crfmap/writers/fhir_r4/clinical.py", "crfmap/writers/fhir_r4/context.py",
    "crfmap/writers/fhir_r4/datatypes.py", "crfmap/writers/fhir_r4/emit.py", "crfmap/writers/fhir_r4/entry.py",
    "crfmap/writers/fhir_r4/extensions.py", "crfmap/writers/fhir_r4/ids.py",
    "crfmap/writers/fhir_r4/interventions.py", "crfmap/writers/fhir_r4/options.py",
    "crfmap/writers/fhir_r4/provenance.py", "crfmap/writers/fhir_r4/search_parameters.py",
    "crfmap/writers/fhir_r4/strict.py", "crfmap/writers/fhir_r4/subject.py", "crfmap/writers/fhir_r4/writer.py",
)
NOT_COMPILED = {
    "crfmap/sources/positions.py": "mypyc: 'Inheriting from most builtin types is unimplemented' (FlawedText "
                                   "subclasses str; would need @mypyc_attr(native_class=False))",
    "crfmap/readers/excel_dates.py": "mypyc: 'Cannot access instance attribute \"NONE\" through class object' "
                                     "(DateKind's constants are not declared ClassVar or Final)",
    "crfmap/writers/fhir_r4/targets.py": "mypyc's C does not compile (pydantic models: 'CPyModule_pydantic___main' "
                                         "undeclared)",
    "crfmap/model/dates.py": "compiles, but its classes become native ones, without the slot descriptors "
                             "model/spool.py pickles records through (TypeError on import: 'PartialDate.year is not "
                             "a slot')",
    "crfmap/model/records.py": "the same as model/dates.py (Coding, Coded, Quantity and the record classes)",
    "crfmap/values/dates.py": "compiles, but fails at run time: match_iso returns a list where its annotation "
                              "says a tuple (under a type: ignore); compiled code checks it (TypeError)",
}
VARIANTS = ("pure", "compiled")


@dataclass(frozen=True)
class Case:
    command: str  # validate | fhir-ndjson
    input: str  # xlsx | csv | lab
    source: Path
    study: Path
    rows: int


def child_env(copy: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if copy is None:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = str(copy)
    return env


def measure(argv: list[str], env: dict[str, str], stdout_path: Path | None = None,
            expect: tuple[int, ...] = (0,)) -> dict[str, float]:
    """One process: its CPU time (user + system) and own peak RSS from wait4, its wall time with start.

    A child's ru_maxrss starts from this process's own high-water mark (Linux keeps it across the fork and exec),
    so this process never holds an output in memory: files are hashed and compared in chunks."""
    started = time.perf_counter()
    with open(stdout_path or os.devnull, "wb") as stdout:
        process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
        stderr = process.stderr.read() if process.stderr else b""
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        raise SystemExit(f"{' '.join(argv)} exited {code}:\n{stderr.decode(errors='replace')[-3000:]}")
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "peak_rss_mib": usage.ru_maxrss / 1024,
            "exit": code}


def published(path: Path) -> dict[str, Path]:
    """A file, or a folder's files as a user sees them: relative name → file, following OUT's links to the
    current run, never inside `.crfmap` (each run's folder there has its own random name)."""
    if path.is_file():
        return {path.name: path}
    files = {}
    for folder, subfolders, names in os.walk(path, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if name != ".crfmap")
        for name in names:
            files[str((Path(folder) / name).relative_to(path))] = Path(folder) / name
    return files


def digest(path: Path) -> str:
    """One hash of a file or of a folder's published files (relative names and bytes, in sorted order)."""
    hashed = hashlib.sha256()
    for name, file in sorted(published(path).items()):
        with file.open("rb") as stream:  # in chunks: this process stays small (see measure)
            hashed.update(name.encode() + b"\0" + hashlib.file_digest(stream, "sha256").digest())
    return hashed.hexdigest()


def differing_files(left: Path, right: Path) -> list[str]:
    """The published files that are not byte for byte the same (or are missing on one side)."""
    ones, others = published(left), published(right)
    return sorted(name for name in ones.keys() | others.keys() if name not in ones or name not in others
                  or not filecmp.cmp(ones[name], others[name], shallow=False))


def shown(names: list[str]) -> str:
    return f"{len(names)} file(s): {', '.join(names[:5])}{' …' if len(names) > 5 else ''}"


def copy_sources(work: Path) -> None:
    for variant in VARIANTS:
        shutil.rmtree(work / variant, ignore_errors=True)
        shutil.copytree(SOURCE, work / variant / "crfmap", ignore=shutil.ignore_patterns("__pycache__", "*.so"))


def build(work: Path) -> dict[str, object]:
    """mypyc, from this interpreter's environment, on COMPILED in the compiled copy; the build's wall time."""
    mypyc = Path(sys.executable).parent / "mypyc"
    argv = [str(mypyc), "--config-file", str(ROOT / "pyproject.toml"), *COMPILED]
    started = time.perf_counter()
    built = subprocess.run(argv, cwd=work / "compiled", capture_output=True, text=True, env=child_env(None),
                           check=False)
    seconds = time.perf_counter() - started
    (work / "build.log").write_text(built.stdout + built.stderr, encoding="utf-8")
    if built.returncode != 0:
        raise SystemExit(f"mypyc failed ({work / 'build.log'}):\n{(built.stdout + built.stderr)[-3000:]}")
    extensions = sorted(str(p.relative_to(work / "compiled")) for p in (work / "compiled" / "crfmap").rglob("*.so"))
    return {"seconds": seconds, "extensions": len(extensions),
            "argv": ["mypyc", "--config-file", "pyproject.toml", *COMPILED]}


def check_imports(work: Path) -> dict[str, str]:
    """Which file each module is loaded from in each copy: compiled modules from their extension, others .py."""
    names = [path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
             for path in (*COMPILED, *NOT_COMPILED)]
    script = ("import importlib, json, sys\n"
              "print(json.dumps({n: importlib.import_module(n).__file__ for n in sys.argv[1:]}))")
    loaded: dict[str, str] = {}
    for variant in VARIANTS:
        imported = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True,
                                  check=False, env=child_env(work / variant))
        if imported.returncode != 0:
            raise SystemExit(f"{variant}: importing the modules failed:\n{imported.stderr[-3000:]}")
        files = json.loads(imported.stdout)
        for name, file in files.items():
            if not file.startswith(str(work / variant)):
                raise SystemExit(f"{variant}: {name} loaded from {file}, not from the copy")
            compiled = file.endswith(".so")
            wanted = variant == "compiled" and any(
                name == path.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for path in COMPILED)
            if compiled != wanted:
                raise SystemExit(f"{variant}: {name} loaded from {file}")
        loaded.update({f"{variant}:{name}": Path(file).name for name, file in files.items()})
    return loaded


def generate_inputs(patients: int, lab_rows: int) -> list[Case]:
    folder = CACHE / "inputs"
    xlsx, csv = folder / f"study-{patients}.xlsx", folder / f"study-{patients}-csv"
    lab = folder / "lab-compiled" / "lab.csv"  # the sheet is the file's stem: lab_mapping's form reads "lab"
    rows = {}
    for name, argv in (("xlsx", ["--patients", str(patients), "--out", str(xlsx)]),
                       ("csv", ["--patients", str(patients), "--out", str(csv), "--format", "csv"]),
                       ("lab", ["--lab-rows", str(lab_rows), "--out", str(lab)])):
        printed = subprocess.run([sys.executable, str(HERE / "generate.py"), *argv], check=True,
                                 capture_output=True, text=True).stdout
        rows[name] = int(printed.split(": ")[1].split()[0])
    return [Case("validate", "xlsx", xlsx, STUDY, rows["xlsx"]), Case("validate", "csv", csv, STUDY, rows["csv"]),
            Case("fhir-ndjson", "xlsx", xlsx, STUDY, rows["xlsx"]),
            Case("fhir-ndjson", "csv", csv, STUDY, rows["csv"]),
            Case("fhir-ndjson", "lab", lab, LAB_STUDY, rows["lab"]),
            Case("validate", "reference", REFERENCE, STUDY, 0)]  # 14 patients: start-up and imports


def crfmap_argv(case: Case, out: Path) -> list[str]:
    base = [sys.executable, "-m", "crfmap"]
    if case.command == "validate":
        return [*base, "validate", str(case.source), "--study", str(case.study), "--format", "concise", "-q"]
    return [*base, "convert", str(case.source), "--study", str(case.study), "--out", str(out), "--to", "fhir",
            "--ndjson", "-q"]


def timed_rounds(work: Path, cases: list[Case], rounds: int, peer: Path | None) -> tuple[list[dict], list[str]]:
    runs: list[dict] = []
    mismatches: list[str] = []
    first_digest: dict[str, str] = {}
    floors = {case.input: case.source for case in cases}
    for round_number in range(rounds):
        order = VARIANTS if round_number % 2 == 0 else VARIANTS[::-1]
        for name, source in floors.items():
            figures = measure([sys.executable, str(HERE / "floor.py"), str(source), str(work / "floor.ndjson")],
                              child_env(None))
            runs.append({"round": round_number, "command": "floor", "input": name, **figures})
        if peer is not None:
            lab = next(case for case in cases if case.input == "lab")
            figures = measure([str(peer), str(HERE / "peer_fhir_converter.py"), str(lab.source),
                               str(work / "peer.ndjson")], child_env(None))
            runs.append({"round": round_number, "command": "python-fhir-converter", "input": "lab", **figures})
        for case in cases:
            for variant in order:
                out = work / "out" / variant / f"{case.command}-{case.input}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                stdout = work / "out" / variant / f"{case.command}-{case.input}.stdout"
                figures = measure(crfmap_argv(case, out), child_env(work / variant), stdout,
                                  expect=(0, 1) if case.command == "validate" else (0,))
                key = f"{case.command}/{case.input}"
                produced = f"{figures['exit']}:{digest(out)}:{digest(stdout)}"
                if key not in first_digest:
                    first_digest[key] = produced
                elif produced != first_digest[key]:
                    other = work / "out" / VARIANTS[1 - VARIANTS.index(variant)] / out.name  # its latest run
                    mismatches.append(f"{key}: {variant} round {round_number + 1} differs from the first run "
                                      f"(exit, printed report or files; against the other copy's latest run: "
                                      f"{shown(differing_files(other, out))})")
                runs.append({"round": round_number, "command": case.command, "input": case.input,
                             "variant": variant, "rows": case.rows, "output_sha256": produced, **figures})
                print(f"  round {round_number + 1} {key:20s} {variant:8s} {figures['cpu_s']:6.2f} s CPU "
                      f"{figures['peak_rss_mib']:6.0f} MiB", flush=True)
    return runs, mismatches


def identity_pass(work: Path, cases: list[Case]) -> tuple[dict[str, bool], list[str]]:
    """Untimed: the full JSON reports and an SDTM convert, pure against compiled."""
    checks: dict[str, bool] = {}
    mismatches: list[str] = []
    studies = {case.input: (case.source, case.study) for case in cases}
    jobs: list[tuple[str, list[str], bool]] = []
    for name, (source, study) in studies.items():
        jobs.append((f"validate --format json/{name}", ["validate", str(source), "--study", str(study), "--format",
                                                        "json"], False))
        jobs.append((f"convert --to fhir --ndjson --report .json/{name}",
                     ["convert", str(source), "--study", str(study), "--to", "fhir", "--ndjson", "-q"], True))
    jobs.append(("validate --format json/messy", ["validate", str(MESSY), "--study", str(STUDY), "--format", "json"],
                 False))
    jobs.append(("convert --to fhir --ndjson --allow-errors --allow-unmapped --report .json/messy",
                 ["convert", str(MESSY), "--study", str(STUDY), "--to", "fhir", "--ndjson", "--allow-errors",
                  "--allow-unmapped", "-q"], True))
    source, study = studies["xlsx"]
    jobs.append(("convert --to sdtm --transliterate/xlsx",
                 ["convert", str(source), "--study", str(study), "--to", "sdtm", "--transliterate", "-q"], True))
    for label, arguments, writes in jobs:
        folders = {}
        for variant in VARIANTS:
            folder = work / "identity" / variant / label.replace("/", "-").replace(" ", "_")
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            extra = ["--out", str(folder / "out"), "--report", str(folder / "report.json")] if writes else []
            measure([sys.executable, "-m", "crfmap", *arguments, *extra], child_env(work / variant),
                    folder / "stdout", expect=(0, 1))
            folders[variant] = folder
        different = differing_files(folders["pure"], folders["compiled"])
        checks[label] = not different
        if different:
            mismatches.append(f"{label}: {shown(different)} differ")
        print(f"  identity {label}: {'same bytes' if not different else 'DIFFERENT'}", flush=True)
    return checks, mismatches


def perf_profiles(work: Path, cases: list[Case]) -> dict[str, dict[str, dict[str, float]]]:
    """Self time by shared object (and the bytecode loop) of one run per case and variant, from Linux perf."""
    profiles: dict[str, dict[str, dict[str, float]]] = {}
    for case in cases:
        key = f"{case.command}/{case.input}"
        profiles[key] = {}
        for variant in VARIANTS:
            data = work / "perf" / f"{variant}-{case.command}-{case.input}.data"
            data.parent.mkdir(parents=True, exist_ok=True)
            out = work / "perf" / "out"
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(["perf", "record", "-q", "-F", "999", "-o", str(data), "--", *crfmap_argv(case, out)],
                           env=child_env(work / variant), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
            report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "dso,sym",
                                     "--percent-limit", "0"], capture_output=True, text=True, check=True).stdout
            profiles[key][variant] = shares(report)
            print(f"  perf {key} {variant}: {profiles[key][variant]}", flush=True)
    return profiles


RUNTIME_KINDS = (  # libpython's functions by what they do, from their names (first match wins)
    ("gc", re.compile(r"^gc_|visit_|GC_|subtract_refs|move_unreachable|update_refs|deduce_unreachable")),
    ("attributes", re.compile(r"GetAttr|SetAttr|getattr|setattr|getattro|setattro|_PyType_Lookup|getset_|descr|"
                              r"GetMethod|slot_tp_|LookupSpecial")),
    ("dicts", re.compile(r"dict|keys_", re.IGNORECASE)),
    ("allocation", re.compile(r"Malloc|Free|alloc|dealloc|Dealloc|NewReference|Trash|_clear|free_")),
    ("str, re", re.compile(r"unicode|Unicode|sre_|_sre|bytes|Bytes")),
    ("calls, frames", re.compile(r"Call|call|Vectorcall|vectorcall|Frame|frame|Args|args")),
)
RUNTIME_GROUPS = (*(kind for kind, _ in RUNTIME_KINDS), "other")


def runtime_kind(symbol: str) -> str:
    return next((kind for kind, pattern in RUNTIME_KINDS if pattern.search(symbol)), "other")


PERF_GROUPS = ("eval loop", "libpython (other)", "mypyc extension", "lxml", "orjson", "kernel", "other")


def shares(report: str) -> dict[str, float]:
    """CPU seconds by group from perf's `dso,sym` report: the bytecode loop, the rest of libpython (objects,
    dicts, attributes, allocation, GC), the mypyc extension, lxml, orjson, the kernel, the rest."""
    total = 0.0
    groups: dict[str, float] = {}
    for line in report.splitlines():
        if line.startswith("# Event count (approx.):"):  # cpu-clock: nanoseconds
            total = int(line.rsplit(":", 1)[1]) / 1e9
        parts = line.split()
        if len(parts) < 4 or not parts[0].endswith("%") or line.lstrip().startswith("#"):
            continue
        percent, dso, symbol = float(parts[0].rstrip("%")), parts[1], parts[3]
        if dso.startswith("libpython"):
            group = "eval loop" if symbol == "_PyEval_EvalFrameDefault" else "libpython (other)"
            if group != "eval loop":
                kind = f"libpython: {runtime_kind(symbol)}"
                groups[kind] = groups.get(kind, 0.0) + percent
        elif "__mypyc" in dso:  # the one library with all compiled code; each module's own .so is a shim
            group = "mypyc extension"
        elif dso.startswith(("etree.", "libxml", "_elementpath")):
            group = "lxml"
        elif dso.startswith("orjson"):
            group = "orjson"
        elif dso.startswith("[kernel"):
            group = "kernel"
        else:
            group = "other"
        groups[group] = groups.get(group, 0.0) + percent
    seconds = {group: round(total * percent / 100, 3) for group, percent in groups.items()}
    return {"total": round(total, 3), **seconds}


def summarise(runs: list[dict], cases: list[Case]) -> list[dict]:
    def cpu(command: str, name: str, variant: str | None = None) -> list[float]:
        return [run["cpu_s"] for run in runs if run["command"] == command and run["input"] == name
                and run.get("variant") == variant]

    rows = []
    for case in cases:
        pure, compiled = cpu(case.command, case.input, "pure"), cpu(case.command, case.input, "compiled")
        floor = statistics.median(cpu("floor", case.input))
        rss = {variant: statistics.median(run["peak_rss_mib"] for run in runs if run["command"] == case.command
                                          and run["input"] == case.input and run.get("variant") == variant)
               for variant in VARIANTS}
        row = {"command": case.command, "input": case.input, "rows": case.rows,
               "pure_cpu_s": statistics.median(pure), "compiled_cpu_s": statistics.median(compiled),
               "pure_best_s": min(pure), "compiled_best_s": min(compiled), "floor_cpu_s": floor,
               "pure_rss_mib": rss["pure"], "compiled_rss_mib": rss["compiled"]}
        row["speed_up"] = row["pure_cpu_s"] / row["compiled_cpu_s"]
        row["pure_x_floor"] = row["pure_cpu_s"] / floor
        row["compiled_x_floor"] = row["compiled_cpu_s"] / floor
        peer = cpu("python-fhir-converter", case.input)
        if case.input == "lab" and peer:
            row["peer_cpu_s"] = statistics.median(peer)
        rows.append(row)
    return rows


TARGETS = {"validate": "≤ 1.5× floor", "fhir-ndjson": "≤ 2× floor"}


def markdown(result: dict) -> str:
    machine, build_info = result["machine"], result["build"]
    header = (f"Run {result['date']}, {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
              f"mypy/mypyc {result['mypyc']}, load average {machine['load_average_before'][0]:.1f} before and "
              f"{machine['load_average_after'][0]:.1f} after; {result['rounds']} interleaved rounds, median CPU "
              f"seconds (user + system) of the process, process start included. mypyc build of "
              f"{len(COMPILED)} modules: {build_info['seconds']:.0f} s wall. × floor = CPU over the floor's "
              "(floor.py) on the same input. Peak RSS: median of the child's ru_maxrss (this script's own peak, "
              f"which such a reading cannot go below: {result['parent_peak_rss_mib']:.0f} MiB).")
    lines = [header, "",
             ("| command | input | rows | pure CPU s | compiled CPU s | speed-up | floor CPU s | pure × floor "
              "| compiled × floor | target | peak RSS pure → compiled |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["table"]:
        target = {"lab": "≥ 10× peer's rows/s", "reference": "(start-up)"}.get(row["input"], TARGETS[row["command"]])
        rows = f"{row['rows']:,}" if row["rows"] else "14 patients"
        lines.append(f"| {row['command']} | {row['input']} | {rows} | {row['pure_cpu_s']:.2f} | "
                     f"{row['compiled_cpu_s']:.2f} | {row['speed_up']:.2f}× | {row['floor_cpu_s']:.2f} | {row['pure_x_floor']:.1f} | "
                     f"{row['compiled_x_floor']:.1f} | {target} | {row['pure_rss_mib']:.0f} → "
                     f"{row['compiled_rss_mib']:.0f} MiB |")
    for row in result["table"]:
        if "peer_cpu_s" in row:
            lines += ["", (f"Lab csv: python-fhir-converter {row['peer_cpu_s']:.2f} s of CPU; crfmap's rows/s (by "
                           f"CPU) = {row['peer_cpu_s'] / row['pure_cpu_s']:.2f}× the peer's pure, "
                           f"{row['peer_cpu_s'] / row['compiled_cpu_s']:.2f}× compiled (target ≥ 10×).")]
    identical = not result["mismatches"]
    lines += ["", "Outputs: " + ("every run's OUT files and printed report byte for byte the same, pure and "
                                 "compiled, every round; the JSON reports (the messy fixture's too) and the SDTM convert too."
                                 if identical else "DIFFERENT: " + "; ".join(result["mismatches"]))]
    if result.get("perf"):
        lines += ["", ("Where the CPU goes: CPU seconds by where the samples fell (Linux perf, cpu-clock at 999 Hz, "
                       "self time; one run each, under perf). Eval loop = `_PyEval_EvalFrameDefault`, the bytecode "
                       "interpreter; libpython (other) = the object runtime that interpreted and compiled code "
                       "both call (attribute and dict lookups, allocation, GC, str, calls)."), "",
                  f"| case | variant | total | {' | '.join(PERF_GROUPS)} |", "|---|---|---|" + "---|" * len(PERF_GROUPS)]
        for key, variants in result["perf"].items():
            for variant, groups in variants.items():
                cells = " | ".join(f"{groups.get(group, 0.0):.2f}" for group in PERF_GROUPS)
                lines.append(f"| {key} | {variant} | {groups['total']:.2f} | {cells} |")
        lines += ["", ("libpython (other) by kind of work, from its functions' names (CPU seconds; the same "
                       "runs):"), "", f"| case | variant | {' | '.join(RUNTIME_GROUPS)} |",
                  "|---|---|" + "---|" * len(RUNTIME_GROUPS)]
        for key, variants in result["perf"].items():
            for variant, groups in variants.items():
                cells = " | ".join(f"{groups.get(f'libpython: {kind}', 0.0):.2f}" for kind in RUNTIME_GROUPS)
                lines.append(f"| {key} | {variant} | {cells} |")
    tests = result.get("tests")
    if tests:
        lines += ["", (f"The repository's tests against the compiled copy (`{' '.join(tests['paths'])}`): "
                       f"{tests['summary']}."), ""]
        lines += [f"- `{failed}`" for failed in tests["failed"]]
        lines += ["", "Errors raised in those failures:", ""] + [f"- `{error}`" for error in tests["errors"]]
    lines += ["", "Left interpreted:", ""] + [f"- `{path}`: {why}" for path, why in NOT_COMPILED.items()]
    return "\n".join(lines) + "\n"


def run_tests(work: Path, paths: list[str]) -> dict[str, object]:
    """The repository's tests, in-process, against the compiled copy (PYTHONPATH first on sys.path): what compiled
    code does differently on inputs the benchmark has not. Tests that monkeypatch a compiled module's functions
    cannot work (compiled calls do not look them up); the failures are listed for a person to sort."""
    report = work / "tests-compiled.txt"
    ran = subprocess.run([sys.executable, "-m", "pytest", *paths, "-n", "2", "-q", "-p", "no:cacheprovider", "-rf",
                          "--tb=short"], cwd=ROOT, env=child_env(work / "compiled"), capture_output=True, text=True,
                         check=False)
    report.write_text(ran.stdout + ran.stderr, encoding="utf-8")
    lines = ran.stdout.splitlines()
    raised = re.compile(r"^E\s+((\w+\.)*\w*(Error|Exception|Failed|Issue): .*)")
    errors = sorted({found.group(1) for line in lines if (found := raised.match(line))})
    summary = next((line.strip("= ") for line in reversed(lines) if " passed" in line or " failed" in line), "")
    print(f"  tests against the compiled copy: {summary}", flush=True)
    return {"paths": paths, "summary": summary, "failed": [line[len("FAILED "):] for line in lines
                                                          if line.startswith("FAILED ")], "errors": errors}


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")), "") if cpuinfo.exists() else platform.processor()
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--lab-rows", type=int, default=50_000)
    parser.add_argument("--skip-peer", action="store_true", help="do not install or run python-fhir-converter")
    parser.add_argument("--perf", action="store_true", help="also profile one run per case with Linux perf")
    parser.add_argument("--tests", nargs="+", metavar="PATH",
                        help="also run these test paths against the compiled copy (after the timing)")
    parser.add_argument("--work", type=Path, help="the folder for both copies (default: a temporary one)")
    parser.add_argument("--no-build", action="store_true", help="reuse the copies already built in --work")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--output", type=Path, default=RESULTS / "compiled", help="writes OUTPUT.json, OUTPUT.md")
    arguments = parser.parse_args(argv)
    work = arguments.work or Path(tempfile.mkdtemp(prefix="crfmap-mypyc-"))
    started = time.perf_counter()
    import mypy.version

    result: dict = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                    "rounds": arguments.rounds, "mypyc": mypy.version.__version__, "compiled": list(COMPILED),
                    "not_compiled": NOT_COMPILED,
                    "source_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                                    text=True, check=False).stdout.strip()}
    try:
        if arguments.no_build:
            result["build"] = json.loads((work / "build.json").read_text(encoding="utf-8"))
        else:
            print(f"copying src/crfmap and compiling {len(COMPILED)} modules with mypyc", flush=True)
            copy_sources(work)
            result["build"] = build(work)
            (work / "build.json").write_text(json.dumps(result["build"]), encoding="utf-8")
            print(f"  built in {result['build']['seconds']:.0f} s", flush=True)
        result["loaded_from"] = check_imports(work)
        print("generating inputs", flush=True)
        cases = generate_inputs(arguments.patients, arguments.lab_rows)
        peer = None if arguments.skip_peer else peer_python()
        result["peer"] = None if peer is None else PEER_PACKAGE
        for variant in VARIANTS:  # writes each copy's bytecode cache before timing
            measure([sys.executable, "-m", "crfmap", "convert", str(REFERENCE), "--study", str(STUDY), "--out",
                     str(work / "warm-up" / variant), "-q"], child_env(work / variant))
        print("timed rounds", flush=True)
        runs, mismatches = timed_rounds(work, cases, arguments.rounds, peer)
        print("identity pass", flush=True)
        result["identity"], more = identity_pass(work, cases)
        result["mismatches"] = mismatches + more
        if arguments.perf:
            result["perf"] = perf_profiles(work, [case for case in cases if case.rows])
        if arguments.tests:
            result["tests"] = run_tests(work, arguments.tests)
        result["runs"] = runs
        result["table"] = summarise(runs, cases)
        result["machine"]["load_average_after"] = os.getloadavg()
        # children's peak RSS cannot read below this (see measure)
        result["parent_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["minutes"] = (time.perf_counter() - started) / 60
    finally:
        if not arguments.keep and arguments.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}")
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
    table = markdown(result)
    arguments.output.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    if result["mismatches"]:
        print("!!! OUTPUTS DIFFER between the pure and the compiled copy (or between rounds):", file=sys.stderr)
        for mismatch in result["mismatches"]:
            print(f"!!! {mismatch}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
