"""`crfmap serve` over HTTP, as an integration engine would call it: a real server on loopback, httpx as the
client. Reports match the command line's; concurrent uploads keep apart; hostile and oversized uploads are
refused; nothing of an upload stays on disk; Host, Origin and token checks hold."""

from __future__ import annotations

import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openpyxl
import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.reference import CLEAN, FIXTURES, STUDY
from tests.hostile.make_corpus import make_bomb_lying
from tests.web.server import LoopbackServer

MESSY = FIXTURES / "messy.xlsx"
JSON = {"accept": "application/json"}
STUDY_NAME = STUDY.name


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LoopbackServer(tmp_path_factory.mktemp("serve-tmp"), "--max-upload-mb", "2", "--workers", "2") as running:
        yield running


def post_run(server: LoopbackServer, path: Path, **fields: str) -> httpx.Response:
    with path.open("rb") as stream:
        return httpx.post(f"{server.base}/runs", headers={**JSON, **server.auth}, timeout=120,
                          files={"workbook": (path.name, stream)}, data={"study": STUDY_NAME, **fields})


def cli_tuples(path: Path) -> list[tuple[str, str, str]]:
    shown = CliRunner().invoke(main, ["validate", str(path), "--study", str(STUDY), "--format", "json"])
    return [(issue["code"], issue["sheet"], issue["cell"]) for issue in json.loads(shown.stdout)["issues"]]


def test_json_run_matches_the_command_line_and_offers_every_file(server):
    answer = post_run(server, MESSY)
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert answer.headers["location"] == f"/runs/{run['id']}"
    assert run["status"] == 1
    found = [(issue["code"], issue["sheet"], issue["cell"]) for issue in run["report"]["issues"]]
    assert found == cli_tuples(MESSY)
    assert run["report"]["run"]["input"]["name"] == "messy.xlsx"
    assert run["report"]["run"]["input"]["sha256"] == __import__("hashlib").sha256(MESSY.read_bytes()).hexdigest()
    assert sorted(run["files"]) == ["annotated.xlsx", "report.html", "report.json", "report.xlsx"]
    annotated = httpx.get(server.base + run["files"]["annotated.xlsx"], timeout=60)
    assert annotated.status_code == 200
    assert "attachment" in annotated.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(annotated.content))
    assert book.sheetnames[0] == "crfmap issues"
    assert book["НЯ"]["B8"].comment is not None and "S104" in book["НЯ"]["B8"].comment.text
    report = openpyxl.load_workbook(io.BytesIO(httpx.get(server.base + run["files"]["report.xlsx"]).content))
    assert report.sheetnames == ["Summary", "Issue summary", "Details", "Rules"]
    again = httpx.get(f"{server.base}/runs/{run['id']}", headers=JSON)
    assert again.json()["report"] == run["report"]


def test_convert_returns_the_outputs_as_a_zip(server):
    answer = post_run(server, CLEAN, convert="yes", to="sdtm")
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["status"] == 0 and list(run["outputs"]) == ["sdtm"]
    package = zipfile.ZipFile(io.BytesIO(httpx.get(server.base + run["files"]["outputs.zip"]).content))
    names = package.namelist()
    assert "sdtm/define.xml" in names and any(name.endswith(".xpt") for name in names)
    assert {f"sdtm/{name}" for name in run["outputs"]["sdtm"]} == set(names)


def test_concurrent_uploads_keep_apart(server):
    uploads = [CLEAN, MESSY] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda path: post_run(server, path), uploads))
    assert [answer.status_code for answer in answers] == [201] * 6
    runs = [answer.json() for answer in answers]
    assert len({run["id"] for run in runs}) == 6
    expected = {CLEAN: cli_tuples(CLEAN), MESSY: cli_tuples(MESSY)}
    for path, run in zip(uploads, runs, strict=True):
        assert run["report"]["run"]["input"]["name"] == path.name
        assert [(issue["code"], issue["sheet"], issue["cell"]) for issue in run["report"]["issues"]] \
            == expected[path]


def test_hostile_file_is_refused_with_the_reader_code(server, tmp_path):
    bomb = make_bomb_lying(tmp_path)
    answer = post_run(server, bomb)
    assert answer.status_code == 422
    codes = {issue["code"] for issue in answer.json()["issues"]}
    assert codes & {"R006", "R007"}, answer.text


