"""Cross-record SDTM checks are linear (issue #16): every check reads each record a bounded number of times,
proved on generated datasets by COUNTING the reads of record values, never by timing. The SUPP-- parent check
used to scan the whole parent domain for every SUPP-- row (quadratic: 20 minutes on a 52,800-row workbook)."""

from __future__ import annotations

from typing import Any

import pytest

from crfmap.writers.sdtm.conformance import check_datasets
from crfmap.writers.sdtm.conformance.references import check_subjects_in_dm, check_supp_parents
from crfmap.writers.sdtm.conformance.subjects import check_dm_subjects_unique, check_sequence_unique
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.timing import assign_sequence

READS = {"count": 0}


class CountingRow(dict):
    """A dataset row that counts how often its values are read (get, [] and iteration of its items)."""

    def get(self, key: Any, default: Any = None) -> Any:
        READS["count"] += 1
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        READS["count"] += 1
        return super().__getitem__(key)


def text(name: str) -> Variable:
    return Variable(name, name, "text")


def integer(name: str) -> Variable:
    return Variable(name, name, "integer")


def make_datasets(subjects: int, broken: int = 0) -> list[Dataset]:
    """DM, an AE domain of 3 events per subject, and SUPPAE with one qualifier per event; the last `broken`
    SUPPAE rows name an AESEQ no event has."""
    study = "S"
    dm = Dataset("DM", "Demographics", "One record per subject", "SPECIAL PURPOSE",
                 [text("STUDYID"), text("DOMAIN"), text("USUBJID")])
    ae = Dataset("AE", "Adverse Events", "One record per event", "EVENTS",
                 [text("STUDYID"), text("DOMAIN"), text("USUBJID"), integer("AESEQ"), text("AETERM")])
    supp = Dataset("SUPPAE", "Supplemental Qualifiers for AE", "One record per qualifier", "RELATIONSHIP",
                   [text("STUDYID"), text("RDOMAIN"), text("USUBJID"), text("IDVAR"), text("IDVARVAL"),
                    text("QNAM"), text("QVAL")])
    for number in range(subjects):
        subject = f"{study}-{number:06d}"
        dm.rows.append(CountingRow(STUDYID=study, DOMAIN="DM", USUBJID=subject))
        for sequence in (1, 2, 3):
            ae.rows.append(CountingRow(STUDYID=study, DOMAIN="AE", USUBJID=subject, AESEQ=sequence, AETERM="FEVER"))
            supp.rows.append(CountingRow(STUDYID=study, RDOMAIN="AE", USUBJID=subject, IDVAR="AESEQ",
                                         IDVARVAL=str(sequence), QNAM="AETRTEM", QVAL="Y"))
    for row in supp.rows[len(supp.rows) - broken:]:
        row["IDVARVAL"] = "99"
    for dataset in (dm, ae, supp):
        dataset.sources.extend(() for _ in dataset.rows)
    return [dm, ae, supp]


def reads_of(check: Any, datasets: list[Dataset]) -> tuple[int, list[Any]]:
    READS["count"] = 0
    issues = list(check(datasets))
    return READS["count"], issues


@pytest.mark.parametrize("check", [check_supp_parents, check_subjects_in_dm, check_dm_subjects_unique,
                                   check_sequence_unique], ids=lambda check: check.__name__)
def test_each_cross_record_check_reads_each_value_a_bounded_number_of_times(check: Any) -> None:
    counts = {}
    for subjects in (200, 800):
        datasets = make_datasets(subjects)
        rows = sum(len(dataset.rows) for dataset in datasets)
        counts[subjects], issues = reads_of(check, datasets)
        assert issues == []
        assert counts[subjects] <= 6 * rows  # a few values per row, whatever the size
    # 4× the subjects → 4× the reads (a scan per row would make it 16×)
    assert counts[800] == 4 * counts[200]


def test_the_indexed_supp_check_still_finds_each_missing_parent() -> None:
    reads, issues = reads_of(check_supp_parents, make_datasets(300, broken=5))
    assert [(issue.code, issue.column, issue.value) for issue in issues] == [("W072", "IDVARVAL", "99")] * 5
    assert all("has AESEQ = '99'" in issue.message for issue in issues)
    assert reads <= 6 * (300 + 900 + 900)


def test_a_supp_row_whose_subject_has_no_parent_record_is_reported() -> None:
    datasets = make_datasets(10)
    supp = datasets[2]
    supp.rows[0]["USUBJID"] = "S-999999"
    supp.rows[1]["IDVAR"] = None  # a subject-level qualifier: any AE record of the subject will do
    supp.rows[2]["IDVAR"] = "AENOPE"
    problems = [issue.message for issue in check_supp_parents(datasets)]
    assert len(problems) == 2
    assert "no AE record of S-999999" in problems[0] and "'AENOPE' is not a variable of AE" in problems[1]


def test_the_whole_conformance_pass_is_linear_too() -> None:
    counts = {subjects: reads_of(lambda datasets: check_datasets(datasets), make_datasets(subjects))[0]
              for subjects in (200, 800)}
    assert counts[800] <= 4 * counts[200] + 100


def test_sequence_numbers_are_assigned_with_one_read_per_row() -> None:
    counts = {}
    for subjects in (200, 800):
        rows = make_datasets(subjects)[1].rows
        for row in rows:
            dict.__setitem__(row, "AESEQ", None)
        READS["count"] = 0
        assign_sequence(rows, "AESEQ")
        counts[subjects] = READS["count"]
        assert [dict.get(row, "AESEQ") for row in rows[:4]] == [1, 2, 3, 1]
    assert counts[800] == 4 * counts[200] <= 4 * 2 * 3 * 200
