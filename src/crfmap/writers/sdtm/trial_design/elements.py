"""SE, Subject Elements, derived from the data (SDTMIG 3.4 section 5.3), and EPOCH from it.

A subject follows the elements of their planned arm (DM.ARMCD) in TA order. Each element starts where its
`starts` declaration finds it in the subject's records (the first or last date of a concept's records, optionally
only those whose field or qualifier has a value, plus `offset_days`); an element the data never starts is not
entered (a branch not taken), nor is one that would start after the subject's end of participation. Each element
ends where the next one starts (SEENDTC = next SESTDTC); the last one at RFPENDTC. (MT.SE)

EPOCH of an observation is the epoch of the element its date (--STDTC for events and interventions, --DTC for
findings) falls in: the last element that starts on or before that day. (MT.EPOCH)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crfmap.model import Coded, PartialDate, Record
from crfmap.writers.sdtm.trial_design.models import ArmStep, ElementStart, RecordFilter, TrialDesign


@dataclass(frozen=True, slots=True)
class SubjectElement:
    """One SE record before it is written."""

    subject_id: str
    order: int  # TAETORD
    step: ArmStep
    start: PartialDate
    end: PartialDate | None = None


def derive_subject_elements(design: TrialDesign, records_by_subject: Mapping[str, list[Record]],
                            arms: Mapping[str, str | None], ends: Mapping[str, PartialDate | None],
                            ) -> tuple[dict[str, list[SubjectElement]], list[str]]:
    """Per subject, the elements entered, in time order; and the subjects whose arm has elements but whose data
    starts none of them (for a warning)."""
    result: dict[str, list[SubjectElement]] = {}
    unplaced: list[str] = []
    for subject in sorted(arms):
        steps = design.arms.get(arms[subject] or "")
        if not steps:
            continue
        records = records_by_subject.get(subject, [])
        end = ends.get(subject)
        found = []
        for order, step in enumerate(steps, start=1):
            start = find_start(step.starts, records) if step.starts is not None else None
            if start is not None and (end is None or _day(start) is None or _day(end) is None
                                      or _day(start) <= _day(end)):  # type: ignore[operator]
                found.append(SubjectElement(subject, order, step, start))
        found.sort(key=lambda element: (element.start.sort_key(), element.order))
        if not found:
            unplaced.append(subject)
            continue
        result[subject] = [SubjectElement(element.subject_id, element.order, element.step, element.start,
                                          found[index + 1].start if index + 1 < len(found) else end)
                           for index, element in enumerate(found)]
    return result, unplaced


def find_start(start: ElementStart, records: Iterable[Record]) -> PartialDate | None:
    dates = [when for record in records if record.concept == start.concept and _matches(record, start.where)
             and isinstance(when := getattr(record, start.field, None), PartialDate)]
    if not dates:
        return None
    chosen = (min if start.pick == "first" else max)(dates, key=PartialDate.sort_key)
    if start.offset_days == 0:
        return chosen
    day = chosen.to_date()
    return None if day is None else PartialDate.from_date(day + datetime.timedelta(days=start.offset_days))


def record_item(record: Record, field: str | None, qualifier: str | None) -> object:
    """What a record holds at a trial-design declaration's `qualifier` (else `field`): a coded value by its code
    list value, None when the record has nothing there."""
    value = record.qualifiers.get(qualifier) if qualifier is not None else getattr(record, field or "", None)
    return value.value if isinstance(value, Coded) else value


def _matches(record: Record, where: RecordFilter | None) -> bool:
    if where is None:
        return True
    value = record_item(record, where.field, where.qualifier)
    return value is not None and str(value) == str(where.equals)


def _day(when: PartialDate) -> datetime.date | None:
    return when.to_date()


def element_on(elements: list[SubjectElement], when: PartialDate) -> SubjectElement | None:
    """The element a date complete to the day falls in: the last one starting on or before that day."""
    day = when.to_date()
    if day is None:
        return None
    chosen = None
    for element in elements:
        start = element.start.to_date()
        if start is not None and start <= day:
            chosen = element
    if chosen is not None and chosen.end is not None and (end := chosen.end.to_date()) is not None and day > end:
        return None
    return chosen
