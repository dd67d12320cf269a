"""CDISC CORE in crfmap's tests: a Python 3.12 venv with the rules engine, a rules cache, and `run_core`.

    result = run_core(folder)            # a folder of Dataset-JSON (or XPT) datasets and its define.xml
    result.findings_of("CORE-000266")    # the findings of one rule, with dataset, row, USUBJID, values
    print(result.summary())              # findings grouped by rule; rules skipped or failed, and why

The engine (PyPI cdisc-rules-engine, pinned with its dependencies in requirements-core.txt) needs Python 3.12; it
is installed once into .cache/cdisc-core/venv inside the checkout (git-ignored) from the first python3.12 that
really runs: pyenv's versions/3.12*, then python3.12 on PATH. Its rules and SDTMIG metadata come from the offline
cache in ../shared/public-data/cdisc/core-cache; next to them the harness puts exact CT packages built from the
NCI EVS releases in ../shared/public-data/cdisc/ct, so that a define.xml declaring one of those versions is
checked against that very release. tests/sdtm_core/run_core.py drives the engine in that venv.

From a shell, for a look at any output folder:  python -m tests.sdtm_core.harness out/sdtm [--format xpt]
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import glob
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.shared_data import PUBLIC_DATA, REPO_ROOT

ENGINE = "cdisc-rules-engine"
ENGINE_VERSION = "0.17.1"
HERE = Path(__file__).resolve().parent
DRIVER = HERE / "run_core.py"
REQUIREMENTS = HERE / "requirements-core.txt"
HOME = REPO_ROOT / ".cache" / "cdisc-core"
SHARED_CACHE = PUBLIC_DATA / "cdisc" / "core-cache"
CT_RELEASES = PUBLIC_DATA / "cdisc" / "ct"
# Hang guards, not speed limits: a CORE run takes a minute or two here; an install a few minutes.
INSTALL_TIMEOUT_SECONDS = 1800
RUN_TIMEOUT_SECONDS = 3600


class CoreUnavailable(Exception):
    """CORE cannot run on this machine (no Python 3.12, no shared data); the message says what is missing."""


class CoreFailed(Exception):
    """The engine could not run on the given folder; the message carries its own words."""


# ---- the Python 3.12 venv ---------------------------------------------------------------------------------------

def python312_candidates() -> Iterator[Path]:
    """Where a Python 3.12 may be: pyenv's versions first (its bare python3.12 shim may refuse), then PATH."""
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    if shutil.which("pyenv"):
        found = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=60, check=False)
        if found.returncode == 0 and found.stdout.strip():
            roots.append(Path(found.stdout.strip()))
    roots.append(Path.home() / ".pyenv")
    for root in dict.fromkeys(roots):
        for match in sorted(glob.glob(str(root / "versions" / "3.12*" / "bin" / "python3.12")), reverse=True):
            yield Path(match)
    on_path = shutil.which("python3.12")
    if on_path:
        yield Path(on_path)


def runs_as_python312(candidate: Path) -> bool:
    try:
        answer = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                                capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return False
    return answer.returncode == 0 and answer.stdout.strip() == "True"


def find_python312() -> Path | None:
    return next((candidate for candidate in python312_candidates() if runs_as_python312(candidate)), None)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One installer at a time (two pytest runs in one checkout must not build the venv together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def installed_version(python: Path) -> str | None:
    answer = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({ENGINE!r}))"],
                            capture_output=True, text=True, timeout=120, check=False)
    return answer.stdout.strip() if answer.returncode == 0 else None


@cache
def core_python() -> Path:
    """The venv's python with the engine installed, built once (rebuilt when requirements-core.txt changes)."""
    base = find_python312()
    if base is None:
        raise CoreUnavailable("CDISC CORE needs Python 3.12 (cdisc-rules-engine 0.17.1 requires it); none found in "
                              "$(pyenv root)/versions/3.12*/bin or as a working python3.12 on PATH")
    venv = HOME / "venv"
    python = venv / "bin" / "python"
    stamp_path = venv / ".crfmap-installed"
    stamp = hashlib.sha256(REQUIREMENTS.read_bytes() + str(base).encode()).hexdigest()
    with locked(HOME / ".install.lock"):
        if stamp_path.is_file() and stamp_path.read_text() == stamp and python.is_file():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        steps = [[str(base), "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q",
                  "-r", str(REQUIREMENTS)]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS, check=False)
            if done.returncode != 0:
                raise CoreFailed(f"installing CDISC CORE failed at `{' '.join(step)}`:\n{done.stdout}{done.stderr}")
        version = installed_version(python)
        if version != ENGINE_VERSION:
            raise CoreFailed(f"pip installed {ENGINE} {version}, not {ENGINE_VERSION} (a Python other than 3.12 "
                             "gets the broken 0.9.2)")
        stamp_path.write_text(stamp)
    return python


