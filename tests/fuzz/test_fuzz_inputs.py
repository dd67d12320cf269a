"""The fuzz target (issue #15): seeded mutations of xlsx parts, zip structure and csv bytes, each validated and
converted by the command line in a child process under a 1 GiB address-space ceiling and a hang guard. For
every case: exit status 0, 1 or 2 only; no traceback and no "internal error"; no partial output (OUT either
absent or showing complete targets, with no debris); and every non-empty cell an independent reader finds
(openpyxl for xlsx, the csv module for csv) is counted in the coverage account.

A short seeded run is part of the suite (CRFMAP_FUZZ_CASES, default 48, in 4 batches that run in parallel);
the release check runs thousands with new seeds (docs/release-checks.md). A failing case is kept in the
test's temporary folder and named in the failure, so it can be replayed."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.faults.harness import minimal_workbook
from tests.fuzz.mutations import mutate_csv, mutate_xlsx
from tests.minimal_study import write_minimal_study
from tests.published import crfmap_debris
from tests.shared_data import REPO_ROOT

CASES = int(os.environ.get("CRFMAP_FUZZ_CASES", "48"))
SEED = int(os.environ.get("CRFMAP_FUZZ_SEED", "1515"))
BATCHES = 4
ADDRESS_SPACE_LIMIT = 1024 ** 3
CHILD_GUARD_SECONDS = 60 * 30
CSV_BASE = ("Subject ID;Sex;Birth date\r\n01;M;2010\r\n02;жен;05.2011\r\n03;F;\r\n"
            "\r\nSubject ID;Date;Blasts\r\n01;2024-01-02;12,5\r\n").encode()


def base_workbook(folder: Path) -> bytes:
    path = minimal_workbook(folder / "base.xlsx", ["01", "02", "03"])
    book = openpyxl.load_workbook(path)
    book["LB"].append(["01", "2024-01-02", 12.5])
    book["LB"].append(["02", "2024-01-03", "7,5"])
    book["DM"]["C1"] = "Birth date"
    book["DM"]["C2"] = "2010"
    book.save(path)
    return path.read_bytes()


def independent_count(path: Path, kind: str) -> dict[str, int] | None:
    """Non-empty cells per sheet as another reader sees them; None when it cannot read the file at all."""
    if kind == "csv":
        text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
        return {path.stem: sum(1 for record in csv.reader(io.StringIO(text, newline=""), delimiter=";")
                               for value in record if value != "")}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        counts: dict[str, int] = {}
        for sheet in book.worksheets:  # two sheets of one name (their counts add up)
            counts[sheet.title] = counts.get(sheet.title, 0) + sum(
                1 for row in sheet.iter_rows(values_only=True) for value in row if value not in (None, ""))
        book.close()
    except Exception:  # noqa: BLE001  any failure of the other reader: nothing to compare with
        return None
    return counts


def compare_counts(counted: dict[str, int], expected: dict[str, int]) -> str | None:
    """Where crfmap's coverage and the other reader disagree. A sheet the other reader finds empty while crfmap
    reads cells in it is one whose XML the other reader did not recognise (a damaged namespace, say): crfmap
    reading more is no loss, so such sheets are left out; everywhere else the counts must be equal."""
    if counted.keys() != expected.keys():
        counted, expected = {"(all)": sum(counted.values())}, {"(all)": sum(expected.values())}
    differing = {name: (counted[name], expected[name]) for name in counted
                 if counted[name] != expected[name] and not (expected[name] == 0 and counted[name] > 0)}
    if not differing:
        return None
    return "; ".join(f"{name}: coverage {mine}, the independent reader {theirs}"
                     for name, (mine, theirs) in sorted(differing.items()))


def make_cases(folder: Path, batch: int) -> list[dict]:
    study = write_minimal_study(folder / "study")
    base = base_workbook(folder)
    cases = []
    for number in range(batch, CASES, BATCHES):
        rng = random.Random(f"{SEED}-{number}")
        kind = "csv" if number % 4 == 3 else "xlsx"
        data = mutate_csv(CSV_BASE, rng) if kind == "csv" else mutate_xlsx(base, rng)
        path = folder / f"case-{number:05d}.{kind}"
        path.write_bytes(data)
        cases.append({"id": number, "kind": kind, "path": str(path), "study": str(study),
                      "out": str(folder / f"out-{number:05d}")})
    return cases


@pytest.mark.parametrize("batch", range(BATCHES))
def test_mutated_inputs_end_cleanly_and_lose_no_cell(tmp_path, batch):
    cases = make_cases(tmp_path, batch)
    listing = tmp_path / "cases.json"
    listing.write_text(json.dumps(cases), encoding="utf-8")
    try:
        completed = subprocess.run([sys.executable, "-m", "tests.fuzz.child", str(ADDRESS_SPACE_LIMIT), str(listing)],
                                   cwd=REPO_ROOT, capture_output=True, text=True, timeout=CHILD_GUARD_SECONDS,
                                   check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the fuzz child did not end within {CHILD_GUARD_SECONDS} s")
    outcomes = {outcome["id"]: outcome for outcome in map(json.loads, completed.stdout.splitlines())}
    problems = []
    for case in cases:
        outcome = outcomes.get(case["id"])
        where = f"case {case['id']} ({case['path']})"
        if outcome is None or outcome.get("hung"):
            problems.append(f"{where}: {'hung' if outcome else 'the child died'}: {completed.stderr[-1500:]}")
            break
        problems += check_case(case, outcome, where)
    assert not problems, "\n".join(problems[:20])


def check_case(case: dict, outcome: dict, where: str) -> list[str]:
    problems = []
    for command in ("validate", "convert"):
        run = outcome[command]
        text = run["stdout"] + run["stderr"]
        if run["status"] not in (0, 1, 2):
            problems.append(f"{where}: {command} exit {run['status']}")
        if run["unexpected"] or "Traceback" in text or "internal error" in text:
            problems.append(f"{where}: {command}: {run['unexpected'] or text[-800:]}")
    validate = outcome["validate"]
    if validate["status"] in (0, 1) and not problems:
        data = json.loads(validate["stdout"])
        counted: dict[str, int] = {}
        for account in data["coverage"]:
            counted[account["sheet"]] = counted.get(account["sheet"], 0) + account["non_empty"]
        if data["summary"]["cells_unaccounted"] != 0:
            problems.append(f"{where}: {data['summary']['cells_unaccounted']} cells unaccounted")
        expected = independent_count(Path(case["path"]), case["kind"])
        if expected is not None:
            for name in expected.keys() - counted.keys():  # sheets with no cells are not in the coverage
                counted[name] = 0
            difference = compare_counts(counted, expected)
            if difference:
                problems.append(f"{where}: {difference}")
    out = Path(case["out"])
    if outcome["convert"]["status"] == 2 or "nothing was written" in outcome["convert"]["stdout"]:
        if out.exists():
            problems.append(f"{where}: convert wrote nothing but left {sorted(path.name for path in out.iterdir())}")
    elif out.exists():
        if crfmap_debris(out):
            problems.append(f"{where}: debris {crfmap_debris(out)}")
        for target in ("fhir", "sdtm"):
            if not (out / target).is_dir():
                problems.append(f"{where}: OUT/{target} missing after a written convert")
    return problems
