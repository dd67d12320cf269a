"""`crfmap convert-many` on a dask.distributed LocalCluster (two single-threaded worker processes) and on the
local executor: its outputs are byte for byte those of one `crfmap convert` of the same data.

Inputs are made here, deterministically, from the reference workbooks:
- a large export: clean.xlsx with its subjects copied five more times under new ids (84 subjects), converted
  with `--partitions 3` (rows split by subject hash) against `convert` of the same file: every file and the
  JSON report equal;
- site exports: clean.xlsx with the other site's rows emptied (positions unchanged), one file per site,
  against `convert` of the whole workbook: SDTM equal byte for byte; FHIR equal once the input's name and
  digest, which provenance must name, are swapped for the whole workbook's;
- messy.xlsx, whole and split, giving the same issues at the same cells.
The outputs are also checked with HL7's R4 JSON Schema, CDISC's Dataset-JSON schema, the Define-XML XSD and
pyreadstat (tests/golden/checks.py; the FHIR schema on the NDJSON of one case, as it takes a minute per
dozen subjects). No wall-clock assertions; a hang guard fails a test after 15 minutes.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from crfmap.api.selection import subject_partition
from crfmap.cli import main
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.golden.checks import check_fhir, check_sdtm
from tests.published import crfmap_debris, read_published

HANG_GUARD_SECONDS = 900
SUBJECT = re.compile(r"^(0[12])-(\d{3})$")
FHIR_OPTIONS = ("--ndjson",)
SDTM_OPTIONS = ("--sdtm-format", "xpt", "--sdtm-format", "json", "--sdtm-format", "ndjson", "--transliterate")


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Fails a test that hangs (a lost worker, a scheduler that never answers) instead of blocking CI."""
    def fail(_signal: int, _frame: Any) -> None:
        raise TimeoutError(f"hang guard: the test ran over {HANG_GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes, as `--scheduler` names an existing cluster."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def resave(source: Path, target: Path, keep: Any = None, copies: int = 0) -> Path:
    """`source` saved by openpyxl: rows for which `keep(subject)` is false emptied in place (so every other cell
    keeps its position), and with `copies` the subjects' rows appended again under new ids (01-001 → 01-101 …)."""
    book = openpyxl.load_workbook(source)
    for sheet in book.worksheets:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        subject_rows = False  # rows above the first subject (titles, the header) stay in every export
        for row in sheet.iter_rows(min_row=2):
            match = SUBJECT.match(str(row[0].value or ""))
            subject_rows = subject_rows or match is not None
            if keep is not None and subject_rows and not keep(match):
                for cell in row:
                    cell.value = None
        for copy in range(1, copies + 1):
            for values in rows:
                match = SUBJECT.match(str(values[0] or ""))
                if match is None:
                    continue
                sheet.append([f"{match[1]}-{copy}{match[2][1:]}", *values[1:]])
    book.save(target)
    return target


def convert(source: Path, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["convert", str(source), "--study", str(STUDY), "--out", str(out),
                                     *FHIR_OPTIONS, *SDTM_OPTIONS, *extra], catch_exceptions=False)


def convert_many(exports: Path, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["convert-many", str(exports), "--study", str(STUDY), "--out", str(out),
                                     *FHIR_OPTIONS, *SDTM_OPTIONS, *extra], catch_exceptions=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def issue_places(report: Path) -> list[tuple[Any, ...]]:
    data = json.loads(report.read_bytes())
    return [(issue["code"], issue.get("sheet"), issue.get("cell"), issue.get("subject"), issue.get("message"))
            for issue in data["issues"]]


# ── one large export, partitioned by subject hash ────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large") / "exports"
    folder.mkdir()
    return resave(CLEAN, folder / "registry.xlsx", copies=5)


def test_large_export_partitioned_on_dask_equals_one_process(large_export: Path, scheduler: str,
                                                             tmp_path: Path) -> None:
    one = convert(large_export, tmp_path / "one", "--report", str(tmp_path / "one.json"))
    assert one.exit_code == 0, one.output[-3000:]
    many = convert_many(large_export.parent, tmp_path / "many", "--executor", "dask", "--scheduler", scheduler,
                        "--partitions", "3", "--report", str(tmp_path / "many.json"))
    assert many.exit_code == 0, many.output[-3000:]
    expected, written = read_published(tmp_path / "one"), read_published(tmp_path / "many")
    assert len(expected) > 40 and sorted(written) == sorted(expected)
    assert [name for name in expected if written[name] != expected[name]] == []
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert "registry.xlsx: 3 partition(s)" in many.stdout
    # the partitions really split the work: every one of them holds some of the 84 subjects
    patients = [json.loads(line)["identifier"][0]["value"]
                for line in written["fhir/Patient.ndjson"].decode().splitlines()]
    assert len(patients) == 84
    assert {subject_partition(subject, 3) for subject in patients} == {0, 1, 2}
    assert check_sdtm(tmp_path / "many" / "sdtm") == []
    assert crfmap_debris(tmp_path / "many") == []


def test_messy_export_partitioned_gives_the_same_issues_at_the_same_cells(scheduler: str, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / MESSY.name).write_bytes(MESSY.read_bytes())
    extra = ("--allow-errors", "--allow-unmapped")
    one = convert(MESSY, tmp_path / "one", *extra, "--report", str(tmp_path / "one.json"))
    many = convert_many(exports, tmp_path / "many", *extra, "--executor", "dask", "--scheduler", scheduler,
                        "--partitions", "4", "--report", str(tmp_path / "many.json"))
    assert one.exit_code == many.exit_code == 1, many.output[-3000:]
    places = issue_places(tmp_path / "many.json")
    assert len(places) > 20 and places == issue_places(tmp_path / "one.json")
    assert {code for code, *_ in places} >= {"S101", "W007"}
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert read_published(tmp_path / "many") == read_published(tmp_path / "one")


def test_local_executor_equals_one_process(large_export: Path, tmp_path: Path) -> None:
    one = convert(large_export, tmp_path / "one", "--format", "json")
    many = convert_many(large_export.parent, tmp_path / "many", "--partitions", "2", "--format", "json")
    assert one.exit_code == many.exit_code == 0, many.output[-3000:]
    assert read_published(tmp_path / "many") == read_published(tmp_path / "one")
    printed, expected = json.loads(many.stdout), json.loads(one.stdout)
    assert [export["name"] for export in printed.pop("exports")] == ["registry.xlsx"]
    assert printed == expected


# ── several site exports ─────────────────────────────────────────────────────────────────────────────────


def split_by_site(source: Path, folder: Path) -> tuple[Path, list[Path]]:
    """The whole workbook (re-saved the same way) and one export per site, each with the other site's rows
    emptied; rows whose subject id names no site stay in site 01's export."""
    folder.mkdir()
    whole = resave(source, folder.parent / "whole.xlsx")
    sites = [resave(source, folder / "site-01.xlsx", keep=lambda match: match is None or match[1] == "01"),
             resave(source, folder / "site-02.xlsx", keep=lambda match: match is not None and match[1] == "02")]
    return whole, sites


def as_whole(published: dict[str, bytes], names: list[str], folder: str, digests: list[str],
             whole: Path) -> dict[str, bytes]:
    """FHIR output with the exports' names and digests, which provenance names, swapped for the whole
    workbook's: what remains must be equal byte for byte."""
    swapped = {}
    for name, content in published.items():
        text = content.decode("utf-8")
        for old in (*names, folder):
            text = text.replace(f'"{old}"', f'"{whole.name}"').replace(f"{old} › ", f"{whole.name} › ")
            text = text.replace(f'"file":"{old}"', f'"file":"{whole.name}"')
        for digest in digests:
            text = text.replace(digest, sha256(whole))
        swapped[name] = text.encode("utf-8")
    return swapped


def test_site_exports_on_dask_equal_one_process_of_the_whole(scheduler: str, tmp_path: Path) -> None:
    whole, sites = split_by_site(CLEAN, tmp_path / "exports")
    one = convert(whole, tmp_path / "one")
    assert one.exit_code == 0, one.output[-3000:]
    many = convert_many(tmp_path / "exports", tmp_path / "many", "--executor", "dask", "--scheduler", scheduler,
                        "--format", "json", "--report", str(tmp_path / "many.json"))
    assert many.exit_code == 0, many.output[-3000:]
    expected, written = read_published(tmp_path / "one"), read_published(tmp_path / "many")
    assert sorted(written) == sorted(expected)
    sdtm = [name for name in expected if name.startswith("sdtm/")]
    assert len(sdtm) > 30 and all(written[name] == expected[name] for name in sdtm)
    manifest = "".join(f"{sha256(site)}  {site.name}\n" for site in sites)
    digests = [sha256(site) for site in sites] + [hashlib.sha256(manifest.encode()).hexdigest()]
    fhir = {name: content for name, content in written.items() if name.startswith("fhir/")}
    assert any(b"exports" in content for content in fhir.values())  # provenance names the folder of exports
    swapped = as_whole(fhir, [site.name for site in sites], "exports", digests, whole)
    assert [name for name in fhir if swapped[name] != expected[name]] == []
    # the report covers every export, by name
    printed = json.loads(many.stdout)
    assert [(export["name"], export["partitions"]) for export in printed["exports"]] == [
        ("site-01.xlsx", 1), ("site-02.xlsx", 1)]
    assert printed["run"]["input"]["name"] == "exports"
    assert printed["run"]["input"]["sha256"] == digests[-1]
    assert check_sdtm(tmp_path / "many" / "sdtm") == []
    ndjson = tmp_path / "ndjson"  # every resource once (the bundles hold the same ones again)
    ndjson.mkdir()
    for name, content in fhir.items():
        if name.endswith(".ndjson"):
            (ndjson / Path(name).name).write_bytes(content)
    assert check_fhir(ndjson) == []


def test_site_exports_local_and_dask_write_the_same_bytes(scheduler: str, tmp_path: Path) -> None:
    split_by_site(MESSY, tmp_path / "exports")
    extra = ("--allow-errors", "--allow-unmapped")
    local = convert_many(tmp_path / "exports", tmp_path / "local", *extra, "--partitions", "2",
                         "--report", str(tmp_path / "local.json"))
    dask = convert_many(tmp_path / "exports", tmp_path / "dask", *extra, "--executor", "dask", "--scheduler",
                        scheduler, "--partitions", "2", "--report", str(tmp_path / "dask.json"))
    assert local.exit_code == dask.exit_code == 1, dask.output[-3000:]
    assert (tmp_path / "dask.json").read_bytes() == (tmp_path / "local.json").read_bytes()
    assert read_published(tmp_path / "dask") == read_published(tmp_path / "local")


def test_site_exports_report_the_issues_of_the_whole_at_the_same_cells(tmp_path: Path) -> None:
    whole, _sites = split_by_site(MESSY, tmp_path / "exports")
    extra = ("--allow-errors", "--allow-unmapped", "--format", "json")
    one = convert(whole, tmp_path / "one", *extra)
    many = convert_many(tmp_path / "exports", tmp_path / "many", *extra)
    assert one.exit_code == many.exit_code == 1
    whole_issues = json.loads(one.stdout)["issues"]
    site_issues = json.loads(many.stdout)["issues"]

    def place(issue: dict[str, Any]) -> tuple[Any, ...]:
        return (issue["code"], issue.get("sheet"), issue.get("cell"), issue.get("subject"))

    # every subject's issues once, at the same cells; what is about the sheet itself (a title cell, an unknown
    # header: in both exports) is said for each export that has it
    subjects = [place(issue) for issue in site_issues if issue.get("subject")]
    assert len(subjects) > 20 and sorted(subjects) == sorted(place(issue) for issue in whole_issues
                                                             if issue.get("subject"))
    sheets = [(place(issue), issue["file"]) for issue in site_issues if not issue.get("subject")]
    assert {where for where, _file in sheets} == {place(issue) for issue in whole_issues if not issue.get("subject")}
    assert len(sheets) == len(set(sheets)) and ((("S004", "Терапия", "K1", None), "site-02.xlsx") in sheets)
    for issue in site_issues:  # each issue names the export its subject came from
        if issue.get("subject") and SUBJECT.match(issue["subject"]) and issue.get("sheet"):
            assert issue["file"] == f"site-{issue['subject'][:2]}.xlsx", issue


# ── what only the driver can see, and refusals ───────────────────────────────────────────────────────────


def test_a_subject_in_two_exports_is_an_error_at_its_cell(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    resave(CLEAN, exports / "a.xlsx", keep=lambda match: match is not None and match[2] in ("001", "002"))
    resave(CLEAN, exports / "b.xlsx", keep=lambda match: match is not None and match[2] in ("002", "003"))
    rows = {row[0].value: row[0].row for row in openpyxl.load_workbook(CLEAN)["Demographics"].iter_rows()}
    refused = convert_many(exports, tmp_path / "out", "--format", "json")
    assert refused.exit_code == 1
    repeated = [issue for issue in json.loads(refused.stdout)["issues"] if issue["code"] == "R055"]
    assert [(issue["file"], issue["sheet"], issue["cell"], issue["subject"]) for issue in repeated] == [
        ("b.xlsx", "Demographics", f"A{rows['01-002']}", "01-002"),
        ("b.xlsx", "Demographics", f"A{rows['02-002']}", "02-002")]
    assert all("a.xlsx" in issue["message"] for issue in repeated)
    assert not (tmp_path / "out" / "fhir").exists()
    allowed = convert_many(exports, tmp_path / "out", "--allow-errors", "--to", "sdtm", "--format", "json")
    assert allowed.exit_code == 1
    import pyreadstat

    frame, _meta = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "dm.xpt"))
    assert sorted(frame["USUBJID"].str.rsplit("-", n=2).str[-2:].str.join("-")) == [
        "01-001", "01-002", "01-003", "02-001", "02-002", "02-003"]


def test_refusals_say_what_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = convert_many(tmp_path / "nowhere", tmp_path / "out")
    assert missing.exit_code == 2 and "R056" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = convert_many(tmp_path / "empty", tmp_path / "out")
    assert empty.exit_code == 2 and "R056" in empty.stderr
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / CLEAN.name).write_bytes(CLEAN.read_bytes())
    inside = convert_many(exports, exports / "out")
    assert inside.exit_code == 2 and "W001" in inside.stderr
    usage = convert_many(exports, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:1")
    assert usage.exit_code == 2 and "--scheduler goes with --executor dask" in usage.output
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    without = convert_many(exports, tmp_path / "out", "--executor", "dask")
    assert without.exit_code == 2
    assert "W145" in without.stderr and "crfmap[dask]" in without.stderr
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_w146(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    import dask.config

    from crfmap.api import ConvertOptions, ManyOptions
    from crfmap.api import convert_many as run_many
    from crfmap.issues import FatalIssue

    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / CLEAN.name).write_bytes(CLEAN.read_bytes())
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), pytest.raises(FatalIssue) as refused:
        run_many(exports, STUDY, ConvertOptions(out=tmp_path / "out"),
                 ManyOptions(executor="dask", scheduler="tcp://127.0.0.1:9"))
    assert [issue.code for issue in refused.value.issues] == ["W146"]
    assert not (tmp_path / "out").exists()


def test_dask_without_scheduler_runs_on_a_cluster_of_its_own(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    split_by_site(CLEAN, tmp_path / "exports")
    local = convert_many(tmp_path / "exports", tmp_path / "local", "--partitions", "2")
    dask = convert_many(tmp_path / "exports", tmp_path / "dask", "--partitions", "2", "--executor", "dask",
                        "--workers", "1")
    assert local.exit_code == dask.exit_code == 0, dask.output[-3000:]
    assert dask.stdout == local.stdout
    assert read_published(tmp_path / "dask") == read_published(tmp_path / "local")
