"""Prototype for issue #16: would a python-calamine reader per sheet (under a size limit) beat crfmap's streaming
xlsx reader once both produce what validation needs (a Row of non-empty cells by column, per sheet)?

    python benchmarks/bench_calamine_rows.py FILE.xlsx [--repeat 3]

Each reader runs in a fresh subprocess (its own ru_maxrss): crfmap's reader (zip + lxml iterparse, with the
archive/XML safety limits) and calamine building the same Rows (values converted as crfmap would need them:
floats that are integers to int, '' skipped). The calamine prototype keeps cell positions (its rows start at
the sheet's first used row, found with `start`) but applies none of crfmap's hostile-file refusals; those checks
(declared/actual sizes, DOCTYPE, row order) would still have to run before it, which this does not time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CRFMAP = r"""
import sys, time
from pathlib import Path
from crfmap.readers import ReadOptions, open_workbook
from crfmap.issues import Report
started = time.process_time()
count = 0
with open_workbook(Path(sys.argv[1]), ReadOptions(), lambda issue: None) as book:
    for info in book.sheets():
        for row in book.iter_rows(info.name):
            count += len(row.cells)
print(count, time.process_time() - started)
"""

CALAMINE = r"""
import sys, time
from python_calamine import CalamineWorkbook
from crfmap.sources import Row
started = time.process_time()
count = 0
book = CalamineWorkbook.from_path(sys.argv[1])
for name in book.sheet_names:
    sheet = book.get_sheet_by_name(name)
    first_row, first_column = sheet.start or (0, 0)
    for offset, values in enumerate(sheet.iter_rows()):
        cells = {}
        for index, value in enumerate(values):
            if value == "" or value is None:
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            cells[first_column + index + 1] = value
        if cells:
            row = Row(number=first_row + offset + 1, cells=cells)
            count += len(row.cells)
print(count, time.process_time() - started)
"""


def run(code: str, path: str) -> dict[str, float]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE)
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reader failed on {path}")
    cells, cpu = output.split()
    return {"cells": int(cells), "cpu_s": float(cpu), "wall_s": time.perf_counter() - started,
            "peak_rss_mib": usage.ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"crfmap": [], "calamine": []}
    for _ in range(arguments.repeat):  # interleaved
        results["crfmap"].append(run(CRFMAP, arguments.path))
        results["calamine"].append(run(CALAMINE, arguments.path))
    summary = {name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
               for name, runs in results.items()}
    print(json.dumps(summary, indent=2))
    ratio = summary["crfmap"]["cpu_s"] / summary["calamine"]["cpu_s"]
    print(f"reading CPU time: crfmap's reader = {ratio:.1f}x the calamine prototype's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
