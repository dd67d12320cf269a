"""The build goes a block of subjects at a time, yet makes the same rows and says its issues as one pass over the
whole study, domain by domain, does: an issue said once (a unit, a dropped variable) names the cell that comes
first in that order, and the issues come in it, whatever the blocks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crfmap.issues import make_issue
from crfmap.model import Finding, Quantity
from crfmap.writers.sdtm.build import build_sdtm
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
    log.part, log.stage = 1, (1, 1, 0)
    log.append(_issue("late domain, first block"))
    assert log.wants(("unit", "x"))
    log.once(("unit", "x"), _issue("x first met in the later domain"))
    log.part, log.stage = 2, (1, 0, 0)
    assert log.wants(("unit", "x"))  # the earlier domain comes first, whichever block was built first
    log.once(("unit", "x"), _issue("x in the earlier domain"))
    log.append(_issue("early domain, second block"))
    log.step(3)
    log.append(_issue("a later step of the early domain"))
    log.stage = (1, 1, 0)
    assert not log.wants(("unit", "x"))
    log.stage = (5,)
    log.append(_issue("study level, last phase"))
    assert [issue.message.split(": ", 1)[-1] for issue in log.in_order()] == [
        "x in the earlier domain", "early domain, second block", "a later step of the early domain",
        "late domain, first block", "study level, last phase"]


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
