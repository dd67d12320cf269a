"""The build goes a block of subjects at a time, yet makes the same rows and says its issues as one pass over the
whole study, domain by domain, does: an issue said once (a unit, a dropped variable) names the cell that comes
first in that order, and the issues come in it, whatever the blocks."""

from __future__ import annotations

import heapq
import pickle
from decimal import Decimal
from operator import attrgetter

import pytest

from crfmap.issues import make_issue
from crfmap.model import Finding, Quantity
from crfmap.writers.sdtm.build import assemble_sdtm, build_sdtm, make_sdtm_parts
from crfmap.writers.sdtm.domains.context import IssueLog

from .conftest import cell, coded, concept, day, make_records, make_study


def _finding(subject: str, concept_id: str, test: str, unit: str, sheet: str, row: int) -> Finding:
    return Finding(subject_id=subject, concept=concept_id, key="1", category="laboratory",
                   test=coded("testcd", test, submission=test), value_quantity=Quantity(Decimal(5), unit),
                   date=day("2024-01-15"), sources={"value": cell(sheet, row)})


def _study():
    return make_study([concept("a_lab", "finding", {"domain": "LB"}),
                       concept("b_vitals", "finding", {"domain": "VS"})], sdtm={})


def _unit_issues(records):
    build = build_sdtm(records, _study(), block_records=1)  # a block per subject
    return [(issue.code, issue.subject, issue.cell, issue.message.split("'")[1]) for issue in build.issues
            if "UCUM" in issue.message]


def test_a_unit_said_once_names_the_first_cell_domain_by_domain_not_subject_by_subject():
    # subject 01-001 meets LB first (concept a_lab), then VS; subject 02-001 has only LB. Walked subject by
    # subject, VS of 01-001 comes before LB of 02-001; domain by domain (all of LB, then VS) it is the other way.
    records = [_finding("01-001", "a_lab", "HGB", "g/dL", "LB", 2),
               _finding("01-001", "b_vitals", "TEMP", "kilofoo", "VS", 2),
               _finding("02-001", "a_lab", "HGB", "kilofoo", "LB", 3)]
    assert _unit_issues(records) == [("W060", "02-001", "B3", "kilofoo")]


def test_issues_come_domain_by_domain_then_subject():
    records = [_finding("01-001", "a_lab", "HGB", "g/dL", "LB", 2),
               _finding("01-001", "b_vitals", "TEMP", "barfoo", "VS", 2),
               _finding("02-001", "a_lab", "HGB", "kilofoo", "LB", 3),
               _finding("02-001", "b_vitals", "TEMP", "zetfoo", "VS", 3)]
    assert _unit_issues(records) == [("W060", "02-001", "B3", "kilofoo"), ("W060", "01-001", "B2", "barfoo"),
                                     ("W060", "02-001", "B3", "zetfoo")]


def test_the_issues_do_not_depend_on_the_order_records_come_in():
    records = [_finding("01-001", "a_lab", "HGB", "g/dL", "LB", 2),
               _finding("01-001", "b_vitals", "TEMP", "barfoo", "VS", 2),
               _finding("02-001", "a_lab", "HGB", "kilofoo", "LB", 3),
               _finding("02-001", "b_vitals", "TEMP", "barfoo", "VS", 3)]
    forward = build_sdtm(records, _study(), block_records=1)
    backward = build_sdtm(list(reversed(records)), _study(), block_records=1)
    assert forward.issues == backward.issues
    assert [(issue.subject, issue.cell) for issue in forward.issues if "barfoo" in issue.message] == [
        ("01-001", "B2")]


def _issue(text: str):
    return make_issue("W060", detail=text)


def test_issue_log_keeps_the_earliest_once_per_key_and_orders_by_stage_then_subject():
    log = IssueLog()
    log.part, log.stage = 1, (1, "VS", 0)
    log.append(_issue("late domain, first block"))
    assert log.wants(("unit", "x"))
    log.once(("unit", "x"), _issue("x first met in the later domain"))
    log.part, log.stage = 2, (1, "LB", 0)
    assert log.wants(("unit", "x"))  # another domain: which comes first is for the ranks to say
    log.once(("unit", "x"), _issue("x in the earlier domain"))
    log.append(_issue("early domain, second block"))
    log.step(3)
    log.append(_issue("a later step of the early domain"))
    log.stage = (1, "LB", 0)
    assert not log.wants(("unit", "x"))  # the same domain and step, a later block
    log.stage = (1, "VS", 0)
    assert not log.wants(("unit", "x"))
    log.stage = (5,)
    log.append(_issue("study level, last phase"))

    def texts(ranks):
        return [issue.message.split(": ", 1)[-1] for issue in log.in_order(ranks)]

    assert texts({"LB": 0, "VS": 1}) == [
        "x in the earlier domain", "early domain, second block", "a later step of the early domain",
        "late domain, first block", "study level, last phase"]
    assert texts({"VS": 0, "LB": 1}) == [
        "late domain, first block", "x first met in the later domain", "early domain, second block",
        "a later step of the early domain", "study level, last phase"]


