"""Read one file in a child process under a 1 GiB address-space limit and report what happened, as JSON.

The parent gets the outcome (FatalIssue codes, issues, rows) and everything the child wrote to stderr, so a
crash or a traceback shows up as a failure; a child that does not end within the hang guard fails too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE_LIMIT = 1024 ** 3
CHILD_TIMEOUT_SECONDS = 120  # a hang guard, not a speed bound: a hang fails the test instead of blocking the suite

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from pathlib import Path
from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook

issues, rows, fatal = [], 0, []
try:
    with open_workbook(Path(sys.argv[1]), ReadOptions(), issues.append) as workbook:
        for sheet in workbook.sheets():
            for row in workbook.iter_rows(sheet.name):
                rows += 1
except FatalIssue as problem:
    fatal = [issue.as_dict() | {"where": issue.where} for issue in problem.issues]
print(json.dumps({"fatal": fatal, "issues": [issue.as_dict() for issue in issues], "rows": rows}))
"""


def read_guarded(path: Path, hang_guard: float = CHILD_TIMEOUT_SECONDS) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(ADDRESS_SPACE_LIMIT)], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=hang_guard, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise AssertionError(f"the child reading {path.name} failed ({completed.returncode}):\n"
                             f"{completed.stderr[-3000:]}")
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    outcome["stderr"] = completed.stderr
    return outcome