# ---- the rules cache --------------------------------------------------------------------------------------------

def read_nci_release(archive: Path) -> list[list[str]]:
    """The rows of an NCI EVS 'SDTM Terminology.txt' release archive (tab-separated, unquoted)."""
    with tarfile.open(archive, mode="r:xz") as bundle:
        member = next(item for item in bundle.getmembers() if item.name.endswith("SDTM Terminology.txt"))
        stream = bundle.extractfile(member)
        assert stream is not None  # a regular file member always has a stream
        content = stream.read().decode("utf-8")
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1:]


def engine_ct_package(name: str, rows: list[list[str]]) -> dict[str, Any]:
    """An NCI EVS release in the engine's CT package shape (as in the cache's sdtmct-*.pkl): plain dicts only."""
    def split(cell: str) -> list[str]:
        return [part.strip() for part in cell.split(";") if part.strip()]

    codelists: dict[str, dict[str, Any]] = {}
    for code, parent, extensible, name_, submission, synonyms, definition, preferred in rows:
        if not parent:
            codelists[code] = {"conceptId": code, "definition": definition, "extensible": extensible == "Yes",
                               "name": name_, "preferredTerm": preferred, "submissionValue": submission,
                               "synonyms": split(synonyms), "terms": []}
    for code, parent, _extensible, _name, submission, synonyms, definition, preferred in rows:
        if parent:
            codelists[parent]["terms"].append({"conceptId": code, "definition": definition,
                                               "preferredTerm": preferred, "submissionValue": submission,
                                               "synonyms": split(synonyms)})
    return {"package": name, "codelists": list(codelists.values())}


@dataclass(frozen=True)
class RulesCache:
    path: Path
    ct_origins: Mapping[str, str]  # CT package name -> where it came from


def file_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def rules_cache() -> RulesCache:
    """The shared CORE cache, linked file by file, plus exact sdtmct-<date>.pkl for each NCI EVS release it lacks."""
    if not SHARED_CACHE.is_dir() or not CT_RELEASES.is_dir():
        raise CoreUnavailable(f"needs {SHARED_CACHE} and {CT_RELEASES} (../shared/public-data beside the checkout)")
    shared = sorted(path for path in SHARED_CACHE.iterdir() if path.is_file())
    releases = sorted(CT_RELEASES.glob("sdtm-terminology-*.tar.xz"))
    target = HOME / "rules-cache"
    stamp = file_digest([*shared, *releases, Path(__file__)])
    origins: dict[str, str] = {}
    rebuilt_from = json.loads((SHARED_CACHE / "ct_rebuild.json").read_text(encoding="utf-8"))
    for path in shared:
        if "ct-" in path.name and path.suffix == ".pkl":
            counts = rebuilt_from.get(path.stem, {}).get("counts")
            origins[path.stem] = ("shared core-cache" + (f", rebuilt with codelists {counts}" if counts else
                                                        ", as published with the engine"))
    made = {}
    for archive in releases:
        name = "sdtmct-" + archive.name.removeprefix("sdtm-terminology-").removesuffix(".tar.xz")
        if name not in origins:
            made[name] = archive
            origins[name] = f"built by the harness from {archive.name} (NCI EVS), exact"
    with locked(HOME / ".cache.lock"):
        stamp_path = target / ".crfmap-stamp"
        current = stamp_path.is_file() and stamp_path.read_text() == stamp
        if not current or not all((target / path.name).exists() for path in shared):  # a moved checkout
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for path in shared:
                (target / path.name).symlink_to(path)
            for name, archive in made.items():
                with (target / f"{name}.pkl").open("wb") as stream:
                    pickle.dump(engine_ct_package(name, read_nci_release(archive)), stream)
            stamp_path.write_text(stamp)
    return RulesCache(target, origins)


