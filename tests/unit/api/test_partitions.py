"""Partitions of one export, merged, are one `validate_workbook` of it: the same issues, records and rows left
out, in the same order (not only the same sorted views), for any number of partitions; and each partition holds
exactly the rows of its own subjects."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from crfmap.api import load_mapping, validate_workbook
from crfmap.api.executors import EXECUTORS, ExecutorSettings
from crfmap.api.partitions import ExportResult, Partition, convert_partition, merge_partitions
from crfmap.api.selection import subject_partition
from crfmap.model import Record
from crfmap.model.spool import RecordSpool
from crfmap.sources import FlawedText, SourceCell
from crfmap.study.models import StudyMapping
from tests.e2e.reference import CLEAN, MESSY, STUDY
from tests.shared_data import REPO_ROOT

COHORT = REPO_ROOT / "mappings" / "vitals_phq9_cohort"
COHORT_EXPORTS = REPO_ROOT / "fixtures" / "vitals_phq9_cohort"
CASES = {  # an xlsx study and a csv one, each clean and messy
    "clean": (STUDY, CLEAN), "messy": (STUDY, MESSY),
    "cohort-csv": (COHORT, COHORT_EXPORTS / "export.csv"),
    "cohort-csv-messy": (COHORT, COHORT_EXPORTS / "messy" / "export.csv"),
}
MAPPINGS: dict[Path, StudyMapping] = {}


def mapping_of(folder: Path) -> StudyMapping:
    if folder not in MAPPINGS:
        MAPPINGS[folder] = load_mapping(folder)[0]
    return MAPPINGS[folder]


@pytest.fixture(scope="module")
def study() -> StudyMapping:
    return mapping_of(STUDY)


def as_written(records: Iterable[Record]) -> list[tuple[Record, SourceCell | None, type]]:
    """Equality of records leaves out subject_cell (provenance); the merge must keep it, and the class."""
    return [(record, record.subject_cell, type(record)) for record in records]


def read_merged(export: ExportResult) -> list[Record]:
    """The export's records as the driver's writers read them: every partition's runs merged by sort key."""
    spool = RecordSpool()
    for records in export.records:
        spool.adopt(records)
    try:
        return list(spool)
    finally:
        spool.close()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_merged_partitions_are_one_validation_in_its_order(case: str, count: int, tmp_path: Path) -> None:
    folder, workbook = CASES[case]
    study = mapping_of(folder)
    whole = validate_workbook(workbook, study)
    assert whole.records and (case.endswith("messy") == bool(whole.report.errors))
    # what a writer reads from convert's spool: the records sorted (stably) by (subject, concept, key)
    expected = as_written(sorted(whole.records, key=lambda record: record.sort_key))
    partitions = [Partition(workbook.resolve(), index, count) for index in range(count)]
    # the records travel back as lists (from another machine), or stay in files of the driver's folder
    for spill_folder in (None, str(tmp_path)):
        work = partial(convert_partition, study, None, spill_folder=spill_folder)
        results = EXECUTORS["local"].run(work, partitions, ExecutorSettings())
        merged = merge_partitions(results)
        assert merged.issues == whole.report.issues
        assert as_written(read_merged(merged)) == expected
        assert [(row.sheet, row.number) for row in merged.left_out] == [(row.sheet, row.number)
                                                                         for row in whole.left_out]
        assert merged.rows_read == whole.rows_read
        assert merged.run == whole.report.run and merged.sheets == whole.report.sheets
        assert merged.coverage == whole.coverage
        made = [read_merged(replace(merged, records=[records])) for records in merged.records]
        assert sum(len(records) for records in made) == len(whole.records) == merged.records_made
        for result, records in zip(results, made, strict=True):  # each partition made its own subjects' records
            assert (result.sealed is None) == (spill_folder is None)
            assert result.records == ([] if spill_folder else records)
            assert {subject_partition(record.subject_id, count) for record in records} <= {result.partition.index}
        if count > 1:
            assert sum(1 for records in made if records) > 1  # the work was really split


def test_partition_results_travel_by_pickle(study: StudyMapping) -> None:
    result = convert_partition(study, None, Partition(MESSY.resolve(), 1, 3))
    again = pickle.loads(pickle.dumps(result))
    assert again.records == result.records and again.issues == result.issues
    flawed = pickle.loads(pickle.dumps(FlawedText("#DIV/0!", "excel-error", "formula")))
    assert (flawed, flawed.flaw, flawed.detail) == ("#DIV/0!", "excel-error", "formula")


def test_a_refused_export_comes_back_as_its_issues(tmp_path: Path, study: StudyMapping) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = convert_partition(study, None, Partition(broken, 0, 2))
    assert result.fatal and all(issue.file == "broken.xlsx" for issue in result.fatal)
    assert pickle.loads(pickle.dumps(result)).fatal == result.fatal


def test_subject_partition_is_stable_and_spreads() -> None:
    assert subject_partition(None, 4) == 0 and subject_partition("01-001", 1) == 0
    # the first 8 bytes of the id's SHA-256, big-endian, modulo the count: the same in every process and run
    # (Python's hash() of a str is not)
    for subject in ("01-001", "02-007", "Пациент 3"):
        digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()
        assert subject_partition(subject, 7) == int(digest[:16], 16) % 7
    assert len({subject_partition(f"s{number}", 4) for number in range(100)}) == 4