def test_a_drained_log_taken_by_another_keeps_the_earliest_candidate_across_makers():
    # two makers (two partitions) each say x once in their own first block; the study's log keeps the one of
    # the earlier stage, then of the earlier part, as one log would have
    first, second, study = IssueLog(), IssueLog(), IssueLog()
    first.part, first.stage = 1, (1, "LB", 2)
    first.once(("unit", "x"), _issue("x at a later step, first subject"))
    second.part, second.stage = 1, (1, "LB", 0)
    second.once(("unit", "x"), _issue("x at an earlier step, second subject"))
    second.append(_issue("plain, second subject"))
    study.part = 1
    study.take(first.drain())
    study.part = 2
    study.take(second.drain())
    assert [issue.message.split(": ", 1)[-1] for issue in study.in_order({"LB": 0})] == [
        "x at an earlier step, second subject", "plain, second subject"]
    assert first.drain() == [] and not first.wants(("unit", "x"))  # drained, but remembered


def _everything(build):
    """What a build gives, down to each row's input cells."""
    return ([(dataset.name, dataset.variables, dataset.rows, dataset.sources, dataset.keys,
              [{variable.name: cells.get(variable.name) for variable in dataset.variables} for cells in dataset.cells])
             for dataset in build.datasets], build.issues, build.methods)


def _cases():
    from tests.unit.writers.sdtm.trial_design.test_trial_design import DESIGN
    from tests.unit.writers.sdtm.trial_design.test_trial_design import _study as design_study

    one_visit = {**DESIGN, "visits": [{"number": 1, "name": "BASELINE", "start_rule": "x",
                                       "window": {"element": "SCRN"}}]}
    units = [_finding(subject, concept_id, test, unit, sheet, row) for subject, concept_id, test, unit, sheet, row in (
        ("01-001", "a_lab", "HGB", "g/dL", "LB", 2), ("01-001", "b_vitals", "TEMP", "barfoo", "VS", 2),
        ("02-001", "a_lab", "HGB", "kilofoo", "LB", 3), ("02-001", "b_vitals", "TEMP", "barfoo", "VS", 3),
        ("03-001", "b_vitals", "TEMP", "kilofoo", "VS", 4))]
    return {"domains": (make_records, make_study), "trial design": (make_records, design_study),
            "unscheduled visits": (make_records, lambda: design_study(one_visit)),
            "units said once": (lambda: units, _study)}


@pytest.mark.parametrize("case", ["domains", "trial design", "unscheduled visits", "units said once"])
@pytest.mark.parametrize("block_records", [1, 2, 5])
def test_blocks_of_subjects_give_what_the_whole_study_in_one_block_gives(case, block_records):
    records, study = _cases()[case]
    whole = build_sdtm(records(), study(), block_records=10**9)  # the build domain by domain over the whole study
    assert case == "domains" or whole.issues  # the cases with issues have some to compare
    assert _everything(build_sdtm(records(), study(), block_records=block_records)) == _everything(whole)


@pytest.mark.parametrize("case", ["domains", "trial design", "unscheduled visits", "units said once"])
@pytest.mark.parametrize("partitions", [1, 2, 3])
def test_parts_made_apart_and_assembled_in_subject_order_give_what_one_build_gives(case, partitions):
    # convert-many: each partition makes its subjects' parts (a block per subject), they travel pickled, and the
    # driver assembles every partition's parts merged by subject. Subjects are dealt round the partitions, so
    # each partition meets the domains in its own order and says its own candidates of an issue said once.
    records, study = _cases()[case]
    whole = build_sdtm(records(), study())
    subjects = sorted({record.subject_id for record in records()})
    shares = [[record for record in records() if subjects.index(record.subject_id) % partitions == index]
              for index in range(partitions)]
    made = [[pickle.loads(pickle.dumps(part)) for part in make_sdtm_parts(share, study())] for share in shares]
    assert all(len(parts) == len({record.subject_id for record in share}) for parts, share in zip(made, shares))
    merged = heapq.merge(*made, key=attrgetter("subject_id"))
    assert _everything(assemble_sdtm(merged, study())) == _everything(whole)
