"""Structural checks: clean build passes; each planted violation is caught by its own check."""

from __future__ import annotations

import copy

import pytest

from crfmap.writers.sdtm.build import build_sdtm
from crfmap.writers.sdtm.conformance import check_datasets
from crfmap.writers.sdtm.conformance.timing import is_iso8601
from crfmap.writers.sdtm.dataset import Variable

from .conftest import make_records, make_study


@pytest.fixture
def datasets():
    return {dataset.name: dataset for dataset in copy.deepcopy(build_sdtm(make_records(), make_study()).datasets)}


def found(datasets):
    return [(issue.code, issue.column) for issue in check_datasets(datasets.values())]


def test_a_clean_build_passes(datasets):
    assert found(datasets) == []


def test_duplicate_subject_in_dm(datasets):
    datasets["DM"].rows.append(dict(datasets["DM"].rows[0]))
    datasets["DM"].sources.append(())
    assert found(datasets) == [("W065", "USUBJID")]


def test_subject_missing_from_dm_is_reported_once_per_dataset(datasets):
    dm = datasets["DM"]
    index = next(i for i, row in enumerate(dm.rows) if row["SUBJID"] == "01-001")
    del dm.rows[index], dm.sources[index]
    codes = found(datasets)
    # 01-001 has AE, EX, MH, PR, RS and SUPPMH/SUPPPR records: one W066 each (7); the SUPP-- of DM-less
    # subjects still find their parents (AE/MH/PR rows are there), so nothing else.
    assert codes.count(("W066", "USUBJID")) == 7 and len(codes) == 7


def test_duplicate_sequence(datasets):
    datasets["AE"].rows[1]["AESEQ"] = 1
    issues = check_datasets(datasets.values())
    assert [(issue.code, issue.cell) for issue in issues] == [("W067", "B3")]  # at the fever's source cell


def test_required_value_null(datasets):
    datasets["AE"].rows[2]["AEDECOD"] = None
    datasets["DM"].rows[0]["SITEID"] = " "
    assert sorted(found(datasets)) == [("W068", "AEDECOD"), ("W068", "SITEID")]


def test_invalid_dates(datasets):
    datasets["AE"].rows[0]["AEENDTC"] = "04/02/2024"
    datasets["EX"].rows[0]["EXENDTC"] = "2024-02-30"
    datasets["MH"].rows[0]["MHSTDTC"] = "2022-5"
    assert sorted(found(datasets)) == [("W069", "AEENDTC"), ("W069", "EXENDTC"), ("W069", "MHSTDTC")]


@pytest.mark.parametrize(("text", "valid"), [
    ("2024", True), ("2024-02", True), ("2024-02-29", True), ("2024-02-05T08", True), ("2024-02-05T08:30", True),
    ("2024-02-05T08:30:15", True), ("2024-02-05T08:30:15.5", True), ("2024---15", True), ("2024-02-05T-:30", True),
    ("2023-02-29", False), ("2024-13", False), ("2024-02-05 08:30", False), ("24-02-05", False),
    ("2024-02-05T25:00", False), ("", False), ("2024-2-5", False),
])
def test_iso8601_forms(text, valid):
    assert is_iso8601(text) is valid


def test_study_day_inconsistent_zero_or_imputed(datasets):
    ae = datasets["AE"]
    ae.rows[0]["AESTDY"] = 0          # no day 0
    ae.rows[1]["AEENDY"] = 4          # 2024-02-07 is day 3
    ae.rows[2]["AESTDY"] = 15         # AESTDTC 2024-03 is partial: no day may be given
    assert found(datasets) == [("W070", "AESTDY"), ("W070", "AESTDY"), ("W070", "AEENDY")]


def test_names_and_labels(datasets):
    ae = datasets["AE"]
    ae.variables.append(Variable("AELONGNAME", "Fine", "text"))
    ae.variables.append(Variable("AEX", "L" * 41, "text"))
    ae.label = "An adverse event dataset label that is far too long"
    assert [code for code, _ in found(datasets)] == ["W071", "W071", "W071"]


def test_supp_orphans(datasets):
    datasets["SUPPPR"].rows[0]["IDVARVAL"] = "2"      # PR has only PRSEQ 1
    datasets["SUPPMH"].rows[0]["IDVAR"] = "MHGRPID"   # not an MH variable here
    datasets["SUPPCP"].rows[0]["RDOMAIN"] = "XX"
    assert found(datasets) == [("W072", "IDVARVAL")] * 3


def test_required_value_missing_number_and_order(datasets):
    """A NaN (a missing number, as an XPT reader gives it) is null too; issues come in row order, then variable."""
    datasets["AE"].rows[2]["AESEQ"] = float("nan")
    datasets["AE"].rows[2]["AETERM"] = "\t"
    datasets["AE"].rows[0]["AEDECOD"] = None
    issues = [issue for issue in check_datasets(datasets.values()) if issue.code == "W068"]
    names = [variable.name for variable in datasets["AE"].variables]
    assert [issue.column for issue in issues] == ["AEDECOD"] + sorted(["AESEQ", "AETERM"], key=names.index)
