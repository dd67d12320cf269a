"""PackedIssues (issue #16, flat memory): issues packed a block at a time read back as they were added, in order,
through every list operation the report and its views use; the counts kept as they come equal counting the
issues; a packed log is several times smaller than the issues it holds; it travels between processes packed."""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from dataclasses import replace

import pytest
from benchmarks.state_size import deep_size

from crfmap.issues import PackedIssues, Report, Severity, make_issue
from crfmap.issues import packed as packed_module
from crfmap.issues.issue import WaiverNote
from crfmap.issues.packed import kind_of


def sample(count: int) -> list:
    """Issues of several kinds, sheets and severities, as a large export's report has them."""
    issues = []
    for number in range(count):
        row = number + 2
        if number % 7 == 3:
            issues.append(make_issue("S104", value=f"Мужск{number}", expected="sex", column="sex", sheet="Демография",
                                     cell=f"C{row}", row=row, form="demographics", subject=f"01-{number:03d}"))
        elif number % 11 == 5:
            issues.append(make_issue("P062", file="waivers.yaml", line=number, value="S112", expected="Терапия!G13"))
        else:
            issue = make_issue("S113", value=f"{number % 28 + 1:02d}.01.2009", expected=f"2009-01-{number % 28 + 1:02d}",
                               column="birth_date", sheet="НЯ", cell=f"D{row}", row=row, form="adverse_events",
                               subject=f"01-{number:03d}", related=(f"НЯ!A{row}",))
            if number % 13 == 0:
                note = WaiverNote("confirmed", "A. Petrova", "2024-05-02", "waivers.yaml", 3, issue.severity)
                issue = replace(issue, severity=Severity.INFO, waived=note)
            issues.append(issue)
    return issues


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packed_module, "BLOCK", 3)


def test_packed_issues_read_back_as_added(tiny_blocks):
    issues = sample(20)
    log = PackedIssues(issues[:10])
    for issue in issues[10:]:
        log.append(issue)
    assert len(log._packed) == 6 and len(log._recent) == 2  # six blocks packed, the last two held
    assert list(log) == issues and len(log) == 20
    assert log == issues and issues == log and log != issues[:-1]
    assert [log[index] for index in range(20)] == issues
    assert log[-1] is issues[-1] and log[-20] == issues[0] and log[4] == issues[4]
    assert log[2:17:4] == issues[2:17:4] and log[::-1] == issues[::-1]
    with pytest.raises(IndexError):
        log[20]
    with pytest.raises(IndexError):
        log[-21]


def test_a_pass_reads_what_the_log_held_when_it_began(tiny_blocks):
    issues = sample(8)
    log = PackedIssues(issues[:7])
    seen = []
    for issue in log:
        seen.append(issue)
        if len(seen) == 1:
            log.append(issues[7])  # an issue added during a pass (a view adding one) is for the next pass
    assert seen == issues[:7] and list(log) == issues


def test_changes_in_place_repack_and_recount(tiny_blocks):
    issues = sample(10)
    log = PackedIssues(issues)
    changed = replace(issues[4], severity=Severity.ERROR)
    log[4] = changed
    del log[0]
    log.insert(2, issues[0])
    expected = issues[1:3] + [issues[0], issues[3], changed] + issues[5:]
    assert list(log) == expected
    assert log.tally() == Counter(kind_of(issue) for issue in expected)
    log[:] = issues[:2]
    assert list(log) == issues[:2] and sum(log.tally().values()) == 2


def test_the_tally_counts_what_iterating_counts_in_the_order_first_found(tiny_blocks):
    issues = sample(60)
    tally = PackedIssues(issues).tally()
    assert tally == Counter(kind_of(issue) for issue in issues)
    assert list(tally) == list(dict.fromkeys(kind_of(issue) for issue in issues))
    assert sum(count for kind, count in tally.items() if kind.waived) == sum(1 for issue in issues if issue.waived)


