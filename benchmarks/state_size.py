"""Memory that validation keeps across rows: the cross-form state per 1,000 subjects, and the records held.

    python benchmarks/state_size.py [--patients 500 2000]

Generates the reference-study export (benchmarks/generate.py) at each size, validates it through crfmap.api and
measures, by walking the objects (each object counted once, interned strings and the mapping excluded):
- the cross-form state of validate/context.py: subjects per form, the first row of each identity key (held
  while a workbook is read), each subject's row of the one-row-per-subject forms (for lookups and conflicts);
- the canonical records held until the writers run (what convert keeps in memory before writing).
Prints bytes per subject and per data row; the figures are the deep size of Python objects (sys.getsizeof),
not RSS.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STUDY = HERE.parent / "mappings" / "blinatumomab_ped_all"


def deep_size(root: Any, exclude: set[int]) -> int:
    seen = set(exclude)
    total = 0
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


def measure(patients: int, folder: Path) -> dict[str, float]:
    from crfmap import api
    from crfmap.validate import context as context_module

    path = folder / f"study-{patients}.xlsx"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--patients", str(patients), "--out", str(path)],
                   check=True, capture_output=True)
    mapping, _ = api.load_mapping(STUDY)
    exclude = {id(mapping)} | {id(item) for item in gc.get_referents(mapping)}
    captured: dict[str, int] = {}
    original_finish = context_module.ValidationContext.finish

    def finish(self: Any) -> None:
        captured["subjects"] = deep_size(self.subjects, exclude)
        captured["first_seen"] = deep_size(self.first_seen, exclude)
        captured["rows_by_subject"] = deep_size(self.rows_by_subject, exclude)
        original_finish(self)

    context_module.ValidationContext.finish = finish  # type: ignore[method-assign]
    try:
        result = api.validate_workbook(path, mapping)
    finally:
        context_module.ValidationContext.finish = original_finish  # type: ignore[method-assign]
    captured["records"] = deep_size(result.records, exclude)
    return {"patients": patients, "rows": result.rows_read, "record_count": len(result.records), **captured}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[500, 2000])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for patients in arguments.patients:
            figures = measure(patients, Path(folder))
            state = figures["subjects"] + figures["first_seen"] + figures["rows_by_subject"]
            print(f"{patients:,} subjects, {figures['rows']:,} rows, {figures['record_count']:,} records:")
            for name in ("subjects", "first_seen", "rows_by_subject"):
                print(f"  {name:16s} {figures[name] / 1024:9.0f} KiB  {figures[name] / patients * 1000 / 1024:7.0f} "
                      f"KiB per 1,000 subjects")
            print(f"  {'cross-form state':16s} {state / 1024:9.0f} KiB  {state / patients * 1000 / 1024:7.0f} KiB per "
                  f"1,000 subjects")
            print(f"  {'records held':16s} {figures['records'] / 1024:9.0f} KiB  "
                  f"{figures['records'] / figures['rows']:7.0f} bytes per row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
