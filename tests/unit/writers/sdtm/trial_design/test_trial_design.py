"""Trial design from the mapping: TA/TE/TV/TI written as declared, SE derived from the records, EPOCH from SE,
VISIT/VISITNUM from a visit item or by date (unscheduled visits numbered), SV from the observations, and the lint
of the declaration (P044), each worked out by hand on the three subjects of the domain tests' small study.

Subject 01-001: EX 2024-02-05..02-11 and 2024-02-12..03-03; AE tremor 02-04 (before the first dose), fever 02-05;
HSCT 2024-04-20; RS 2024-03-04. Subject 01-002: EX from 2024-03-11 (no end), AE seizure 2024-03 (partial), CP
2024-04-08, death 2024-06-01. Subject 02-001: never treated, LB 2024-01-15 only.
"""

from __future__ import annotations

from typing import Any

import pytest

from crfmap.model import PartialDate
from crfmap.writers.sdtm.build import build_sdtm
from crfmap.writers.sdtm.trial_design.lint import lint_trial_design
from crfmap.writers.sdtm.trial_design.models import PlannedVisit, VisitWindow
from crfmap.writers.sdtm.trial_design.visits import unscheduled, visit_by_date
from tests.unit.writers.sdtm.domains.conftest import concept, default_concepts, make_records, make_study

DESIGN: dict[str, Any] = {
    "elements": [
        {"code": "SCRN", "name": "Screening", "start_rule": "Informed consent"},
        {"code": "TRT", "name": "Blinatumomab", "start_rule": "First infusion", "duration": "P28D"},
        {"code": "FU", "name": "Follow-up", "start_rule": "Day after the last infusion"},
    ],
    "arms": {"BLINA": [
        {"element": "SCRN", "epoch": "SCREENING",
         "starts": {"concept": "adverse_event", "field": "start", "pick": "first"}},
        {"element": "TRT", "epoch": "TREATMENT", "starts": {"concept": "blinatumomab", "field": "start"}},
        {"element": "FU", "epoch": "FOLLOW-UP", "transition": "After the last infusion",
         "starts": {"concept": "blinatumomab", "field": "end", "pick": "last", "offset_days": 1}},
    ]},
    "visits": [
        {"number": 1, "name": "BASELINE", "day": -1, "start_rule": "Before the first infusion",
         "window": {"element": "SCRN"}},
        {"number": 2, "name": "DAY 29", "day": 29, "start_rule": "Day 29", "values": ["D29"],
         "window": {"element": "TRT", "from_day": 27, "to_day": 31}},
    ],
    "criteria": [{"code": "INCL01", "category": "INCLUSION", "text": "Relapsed or refractory B-ALL"}],
}


def _study(design: dict[str, Any] = DESIGN, visit: dict[str, Any] | None = None):
    concepts = [item for item in default_concepts() if item.id != "response"]
    concepts.append(concept("response", "finding", {"domain": "RS", "category": "ONCOLOGY RESPONSE",
                                                    "visit": visit or {"by_date": True}, "epoch": "FOLLOW-UP"}))
    return make_study(concepts, sdtm={"units": {"ug/m2/d": "ug/m2/day"}, "trial_design": design})


@pytest.fixture(scope="module")
def built():
    build = build_sdtm(make_records(), _study())
    return {dataset.name: dataset for dataset in build.datasets}, build


def values(dataset, *names):
    return [tuple(row.get(name) for name in names) for row in dataset.rows]


def test_design_datasets_are_written_as_declared(built):
    datasets, _ = built
    assert values(datasets["TA"], "ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TATRANS", "EPOCH") == [
        ("BLINA", "Blinatumomab 28-day continuous infusion", 1, "SCRN", "Screening", None, "SCREENING"),
        ("BLINA", "Blinatumomab 28-day continuous infusion", 2, "TRT", "Blinatumomab", None, "TREATMENT"),
        ("BLINA", "Blinatumomab 28-day continuous infusion", 3, "FU", "Follow-up", "After the last infusion",
         "FOLLOW-UP")]
    assert values(datasets["TE"], "ETCD", "TESTRL", "TEDUR") == [
        ("SCRN", "Informed consent", None), ("TRT", "First infusion", "P28D"), ("FU", "Day after the last infusion",
                                                                                 None)]
    assert values(datasets["TV"], "VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL") == [
        (1, "BASELINE", -1, None, "Before the first infusion"), (2, "DAY 29", 29, None, "Day 29")]
    assert values(datasets["TI"], "IETESTCD", "IETEST", "IECAT") == [
        ("INCL01", "Relapsed or refractory B-ALL", "INCLUSION")]
    assert [dataset.name for dataset in built[1].datasets][:3] == ["DM", "SE", "SV"]


