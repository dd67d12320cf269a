"""What every domain builder shares: the study, subject reference dates, units, and the issues it raises."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.model import PartialDate, Record
from crfmap.sources import SourceCell
from crfmap.standards import load_sdtm_ct, sdtm_ct_versions
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.domains.catalog import DomainCatalog
from crfmap.writers.sdtm.domains.targets import SdtmTarget, StudySdtm, SuppTarget

SUBJECT_VARIABLES = frozenset({"USUBJID", "SUBJID"})  # their cell is the subject id's
UNIT_CODELIST = "C71620"  # CDISC CT "UNIT": the submission values of units


@cache
def cdisc_units(ct_version: str) -> frozenset[str]:
    """The UNIT submission values of the study's CT release (the nearest earlier one crfmap ships, else the
    oldest): a UCUM code that is one of them is written as it is."""
    shipped = sdtm_ct_versions()
    earlier = [version for version in shipped if version <= ct_version]
    release = load_sdtm_ct(earlier[-1] if earlier else shipped[0])
    return frozenset(term.submission_value for term in release.codelist(UNIT_CODELIST))


@dataclass(slots=True)
class Draft:
    """One SDTM row before --SEQ/--DY: its values, where it came from, and its SUPP-- qualifiers."""

    values: dict[str, Any]
    record: Record | None  # None for study-level rows (TS)
    sort_date: PartialDate | None
    codelists: dict[str, str] = field(default_factory=dict)  # variable → study code list id
    origins: dict[str, str] = field(default_factory=dict)  # variable → A | P | D:<method> (default: collected)
    fields: dict[str, str] = field(default_factory=dict)  # variable → the record field its value came from
    constants: dict[str, str] = field(default_factory=dict)  # the target's constants: fill what stays null
    supp: list[tuple[SuppTarget, str]] = field(default_factory=list)
    supp_sources: list[tuple[SourceCell, ...]] = field(default_factory=list)  # parallel to `supp`: QVAL's cells
    value_cells: dict[str, tuple[SourceCell, ...]] = field(default_factory=dict)  # variable → cells, set explicitly
    target: SdtmTarget | None = None  # the concept's target (None for study-level rows)

    @property
    def sources(self) -> tuple[SourceCell, ...]:
        return () if self.record is None else self.record.all_sources

    def cells_of(self, variable: str) -> tuple[SourceCell, ...]:
        """The input cells a variable's value came from (`own_cells`), else the record's."""
        return self.own_cells(variable) or self.sources

    def own_cells_in(self, names: Collection[str], fields: Mapping[str, str] | None = None) -> OwnCells:
        """Where the values of `names` came from, found when asked (`OwnCells.get`); `fields`: a map equal to the
        draft's own, shared by the rows that have it."""
        record, explicit = self.record, self.value_cells or _NO_CELLS
        fields = self.fields if fields is None else fields
        if record is None:
            return OwnCells(names, explicit, fields, None, None)
        return OwnCells(names, explicit, fields, record.sources, record.subject_cell)

    def own_cells(self, variable: str) -> tuple[SourceCell, ...]:
        """The cells of this variable's own value, when known (the rule is `OwnCells.get`'s); else none."""
        return self.own_cells_in((variable,)).get(variable) or ()


_NO_CELLS: Mapping[str, tuple[SourceCell, ...]] = {}  # shared by every row without explicit cells; never changed


class OwnCells:
    """The input cells of a row's own values, looked up when asked. Only a row an issue points at is asked, so a
    dataset's rows keep these few references (the draft's own dicts) instead of a worked-out dict each."""

    __slots__ = ("explicit", "fields", "names", "sources", "subject_cell")

    def __init__(self, names: Collection[str], explicit: Mapping[str, tuple[SourceCell, ...]],
                 fields: Mapping[str, str], sources: Mapping[str, tuple[SourceCell, ...]] | None,
                 subject_cell: SourceCell | None) -> None:
        self.names = names  # the dataset's variables: no other name has cells here
        self.explicit = explicit  # set explicitly (SUPP-- QVAL)
        self.fields = fields  # variable → the record field its value came from
        self.sources = sources  # the record's cells by field; None for a study-level row (TS)
        self.subject_cell = subject_cell

    def get(self, variable: str) -> tuple[SourceCell, ...] | None:
        """The cells of the variable's own value: set explicitly, the subject id's cell (USUBJID, SUBJID), or its
        record field's; None when none is known."""
        if variable not in self.names:
            return None
        explicit = self.explicit.get(variable)
        if explicit is not None:
            return explicit or None
        if self.sources is None:
            return None
        if variable in SUBJECT_VARIABLES and self.subject_cell is not None:
            return (self.subject_cell,)
        name = self.fields.get(variable)
        return (self.sources.get(name) or None) if name else None


@dataclass(slots=True)
class BuildContext:
    study: StudyMapping
    settings: StudySdtm
    catalog: DomainCatalog
    reference_start: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFSTDTC (every --DY)
    exposure_start: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFXSTDTC (--LOBXFL)
    reference_end: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFXENDTC
    issues: list[Issue] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    _warned: set[tuple[str, ...]] = field(default_factory=set)
    _sources: dict[int, tuple[SourceCell, ...]] = field(default_factory=dict)  # id(record) → its cells, sorted

    def sources_of(self, draft: Draft) -> tuple[SourceCell, ...]:
        """`draft.sources`, sorted once per record: a record's SUPP-- rows share its tuple. (By id: the records
        outlive the build, and a Record with dict fields is not hashable.)"""
        record = draft.record
        if record is None:
            return ()
        found = self._sources.get(id(record))
        if found is None:
            found = self._sources[id(record)] = record.all_sources
        return found

    @property
    def study_id(self) -> str:
        return self.study.study.id

    def usubjid(self, subject_id: str) -> str:
        return f"{self.study_id}-{subject_id}"

    def unit(self, ucum: str | None, record: Record) -> str | None:
        """The CDISC UNIT submission value of a UCUM unit: the study's unit map, else the UCUM text (warned unless
        it is a CDISC UNIT submission value too)."""
        if ucum is None:
            return None
        if ucum in self.settings.units:
            return self.settings.units[ucum]
        if ucum not in cdisc_units(self.study.study.standards.ct):
            self.warn_once(("unit", ucum), record, detail=f"unit {ucum!r} (UCUM) is written as is; add it to "
                           "study.yaml sdtm.units with its CDISC UNIT submission value")
        return ucum

    def warn_not_carried(self, record: Record, target: SdtmTarget, field_name: str) -> None:
        """A field with a value that has no variable in the domain and no SUPP-- target: said once per concept."""
        cells = record.sources.get(field_name) or record.sources.get(f"qualifiers.{field_name}")
        self.warn_once(("field", record.concept, field_name), record,
                       detail=f"{field_name!r} of concept {record.concept!r} has values but no {target.domain} "
                              f"variable; add it to the concept's sdtm.supp to keep it", cells=cells)

    def warn_once(self, key: tuple[str, ...], record: Record, detail: str,
                  cells: tuple[SourceCell, ...] | None = None, code: str = "W060") -> None:
        """`code` (W060 unless said) once per key, at the cells of the value it is about when known, else the
        record's first."""
        if key in self._warned:
            return
        self._warned.add(key)
        cells = cells or record.all_sources
        self.issues.append(make_issue(code, at=cells[0] if cells else None, subject=record.subject_id,
                                      detail=detail))
