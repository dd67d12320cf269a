"""Same datasets → byte-identical files, across processes with different PYTHONHASHSEED."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import hashlib, importlib.util, sys, tempfile
from pathlib import Path
spec = importlib.util.spec_from_file_location("sample", sys.argv[1])
sample = importlib.util.module_from_spec(spec); spec.loader.exec_module(sample)
from crfmap.writers.sdtm.csv import write_sdtm_csv
from crfmap.writers.sdtm.dataset_json import DatasetJsonHeader, write_dataset_json, write_dataset_ndjson
from crfmap.writers.sdtm.define_xml import write_define_xml
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import write_xpt
header = DatasetJsonHeader("2024-04-30T00:00:00", "STDY.X", "MDV.X")
with tempfile.TemporaryDirectory() as folder:
    folder = Path(folder)
    datasets = [prepare_dataset(build())[0] for build in (sample.build_dm, sample.build_ae, sample.build_lb)]
    for dataset in datasets:
        name = dataset.name.lower()
        write_xpt(dataset, folder / f"{name}.xpt")
        write_dataset_json(dataset, folder / f"{name}.json", header)
        write_dataset_ndjson(dataset, folder / f"{name}.ndjson", header)
        write_sdtm_csv(dataset, folder / f"{name}.csv")
    write_define_xml(datasets, folder / "define.xml", sample.build_metadata())
    for path in sorted(folder.iterdir()):
        print(path.name, hashlib.sha256(path.read_bytes()).hexdigest())
"""


def run_with_seed(seed: str) -> str:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    conftest = Path(__file__).with_name("conftest.py")
    completed = subprocess.run([sys.executable, "-c", SCRIPT, str(conftest)], env=environment, capture_output=True,
                               text=True, check=True, timeout=120)
    return completed.stdout


def test_outputs_do_not_depend_on_hash_seed():
    first, second = run_with_seed("1"), run_with_seed("4242")
    assert first == second
    assert len(first.splitlines()) == 13  # 3 datasets × 4 formats + define.xml
