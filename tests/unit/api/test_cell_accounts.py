"""A sheet's cell accounts (coverage: header, mapped, ignored, unmapped) are worked out per sheet column once per
set of forms that read a row, not per cell; the counts must be what the cells are, whatever mix of columns the
sheet has. The expected counts here are counted by hand from the sheet as written."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from crfmap.api import validate_workbook
from crfmap.api.validation import column_kinds
from crfmap.validate.header import HeaderMap
from tests.minimal_study import write_study_files

STUDY = {
    "study.yaml": """
        id: ACCOUNTS
        title: Cell accounts
        identifier_systems: {subject: "urn:accounts:subject", study: "urn:accounts:study"}
        standards: {ct: "2025-03-28"}
        data_cutoff: "2024-12-31"
        """,
    "forms/events.yaml": """
        name: events
        label: Events
        sheets: [Events]
        repeating: true
        identity: {subject: subject, keys: [term]}
        columns:
          - {name: subject, label: Subject, type: string, required: true}
          - {name: term, label: Term, type: coded, codelist: term}
          - {name: start, label: Onset date, headers: [Start], type: date}
          - {name: note, label: Site note, type: string, ignore: true}
        ignore_columns: [Monitor comment]
        """,
    "codelists/term.yaml": """
        id: term
        name: Term
        values: [{value: Fever, display: Fever}, {value: Rash, display: Rash}]
        """,
    "concepts.yaml": """
        concepts:
          - id: event
            form: events
            record: event
            fields:
              category: {op: constant, value: adverse_event}
              decoded: {op: code, column: term}
              start: {op: copy, column: start}
        """,
}
# A title above the header; under the header: three read columns, a second header for `start` (rejected, S005),
# a column `ignore: true`, a header in `ignore_columns`, and a header no form knows (S004).
HEADER = ["Subject", "Term", "Onset date", "Start", "Site note", "Monitor comment", "Mystery"]
ROWS = [
    ["01", "Fever", "2020-01-02", "2020-01-02", "ok", "checked", "x"],
    ["02", "Rash", None, "2020-02-03", None, "checked", None],
    ["03", None, "2020-03-04", None, "see file", None, "y"],
]


def test_every_kind_of_column_is_counted_as_its_cells_are(tmp_path: Path) -> None:
    folder = write_study_files(tmp_path / "study", STUDY)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Events"
    sheet.append(["Adverse events, site 1"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(tmp_path / "events.xlsx")

    result = validate_workbook(tmp_path / "events.xlsx", folder)

    assert {"S004", "S005"} <= {issue.code for issue in result.report.issues}
    (account,) = result.coverage
    assert account.non_empty == 1 + 7 + 7 + 4 + 4  # the title, the header, the rows
    assert account.header == 7
    assert account.mapped == 3 + 2 + 2  # Subject, Term, Onset date
    assert account.ignored == 2 + 2  # Site note (ignore: true), Monitor comment (ignore_columns)
    assert account.unmapped == 1 + 2 + 2  # the title, the second Start column, Mystery
    assert account.unaccounted == 0


def test_a_column_one_form_reads_and_another_ignores_is_mapped() -> None:
    reads = HeaderMap(1, {1: "subject", 2: "weight", 3: "note"}, ignored=frozenset({4}), rejected=frozenset({3}))
    other = HeaderMap(1, {1: "subject", 2: "weight", 4: "comment"}, ignored=frozenset({5}))
    assert column_kinds([(reads, frozenset())]) == {1: "mapped", 2: "mapped", 4: "ignored"}
    assert column_kinds([(other, frozenset({"weight"}))]) == {1: "mapped", 2: "ignored", 4: "mapped", 5: "ignored"}
    assert column_kinds([(reads, frozenset()), (other, frozenset({"weight"}))]) == {
        1: "mapped", 2: "mapped", 4: "mapped", 5: "ignored"}  # column 3 is rejected by one, unknown to the other
    assert column_kinds([]) == {}  # a row no form reads: every cell unmapped
