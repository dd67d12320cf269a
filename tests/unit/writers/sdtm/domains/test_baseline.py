"""--LOBXFL: the last observation before first exposure, only where the dates can tell (hand-derived)."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, Finding, Intervention, PartialDate, Quantity
from crfmap.writers.sdtm.build import build_sdtm

from .conftest import concept, make_study

BLASTS = Coded("lbtestcd", "BLASTLE", "Blasts/Leukocytes", submission_value="BLASTLE")


def blasts(subject: str, key: str, when: PartialDate, value: str | None = "50") -> Finding:
    return Finding(subject_id=subject, concept="lb", key=key, category="laboratory", test=BLASTS, date=when,
                   value_quantity=None if value is None else Quantity(Decimal(value), "%"), performed=value is not None)


def dose(subject: str, start: PartialDate) -> Intervention:
    return Intervention(subject_id=subject, concept="ex", key="1", category="exposure", start=start,
                        treatment=Coded("treatment", "BLINATUMOMAB", "Blinatumomab"))


def flags(records):
    study = make_study([concept("ex", "intervention", {"domain": "EX"}), concept("lb", "finding", {"domain": "LB"})])
    lb = next(dataset for dataset in build_sdtm(records, study).datasets if dataset.name == "LB")
    return [(row["USUBJID"][-2:], row["LBDTC"], row["LBLOBXFL"]) for row in lb.rows]


def test_latest_earlier_day_is_flagged_same_day_without_time_is_not():
    records = [dose("01", PartialDate(2024, 2, 5)),
               blasts("01", "1", PartialDate(2024, 1, 10)), blasts("01", "2", PartialDate(2024, 1, 30)),
               blasts("01", "3", PartialDate(2024, 2, 5)), blasts("01", "4", PartialDate(2024, 3, 4)),
               blasts("01", "5", PartialDate(2024, 2))]  # partial: cannot be placed before the dose
    assert flags(records) == [("01", "2024-01-10", None), ("01", "2024-01-30", "Y"), ("01", "2024-02", None),
                              ("01", "2024-02-05", None), ("01", "2024-03-04", None)]


def test_same_day_with_times_and_not_done_records():
    records = [dose("02", PartialDate(2024, 2, 5, 10, 0)),
               blasts("02", "1", PartialDate(2024, 2, 1), value=None),       # not done: no result, not flagged
               blasts("02", "2", PartialDate(2024, 2, 5, 8, 0)),             # two hours before the dose
               blasts("02", "3", PartialDate(2024, 2, 5, 11, 0))]            # after it
    assert flags(records) == [("02", "2024-02-01", None), ("02", "2024-02-05T08:00", "Y"),
                              ("02", "2024-02-05T11:00", None)]


def test_untreated_subject_has_no_flag():
    assert flags([blasts("03", "1", PartialDate(2024, 1, 10))]) == [("03", "2024-01-10", None)]
