"""ValidationContext: what validation keeps across rows and forms, kept compact (never all rows).

Per form: the subjects seen, the first row of every identity key (for duplicate rows), and, for
non-repeating forms only, each subject's FormRow (for duplicate-subject conflicts, `not_before` rules and
the mapping engine's `lookup` operation).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.model import Coded, PartialDate
from crfmap.sources import RowCells, column_letters
from crfmap.study.models import StudyMapping
from crfmap.values.cells import ParseContext
from crfmap.values.coded import build_codelist_indexes
from crfmap.values.dates import parse_date_text
from crfmap.values.problems import ValueProblem
from crfmap.values.row import FormRow, KeptValues

# Values read from a short list of texts: their cells' texts repeat down a column, so a kept row shares them.
SHARED_TEXT_TYPES = (Coded, bool)


@dataclass(frozen=True, slots=True)
class FirstSeen:
    """Where an identity key was first seen: its row, its sheet and the column of the cell that names it. The
    cell's text ('Sheet!A5') is made only when a duplicate asks: one is kept per row of a repeating form."""

    row: int
    sheet: str
    column: int | None  # None: the row as a whole ('Sheet!5')

    @property
    def cell(self) -> str:
        if self.column is None:
            return f"{self.sheet}!{self.row}"
        return f"{self.sheet}!{column_letters(self.column)}{self.row}"


class ValidationContext:
    """Cross-form state of one workbook's validation, and the sink its issues go to."""

    def __init__(self, study: StudyMapping, sink: Callable[[Issue], None], file_name: str,
                 native_types: bool = False, date1904: bool = False) -> None:
        self.study = study
        self.sink = sink
        self.file_name = PurePath(file_name).name  # a base name: no machine paths in reports
        self.parsing = ParseContext(build_codelist_indexes(study.codelists), native_types, date1904)
        self.data_cutoff = read_data_cutoff(study)
        self.subjects: dict[str, set[str]] = {}
        self.first_seen: dict[str, dict[bytes, FirstSeen]] = {}  # form → key digest → first row
        self.rows_by_subject: dict[str, dict[str, FormRow]] = {}
        self._column_maps: dict[tuple[tuple[str, int], ...], Mapping[str, int]] = {}  # kept rows' column maps, once
        self._value_places: dict[tuple[str, ...], Mapping[str, int]] = {}  # kept rows' maps of names, once
        self.validated_forms: set[str] = set()

    def emit(self, issue: Issue) -> None:
        self.sink(issue)

    def start_form(self, form_name: str) -> None:
        """Called when a form's sheet is about to be read: its subjects now count for subject_exists."""
        self.validated_forms.add(form_name)
        self.subjects.setdefault(form_name, set())
        self.first_seen.setdefault(form_name, {})
        self.rows_by_subject.setdefault(form_name, {})

    def has_subject(self, form_name: str, subject: str) -> bool | None:
        """Whether `form_name` listed the subject; None when that form was not read (no cascade of errors)."""
        if form_name not in self.validated_forms:
            return None
        return subject in self.subjects[form_name]

    def kept(self, row: FormRow) -> FormRow:
        """The row as kept for the run (one-row-per-subject forms): its cells made when asked, from its position
        (`RowCells`), instead of a SourceCell per value (about 900 bytes less per row of the study's forms); its
        values and raw values as tuples (`KeptValues`), not dicts (about 900 bytes less again); the text of a coded
        or yes/no cell shared with every other cell of the same text (a few words, repeated down the column)."""
        raw = row.raw
        if any(type(value) is str for value in raw.values()):
            values = row.values
            raw = {name: sys.intern(text) if type(text) is str and isinstance(values.get(name), SHARED_TEXT_TYPES)
                   else text for name, text in raw.items()}
        return dataclasses.replace(row, cells=RowCells.of(row.cells, self._column_maps),
                                   values=KeptValues.of(row.values, self._value_places),
                                   raw=KeptValues.of(raw, self._value_places))

    def subject_row(self, form_name: str, subject: str) -> FormRow | None:
        return self.rows_by_subject.get(form_name, {}).get(subject)

    def finish(self) -> None:
        """The end of a workbook: identity keys are no longer needed (subjects and rows stay for mapping)."""
        self.first_seen.clear()


def read_data_cutoff(study: StudyMapping) -> PartialDate | None:
    text = study.study.data_cutoff
    if not text:
        return None
    try:
        return parse_date_text(text)
    except ValueProblem:
        raise FatalIssue(make_issue(
            "P003", file="study.yaml",
            detail=f"data_cutoff {text!r} is not a date; write it as yyyy-mm-dd")) from None
