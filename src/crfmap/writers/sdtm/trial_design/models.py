"""The trial design a study declares in study.yaml `sdtm.trial_design`, as the SDTM writer reads it.

    sdtm:
      trial_design:
        elements:                      # TE: one per planned element
          - code: SCRN                 # ETCD (≤ 8)
            name: Screening            # ELEMENT
            start_rule: "…"            # TESTRL (text), end_rule: TEENRL, duration: TEDUR (ISO 8601, e.g. P28D)
        arms:                          # TA: per ARMCD of study.yaml `arms`, the elements in order (TAETORD)
          BLINA:
            - {element: SCRN, epoch: SCREENING, starts: {concept: marrow_blasts, field: date,
                                                         where: {qualifier: timepoint, equals: BASELINE}}}
            - {element: FU, epoch: FOLLOW-UP, branch: "…", transition: "…",
               starts: {concept: exposure, field: end, pick: last, offset_days: 14}}
        visits:                        # TV: planned visits, with the form values that name them and a date window
          - {number: 1, name: BASELINE, day: -2, start_rule: "…", values: [BASELINE], window: {element: SCRN}}
        criteria:                      # TI: inclusion/exclusion criteria
          - {code: INCL01, category: INCLUSION, text: "…"}

SE is derived from the data: a subject's element starts where its `starts` finds the earliest (or, with
`pick: last`, the latest) date of the named concept's records (optionally only those whose field or qualifier
equals a value), plus `offset_days`; it ends where the next element starts, the last one at the subject's end
of participation (RFPENDTC). EPOCH of every observation is the epoch of the element its date falls in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,7}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordFilter(_Strict):
    """Only records whose record field, or qualifier, equals a value (a coded value compares by its value id)."""

    field: str | None = Field(None, description="A record field, e.g. sequence_in_subject")
    qualifier: str | None = Field(None, description="A qualifier of the concept, e.g. timepoint")
    equals: str | int = Field(description="The value it must have")

    @model_validator(mode="after")
    def _one_name(self) -> RecordFilter:
        if (self.field is None) == (self.qualifier is None):
            raise ValueError("give exactly one of `field` and `qualifier`")
        return self


class ElementStart(_Strict):
    """Where a subject's element starts in the data: a date field of one concept's records."""

    concept: str = Field(description="The concept whose records mark the start")
    field: Literal["start", "end", "date"] = Field("start", description="The record's date field")
    where: RecordFilter | None = None
    pick: Literal["first", "last"] = Field("first", description="The earliest or the latest such date")
    offset_days: int = Field(0, ge=-366, le=366, description="Days added to that date (e.g. a rest period)")


class Element(_Strict):
    code: str = Field(pattern=CODE_PATTERN, description="ETCD")
    name: str = Field(min_length=1, max_length=200, description="ELEMENT")
    start_rule: str = Field(min_length=1, max_length=200, description="TESTRL: the rule that starts the element")
    end_rule: str | None = Field(None, max_length=200, description="TEENRL")
    duration: str | None = Field(None, pattern=r"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?)?$",
                                 description="TEDUR, ISO 8601 duration")


class ArmStep(_Strict):
    """One planned element of an arm (a TA record); its position in the list is TAETORD."""

    element: str = Field(description="ETCD of one of the elements")
    epoch: str = Field(min_length=1, max_length=200, description="EPOCH (CDISC CT EPOCH, extensible)")
    branch: str | None = Field(None, max_length=200, description="TABRANCH")
    transition: str | None = Field(None, max_length=200, description="TATRANS")
    starts: ElementStart | None = Field(None, description="How SE finds this element's start for a subject")


class VisitWindow(_Strict):
    """A planned visit's window for records assigned by date: days of an element (day 1 = its start), or study
    days (relative to RFSTDTC) when no element is named. Without days, the whole element."""

    element: str | None = Field(None, description="ETCD the days count from")
    from_day: int | None = None
    to_day: int | None = None

    @model_validator(mode="after")
    def _bounded(self) -> VisitWindow:
        if self.element is None and (self.from_day is None or self.to_day is None):
            raise ValueError("a window of study days needs from_day and to_day")
        if self.from_day is not None and self.to_day is not None and self.from_day > self.to_day:
            raise ValueError("from_day is after to_day")
        if 0 in (self.from_day, self.to_day):
            raise ValueError("there is no day 0 (day 1 is the first day, the day before is -1)")
        return self


class PlannedVisit(_Strict):
    number: float = Field(gt=0, description="VISITNUM")
    name: str = Field(min_length=1, max_length=200, description="VISIT")
    day: int | None = Field(None, description="VISITDY, the planned study day")
    start_rule: str = Field(min_length=1, max_length=200, description="TVSTRL")
    end_rule: str | None = Field(None, max_length=200, description="TVENRL")
    values: list[str] = Field(default_factory=list,
                              description="Values of the forms' visit columns (code list value ids) that mean this visit")
    window: VisitWindow | None = Field(None, description="Dates that belong to this visit, for records assigned by date")
    arms: list[str] = Field(default_factory=list, description="ARMCD of the arms it is planned for; empty: every arm")


class Criterion(_Strict):
    code: str = Field(pattern=CODE_PATTERN, description="IETESTCD")
    category: Literal["INCLUSION", "EXCLUSION"] = Field(description="IECAT")
    text: str = Field(min_length=1, max_length=200, description="IETEST")
    subcategory: str | None = Field(None, description="IESCAT")
    rule: str | None = Field(None, max_length=200, description="TIRL")


class TrialDesign(_Strict):
    elements: list[Element] = Field(default_factory=list)
    arms: dict[str, list[ArmStep]] = Field(default_factory=dict, description="ARMCD → its elements in order")
    visits: list[PlannedVisit] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    criteria_version: str | None = Field(None, description="TIVERS")

    def element(self, code: str) -> Element | None:
        return next((element for element in self.elements if element.code == code), None)

    @property
    def epochs(self) -> tuple[str, ...]:
        """Every epoch of the design, in the order the arms first name them."""
        return tuple(dict.fromkeys(step.epoch for steps in self.arms.values() for step in steps))


class VisitTarget(_Strict):
    """A concept's `sdtm.visit`: where its records' VISIT/VISITNUM come from."""

    qualifier: str | None = Field(None, description="A qualifier holding the visit (e.g. the form's timepoint "
                                                    "column): its value id is matched against the visits' "
                                                    "`values`, then their names")
    field: str | None = Field(None, description="A record field holding the visit, matched the same way")
    by_date: bool = Field(False, description="Match the record's date against the visits' windows; a date in "
                                             "no window makes an unscheduled visit")

    @model_validator(mode="after")
    def _one_source(self) -> VisitTarget:
        if sum((self.qualifier is not None, self.field is not None, self.by_date)) != 1:
            raise ValueError("give exactly one of `qualifier`, `field` and `by_date: true`")
        return self
