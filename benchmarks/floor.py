"""The I/O floor the benchmark compares crfmap with: read every cell, write one compact JSON line per row.

    python benchmarks/floor.py INPUT OUTPUT.ndjson

xlsx: python-calamine, every sheet, every row (calamine holds a sheet in memory and applies no limits: the
fastest way Python reads a workbook). A folder of csv: the standard csv module, every file. No validation, no
mapping: what any tool must at least spend to read the input and write something per row.
"""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import orjson


def default(value: object) -> str:
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    raise TypeError(type(value).__name__)


def xlsx_rows(path: Path):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        yield from workbook.get_sheet_by_name(name).iter_rows()


def csv_rows(folder: Path):
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else [folder]
    for file in files:
        with file.open(encoding="utf-8", newline="") as text:
            yield from csv.reader(text)


def main() -> int:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    rows = xlsx_rows(source) if source.suffix == ".xlsx" else csv_rows(source)
    count = 0
    with target.open("wb") as output:
        for row in rows:
            output.write(orjson.dumps(row, default=default) + b"\n")
            count += 1
    print(count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
