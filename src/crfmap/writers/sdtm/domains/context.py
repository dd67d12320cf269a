"""What every domain builder shares: the study, subject reference dates, units, and the issues it raises."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
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


Stage = tuple[object, ...]  # (phase, domain, step …): where in the build an issue was raised
Entry = tuple[Stage, int, int, Issue, tuple[str, ...] | None]  # (stage, part, order raised, issue, once-key)


class IssueLog:
    """The build's issues, each kept with the stage and the part of the study (a block of subjects) it was raised
    for. The build goes a block at a time, through every phase; `in_order(ranks)` gives the issues as one pass
    over the whole study, phase by phase and domain by domain, raises them (stage, then part, then the order they
    came), so that reports do not depend on how the subjects were split.

    A stage names its domain, never the domain's rank: the rank (the order domains were first met in the study's
    records) is known only once every block is in, and a convert-many partition never knows it. So the log of
    the blocks' maker hands its entries on (`drain`), and the study's log takes them (`take`) and orders them
    with the study's ranks (`in_order`). An issue said once per key keeps one candidate per key and phase-1
    domain, whose order is the same whatever the ranks; `in_order` keeps the earliest of them."""

    __slots__ = ("_entries", "_warned", "part", "stage")

    def __init__(self) -> None:
        self.stage: Stage = ()
        self.part = 0  # the block of subjects being built, counted in subject order; study-level work after them
        self._entries: list[Entry | None] = []
        # (once-key, phase-1 domain or None) → (stage, part) of its candidate, and its entry while still here
        self._warned: dict[tuple[tuple[str, ...], object], tuple[Stage, int, int | None]] = {}

    def append(self, issue: Issue) -> None:
        self._entries.append((self.stage, self.part, len(self._entries), issue, None))

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def step(self, step: int) -> None:
        """A new step of the stage's phase (a derivation): its issues come after the previous step's, for every
        subject."""
        self.stage = (*self.stage[:2], step)

    def _slot(self, key: tuple[str, ...]) -> tuple[tuple[str, ...], object]:
        stage = self.stage
        return key, (stage[1] if stage and stage[0] == 1 else None)

    def wants(self, key: tuple[str, ...]) -> bool:
        """Whether an issue said once per `key` (`once`) is to be raised here: no candidate for it was raised in
        this phase-1 domain (or, outside phase 1, outside it), or only one that comes later in the study-wide
        order (by a block built earlier, in a later step or phase)."""
        found = self._warned.get(self._slot(key))
        return found is None or (self.stage, self.part) < found[:2]

    def once(self, key: tuple[str, ...], issue: Issue) -> None:
        """`issue`, replacing the candidate raised for `key` before in the same slot (ask `wants` first)."""
        slot = self._slot(key)
        found = self._warned.get(slot)
        if found is not None and found[2] is not None:
            self._entries[found[2]] = None
        self._warned[slot] = (self.stage, self.part, len(self._entries))
        self._entries.append((self.stage, self.part, len(self._entries), issue, key))

    def drain(self) -> list[tuple[Stage, Issue, tuple[str, ...] | None]]:
        """The entries raised since the last drain, in the order raised, for the study's log to `take`. The
        candidates said once are remembered (a later block's candidate is raised only when it comes earlier)."""
        entries = [(entry[0], entry[3], entry[4]) for entry in self._entries if entry is not None]
        self._entries.clear()
        self._warned = {slot: (stage, part, None) for slot, (stage, part, _) in self._warned.items()}
        return entries

    def take(self, entries: Iterable[tuple[Stage, Issue, tuple[str, ...] | None]]) -> None:
        """Another log's drained entries, as raised here in the current part."""
        for stage, issue, key in entries:
            self.stage = stage
            if key is None:
                self.append(issue)
            elif self.wants(key):
                self.once(key, issue)

    def in_order(self, ranks: Mapping[str, int]) -> list[Issue]:
        """The issues in the study-wide order, phase-1 domains by `ranks`; of the candidates said once per key,
        the earliest."""
        def order(entry: Entry) -> tuple[object, ...]:
            stage = entry[0]
            if stage and stage[0] == 1:
                stage = (1, ranks[stage[1]], *stage[2:])  # type: ignore[index]
            return stage, entry[1], entry[2]

        said: set[tuple[str, ...]] = set()
        issues: list[Issue] = []
        for entry in sorted((entry for entry in self._entries if entry is not None), key=order):
            key = entry[4]
            if key is not None:
                if key in said:
                    continue
                said.add(key)
            issues.append(entry[3])
        return issues


@dataclass(slots=True)
class BuildContext:
    study: StudyMapping
    settings: StudySdtm
    catalog: DomainCatalog
    reference_start: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFSTDTC (every --DY)
    exposure_start: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFXSTDTC (--LOBXFL)
    reference_end: dict[str, PartialDate] = field(default_factory=dict)  # subject id → RFXENDTC
    issues: IssueLog = field(default_factory=IssueLog)
    methods: set[str] = field(default_factory=set)
    _sources: dict[int, tuple[SourceCell, ...]] = field(default_factory=dict)  # id(record) → its cells, sorted

    def forget_records(self) -> None:
        """Let the records `sources_of` has seen go (their ids may be taken again by new ones)."""
        self._sources.clear()

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
        if not self.issues.wants(key):
            return
        cells = cells or record.all_sources
        self.issues.once(key, make_issue(code, at=cells[0] if cells else None, subject=record.subject_id,
                                         detail=detail))
