"""One run of the page or the API: the upload goes into a private temporary folder, crfmap validates (and
converts when asked), and everything to download is read back into memory; the folder is removed before the
response is sent, so nothing of the upload stays on disk. Results live in memory for a limited time."""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crfmap import api
from crfmap.issues import FatalIssue, Report

MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".zip": "application/zip",
}
_SAFE_SUFFIXES = (".xlsx", ".xlsm", ".csv")


@dataclass(frozen=True)
class RunRequest:
    """What the user sent: the workbook's bytes and name, the study, and what to make."""

    data: bytes
    filename: str
    study: str
    waivers: bytes | None = None
    convert: bool = False
    targets: tuple[str, ...] = ()
    flags: tuple[tuple[str, str], ...] = ()  # (target, option name) of the writers' on/off options asked for
    allow_errors: bool = False
    allow_unmapped: bool = False
    redact: bool = False


@dataclass
class RunResult:
    id: str
    report: Report
    redact: bool
    files: dict[str, bytes] = field(default_factory=dict)  # name → content, all in memory
    written: dict[str, list[str]] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)

    def as_dict(self, base: str) -> dict[str, Any]:
        return {"id": self.id, "status": int(self.report.exit_status), "report": self.report.as_dict(
                    redact=self.redact, coverage=True),
                "outputs": self.written, "files": {name: f"{base}/files/{name}" for name in sorted(self.files)}}


def execute(request: RunRequest, study: Any, read_limits: api.ReadLimits) -> RunResult:
    """Run crfmap on the upload. Raises FatalIssue when the file, the mapping or the waivers cannot be used."""
    run_id = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="crfmap-serve-") as temporary:
        folder = Path(temporary)
        suffix = Path(request.filename).suffix.lower()
        workbook = folder / ("upload" + (suffix if suffix in _SAFE_SUFFIXES else ""))
        workbook.write_bytes(request.data)
        waivers = None
        if request.waivers is not None:
            waivers = folder / "waivers.yaml"
            waivers.write_bytes(request.waivers)
        read_options = api.ReadOptions(limits=read_limits)
        written: dict[str, list[str]] = {}
        if request.convert:
            chosen: dict[str, dict[str, Any]] = {}
            for target, name in request.flags:
                chosen.setdefault(target, {})[name] = True
            options = api.ConvertOptions(targets=request.targets or tuple(api.WRITERS), out=folder / "out",
                                         writer_options=chosen, allow_errors=request.allow_errors,
                                         allow_unmapped=request.allow_unmapped, waivers=waivers)
            outcome = api.convert_workbook(workbook, study, options, read_options=read_options, keep_cells=True)
            if outcome.validation is None:
                raise FatalIssue(*outcome.report.errors)
            result, written = outcome.validation, outcome.written
        else:
            result = api.validate_workbook(workbook, study, read_options=read_options, keep_cells=True,
                                           waivers=waivers)
        report = result.report
        report.run = _named(report, request.filename)
        annotated, _ = api.annotate_workbook(result, folder / "annotated.xlsx", workbook, redact=request.redact)
        reports = [folder / "report.xlsx", folder / "report.json", folder / "report.html"]
        api.write_reports(report, reports, redact=request.redact, linked_workbook=annotated)
        files = {path.name: path.read_bytes() for path in [annotated, *reports]}
        if written:
            files["outputs.zip"] = _zip_folder(folder / "out", written)
    return RunResult(id=run_id, report=report, redact=request.redact, files=files, written=written)


def _named(report: Report, filename: str) -> Any:
    """The run header with the name the user's file had (the temporary copy is called 'upload')."""
    from dataclasses import replace

    name = Path(filename).name or "upload"
    return None if report.run is None else replace(report.run, input_name=name)


def _zip_folder(out: Path, written: dict[str, list[str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for target, names in sorted(written.items()):
            for name in sorted(names):
                entry = zipfile.ZipInfo(f"{target}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                package.writestr(entry, (out / target / name).read_bytes())
    return buffer.getvalue()


class RunStore:
    """Finished runs in memory only: at most `capacity`, each for at most `lifetime` seconds."""

    def __init__(self, capacity: int = 20, lifetime: float = 3600.0) -> None:
        self.capacity, self.lifetime = capacity, lifetime
        self.runs: OrderedDict[str, RunResult] = OrderedDict()
        self.lock = threading.Lock()

    def add(self, result: RunResult) -> None:
        with self.lock:
            self._expire()
            self.runs[result.id] = result
            while len(self.runs) > self.capacity:
                self.runs.popitem(last=False)

    def get(self, run_id: str) -> RunResult | None:
        with self.lock:
            self._expire()
            return self.runs.get(run_id)

    def _expire(self) -> None:
        now = time.monotonic()
        for run_id in [key for key, run in self.runs.items() if now - run.created > self.lifetime]:
            del self.runs[run_id]