# ---- results ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoreRule:
    core_id: str
    cdisc_ids: tuple[str, ...]  # CDISC conformance rule ids for the standard validated, e.g. ('CG0042',)
    fda_ids: tuple[str, ...]  # FDA business/validator rule ids, e.g. ('FB0612',)
    message: str | None
    executability: str | None
    status: str  # 'issue reported', 'success', 'skipped', 'execution error', 'not applicable'


@dataclass(frozen=True)
class CoreFinding:
    core_id: str
    cdisc_ids: tuple[str, ...]
    fda_ids: tuple[str, ...]
    dataset: str | None
    domain: str | None
    variables: tuple[str, ...]
    row: int | None  # 1-based record number in the dataset; None for dataset- or study-level findings
    usubjid: str | None
    seq: Any
    values: Mapping[str, Any]
    message: str
    detail: str | None


@dataclass(frozen=True)
class CoreSkip:
    core_id: str
    dataset: str | None
    reason: str  # e.g. 'Column not found in data', 'Domain not found', 'Empty dataset'
    detail: str | None


@dataclass(frozen=True)
class CoreError:
    core_id: str
    dataset: str | None
    error: str
    message: str | None
    detail: str | None


@dataclass(frozen=True)
class CoreResult:
    engine_version: str
    standard: str
    version: str
    data_format: str
    datasets: tuple[str, ...]
    ct_packages: Mapping[str, str]  # the CT packages define.xml declared -> where the harness took each from
    elapsed_seconds: float
    pool_size: int
    rules: Mapping[str, CoreRule]
    findings: tuple[CoreFinding, ...]
    skipped: tuple[CoreSkip, ...]
    errors: tuple[CoreError, ...]
    report: Path  # the driver's JSON

    def findings_of(self, core_id: str) -> tuple[CoreFinding, ...]:
        return tuple(finding for finding in self.findings if finding.core_id == core_id)

    def counts(self) -> Counter[tuple[str, str | None]]:
        """Number of findings per (rule, dataset)."""
        return Counter((finding.core_id, finding.dataset) for finding in self.findings)

    def rules_with(self, status: str) -> tuple[str, ...]:
        return tuple(sorted(core_id for core_id, rule in self.rules.items() if rule.status == status))

    def summary(self) -> str:
        """Findings grouped by rule (ids, message, count, datasets); then skipped and failed rules with reasons."""
        headline = (f"CDISC CORE {self.engine_version}, {self.standard.upper()} {self.version}, {self.data_format}, "
                    f"{len(self.datasets)} datasets, CT {', '.join(self.ct_packages) or 'none declared'}: "
                    f"{len(self.findings)} findings from {len(self.rules_with('issue reported'))} rules; "
                    f"{len(self.rules)} rules in {self.elapsed_seconds:.0f} s on {self.pool_size} processes")
        lines = [headline]
        by_rule: dict[str, Counter[str | None]] = defaultdict(Counter)
        for finding in self.findings:
            by_rule[finding.core_id][finding.dataset] += 1
        for core_id, datasets in sorted(by_rule.items(), key=lambda item: (-sum(item[1].values()), item[0])):
            rule = self.rules[core_id]
            ids = ", ".join(rule.cdisc_ids + rule.fda_ids) or "-"
            where = ", ".join(f"{name} {count}" for name, count in sorted(datasets.items(), key=str))
            lines.append(f"  {core_id} [{ids}] x{sum(datasets.values())} ({where}): {rule.message}")
        reasons: dict[tuple[str, str], set[str]] = defaultdict(set)
        for skip in self.skipped:
            reasons[(skip.core_id, skip.reason)].add(skip.dataset or "-")
        with_skips = sorted({core_id for core_id, _reason in reasons})
        lines.append(f"rules skipped: {len(self.rules_with('skipped'))} entirely, "
                     f"{len(with_skips) - len(self.rules_with('skipped'))} on some datasets")
        for core_id in with_skips:
            why = "; ".join(f"{reason} ({', '.join(sorted(datasets))})"
                            for (rule_id, reason), datasets in sorted(reasons.items()) if rule_id == core_id)
            scope = "" if self.rules[core_id].status == "skipped" else " [ran on other datasets]"
            lines.append(f"  {core_id}{scope}: {why}")
        lines.append(f"rules that failed to execute: {len(self.rules_with('execution error'))}")
        for error in self.errors:
            lines.append(f"  {error.core_id} on {error.dataset}: {error.error}: {(error.detail or '')[:160]}")
        return "\n".join(lines)


