"""What every domain builder shares: the study, subject reference dates, units, and the issues it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.model import PartialDate, Record
from crfmap.sources import SourceCell
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.domains.targets import SdtmTarget, StudySdtm, SuppTarget

# UCUM codes whose text is also the CDISC UNIT submission value; any other unit needs study.sdtm.units.
SAME_IN_CDISC_UNIT = frozenset({"%", "mg", "g", "kg", "ug", "mL", "L", "cm"})


@dataclass(slots=True)
class Draft:
    """One SDTM row before --SEQ/--DY: its values, where it came from, and its SUPP-- qualifiers."""

    values: dict[str, Any]
    record: Record | None  # None for study-level rows (TS)
    sort_date: PartialDate | None
    codelists: dict[str, str] = field(default_factory=dict)  # variable → study code list id
    constants: dict[str, str] = field(default_factory=dict)  # the target's constants: fill what stays null
    supp: list[tuple[SuppTarget, str]] = field(default_factory=list)

    @property
    def sources(self) -> tuple[SourceCell, ...]:
        return () if self.record is None else self.record.all_sources


@dataclass(slots=True)
class BuildContext:
    study: StudyMapping
    settings: StudySdtm
    reference_start: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFSTDTC
    issues: list[Issue] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    _warned: set[tuple[str, ...]] = field(default_factory=set)

    @property
    def study_id(self) -> str:
        return self.study.study.id

    def usubjid(self, subject_id: str) -> str:
        return f"{self.study_id}-{subject_id}"

    def unit(self, ucum: str | None, record: Record) -> str | None:
        """The CDISC UNIT submission value of a UCUM unit: the study's unit map, else the UCUM text (warned)."""
        if ucum is None:
            return None
        if ucum in self.settings.units:
            return self.settings.units[ucum]
        if ucum not in SAME_IN_CDISC_UNIT:
            self.warn_once(("unit", ucum), record, detail=f"unit {ucum!r} (UCUM) is written as is; add it to "
                           "study.yaml sdtm.units with its CDISC UNIT submission value")
        return ucum

    def warn_not_carried(self, record: Record, target: SdtmTarget, field_name: str) -> None:
        """A field with a value that has no variable in the domain and no SUPP-- target: said once per concept."""
        self.warn_once(("field", record.concept, field_name), record,
                       detail=f"{field_name!r} of concept {record.concept!r} has values but no {target.domain} "
                              f"variable; add it to the concept's sdtm.supp to keep it")

    def warn_once(self, key: tuple[str, ...], record: Record, detail: str, code: str = "W060") -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        cells = record.all_sources
        self.issues.append(make_issue(code, at=cells[0] if cells else None, subject=record.subject_id,
                                      detail=detail))
