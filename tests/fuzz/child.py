"""The fuzz target's child process: runs `crfmap validate` and `crfmap convert` in-process (the command line's
own entry, with its last-resort handler) on each case, under an address-space ceiling and a per-case hang
guard, and prints one JSON line per case. Run by tests/fuzz/test_fuzz_inputs.py as
`python -m tests.fuzz.child LIMIT CASES.json`."""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path

CASE_GUARD_SECONDS = 60  # a hang guard: the case fails, the suite goes on


def run_case(case: dict, main: object) -> dict:
    from click.testing import CliRunner

    extra = ["--encoding", "utf-8", "--delimiter", ";"] if case["kind"] == "csv" else []
    outcome: dict = {"id": case["id"]}
    for command, arguments in (
        ("validate", ["validate", case["path"], "--study", case["study"], "--format", "json", "--coverage", *extra]),
        ("convert", ["convert", case["path"], "--study", case["study"], "--out", case["out"], "--allow-errors",
                     "--allow-unmapped", "--transliterate", *extra]),
    ):
        result = CliRunner().invoke(main, arguments)  # type: ignore[arg-type]  # click 8.2+: stderr kept apart
        unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
        outcome[command] = {"status": result.exit_code, "stdout": result.stdout, "stderr": result.stderr,
                            "unexpected": repr(result.exception) if unexpected else None}
    return outcome


def main() -> None:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cases = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    from crfmap.cli import main as crfmap_main

    current = {"id": None}

    def hung(_signal: int, _frame: object) -> None:
        sys.stdout.write(json.dumps({"id": current["id"], "hung": True}) + "\n")
        sys.stdout.flush()
        os._exit(3)

    signal.signal(signal.SIGALRM, hung)
    for case in cases:
        current["id"] = case["id"]
        signal.alarm(CASE_GUARD_SECONDS)
        outcome = run_case(case, crfmap_main)
        signal.alarm(0)
        sys.stdout.write(json.dumps(outcome) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
