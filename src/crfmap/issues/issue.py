"""The Issue record: one problem, where it is, what was found and what was expected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any, Protocol

from crfmap.issues.catalogue import lookup
from crfmap.issues.catalogue.entries import Severity
from crfmap.sources import column_letters
from crfmap.sources.slots import slot_maker


class Located(Protocol):
    """Anything that knows its cell: a SourceCell, a reader's cell, … (read-only). `item_path` and `line` name
    it the way a non-grid format's users do (an ODM item path, a REDCap field); None for a plain cell."""

    @property
    def file(self) -> str: ...

    @property
    def sheet(self) -> str: ...

    @property
    def row(self) -> int: ...

    @property
    def column(self) -> int: ...

    @property
    def item_path(self) -> str | None: ...

    @property
    def line(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class WaiverNote:
    """Why an issue was accepted: the waiver's reason, who accepted it and when, where the waiver is written
    (file and line), and the severity the issue had before it became a note."""

    reason: str
    by: str
    date: str
    file: str
    line: int | None
    severity: Severity

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "by": self.by, "date": self.date, "file": self.file, "line": self.line,
                "severity": self.severity.value}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a mapping, a workbook or an output.

    Positions are user-facing: `row` is the spreadsheet's 1-based row, `cell` is A1 notation, `line` is the
    1-based line of a mapping file (or of an XML input). `item` names a value of a non-grid export the way its
    users do (an ODM item path, a REDCap record/event/instrument/instance/field). `column` is the form column's
    name (or the header text).
    """

    code: str
    slug: str
    severity: Severity
    message: str
    hint: str = ""
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    line: int | None = None
    column: str | None = None
    form: str | None = None
    subject: str | None = None
    value: str | None = None
    expected: str | None = None
    related: tuple[str, ...] = field(default=())  # other cells involved, as "Sheet!A1"
    item: str | None = None
    header: str | None = None  # the site's own header text of the cell's column, when known (views fill it)
    waived: WaiverNote | None = None  # accepted by a waiver: the issue is then a note (severity info)

    @property
    def where(self) -> str:
        """Where the user must look, as a prefix: `file.xlsx › Sheet!D14`, `forms/ae.yaml:12`."""
        if self.item is not None:
            place = f"{self.file}:{self.line}" if self.file and self.line is not None else self.file
            where = " › ".join(part for part in (place, self.item) if part)
            # a csv export's cell, where no line says it (REDCap: the column and row Excel shows)
            return f"{where} ({self.cell})" if self.line is None and self.cell else where
        if self.line is not None:
            return f"{self.file}:{self.line}" if self.file else f"line {self.line}"
        parts = [self.file] if self.file else []
        if self.sheet is not None:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        return " › ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["related"] = list(self.related)
        data["waived"] = None if self.waived is None else self.waived.as_dict()
        return data


# Issues made in bulk from values already valid (read back from a packed block, or copied with a header for a
# view) are made by setting their slots: dataclasses' replace and a frozen __init__ set each field through
# object.__setattr__, about four times slower. Issue has no __post_init__ for this to skip.
ISSUE_FIELDS = tuple(item.name for item in fields(Issue))
_FIELD_PLACES = {name: place for place, name in enumerate(ISSUE_FIELDS)}
_MAKE_ISSUE = slot_maker(Issue)
issue_fields: Callable[[Issue], tuple[Any, ...]] = attrgetter(*ISSUE_FIELDS)  # an issue's fields, in field order


def issue_from_fields(values: Iterable[Any]) -> Issue:
    """The Issue of these field values (in `ISSUE_FIELDS` order)."""
    made: Issue = _MAKE_ISSUE(*values)
    return made


def replaced(issue: Issue, **changes: Any) -> Issue:
    """dataclasses.replace(issue, **changes), for the many issues a view copies."""
    values = list(issue_fields(issue))
    for name, value in changes.items():
        values[_FIELD_PLACES[name]] = value
    return issue_from_fields(values)


def make_issue(
    code: str,
    *,
    at: Located | None = None,
    value: Any = None,
    expected: Any = None,
    column: str | None = None,
    form: str | None = None,
    subject: str | None = None,
    hint: str | None = None,
    severity: Severity | None = None,
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    cell: str | None = None,
    line: int | None = None,
    related: tuple[str, ...] = (),
    **details: Any,
) -> Issue:
    """Build an Issue from the catalogue entry `code`, filling its message template.

    `at` gives file/sheet/row/cell at once; the explicit keywords override it. Extra keywords (`detail`, …)
    are only used to fill the template.
    """
    entry = lookup(code)
    item = None
    if at is not None:
        file = file if file is not None else at.file
        sheet = sheet if sheet is not None else at.sheet
        row = row if row is not None else at.row
        cell = cell if cell is not None else f"{column_letters(at.column)}{at.row}"
        item = at.item_path
        line = line if line is not None else at.line
    value_text = None if value is None else _display(value)
    expected_text = None if expected is None else _display(expected)
    fill = {"value": value_text, "expected": expected_text, "column": column, "form": form,
            "subject": subject, "sheet": sheet, "detail": "", **details}
    try:
        message = entry.template.format(**fill)
    except (KeyError, IndexError, ValueError) as problem:  # a raiser forgot a template field
        message = f"{entry.title} ({problem})"
    return Issue(
        code=entry.code, slug=entry.slug, severity=severity or entry.severity, message=message,
        hint=entry.hint if hint is None else hint, file=file, sheet=sheet, cell=cell, row=row, line=line,
        column=column, form=form, subject=subject, value=value_text, expected=expected_text,
        related=tuple(related), item=item,
    )


def _display(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(repr(item) if isinstance(item, str) else str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
