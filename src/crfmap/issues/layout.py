"""What a report says around its issues: the run header, the workbook's sheets in tab order with the site's own
header texts, and where every non-empty cell went. Filled by the application layer, read by every view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_COLUMN_LETTERS = re.compile(r"^([A-Z]+)")


@dataclass(frozen=True, slots=True)
class RunHeader:
    """Which crfmap, which mapping and which input made a report. `generated_at` only when the user asked for
    it (`--timestamp`): without it the same input gives byte-identical reports."""

    crfmap_version: str
    input_name: str
    input_size: int
    input_sha256: str
    input_format: str | None = None
    mapping_id: str | None = None
    mapping_version: str | None = None
    mapping_sha256: str | None = None
    waivers_name: str | None = None
    waivers_sha256: str | None = None
    generated_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "crfmap": {"version": self.crfmap_version},
            "input": {"name": self.input_name, "size": self.input_size, "sha256": self.input_sha256,
                      "format": self.input_format},
            "mapping": {"id": self.mapping_id, "version": self.mapping_version, "sha256": self.mapping_sha256},
            "waivers": None if self.waivers_name is None else {"name": self.waivers_name,
                                                               "sha256": self.waivers_sha256},
        }
        if self.generated_at is not None:
            data["generated_at"] = self.generated_at
        return data

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) pairs for a header table or the verbose text report."""
        rows = [("crfmap", self.crfmap_version),
                ("input", f"{self.input_name} ({self.input_size:,} bytes"
                          + (f", {self.input_format}" if self.input_format else "") + ")"),
                ("input SHA-256", self.input_sha256)]
        if self.mapping_id is not None:
            rows.append(("mapping", f"{self.mapping_id} version {self.mapping_version}"))
            rows.append(("mapping SHA-256", self.mapping_sha256 or ""))
        if self.waivers_name is not None:
            rows.append(("waivers", f"{self.waivers_name} (SHA-256 {self.waivers_sha256})"))
        if self.generated_at is not None:
            rows.append(("generated", self.generated_at))
        return rows


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """One sheet (tab) of the input as the site made it: its place in the tab order, the form that read it,
    and the header text of each column as written (so reports speak the site's words, not mapping ids)."""

    name: str
    index: int
    hidden: bool = False
    form: str | None = None
    header_row: int | None = None
    titles: Mapping[int, str] = field(default_factory=dict)  # column number → header text as written
    columns: Mapping[str, int] = field(default_factory=dict)  # form column name → column number

    def title_at(self, cell: str | None) -> str | None:
        """The header text above `cell` ("D14" → "Дата рождения"), if the column has one."""
        match = _COLUMN_LETTERS.match(cell or "")
        if match is None:
            return None
        number = 0
        for letter in match.group(1):
            number = number * 26 + ord(letter) - 64
        return self.titles.get(number)

    def labels(self) -> dict[str, str]:
        """Form column name → the site's header text, for the columns found in this sheet."""
        return {name: self.titles[number] for name, number in self.columns.items() if number in self.titles}


@dataclass(frozen=True, slots=True)
class CoverageLine:
    """Where the non-empty cells of one sheet went: column titles, read by a form, ignored on purpose, or
    reported as read by no form."""

    sheet: str
    form: str | None
    non_empty: int
    header: int
    mapped: int
    ignored: int
    unmapped: int

    @property
    def unaccounted(self) -> int:
        return self.non_empty - self.header - self.mapped - self.ignored - self.unmapped

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "form": self.form, "non_empty": self.non_empty, "header": self.header,
                "mapped": self.mapped, "ignored": self.ignored, "unmapped": self.unmapped,
                "unaccounted": self.unaccounted}
