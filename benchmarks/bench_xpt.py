"""Throughput of the XPT v5 writer: rows/s for checks + encoding, and for encoding alone.

    python benchmarks/bench_xpt.py --rows 500000

Rows look like an LB domain: 6 text variables and 4 numeric ones (≈ 130 bytes per row). With --compare,
pyreadstat.write_xport from a pandas frame of the same data is timed too (it needs pandas and pyreadstat).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import write_xpt, write_xpt_stream

TEXT = ["STUDYID", "DOMAIN", "USUBJID", "LBTESTCD", "LBORRES", "LBDTC"]
NUMBERS = ["LBSEQ", "LBSTRESN", "VISITNUM", "LBDY"]


def build_dataset(count: int) -> Dataset:
    variables = [Variable(name, name.title(), "text") for name in TEXT]
    variables += [Variable(name, name.title(), "integer" if name in ("LBSEQ", "LBDY") else "float") for name in NUMBERS]
    rows = [
        {"STUDYID": "BLINA-PED-01", "DOMAIN": "LB", "USUBJID": f"BLINA-PED-01-{number // 100:05d}",
         "LBTESTCD": ("MRD", "BLAST", "WBC")[number % 3], "LBORRES": str(number % 997 / 10),
         "LBDTC": "2024-02-05T08:30",
         "LBSEQ": number % 100 + 1, "LBSTRESN": None if number % 11 == 0 else number % 997 / 10,
         "VISITNUM": float(number % 7), "LBDY": number % 60 - 14}
        for number in range(count)
    ]
    return Dataset("LB", "Laboratory Test Results", "x", "FINDINGS", variables, rows)


def measure(label: str, count: int, action) -> None:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"{label:<42} {seconds:7.2f} s  {count / seconds:>12,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--compare", action="store_true", help="also time pyreadstat.write_xport from pandas")
    arguments = parser.parse_args()
    dataset = build_dataset(arguments.rows)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "lb.xpt"
        measure("write_xpt (checks + encode + atomic file)", arguments.rows, lambda: write_xpt(dataset, target))
        prepared, _ = prepare_dataset(dataset)
        measure("prepare_dataset (checks + lengths)", arguments.rows, lambda: prepare_dataset(dataset))
        measure("write_xpt_stream (encode only, to memory)", arguments.rows,
                lambda: write_xpt_stream(prepared, io.BytesIO()))
        print(f"file size {target.stat().st_size:,} bytes")
        if arguments.compare:
            import pandas
            import pyreadstat

            frame = pandas.DataFrame(dataset.rows)
            measure("pyreadstat.write_xport (pandas frame)", arguments.rows,
                    lambda: pyreadstat.write_xport(frame, str(Path(folder) / "p.xpt"), file_format_version=5))


if __name__ == "__main__":
    main()
