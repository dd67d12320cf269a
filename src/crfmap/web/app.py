"""The Starlette application of `crfmap serve` and how it is started.

    GET  /                       the upload page
    GET  /api/studies            the studies this server knows (JSON)
    POST /runs                   a workbook (multipart: workbook, study, [waivers], [convert, to, option,
                                 allow_errors, allow_unmapped, redact]; option is a writer's on/off option as
                                 target.name, e.g. sdtm.transliterate) → 303 to the run's page, or with `Accept: application/json` → 201 and
                                 the run as JSON (report with run header, outputs, file links)
    GET  /runs/{id}              the HTML report with its downloads (JSON with Accept: application/json)
    GET  /runs/{id}/files/{name} annotated.xlsx, report.xlsx, report.json, report.html, outputs.zip
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from crfmap import api
from crfmap.issues import FatalIssue, PackedIssues, Report, make_issue
from crfmap.issues.text import render_issue
from crfmap.web.guards import TOKEN_COOKIE, BodyTooLarge, Guard
from crfmap.web.jobs import MEDIA_TYPES, RunRequest, RunResult, RunStore, execute
from crfmap.web.pages import problem_page, upload_page

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass
class ServeSettings:
    mappings: Path = Path("mappings")
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None  # required when the host is not loopback (made up and printed when not given)
    max_upload_mb: int = 50
    workers: int = 2  # runs at once; more wait their turn
    read_limits: api.ReadLimits = field(default_factory=api.ReadLimits)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_studies(mappings: Path) -> dict[str, Any]:
    """Every mapping folder under `mappings` (a folder with study.yaml), loaded and linted once."""
    mappings = Path(mappings)
    folders = sorted(path for path in mappings.iterdir() if (path / "study.yaml").is_file()) \
        if mappings.is_dir() else []
    if not folders:
        raise FatalIssue(make_issue("P001", value=str(mappings), file=mappings.name,
                                    expected="a folder of mapping folders (each with study.yaml) for --mappings"))
    studies = {}
    for folder in folders:
        studies[folder.name], _ = api.load_mapping(folder)
    return studies


def create_app(settings: ServeSettings) -> Any:
    studies = find_studies(settings.mappings)
    store = RunStore()
    limiter = anyio.CapacityLimiter(settings.workers)

    async def home(request: Request) -> Response:
        response: Response = HTMLResponse(upload_page(sorted(studies), settings.max_upload_mb))
        token = request.query_params.get("token")
        if settings.token is not None and token is not None:  # remember the token, drop it from the address
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    async def list_studies(request: Request) -> Response:
        return JSONResponse({"studies": sorted(studies)})

    async def create_run(request: Request) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            run_request = await _read_upload(request, studies)
        except BodyTooLarge:  # sent without a length, and found too long while it arrived
            return _problem(wants_json, 413, [f"the upload is larger than {settings.max_upload_mb} MiB"])
        except ValueError as problem:
            return _problem(wants_json, 400, [str(problem)])
        try:
            result = await anyio.to_thread.run_sync(execute, run_request, studies[run_request.study],
                                                    settings.read_limits, limiter=limiter)
        except FatalIssue as fatal:
            shown = Report(PackedIssues(fatal.issues)).presented(redact=run_request.redact)
            if wants_json:
                return JSONResponse({"issues": [issue.as_dict() for issue in shown]}, status_code=422)
            return _problem(False, 422, [render_issue(issue) for issue in shown])
        store.add(result)
        if wants_json:
            return JSONResponse(result.as_dict(f"/runs/{result.id}"), status_code=201,
                                headers={"location": f"/runs/{result.id}"})
        return RedirectResponse(f"/runs/{result.id}", status_code=303)

    async def show_run(request: Request) -> Response:
        result = store.get(request.path_params["run_id"])
        if result is None:
            return _problem("application/json" in request.headers.get("accept", ""), 404,
                            ["no such run here (runs are kept in memory for an hour at most)"])
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(result.as_dict(f"/runs/{result.id}"))
        return HTMLResponse(_report_page(result))

    async def download(request: Request) -> Response:
        result = store.get(request.path_params["run_id"])
        name = request.path_params["name"]
        if result is None or name not in result.files:
            return JSONResponse({"error": "no such file"}, status_code=404)
        download_name = f"{Path(result.report.run.input_name).stem if result.report.run else 'workbook'}.{name}"
        return Response(result.files[name], media_type=MEDIA_TYPES[Path(name).suffix],
                        headers={"content-disposition": _attachment(download_name)})

    routes = [Route("/", home), Route("/api/studies", list_studies), Route("/runs", create_run, methods=["POST"]),
              Route("/runs/{run_id}", show_run), Route("/runs/{run_id}/files/{name}", download)]
    hosts = {settings.host.lower(), *LOOPBACK_NAMES} if is_loopback(settings.host) else None
    if hosts is None and settings.token is None:
        raise ValueError("a server reachable beyond loopback needs an access token")
    return Guard(Starlette(routes=routes), max_body=settings.max_upload_mb * 1024 * 1024, hosts=hosts,
                 token=settings.token)


async def _read_upload(request: Request, studies: dict[str, Any]) -> RunRequest:
    form = await request.form(max_files=2, max_fields=20)
    try:
        workbook = form.get("workbook")
        if workbook is None or isinstance(workbook, str) or not workbook.filename:
            raise ValueError("send the workbook as the form field 'workbook'")
        study = str(form.get("study") or "")
        if study not in studies:
            raise ValueError(f"unknown study {study!r}; this server knows {', '.join(sorted(studies))}")
        waivers = form.get("waivers")
        waiver_bytes = await waivers.read() if waivers is not None and not isinstance(waivers, str) \
            and waivers.filename else None
        targets = tuple(str(value) for value in form.getlist("to") if str(value) in api.WRITERS)
        flags = {(name, spec.name) for name, writer in api.WRITERS.items() for spec in writer.options
                 if spec.kind == "flag"}
        asked = {(str(value).partition(".")[0], str(value).partition(".")[2]) for value in form.getlist("option")}
        if asked - flags:
            raise ValueError(f"unknown option(s) {', '.join(sorted('.'.join(pair) for pair in asked - flags))}")
        return RunRequest(data=await workbook.read(), filename=workbook.filename, study=study,
                          waivers=waiver_bytes, convert=_yes(form.get("convert")), targets=targets,
                          flags=tuple(sorted(asked)),
                          allow_errors=_yes(form.get("allow_errors")), allow_unmapped=_yes(form.get("allow_unmapped")),
                          redact=_yes(form.get("redact")))
    finally:
        await form.close()  # spooled uploads are deleted now, not at some later collection


def _yes(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in ("yes", "true", "1", "on")


def _problem(wants_json: bool, status: int, lines: list[str]) -> Response:
    if wants_json:
        return JSONResponse({"error": "; ".join(lines)}, status_code=status)
    return HTMLResponse(problem_page(lines), status_code=status)


def _attachment(name: str) -> str:
    from urllib.parse import quote

    plain = "".join(character if character.isascii() and character not in '"\\;' else "_" for character in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def _report_page(result: RunResult) -> str:
    labels = {"annotated.xlsx": "Annotated workbook (.xlsx)", "report.xlsx": "Report (.xlsx)",
              "report.json": "Report (JSON)", "report.html": "This report (.html)", "outputs.zip": "Outputs (.zip)"}
    downloads = [(labels.get(name, name), f"/runs/{result.id}/files/{name}") for name in labels if name in result.files]
    downloads.append(("Check another workbook", "/"))
    return api.html_report(result.report, redact=result.redact, downloads=downloads)


def serve(settings: ServeSettings, announce: Any = print) -> None:
    """Run the server until interrupted. Beyond loopback a token is required: one is made up when not given.
    `announce` is told the address to open (with the token)."""
    import uvicorn

    if not is_loopback(settings.host) and settings.token is None:
        settings.token = secrets.token_urlsafe(24)
    app = create_app(settings)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    address = f"http://{shown_host}:{settings.port}/" + (f"?token={settings.token}" if settings.token else "")
    announce(f"crfmap serve: open {address}  (Ctrl+C stops)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", server_header=False)
