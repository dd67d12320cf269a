"""--allow-errors writes every valid record, except those of a subject that has no subject record (its row in the
form that makes subjects has errors, or there is none): no output can hold a record of a subject it does not have
(SDTM needs DM, FHIR a Patient). Each such subject is said once (W007), with the rows of every record left out
with it, so that the account of what was not written stays complete.

Finding them needs only one subject's records, so a convert-many partition finds its own (`find_orphans`) and
only the summaries travel; the driver says them for the whole run (`report_orphans`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from crfmap.api.validation import ValidationResult
from crfmap.issues import Report, make_issue
from crfmap.model import Record
from crfmap.sources import SourceCell
from crfmap.study.models import StudyMapping


@dataclass(frozen=True, slots=True)
class Orphan:
    """A subject without subject record: how many of its records are left out, and the cells of their rows
    (one per (sheet, row), sorted)."""

    records: int
    rows: tuple[SourceCell, ...]


def subject_forms(study: StudyMapping) -> set[str]:
    return {concept.form for concept in study.concepts if concept.record == "subject"}


def find_orphans(records: Iterable[Record], with_record: Collection[str]) -> dict[str, Orphan]:
    """The subjects of `records` that are not in `with_record` (the subjects that have a subject record)."""
    counts: dict[str, int] = {}
    rows: dict[str, dict[tuple[str, int], SourceCell]] = {}
    for record in records:
        subject = record.subject_id
        if subject not in with_record:
            counts[subject] = counts.get(subject, 0) + 1
            found = rows.setdefault(subject, {})
            for cell in record.all_sources:
                found[(cell.sheet, cell.row)] = cell
    return {subject: Orphan(count, tuple(cell for _place, cell in sorted(rows[subject].items())))
            for subject, count in counts.items()}


def report_orphans(validation: ValidationResult, orphans: Mapping[str, Orphan], report: Report) -> None:
    """W007 for each subject left out, by subject id."""
    forms = subject_forms(validation.study)
    for subject, orphan in sorted(orphans.items()):
        related = tuple(f"{cell.sheet}!{cell.a1}" for cell in orphan.rows)
        own = next((row for row in validation.left_out if row.subject_id == subject and row.form in forms), None)
        why = (f"its row {own.number} of {own.sheet!r} has errors" if own is not None
               else f"it has no row in {', '.join(sorted(forms))}")
        by_sheet: dict[str, list[int]] = {}
        for cell in orphan.rows:
            by_sheet.setdefault(cell.sheet, []).append(cell.row)
        listed = "; ".join(f"{sheet!r} row{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"
                           for sheet, numbers in by_sheet.items())
        detail = f"{why}, so its {orphan.records} record(s) from these rows were not written either: {listed}"
        file = own.file if own else orphan.rows[0].file if orphan.rows else validation.source.file
        report.add(make_issue("W007", file=file, sheet=own.sheet if own else None,
                              row=own.number if own else None, cell=f"A{own.number}" if own else None,
                              subject=subject, detail=detail, related=related))
