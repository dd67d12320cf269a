"""Target options and record fields with SDTMIG-defined homes: ongoing events, pre-specified procedures, DS dates."""

from __future__ import annotations

from crfmap.model import Coded, Event, Intervention, PartialDate, Subject
from crfmap.writers.sdtm.build import build_sdtm

from .conftest import concept, make_study


def build(records, *concepts):
    result = build_sdtm(records, make_study([concept("dm", "subject", {"domain": "DM"}), *concepts]))
    return {dataset.name: dataset for dataset in result.datasets}, result.issues


def test_ongoing_event_with_an_end_reference():
    datasets, issues = build(
        [Event(subject_id="01", concept="mh", key="1", category="medical_history", term="Epilepsy",
               start=PartialDate(2020), ongoing=True)],
        concept("mh", "event", {"domain": "MH", "end_reference": "SCREENING"}))
    (row,) = datasets["MH"].rows
    assert (row["MHSTDTC"], row["MHENRTPT"], row["MHENTPT"]) == ("2020", "ONGOING", "SCREENING")
    assert issues == []


def test_ongoing_without_end_reference_is_not_dropped_silently():
    _, issues = build(
        [Event(subject_id="01", concept="mh", key="1", category="medical_history", term="Epilepsy", ongoing=True)],
        concept("mh", "event", {"domain": "MH"}))
    assert [issue.code for issue in issues] == ["W060"] and "'ongoing'" in issues[0].message


def test_procedure_not_done_is_prespecified_and_not_occurred():
    datasets, _ = build(
        [Intervention(subject_id="01", concept="pr", key="1", category="procedure",
                      treatment=Coded("procedure", "HSCT", "Stem cell transplant"), occurred=False)],
        concept("pr", "intervention", {"domain": "PR"}))
    (row,) = datasets["PR"].rows
    assert (row["PRTRT"], row["PRPRESP"], row["PROCCUR"]) == ("Stem cell transplant", "Y", "N")


def test_subject_without_exposure_records_has_no_reference_dates_and_no_derived_age():
    datasets, _ = build([Subject(subject_id="01", concept="dm", key="1", birth_date=PartialDate(2015, 6, 20))])
    (row,) = datasets["DM"].rows
    assert (row["RFSTDTC"], row["AGE"], row["AGEU"], row["BRTHDTC"]) == (None, None, None, "2015-06-20")
    assert row["USUBJID"] == "BLINA-PED-01-01"
