"""Load times of crfmap.standards (generated SDTMIG / SDTM model / CDISC CT), each in a fresh interpreter.

    python benchmarks/bench_standards.py [--repeat 5]

Prints the median wall time per step: importing the package, load_sdtmig('3.4'), load_sdtm_model('2.0'),
load_sdtm_ct(<each shipped release>) and, for comparison, building every codelist of a release (what the lazy
mapping spares a conversion that touches a few dozen). Absolute times move with machine load; compare ratios.

2026-12-07, 2-core machine, load average ≈ 4 (other jobs running), medians of 7-9 runs: import 26 ms;
load_sdtmig 11 ms; load_sdtm_model 3 ms; load_sdtm_ct 50-125 ms per release (gunzip + orjson of 5 MB);
building every codelist of a release (~1,100 codelists, ~40,000 terms) a further 35-75 ms.
Since a release is a zip of an index and one member per codelist (2026-12-07, load average ≈ 1, medians of 7):
import 27 ms; load_sdtmig 9 ms; load_sdtm_model 3 ms; load_sdtm_ct 5 ms per release (the index only); reading and
building every codelist 80-95 ms, which no conversion does (the reference convert reads 44).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import json, sys, time
started = time.perf_counter()
import crfmap.standards as standards
timings = {"import crfmap.standards": time.perf_counter() - started}
step = time.perf_counter(); standards.load_sdtmig("3.4"); timings["load_sdtmig('3.4')"] = time.perf_counter() - step
step = time.perf_counter(); standards.load_sdtm_model("2.0")
timings["load_sdtm_model('2.0')"] = time.perf_counter() - step
for version in standards.sdtm_ct_versions():
    step = time.perf_counter(); ct = standards.load_sdtm_ct(version)
    timings[f"load_sdtm_ct('{version}')"] = time.perf_counter() - step
    step = time.perf_counter(); terms = sum(len(codelist.terms) for codelist in ct.codelists.values())
    timings[f"  then build all {len(ct.codelists)} codelists, {terms} terms"] = time.perf_counter() - step
print(json.dumps(timings))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                                      check=True).stdout) for _ in range(arguments.repeat)]
    for step in runs[0]:
        print(f"{step:60s} {1000 * statistics.median(run[step] for run in runs):8.1f} ms")


if __name__ == "__main__":
    main()
