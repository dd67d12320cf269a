"""--DY and --SEQ rules (SDTMIG 4.4.4, 4.1.5), with hand-computed days."""

from __future__ import annotations

import pytest

from crfmap.model import PartialDate
from crfmap.writers.sdtm.domains.timing import assign_sequence, study_day

START = PartialDate(2024, 2, 5)


@pytest.mark.parametrize(("when", "expected"), [
    (PartialDate(2024, 2, 5), 1),      # the reference day itself is day 1
    (PartialDate(2024, 2, 6), 2),
    (PartialDate(2024, 2, 4), -1),     # the day before is -1: there is no day 0
    (PartialDate(2024, 1, 6), -30),
    (PartialDate(2024, 3, 5), 30),     # 2024 is a leap year: Feb has 29 days → 29 days later, day 30
    (PartialDate(2024, 2, 5, 23, 59), 1),  # a time of day does not change the day
])
def test_study_day(when, expected):
    assert study_day(when, START) == expected


@pytest.mark.parametrize(("when", "reference"), [
    (PartialDate(2024, 2), START),     # partial observation date
    (PartialDate(2024), START),
    (PartialDate(2024, 2, 6), PartialDate(2024, 2)),  # partial reference date
    (None, START),
    (PartialDate(2024, 2, 6), None),   # no reference (untreated subject)
])
def test_no_study_day_without_two_complete_dates(when, reference):
    assert study_day(when, reference) is None


def test_sequence_restarts_for_each_subject_in_given_order():
    rows = [{"USUBJID": "A"}, {"USUBJID": "A"}, {"USUBJID": "B"}, {"USUBJID": "A"}]
    assign_sequence(rows, "AESEQ")
    assert [row["AESEQ"] for row in rows] == [1, 2, 1, 3]
