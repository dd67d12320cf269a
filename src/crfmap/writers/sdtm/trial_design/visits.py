"""VISIT/VISITNUM of the observations (SDTMIG 3.4 section 4.4.5), as each concept's `sdtm.visit` declares.

- From a qualifier or record field (the form's visit column): its value id is matched against the planned visits'
  `values`, then their names. An unknown value keeps its text in VISIT, leaves VISITNUM empty and is warned (W085).
- By date: the planned visit whose window holds the record's date (a window is a span of an element of the
  subject's SE, day 1 = the element's start, or of study days). A date in no window makes an unscheduled visit
  numbered after the latest planned visit whose window starts before it: VISITNUM = that number + 0.01 per
  unscheduled date (3.01, 3.02 …), VISIT "UNSCHEDULED 3.01". Undated records get no visit. (MT.VISIT)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from crfmap.model import PartialDate, Record
from crfmap.writers.sdtm.domains.timing import study_day
from crfmap.writers.sdtm.trial_design.elements import SubjectElement, record_item
from crfmap.writers.sdtm.trial_design.models import PlannedVisit, TrialDesign, VisitTarget

UNSCHEDULED_STEP = 0.01


@dataclass(frozen=True, slots=True)
class VisitOf:
    number: float | None
    name: str
    planned: PlannedVisit | None


def visit_number(value: float) -> int | float:
    """VISITNUM as SDTM writes it: 3 rather than 3.0."""
    return int(value) if float(value).is_integer() else round(value, 2)


def visit_from_value(design: TrialDesign, target: VisitTarget, record: Record) -> VisitOf | None:
    """The visit a record's visit item names; None when the record has no value there."""
    value = record_item(record, target.field, target.qualifier)
    if value is None or str(value).strip() == "":
        return None
    text = str(value)
    for planned in design.visits:
        if text in planned.values:
            return VisitOf(planned.number, planned.name, planned)
    for planned in design.visits:
        if text == planned.name:
            return VisitOf(planned.number, planned.name, planned)
    return VisitOf(None, text, None)


def windows(design: TrialDesign, elements: list[SubjectElement], reference: PartialDate | None,
            arm: str | None) -> list[tuple[PlannedVisit, datetime.date, datetime.date]]:
    """The subject's planned visits with their windows as dates, in visit order."""
    spans = []
    for planned in sorted(design.visits, key=lambda visit: visit.number):
        if planned.window is None or (planned.arms and arm not in planned.arms):
            continue
        span = _span(planned, elements, reference)
        if span is not None:
            spans.append((planned, *span))
    return spans


def _span(planned: PlannedVisit, elements: list[SubjectElement],
          reference: PartialDate | None) -> tuple[datetime.date, datetime.date] | None:
    window = planned.window
    assert window is not None
    if window.element is None:
        start = reference.to_date() if reference is not None else None
        if start is None:
            return None
        assert window.from_day is not None and window.to_day is not None
        return _shift(start, window.from_day), _shift(start, window.to_day)
    element = next((item for item in elements if item.step.element == window.element), None)
    first = element.start.to_date() if element is not None else None
    if element is None or first is None:
        return None
    if window.from_day is None and window.to_day is None:  # the whole element: up to the day the next one starts
        last = element.end.to_date() if element.end is not None else None
        followed = element is not elements[-1]
        end = last - datetime.timedelta(days=1) if followed and last is not None and last > first else last or first
        return first, end
    return _shift(first, window.from_day or 1), _shift(first, window.to_day or 10_000)


def _shift(day_one: datetime.date, day: int) -> datetime.date:
    """The date of study (or element) day `day`: day 1 is `day_one`, there is no day 0."""
    return day_one + datetime.timedelta(days=day - 1 if day > 0 else day)


def visit_by_date(spans: list[tuple[PlannedVisit, datetime.date, datetime.date]],
                  when: PartialDate | None) -> tuple[VisitOf | None, float]:
    """(the planned visit whose window holds the date, or None), and the number an unscheduled visit would
    follow (the latest planned visit whose window starts on or before the date; 0 before every window)."""
    day = when.to_date() if when is not None else None
    if day is None:
        return None, 0.0
    base = 0.0
    for planned, start, end in spans:
        if start <= day <= end:
            return VisitOf(planned.number, planned.name, planned), planned.number
        if start <= day:
            base = max(base, planned.number)
    return None, base


def unscheduled(base: float, rank: int) -> VisitOf:
    number = round(base + UNSCHEDULED_STEP * rank, 2)
    return VisitOf(number, f"UNSCHEDULED {number:.2f}", None)


@dataclass(slots=True)
class SubjectVisit:
    """One Subject Visits record being gathered from the observations."""

    subject_id: str
    number: float
    name: str
    planned: PlannedVisit | None
    first: PartialDate | None = None
    last: PartialDate | None = None

    def add(self, when: PartialDate | None) -> None:
        if when is None:
            return
        if self.first is None or when.sort_key() < self.first.sort_key():
            self.first = when
        if self.last is None or when.sort_key() > self.last.sort_key():
            self.last = when


def subject_visit_row(visit: SubjectVisit, domain: str, study_id: str, usubjid: str,
                      reference: Mapping[str, PartialDate]) -> dict[str, object]:
    """A row of Subject Visits (`domain`, named by the catalog from the IG: its variables are the domain's prefix
    plus PRESP, OCCUR, STDTC …)."""
    start = reference.get(visit.subject_id)
    planned = visit.planned is not None
    return {"STUDYID": study_id, "DOMAIN": domain, "USUBJID": usubjid, "VISITNUM": visit_number(visit.number),
            "VISIT": visit.name, f"{domain}PRESP": "Y" if planned else None,
            f"{domain}OCCUR": "Y" if planned else None,
            "VISITDY": visit.planned.day if visit.planned is not None else None,
            f"{domain}STDTC": visit.first.iso() if visit.first else None,
            f"{domain}ENDTC": visit.last.iso() if visit.last else None,
            f"{domain}STDY": study_day(visit.first, start), f"{domain}ENDY": study_day(visit.last, start)}