def test_subject_elements_follow_the_data(built):
    se = built[0]["SE"]
    # 01-001: screening from the first AE (02-04), treatment from the first infusion (02-05), follow-up the day
    # after the last infusion ended (03-03 + 1); RFPENDTC 2024-04-20 (the transplant) ends the last element.
    # 01-002: no AE date to the day starts screening? its AE is 2024-03 (partial): screening starts 2024-03 and
    # the partial date sorts before the first infusion; no infusion end, so no follow-up.
    assert values(se, "USUBJID", "SESEQ", "ETCD", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY") == [
        ("BLINA-PED-01-01-001", 1, "SCRN", 1, "SCREENING", "2024-02-04", "2024-02-05", -1, 1),
        ("BLINA-PED-01-01-001", 2, "TRT", 2, "TREATMENT", "2024-02-05", "2024-03-04", 1, 29),
        ("BLINA-PED-01-01-001", 3, "FU", 3, "FOLLOW-UP", "2024-03-04", "2024-04-20", 29, 76),
        ("BLINA-PED-01-01-002", 1, "SCRN", 1, "SCREENING", "2024-03", "2024-03-11", None, 1),
        ("BLINA-PED-01-01-002", 2, "TRT", 2, "TREATMENT", "2024-03-11", "2024-06-01", 1, 83),
    ]
    assert se.variable("SESTDTC").method == "MT.SE"


def test_a_subject_whose_data_starts_no_element_is_warned(built):
    _, build = built
    # 02-001 has only an LB record: no AE, no infusion, so no element and no SE record
    assert [(issue.code, issue.subject) for issue in build.issues if issue.code == "W083"] == [("W083", "02-001")]


def test_epoch_is_the_epoch_of_the_element_the_date_falls_in(built):
    datasets, _ = built
    assert values(datasets["AE"], "AETERM", "AESTDTC", "EPOCH") == [
        ("Tremor", "2024-02-04", "SCREENING"), ("Fever", "2024-02-05", "TREATMENT"),
        ("Seizure", "2024-03", None)]  # a partial date falls in no element: no EPOCH
    assert values(datasets["PR"], "PRSTDTC", "EPOCH") == [("2024-04-20", "FOLLOW-UP")]
    assert values(datasets["DS"], "DSSTDTC", "EPOCH") == [("2024-06-01", "TREATMENT")]
    assert values(datasets["EX"], "EXSTDTC", "EPOCH") == [
        ("2024-02-05", "TREATMENT"), ("2024-02-12", "TREATMENT"), ("2024-03-11", "TREATMENT")]
    ae = datasets["AE"].variable("EPOCH")
    assert (ae.origin.type, ae.method) == ("Derived", "MT.EPOCH")


def test_epoch_falls_back_to_the_concept_s_epoch_and_is_warned_without_one(built):
    datasets, build = built
    # 02-001's LB record has no element to fall in and the concept declares no epoch: EPOCH is empty (and, Perm
    # and empty in every row, not written)
    assert values(datasets["LB"], "LBDTC", "EPOCH") == [("2024-01-15", None)]
    warned = [issue.message for issue in build.issues if issue.code == "W084"]
    assert any("'marrow_blasts' (LB)" in message for message in warned)
    assert any("'adverse_event' (AE)" in message for message in warned)  # the partial-dated seizure


def test_visits_by_date_and_sv(built):
    datasets, _ = built
    # RS 2024-03-04 is day 29 of 01-001's treatment element: the planned DAY 29 visit
    assert values(datasets["RS"], "RSDTC", "VISITNUM", "VISIT", "EPOCH") == [
        ("2024-03-04", 2, "DAY 29", "FOLLOW-UP")]
    assert values(datasets["SV"], "USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "VISITDY", "SVSTDTC",
                  "SVENDTC", "SVSTDY") == [
        ("BLINA-PED-01-01-001", 2, "DAY 29", "Y", "Y", 29, "2024-03-04", "2024-03-04", 29)]
    rs = datasets["RS"].variable("VISITNUM")
    assert (rs.origin.type, rs.method) == ("Derived", "MT.VISIT")


