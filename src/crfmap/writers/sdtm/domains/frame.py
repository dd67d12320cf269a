"""Drafts → Dataset: variable selection in the domain's order, Define-XML types, origins, code lists.

A dataset keeps the variables that hold a value plus every Req and Exp one (SDTMIG 3.4 sections 4.1.2 and 2.5).
A variable's origin is what its values were: derived when any was (with its method), else collected, else
assigned or protocol, as the drafts record it (collected by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crfmap.sources import SourceCell
from crfmap.writers.sdtm.dataset import Dataset, DataType, Origin, Variable
from crfmap.writers.sdtm.domains.catalog import DomainSpec, VariableSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft, OwnCells
from crfmap.writers.sdtm.domains.stored_rows import Row, RowStore, StoredColumn, StoredRows
from crfmap.writers.sdtm.domains.timing import date_sort_key

COLLECTED = Origin("Collected", "Investigator")
ASSIGNED = Origin("Assigned", "Sponsor")
PROTOCOL = Origin("Protocol", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")
_PRIORITY = {"D": 0, "C": 1, "A": 2, "P": 3}


def sort_drafts(drafts: Iterable[Draft], context: BuildContext) -> list[Draft]:
    """Stable order: subject, then date, then concept and source key (the --SEQ order, MT.SEQ)."""
    def order(draft: Draft) -> tuple[Any, ...]:
        record = draft.record
        assert record is not None  # only domain rows are sorted; TS rows come in parameter order
        return (context.usubjid(record.subject_id), date_sort_key(draft.sort_date), record.concept, record.key)

    return sorted(drafts, key=order)


def make_dataset(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> Dataset:
    """The dataset of `spec` holding `drafts` (already sorted and derived)."""
    assembly = DomainAssembly(spec, context)
    assembly.take(make_piece(spec, drafts, context))
    return assembly.finish()


@dataclass(slots=True)
class DomainPiece:
    """What a block of subjects' drafts (sorted and derived) give a dataset: their rows, each row's input cells
    and cell lookup, and what decides the dataset's variables, folded (the distinct row shapes; per dated
    variable whether a text value had a time, and whether all were complete datetimes, complete dates).
    Picklable: a convert-many partition makes the pieces of its subjects and the driver's assembly takes them.

    A row is kept as (the domain's variables it fills, their values): a tuple of names shared by the rows that
    fill the same variables, and a tuple of values: about a quarter of the draft's dict, which also held the
    variables left empty and private values. `DomainAssembly.finish` makes each row's dict."""

    rows: list[Row]
    sources: list[tuple[SourceCell, ...]]
    cells: list[OwnCells]
    shapes: set[Shape]
    dates: dict[str, tuple[bool, bool, bool]]  # dated variable with text values → (timed, all full, all days)


_NO_NAMES: frozenset[str] = frozenset()  # a piece's cell lookups answer nothing until an assembly takes them




def make_piece(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> DomainPiece:
    """The piece of `drafts`; a collected value the domain has no variable for is said here (W060)."""
    rows = [_row(draft) for draft in drafts]
    _warn_dropped(spec, drafts, rows, context)
    shapes, dates, kept = _fold_facts(spec, rows, drafts)
    return DomainPiece(rows=kept, sources=[context.sources_of(draft) for draft in drafts],
                       cells=[draft.own_cells_in(_NO_NAMES) for draft in drafts], shapes=shapes, dates=dates)


class DomainAssembly:
    """A dataset gathered a block of subjects at a time: it takes each block's piece (`make_piece`) in subject
    order, keeps the rows and folds what decides the dataset's variables (which are kept; their origins, code
    lists and date types). `finish` makes the dataset once every subject is in."""

    def __init__(self, spec: DomainSpec, context: BuildContext) -> None:
        self.spec, self.context = spec, context
        self.row_names: dict[tuple[str, ...], tuple[str, ...]] = {}  # each distinct tuple of a row's names, once
        self.facts = {variable.name: _ValueFacts(variable.type == "dtc") for variable in spec.variables}
        self.origin_maps: set[tuple[tuple[str, str], ...]] = set()  # the drafts' origins (variable → code), each once
        self.shapes: set[Shape] = set()  # (variables filled, origins, code lists) of the rows folded so far
        self.names: set[str] = set()  # the dataset's variables, known at `finish`: every row's cell lookup asks it
        self.field_maps: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}  # equal field maps, kept once
        self.store = RowStore(self.names)  # the rows, their cells and cell lookups; full blocks go to disk

    def take(self, piece: DomainPiece) -> None:
        facts, shapes = self.facts, self.shapes
        for shape in piece.shapes:
            if shape not in shapes:
                shapes.add(shape)
                self.origin_maps.add(shape[1])
                given, codelists = dict(shape[1]), dict(shape[2])
                for name in shape[0]:
                    fact = facts.get(name)
                    if fact is not None:
                        fact.codes.add(given.get(name, "C"))
                        fact.codelists.add(codelists.get(name))
        for name, (timed, all_full, all_days) in piece.dates.items():
            fact = facts[name]
            fact.timed = fact.timed or timed
            fact.all_full = fact.all_full and all_full
            fact.all_days = fact.all_days and all_days
        row_names = self.row_names
        # Each row's cell lookup answers for the dataset's variables (known at `finish`). The drafts of one
        # concept mostly map the same variables from the same fields, so equal field maps are kept once: a
        # dataset holds a few of them, not one per row.
        shared, names = self.field_maps, self.names
        for cells in piece.cells:
            fields = cells.fields
            cells.fields = shared.setdefault(tuple(fields.items()), fields)
            cells.names = names
        self.store.extend([(row_names.setdefault(filled, filled), values) for filled, values in piece.rows],
                          piece.sources, piece.cells)

    def finish(self) -> Dataset:
        spec, context, facts = self.spec, self.context, self.facts
        not_collected = {name.partition(".")[2] for name in context.settings.not_collected
                         if name.partition(".")[0] == spec.name}  # written empty; define.xml says why
        chosen = [variable for variable in spec.variables
                  if variable.core in ("Req", "Exp") or variable.name in not_collected or facts[variable.name].codes]
        given: dict[str, set[str]] = {}  # variable → the origins drafts gave it, filled or not
        for origins in self.origin_maps:  # a union: the order they come in does not matter
            for name, code in origins:
                given.setdefault(name, set()).add(code)
        variables = [_variable(variable, facts[variable.name], given.get(variable.name, set()), context)
                     for variable in chosen]
        names = [variable.name for variable in chosen]  # a variable any row fills is among them
        self.names.update(names)
        store = self.store
        keys = tuple(key for key in spec.keys if key in self.names)
        if store.spilled:  # read back a block at a time, on every pass
            return Dataset(name=spec.name, label=spec.label, structure=spec.structure, klass=spec.klass,
                           variables=variables, rows=StoredRows(store, names), sources=StoredColumn(store, 0),
                           keys=keys, cells=StoredColumn(store, 1))
        rows: list[Any] = store.rows
        for index, (filled, values) in enumerate(rows):  # in place: one row at a time is held twice
            row = dict.fromkeys(names)
            row.update(zip(filled, values))
            rows[index] = row
        return Dataset(
            name=spec.name, label=spec.label, structure=spec.structure, klass=spec.klass, variables=variables,
            rows=rows, sources=store.sources, keys=keys, cells=store.cells,
        )


def _row(draft: Draft) -> dict[str, Any]:
    """The draft's values with its target's constants where they stay null; private names (`_DTC` …) are left in,
    since the dataset's own row keeps only its variables (DomainAssembly.finish)."""
    values, constants = draft.values, draft.constants
    filled = {name: value for name, value in constants.items() if values.get(name) is None}
    if not filled:
        return values  # the usual row: read, never changed
    for name in filled:
        draft.origins.setdefault(name, "A")
    return {**values, **filled}


# Derived values a builder computes whether or not the domain has the variable (SDTMIG 3.4 MH has no MHSTDY).
_DERIVED_SUFFIXES = ("SEQ", "DY", "STDY", "ENDY", "LOBXFL")


def _warn_dropped(spec: DomainSpec, drafts: list[Draft], rows: list[dict[str, Any]], context: BuildContext) -> None:
    """A collected value for a variable the domain does not have would vanish: W060 once per concept and variable."""
    names = spec.names
    for draft, row in zip(drafts, rows, strict=True):
        if draft.record is None:
            continue
        others = row.keys() - names  # the usual row: none but private ones (`_DTC` …)
        if not others:
            continue
        for name, value in row.items():
            if value is None or name not in others or name.startswith("_"):
                continue
            if name.startswith(spec.prefix) and name[len(spec.prefix):] in _DERIVED_SUFFIXES:
                continue
            context.warn_once(("dropped", draft.record.concept, name), draft.record,
                              f"{name} of concept {draft.record.concept!r} has values but {spec.name} has no {name} "
                              f"in SDTMIG; map the record field to a SUPP-- qualifier (sdtm.supp) to keep it")


class _ValueFacts:
    """What a variable's values say about it, gathered in one pass over a domain's rows for every variable."""

    __slots__ = ("all_days", "all_full", "codelists", "codes", "dated", "timed")

    def __init__(self, dated: bool) -> None:
        self.codes: set[str] = set()  # the origins of its values (A | P | D:<method> | C, collected by default)
        self.codelists: set[str | None] = set()  # the study code lists its values came from
        self.dated = dated  # a dtc variable: its text values decide date, datetime or partial
        self.timed = False  # some text value has a time
        self.all_full = True  # every text value is a complete datetime (19 characters)
        self.all_days = True  # every text value is a complete date (10 characters)


Shape = tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


def _fold_facts(spec: DomainSpec, rows: list[dict[str, Any]],
                drafts: list[Draft]) -> tuple[set[Shape], dict[str, tuple[bool, bool, bool]], list[Row]]:
    """What the rows say about each variable, in one pass over them for every variable, not one per variable;
    and the rows as kept (`Row`: the domain's variables they fill). Rows of one concept mostly fill the same
    variables with the same origins and code lists: each such shape (variables not null, origins, code lists) is
    kept once; only date values are read per row."""
    shapes: set[Shape] = set()
    dated = spec.dated
    variables = spec.names
    found: dict[str, list[bool]] = {}  # dated variable → [timed, all full, all days]
    kept_names: dict[tuple[str, ...], tuple[str, ...]] = {}  # names filled → those that are the domain's
    kept: list[Row] = []
    for draft, row in zip(drafts, rows, strict=True):
        filled = tuple([name for name, value in row.items() if value is not None])
        shapes.add((filled, tuple(draft.origins.items()), tuple(draft.codelists.items())))
        names = kept_names.get(filled)
        if names is None:  # private values (`_DTC` …) and collected ones the domain has no variable for go
            names = kept_names[filled] = tuple([name for name in filled if name in variables])
        kept.append((names, tuple(map(row.__getitem__, names))))
        for name in dated:
            value = row.get(name)
            if isinstance(value, str):
                fact = found.get(name)
                if fact is None:
                    fact = found[name] = [False, True, True]
                size = len(value)
                if "T" in value:
                    fact[0] = True
                fact[1] = fact[1] and size == 19
                fact[2] = fact[2] and size == 10
    return shapes, {name: (fact[0], fact[1], fact[2]) for name, fact in found.items()}, kept


def _variable(spec: VariableSpec, facts: _ValueFacts, given: set[str], context: BuildContext) -> Variable:
    name = spec.name
    origin, method = _origin(spec, facts.codes, given)
    if method:
        context.methods.add(method)
    data_type = _data_type(spec, facts)
    # a result column that mixes coded and numeric results, intervals beside an interpretation, has no single
    # code list: that is value-level metadata
    codelists = facts.codelists
    codelist = next(iter(codelists)) if len(codelists) == 1 else None
    return Variable(name=name, label=spec.label, data_type=data_type, role=spec.role, core=spec.core,
                    codelist=codelist, method=method, origin=origin, key_sequence=None)


# The origin of a variable no record filled (an Exp one kept although null), by what would fill it.
_DEFAULT_ORIGINS = ((re.compile(r"^..(STRESC|STRESN|STRESU|STNRLO|STNRHI)$"), "D:MT.STRESC"),
                    (re.compile(r"^..SEQ$"), "D:MT.SEQ"), (re.compile(r"^..(DY|STDY|ENDY)$"), "D:MT.DY"),
                    (re.compile(r"^..LOBXFL$"), "D:MT.LOBXFL"))


def _default_origin(spec: VariableSpec) -> str:
    if spec.value_domain == "MedDRA" or spec.name.endswith("BODSYS"):
        return "A"  # assigned by the sponsor's MedDRA coding
    return next((origin for pattern, origin in _DEFAULT_ORIGINS if pattern.match(spec.name)), "C")


def _origin(spec: VariableSpec, codes: set[str], given: set[str]) -> tuple[Origin, str | None]:
    """The variable's origin from its values' `codes`; a variable no value filled, from the origins its drafts
    were `given`, else from what would fill it."""
    codes = codes or given or {_default_origin(spec)}
    code = min(codes, key=lambda text: (_PRIORITY[text[0]], text))
    if code.startswith("D:"):
        return DERIVED, code[2:]
    return {"C": COLLECTED, "A": ASSIGNED, "P": PROTOCOL}[code], None


def _data_type(spec: VariableSpec, facts: _ValueFacts) -> DataType:
    if spec.type != "dtc":
        return spec.type
    if facts.timed:
        return "datetime" if facts.all_full else "partialDatetime"
    return "date" if facts.all_days else "partialDate"
