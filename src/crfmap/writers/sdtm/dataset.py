"""The in-between model of the SDTM writer: datasets with their variable metadata, before any file format.

Domain builders (records → Dataset) and file writers (Dataset → XPT / Dataset-JSON / CSV / define.xml)
meet here, the way pandoc's readers and writers meet at its AST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from crfmap.sources import SourceCell

DataType = Literal["text", "integer", "float", "date", "datetime", "partialDate", "partialDatetime",
                   "durationDatetime", "incompleteDatetime"]


class CellLookup(Protocol):
    """A row's cells by variable (a dict does): None or () where not known."""

    def get(self, variable: str, /) -> tuple[SourceCell, ...] | None: ...


@dataclass(frozen=True, slots=True)
class Origin:
    """Define-XML def:Origin: where a variable's values come from."""

    type: Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available"]
    source: Literal["Investigator", "Sponsor", "Subject", "Vendor"] | None = None
    description: str | None = None  # e.g. the CRF question, or "From first exposure (EXSTDTC)"
    pages: tuple[str, ...] = ()  # annotated CRF page refs, if any
    page_type: Literal["PhysicalRef", "NamedDestination"] = "PhysicalRef"  # page numbers, or named destinations


@dataclass(frozen=True, slots=True)
class Variable:
    """One SDTM variable (an ItemDef, a Dataset-JSON column, an XPT NAMESTR)."""

    name: str  # <= 8 chars, upper case
    label: str  # <= 40 chars
    data_type: DataType  # Define-XML DataType
    role: str | None = None  # Identifier, Topic, Timing, Grouping Qualifier, …
    core: Literal["Req", "Exp", "Perm"] | None = None
    codelist: str | None = None  # id of a code list in the study (for Define-XML CodeLists)
    method: str | None = None  # MethodDef id for derived variables (MT.SEQ, MT.DY, MT.AGE …)
    origin: Origin | None = None
    length: int | None = None  # characters for text (set by the writer to the longest value, >=1)
    key_sequence: int | None = None
    display_format: str | None = None
    significant_digits: int | None = None
    comment: str | None = None  # a def:CommentDef of the variable (e.g. why it is empty)


@dataclass(slots=True)
class Dataset:
    """One domain (or SUPP--/TS) dataset. `rows` are dicts keyed by variable name: str, int, float or None.

    `sources` parallels `rows`: the input cells each row came from (for traceability side files); `cells`, where
    the builder knows it, the cells each variable's value came from (so that an issue names the right cell).
    A large dataset's rows, sources and cells are read back from disk a block at a time on every pass
    (`domains/stored_rows.py`): iterate them, or slice a block; never hold them in a list.
    """

    name: str  # "DM", "SUPPDM", …
    label: str
    structure: str  # "One record per subject", …
    klass: str  # SDTM class: "SPECIAL PURPOSE", "EVENTS", "INTERVENTIONS", "FINDINGS", "TRIAL DESIGN", "RELATIONSHIP"
    variables: list[Variable]
    rows: Sequence[dict[str, str | int | float | None]] = field(default_factory=list)
    sources: Sequence[tuple[SourceCell, ...]] = field(default_factory=list)
    keys: tuple[str, ...] = ()  # Define-XML KeySequence order
    cells: Sequence[CellLookup] = field(default_factory=list)  # row → variable → its cells (a dict, or found when asked)

    def cells_at(self, index: int, variable: str | None = None) -> tuple[SourceCell, ...]:
        """The input cells of row `index` (0-based): the variable's own when known, else the row's."""
        if variable is not None and index < len(self.cells):
            own = self.cells[index].get(variable)
            if own:
                return own
        return self.sources[index] if index < len(self.sources) else ()

    def variable(self, name: str) -> Variable:
        return next(variable for variable in self.variables if variable.name == name)