def test_a_date_in_no_window_makes_numbered_unscheduled_visits():
    window = PlannedVisit(number=3, name="END", start_rule="x", window=VisitWindow(from_day=10, to_day=12))
    spans = [(window, PartialDate(2024, 1, 10).to_date(), PartialDate(2024, 1, 12).to_date())]
    assert visit_by_date(spans, PartialDate(2024, 1, 11))[0].number == 3
    found, base = visit_by_date(spans, PartialDate(2024, 1, 20))
    assert found is None and base == 3
    assert visit_by_date(spans, PartialDate(2024, 1, 2)) == (None, 0.0)
    assert (unscheduled(3, 2).number, unscheduled(3, 2).name) == (3.02, "UNSCHEDULED 3.02")
    assert visit_by_date(spans, PartialDate(2024, 1)) == (None, 0.0)  # a partial date gets no visit


def test_unscheduled_visits_in_the_datasets():
    design = {**DESIGN, "visits": [{"number": 1, "name": "BASELINE", "start_rule": "x",
                                    "window": {"element": "SCRN"}}]}
    datasets = {dataset.name: dataset for dataset in build_sdtm(make_records(), _study(design)).datasets}
    # 2024-03-04 is after the baseline window (screening, 02-04 only): the first unscheduled visit after visit 1
    assert values(datasets["RS"], "VISITNUM", "VISIT") == [(1.01, "UNSCHEDULED 1.01")]
    assert values(datasets["SV"], "VISITNUM", "SVPRESP", "SVOCCUR") == [(1.01, None, None)]


def test_visits_from_a_visit_item():
    records = make_records()
    response = next(record for record in records if record.concept == "response")
    records[records.index(response)] = type(response)(**{
        **{name: getattr(response, name) for name in response.__dataclass_fields__},
        "qualifiers": {"timepoint": "D29"}})
    study = _study(visit={"qualifier": "timepoint"})
    study.concepts[-1] = concept("response", "finding", {"domain": "RS", "visit": {"qualifier": "timepoint"},
                                                         "epoch": "FOLLOW-UP"}, qualifiers=("timepoint",))
    datasets = {dataset.name: dataset for dataset in build_sdtm(records, study).datasets}
    assert values(datasets["RS"], "VISITNUM", "VISIT") == [(2, "DAY 29")]


def test_lint_names_every_reference_that_does_not_resolve():
    design = {
        "elements": [{"code": "A", "name": "A", "start_rule": "x"}, {"code": "A", "name": "again", "start_rule": "x"}],
        "arms": {"NOPE": [{"element": "B", "epoch": "TREATMENT",
                           "starts": {"concept": "missing", "field": "start"}}],
                 "BLINA": [{"element": "A", "epoch": "TREATMENT",
                            "starts": {"concept": "marrow_blasts", "field": "start",
                                       "where": {"qualifier": "unknown", "equals": "x"}}}]},
        "visits": [{"number": 1, "name": "V1", "start_rule": "x", "window": {"element": "Z"}}],
    }
    details = sorted(issue.message for issue in lint_trial_design(_study(design)) if issue.code == "P044")
    assert details == sorted([
        "sdtm.trial_design: element code 'A' is given twice",
        "sdtm.trial_design: arm 'NOPE' is not one of study.yaml arms (BLINA)",
        "sdtm.trial_design: arm NOPE: element 'B' is not one of the design's elements",
        "sdtm.trial_design: starts.concept 'missing' is not a concept of the study",
        "sdtm.trial_design: starts.field 'start' is not a date of finding records (date)",
        "sdtm.trial_design: where.qualifier 'unknown' is not a qualifier of concept 'marrow_blasts'",
        "sdtm.trial_design: visit 'V1': window element 'Z' is not one of the design's elements",
    ])


def test_lint_lists_the_ts_parameters_fda_expects_that_are_missing():
    (issue,) = [issue for issue in lint_trial_design(_study()) if issue.code == "P045"]
    missing = issue.value.split(", ")
    assert "STYPE" in missing and "SSTDTC" not in missing and "TITLE" not in missing  # derived ones are not missing