def test_oversized_upload_is_refused(server):
    big = b"x" * (3 * 1024 * 1024)
    declared = httpx.post(f"{server.base}/runs", files={"workbook": ("big.csv", big)}, data={"study": STUDY_NAME},
                          headers=JSON, timeout=60)
    assert declared.status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        yield (b'--x\r\nContent-Disposition: form-data; name="workbook"; filename="big.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\n")
        for _ in range(48):
            yield b"y" * 65536

    streamed = httpx.post(f"{server.base}/runs", content=chunks(), timeout=60,
                          headers={**JSON, "content-type": "multipart/form-data; boundary=x"})
    assert streamed.status_code == 413


def test_writer_options_reach_the_writers(server):
    answer = post_run(server, CLEAN, convert="yes", to="fhir", option="fhir.ndjson")
    run = answer.json()
    assert answer.status_code == 201 and "Patient.ndjson" in run["outputs"]["fhir"]  # --ndjson adds Bulk files
    plain = post_run(server, CLEAN, convert="yes", to="fhir").json()
    assert not any(name.endswith(".ndjson") for name in plain["outputs"]["fhir"])
    refused = post_run(server, CLEAN, convert="yes", option="fhir.evil")
    assert refused.status_code == 400 and "fhir.evil" in refused.json()["error"]


def test_bad_requests_are_explained(server):
    no_file = httpx.post(f"{server.base}/runs", data={"study": STUDY_NAME}, headers=JSON)
    assert no_file.status_code == 400 and "workbook" in no_file.json()["error"]
    with CLEAN.open("rb") as stream:
        unknown = httpx.post(f"{server.base}/runs", files={"workbook": ("c.xlsx", stream)},
                             data={"study": "../../etc"}, headers=JSON)
    assert unknown.status_code == 400 and "unknown study" in unknown.json()["error"]
    assert httpx.get(f"{server.base}/runs/nope", headers=JSON).status_code == 404
    assert httpx.get(f"{server.base}/runs/nope/files/annotated.xlsx").status_code == 404


def test_other_hosts_and_sites_are_refused(server):
    rebound = httpx.get(f"{server.base}/api/studies", headers={"host": "evil.example"})
    assert rebound.status_code == 421
    with CLEAN.open("rb") as stream:
        cross_site = httpx.post(f"{server.base}/runs", files={"workbook": ("c.xlsx", stream)},
                                data={"study": STUDY_NAME}, headers={"origin": "https://evil.example", **JSON})
    assert cross_site.status_code == 403
    page = httpx.get(server.base + "/")
    assert page.headers["x-frame-options"] == "DENY" and "default-src 'none'" in page.text


def test_nothing_of_an_upload_stays_on_disk(server):
    assert post_run(server, MESSY, convert="yes", allow_errors="yes", allow_unmapped="yes").status_code \
        == 201
    assert server.leftovers() == []


def test_a_token_is_required_when_one_is_set(tmp_path):
    with LoopbackServer(tmp_path / "tmp", "--token", "s3cret-token") as guarded:
        assert httpx.get(f"{guarded.base}/api/studies").status_code == 401
        assert httpx.get(f"{guarded.base}/api/studies", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{guarded.base}/api/studies", headers=guarded.auth).status_code == 200
        with httpx.Client(base_url=guarded.base) as browser_like:  # the printed address sets a cookie
            first = browser_like.get("/?token=s3cret-token")
            assert first.status_code == 303 and first.headers["location"] == "/"
            assert browser_like.get("/api/studies").status_code == 200


def test_beyond_loopback_a_token_is_made_up(monkeypatch, tmp_path):
    """Binding to another address (not done here: tests stay on loopback) never serves without a token."""
    import uvicorn

    from crfmap.web import ServeSettings, create_app, serve

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    lines: list[str] = []
    settings = ServeSettings(mappings=STUDY.parent, host="0.0.0.0")
    serve(settings, announce=lines.append)
    assert settings.token and len(settings.token) >= 24
    assert started["host"] == "0.0.0.0" and f"?token={settings.token}" in lines[0]
    with pytest.raises(ValueError, match="access token"):
        create_app(ServeSettings(mappings=STUDY.parent, host="0.0.0.0"))


def test_a_mappings_folder_without_studies_is_refused_clearly(tmp_path):
    from crfmap.issues import FatalIssue
    from crfmap.web import ServeSettings, create_app

    with pytest.raises(FatalIssue) as refused:
        create_app(ServeSettings(mappings=tmp_path / "nowhere"))
    assert refused.value.issues[0].code == "P001"
    shown = CliRunner().invoke(main, ["serve", "--mappings", str(tmp_path)])
    assert shown.exit_code == 2 and " P001 " in shown.stderr and "Traceback" not in shown.stderr