def read_report(path: Path, ct_origins: Mapping[str, str]) -> CoreResult:
    raw = json.loads(path.read_text(encoding="utf-8"))
    rules = {entry["core_id"]: CoreRule(entry["core_id"], tuple(entry["cdisc_ids"]), tuple(entry["fda_ids"]),
                                        entry["message"], entry["executability"], entry["status"])
             for entry in raw["rules"]}
    return CoreResult(
        engine_version=raw["engine"]["version"], standard=raw["standard"], version=raw["version"],
        data_format=raw["format"], datasets=tuple(entry["name"] for entry in raw["datasets"]),
        ct_packages={name: ct_origins.get(name, "not in the cache") for name in raw["ct_packages"]},
        elapsed_seconds=raw["elapsed_seconds"], pool_size=raw["pool_size"], rules=rules,
        findings=tuple(CoreFinding(item["core_id"], tuple(item["cdisc_ids"]), tuple(item["fda_ids"]),
                                   item["dataset"], item["domain"], tuple(item["variables"]),
                                   item["row"], item["usubjid"], item["seq"], item["values"], item["message"],
                                   item["detail"]) for item in raw["findings"]),
        skipped=tuple(CoreSkip(item["core_id"], item["dataset"], item["reason"], item["detail"])
                      for item in raw["skipped"]),
        errors=tuple(CoreError(item["core_id"], item["dataset"], item["error"], item["message"], item["detail"])
                     for item in raw["errors"]),
        report=path)


def run_core(folder: Path, *, data_format: str = "json", define: Path | None = None, rules: Sequence[str] = (),
             exclude_rules: Sequence[str] = (), pool_size: int | None = None, out: Path | None = None) -> CoreResult:
    """Runs CDISC CORE (SDTMIG 3.4 rules, CT as define.xml declares) on a folder of datasets and its define.xml.

    data_format 'json' (Dataset-JSON 1.1, the default) or 'xpt'. Raises CoreUnavailable when Python 3.12 or the
    shared data is missing, CoreFailed when the engine cannot run on the folder (its message says why).
    """
    python = core_python()
    cache_dir = rules_cache()
    report = out or Path(tempfile.mkdtemp(prefix="crfmap-core-")) / "core-findings.json"
    command = [str(python), str(DRIVER), "--data", str(folder), "--format", data_format,
               "--cache", str(cache_dir.path), "--out", str(report),
               "--pool-size", str(pool_size or os.cpu_count() or 1)]
    if define is not None:
        command += ["--define", str(define)]
    for core_id in rules:
        command += ["--rule", core_id]
    for core_id in exclude_rules:
        command += ["--exclude-rule", core_id]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}  # the engine iterates sets; keep its order fixed
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False,
                          env=environment)
    if done.returncode != 0 or not report.is_file():
        last_lines = "\n".join(done.stderr.replace("\r", "\n").strip().splitlines()[-20:])
        raise CoreFailed(f"CDISC CORE did not run on {folder} (exit {done.returncode}):\n{last_lines}")
    return read_report(report, cache_dir.ct_origins)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run CDISC CORE on a folder of SDTM datasets; print a summary.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--format", default="json", choices=["json", "xpt"])
    parser.add_argument("--rule", action="append", default=[])
    parser.add_argument("--out", type=Path, help="keep the findings JSON here")
    arguments = parser.parse_args(argv)
    try:
        result = run_core(arguments.folder, data_format=arguments.format, rules=arguments.rule, out=arguments.out)
    except (CoreUnavailable, CoreFailed) as problem:
        print(problem, file=sys.stderr)
        return 2
    print(result.summary())
    print(f"findings JSON: {result.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
