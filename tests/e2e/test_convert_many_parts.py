"""`convert-many --to fhir`: the partitions write (issue #16, per-partition outputs and a deterministic merge).

When every target makes its output one subject at a time (FHIR bundles and NDJSON), each partition makes its
subjects' bundles and NDJSON lines where it runs and sends back those bytes, not its records; the driver writes
them in subject order. What is checked here:
- a large export in 3 partitions on a dask LocalCluster (parts sent back in the results), and in 2 on the
  local and processes executors (parts left in files on this machine), against `convert` of the same file: every
  file and the JSON report equal byte for byte; the partitions really sent parts; their files are gone after;
- the messy workbook with --allow-errors: subjects left out for want of a demographics row (W007) at the same
  cells, and the same files;
- site exports where a subject is in two exports (R055): the FHIR files equal those of the records path of the
  same run (`--to fhir --to sdtm`, which sends records to the driver), so provenance is the same on both sides;
- a writer that cannot start (W040, no fixed Provenance time): said once, nothing written, as `convert` says it;
- the output passes HL7's R4 JSON Schema.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from crfmap.api import partitions as partitions_module
from crfmap.api.conversion import ConvertOptions
from crfmap.api.many import _parts_plan
from crfmap.api.mapping import load_mapping
from crfmap.api.partitions import PICKLED_CHUNK, Partition, PickledParts, SpilledParts, convert_partition
from crfmap.api.selection import subject_partition
from crfmap.model import Record
from crfmap.model import spool as spool_module
from crfmap.model.spool import RecordSpool, SealedRecords
from crfmap.writers import WRITERS, WriteRequest
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.e2e.test_convert_many import convert, convert_many, hang_guard, resave, scheduler  # noqa: F401
from tests.golden.checks import check_fhir
from tests.published import crfmap_debris, read_published

FHIR_ONLY = ("--to", "fhir")


@pytest.fixture(scope="module")
def large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large-parts") / "exports"
    folder.mkdir()
    return resave(CLEAN, folder / "registry.xlsx", copies=5)


def test_partitions_send_their_subjects_parts_not_their_records(large_export: Path, tmp_path: Path) -> None:
    mapping, _issues = load_mapping(STUDY)
    options = ConvertOptions(targets=("fhir",), writer_options={"fhir": {"ndjson": True}})
    plan = _parts_plan(large_export.parent, [large_export], mapping, options)
    assert plan is not None and plan.source.file == large_export.name
    result = convert_partition(mapping, None, Partition(large_export.resolve(), index=1, count=3), plan=plan)
    assert result.records == [] and result.records_made > 100
    assert result.parts is not None
    subjects = [part.subject_id for part in result.parts["fhir"]]
    assert subjects == sorted(subjects) and len(subjects) > 10
    assert {subject_partition(subject, 3) for subject in subjects} == {1}
    assert isinstance(result.parts["fhir"], PickledParts)  # as they travel back from another machine
    assert len(result.parts["fhir"].chunks) == -(-len(subjects) // PICKLED_CHUNK)
    bundle = json.loads(next(iter(result.parts["fhir"])).bundle)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    spilled = convert_partition(mapping, None, Partition(large_export.resolve(), index=1, count=3),
                                plan=plan, spill_folder=str(tmp_path))
    assert isinstance(spilled.parts["fhir"], SpilledParts) and spilled.parts["fhir"].count == len(subjects)
    assert [(part.subject_id, part.bundle, part.ndjson) for part in spilled.parts["fhir"]] == [
        (part.subject_id, part.bundle, part.ndjson) for part in result.parts["fhir"]]
    full = convert_partition(mapping, None, Partition(large_export.resolve(), index=1, count=3),
                             plan=plan, spill_folder=str(tmp_path / "gone"))
    assert [issue.code for issue in full.fatal] == ["W147"] and full.parts is None  # the run stops, exit 2
    single = ConvertOptions(targets=("fhir", "sdtm"), writer_options={"fhir": {"single": True}})
    # one bundle for all subjects needs every record at once: the partitions send records
    assert _parts_plan(large_export.parent, [large_export], mapping, single) is None
    both = ConvertOptions(targets=("fhir", "sdtm"))
    # SDTM's parts pay only where the partitions run off the driver's machine (a cluster at --scheduler)
    assert _parts_plan(large_export.parent, [large_export], mapping, both, on_this_machine=True) is None
    assert _parts_plan(large_export.parent, [large_export], mapping, options, on_this_machine=True) is not None
    plan = _parts_plan(large_export.parent, [large_export], mapping, both, on_this_machine=False)
    assert plan is not None and plan.targets == ("fhir", "sdtm")
    result = convert_partition(mapping, None, Partition(large_export.resolve(), index=1, count=3), plan=plan)
    assert result.records == [] and result.parts is not None
    sdtm = list(result.parts["sdtm"])
    assert [part.subject_id for part in sdtm] == subjects  # one SDTM part per subject, in subject order
    assert all(set(part.pieces) >= {"DM", "LB"} for part in sdtm)
    assert {dict(zip(*row))["USUBJID"] for row in sdtm[0].pieces["DM"].rows} == {f"BLINA-PED-ALL-{subjects[0]}"}


def test_large_export_written_by_dask_partitions_equals_one_process(large_export: Path, scheduler: str,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    one = convert(large_export, tmp_path / "one", *FHIR_ONLY, "--report", str(tmp_path / "one.json"))
    assert one.exit_code == 0, one.output[-3000:]
    many = convert_many(large_export.parent, tmp_path / "many", *FHIR_ONLY, "--executor", "dask", "--scheduler",
                        scheduler, "--partitions", "3", "--report", str(tmp_path / "many.json"))
    assert many.exit_code == 0, many.output[-3000:]
    expected, written = read_published(tmp_path / "one"), read_published(tmp_path / "many")
    assert len(expected) > 80 and sorted(written) == sorted(expected)
    assert [name for name in expected if written[name] != expected[name]] == []
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert crfmap_debris(tmp_path / "many") == []
    pretty = convert(large_export, tmp_path / "pretty", *FHIR_ONLY, "--pretty")
    assert pretty.exit_code == 0
    for executor in ("local", "processes"):
        local = convert_many(large_export.parent, tmp_path / executor, *FHIR_ONLY, "--partitions", "2", "--pretty",
                             "--executor", executor)
        assert local.exit_code == 0, local.output[-3000:]
        assert read_published(tmp_path / executor) == read_published(tmp_path / "pretty")
    ndjson = tmp_path / "ndjson"
    ndjson.mkdir()
    for name in ("Patient", "Observation", "Provenance", "ResearchStudy"):
        shutil.copy(tmp_path / "many" / "fhir" / f"{name}.ndjson", ndjson)
    assert check_fhir(ndjson) == []


def test_subjects_left_out_for_want_of_a_subject_row_are_said_at_the_same_cells(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / MESSY.name).write_bytes(MESSY.read_bytes())
    extra = (*FHIR_ONLY, "--allow-errors", "--allow-unmapped")
    one = convert(MESSY, tmp_path / "one", *extra, "--report", str(tmp_path / "one.json"))
    many = convert_many(exports, tmp_path / "many", *extra, "--partitions", "4", "--report",
                        str(tmp_path / "many.json"))
    assert one.exit_code == many.exit_code == 1, many.output[-3000:]
    report = json.loads((tmp_path / "many.json").read_bytes())
    left_out = [issue for issue in report["issues"] if issue["code"] == "W007"]
    assert len(left_out) == 2 and all(issue.get("related") for issue in left_out)
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert read_published(tmp_path / "many") == read_published(tmp_path / "one")


def test_a_subject_in_two_exports_is_written_from_the_first_as_the_records_path_writes_it(
        tmp_path: Path, scheduler: str) -> None:  # noqa: F811
    exports = tmp_path / "exports"
    exports.mkdir()
    resave(CLEAN, exports / "a.xlsx", keep=lambda match: match is not None and match[2] in ("001", "002"))
    resave(CLEAN, exports / "b.xlsx", keep=lambda match: match is not None and match[2] in ("002", "003"))
    extra = ("--to", "fhir", "--to", "sdtm", "--allow-errors", "--partitions", "2", "--format", "json")
    # on a cluster at an address the partitions send FHIR and SDTM parts; here (local) they send records
    parts = convert_many(exports, tmp_path / "parts", *extra, "--executor", "dask", "--scheduler", scheduler)
    records = convert_many(exports, tmp_path / "records", *extra)
    assert parts.exit_code == records.exit_code == 1
    assert [issue["code"] for issue in json.loads(parts.stdout)["issues"]].count("R055") == 2
    assert parts.stdout == records.stdout
    written = read_published(tmp_path / "parts")
    assert len([name for name in written if name.startswith("fhir/")]) == 6 + 9  # 6 subjects' bundles, 9 NDJSON
    dm = json.loads(written["sdtm/dm.json"])
    assert [row[2] for row in dm["rows"]] == [f"BLINA-PED-ALL-{site}-{number}" for site in ("01", "02")
                                              for number in ("001", "002", "003")]  # 002 once each
    assert written == read_published(tmp_path / "records")


def test_a_writer_that_cannot_start_is_said_once_and_nothing_is_written(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    text = (study / "study.yaml").read_text(encoding="utf-8")
    (study / "study.yaml").write_text(text.replace('data_cutoff: "2024-12-31"', ""), encoding="utf-8")
    exports = tmp_path / "exports"
    exports.mkdir()
    resave(CLEAN, exports / "registry.xlsx", copies=1)
    from click.testing import CliRunner

    from crfmap.cli import main

    def run(*command: str) -> dict:
        result = CliRunner().invoke(main, [*command, "--study", str(study), "--to", "fhir", "--format", "json"],
                                    catch_exceptions=False)
        assert result.exit_code == 1, result.output[-3000:]
        return json.loads(result.stdout)

    one = run("convert", str(exports / "registry.xlsx"), "--out", str(tmp_path / "one"))
    many = run("convert-many", str(exports), "--out", str(tmp_path / "many"), "--partitions", "3")
    assert [issue["code"] for issue in many["issues"]].count("W040") == 1
    assert [issue for issue in many["issues"] if issue["code"] == "W040"] == [
        issue for issue in one["issues"] if issue["code"] == "W040"]
    assert not (tmp_path / "many" / "fhir").exists()


def test_the_processes_executor_writes_what_one_process_writes(large_export: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # records left in files of the run's folder (SDTM's parts pay only off this machine), in two worker
    # processes; with FHIR alone, parts; the folder is removed after
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    one = convert(large_export, tmp_path / "one", "--report", str(tmp_path / "one.json"))
    many = convert_many(large_export.parent, tmp_path / "many", "--executor", "processes", "--workers", "2",
                        "--partitions", "3", "--report", str(tmp_path / "many.json"))
    assert one.exit_code == many.exit_code == 0, many.output[-3000:]
    assert read_published(tmp_path / "many") == read_published(tmp_path / "one")
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    fhir = convert_many(large_export.parent, tmp_path / "fhir", *FHIR_ONLY, "--executor", "processes")
    assert fhir.exit_code == 0
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_the_driver_holds_no_record_when_the_partitions_leave_them_on_this_machine(
        large_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str) -> None:
    # SDTM on this machine: the partitions send no parts but their records, sorted, left in files of the run's
    # folder; the driver merges them from there. Counted when each writer starts: the records alive in the
    # driver's process (holding them, as the driver did, it held every one).
    alive: dict[str, int] = {}

    def counting(target: str, write: Callable[[WriteRequest], Any]) -> Callable[[WriteRequest], Any]:
        def counted(request: WriteRequest) -> Any:
            gc.collect()
            alive[target] = sum(1 for item in gc.get_objects() if isinstance(item, Record))
            return write(request)
        return counted

    for target in ("fhir", "sdtm"):
        monkeypatch.setitem(WRITERS, target, replace(WRITERS[target], write=counting(target, WRITERS[target].write)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    one = convert(large_export, tmp_path / "one", "--report", str(tmp_path / "one.json"))
    made = json.loads((tmp_path / "one.json").read_bytes())["summary"]["records"]
    assert one.exit_code == 0 and made > 1_000
    alive.clear()
    many = convert_many(large_export.parent, tmp_path / "many", "--executor", executor, "--partitions", "2",
                        "--report", str(tmp_path / "many.json"))
    assert many.exit_code == 0, many.output[-3000:]
    assert alive == {"fhir": 0, "sdtm": 0}
    assert read_published(tmp_path / "many") == read_published(tmp_path / "one")
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert list((tmp_path / "tmp").iterdir()) == []  # the partitions' files went with the run's folder


def test_records_gone_from_the_temporary_folder_before_the_driver_reads_them_is_w147(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. a cleaner of /tmp empties the run's folder between the partitions and the writers: said, not a traceback
    seal = RecordSpool.seal

    def sealed_then_lost(spool: RecordSpool) -> SealedRecords:
        made = seal(spool)
        Path(made.path).unlink()
        return made

    monkeypatch.setattr(RecordSpool, "seal", sealed_then_lost)
    monkeypatch.setattr(spool_module, "BUFFER", 10)  # the partition's records go to its file
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(CLEAN, exports / "site.xlsx")
    lost = convert_many(exports, tmp_path / "out")
    assert lost.exit_code == 2, lost.output[-3000:]
    assert "W147" in lost.stderr and "could not be read back" in lost.stderr and "Traceback" not in lost.output
    assert "internal error" not in lost.output
    assert not (tmp_path / "out" / "sdtm").exists()


def test_parts_gone_from_the_temporary_folder_before_the_driver_writes_them_is_w147(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the same for FHIR's parts: the temporary folder's fault (W147), not OUT's (W001)
    spill = partitions_module.spill_parts

    def spilled_then_lost(parts: Iterable[Any], path: Path) -> SpilledParts:
        made = spill(parts, path)
        Path(made.path).unlink()
        return made

    monkeypatch.setattr(partitions_module, "spill_parts", spilled_then_lost)
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(CLEAN, exports / "site.xlsx")
    lost = convert_many(exports, tmp_path / "out", *FHIR_ONLY)
    assert lost.exit_code == 2, lost.output[-3000:]
    assert "W147" in lost.stderr and "could not be read back" in lost.stderr and "W001" not in lost.output
    assert "Traceback" not in lost.output and not (tmp_path / "out" / "fhir").exists()


def test_no_temporary_folder_for_the_parts_is_w147_and_nothing_is_written(large_export: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    refused = convert_many(large_export.parent, tmp_path / "out", *FHIR_ONLY)
    assert refused.exit_code == 2 and "W147" in refused.stderr and "Traceback" not in refused.output
    assert not (tmp_path / "out" / "fhir").exists()


def test_what_is_said_once_per_run_is_said_once_whatever_the_partitions(tmp_path: Path) -> None:
    # The second study's visits have no FHIR resource: W042 once for the concept, at the first subject that has
    # one. Every partition with such a subject says it; the driver keeps the first in subject order.
    from click.testing import CliRunner

    from crfmap.cli import main
    from tests.e2e.test_second_study import EXPORT
    from tests.e2e.test_second_study import STUDY as VITALS

    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(EXPORT, exports / EXPORT.name)

    def run(*command: str) -> bytes:
        result = CliRunner().invoke(main, [*command, "--study", str(VITALS), *FHIR_ONLY, "--ndjson", "-q"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output[-3000:]
        return read_published(Path(command[command.index("--out") + 1]))

    one = run("convert", str(exports / EXPORT.name), "--out", str(tmp_path / "one"), "--report",
              str(tmp_path / "one.json"))
    for partitions in ("2", "3"):
        many = run("convert-many", str(exports), "--out", str(tmp_path / partitions), "--partitions", partitions,
                   "--report", str(tmp_path / f"{partitions}.json"))
        assert many == one
        assert (tmp_path / f"{partitions}.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    codes = [issue["code"] for issue in json.loads((tmp_path / "one.json").read_bytes())["issues"]]
    assert codes == ["W042"]


def _study_saying_things_once(folder: Path) -> Path:
    """The reference study with three of its declarations taken out, so that the SDTM build says three issues
    once each, all first at subject 01-001: a UCUM unit with no CDISC unit (W060), a field with no SDTM variable
    (W060) and an undated record with no EPOCH (W084)."""
    study = folder / "study"
    shutil.copytree(STUDY, study)
    edits = {"study.yaml": ["    a: YEARS\n", "    d: DAYS\n", "    ug/m2/d: ug/m2/day\n"],
             "concepts.yaml": ["        threshold: {qnam: MRDTHR, qlabel: MRD Negativity Threshold}\n",
                               ("      epoch: SCREENING  # asked at screening about the time before the study; the "
                                "record has no date\n")]}
    for name, lines in edits.items():
        text = (study / name).read_text(encoding="utf-8")
        for line in lines:
            assert line in text
            text = text.replace(line, "")
        (study / name).write_text(text, encoding="utf-8")
    return study


@pytest.mark.parametrize("study_case", ["reference messy", "second study messy"])
def test_sdtm_made_by_the_partitions_equals_one_convert(study_case: str, tmp_path: Path,
                                                       scheduler: str) -> None:  # noqa: F811
    # SDTM parts: each partition builds its subjects' rows in every domain, the derivations, SE and visits, and
    # says its issues; the driver assembles them in subject order, chooses the variables, and writes define.xml.
    # Subjects are dealt to partitions by hash, so each partition meets the domains in another order and raises
    # its own candidates of what is said once; the report must still be convert's, byte for byte.
    from click.testing import CliRunner

    from crfmap.cli import main
    from tests.e2e.test_second_study import MESSY as MESSY_VITALS
    from tests.e2e.test_second_study import STUDY as VITALS

    if study_case == "reference messy":
        export, study = MESSY, _study_saying_things_once(tmp_path)
    else:
        export, study = MESSY_VITALS, VITALS
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(export, exports / export.name)
    extra = ("--study", str(study), "--to", "sdtm", "--sdtm-format", "xpt", "--sdtm-format", "json",
             "--sdtm-format", "csv", "--transliterate", "--allow-errors", "--allow-unmapped", "-q")
    runs = tmp_path / "runs"
    runs.mkdir()

    def run(*command: str) -> tuple[int, dict[str, bytes], bytes]:
        out, report = runs / f"out{len(list(runs.iterdir()))}", runs / "report.json"
        result = CliRunner().invoke(main, [*command, *extra, "--out", str(out), "--report", str(report)],
                                    catch_exceptions=False)
        return result.exit_code, read_published(out), report.read_bytes()

    status, files, report = run("convert", str(exports / export.name))
    assert status == 1 and len([name for name in files if name.endswith(".xpt")]) >= 8
    if study_case == "reference messy":
        said = [(issue["code"], issue["subject"], issue["cell"]) for issue in json.loads(report)["issues"]
                if issue["code"] in ("W060", "W084")]
        assert said == [("W084", "01-001", "K4"), ("W060", "01-001", "B2"), ("W060", "01-001", "F2")]
    for partitions in ("2", "3", "5"):  # a cluster at an address: the partitions make SDTM parts
        assert run("convert-many", str(exports), "--partitions", partitions, "--executor", "dask", "--scheduler",
                   scheduler) == (status, files, report), partitions
    assert run("convert-many", str(exports), "--partitions", "2") == (status, files, report)  # records, here