def test_the_report_counts_from_the_tally_as_from_its_issues(tiny_blocks):
    issues = sample(60)
    report = Report(issues)
    assert isinstance(report.issues, PackedIssues)
    summary = report.summary()
    by_severity = Counter(issue.severity.value for issue in issues)
    assert (summary["errors"], summary["warnings"], summary["infos"]) == (
        by_severity["error"], by_severity["warning"], by_severity["info"])
    assert summary["waived"] == sum(1 for issue in issues if issue.waived) > 0
    assert summary["by_code"] == dict(sorted(Counter(issue.code for issue in issues).items()))
    assert summary["by_sheet"]["НЯ"] == dict(sorted(Counter(
        issue.severity.value for issue in issues if issue.sheet == "НЯ").items()))
    assert summary["by_form"]["(workbook)"] == {"warning": sum(1 for issue in issues if issue.form is None)}
    assert report.has_errors and report.sheet_order() == ["Демография", "НЯ"]
    assert report.sorted()[0].code == "P062"  # mapping and waivers files first, read back from the blocks
    warnings = Report([issue for issue in issues if issue.severity is not Severity.ERROR])
    assert not warnings.has_errors and warnings.exit_status == 0
    warnings.add(make_issue("S203", sheet="НЯ", cell="A2", row=2, subject="03-001"))
    assert warnings.has_errors and warnings.exit_status == 1


def test_a_packed_log_travels_packed_and_reads_back(tiny_blocks):
    issues = sample(20)
    log = PackedIssues(issues)
    copy = pickle.loads(pickle.dumps(log))
    assert isinstance(copy, PackedIssues) and list(copy) == issues and copy.tally() == log.tally()
    assert copy._packed == log._packed  # the blocks as they were, not unpacked to be sent


def test_a_packed_log_is_several_times_smaller_than_its_issues():
    issues = sample(4 * packed_module.BLOCK)
    log = PackedIssues(issues)
    assert len(log._packed) == 4 and not log._recent
    held, packed = deep_size(issues, set()), sum(sys.getsizeof(block) for block in log._packed)
    assert packed * 5 < held, (packed, held)


def test_an_issue_copied_by_its_slots_equals_dataclasses_replace():
    from crfmap.issues.issue import ISSUE_FIELDS, issue_fields, issue_from_fields, replaced

    for issue in sample(30):
        assert issue_from_fields(issue_fields(issue)) == issue
        for changes in ({"header": "Дата рождения"}, {"message": "other", "expected": None},
                        {"severity": Severity.ERROR, "related": ()}):
            copy = replaced(issue, **changes)
            assert copy == replace(issue, **changes) and copy is not issue
            assert [getattr(copy, name) for name in ISSUE_FIELDS if name not in changes] == [
                getattr(issue, name) for name in ISSUE_FIELDS if name not in changes]
    with pytest.raises(KeyError):
        replaced(sample(1)[0], no_such_field=1)


def test_the_counts_read_no_issue_back(tiny_blocks, monkeypatch):
    """What a quiet run prints, the exit status and the JSON summary come from the tally: a pass over the issues
    would read every block back (and the quiet text report used to sort and word them all, for nothing)."""
    from crfmap.issues.text import render_report

    issues = sample(60)
    report = Report(issues)
    shown = list(render_report(report, quiet=True))

    def no_pass(self):
        raise AssertionError("the issues were read back")

    monkeypatch.setattr(PackedIssues, "__iter__", no_pass)
    assert list(render_report(report, quiet=True)) == shown
    assert report.count(Severity.ERROR) == sum(1 for issue in issues if issue.severity is Severity.ERROR) > 0
    assert report.has_errors and report.exit_status == 1
    assert report.summary()["warnings"] == sum(1 for issue in issues if issue.severity is Severity.WARNING)
    assert any("S113" in line for line in shown) and any("НЯ" in line for line in shown)
