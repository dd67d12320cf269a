"""Sheet identity: every table a reader lists is its own sheet, even when two carry the same name.

A workbook's sheet entries are its sheets; their names are only labels. Excel itself refuses two sheets whose
names differ only in case, but a hand-edited or generated file can hold them, and a folder of csv exports can
hold `DM.csv` beside `DM.CSV`. Keyed by name, the later would silently replace the earlier. Instead each keeps
its own identity: a name that repeats exactly is given a unique one (the later entries'), every collision is
reported (R017), and the form that matches the name sees all of them (S006: it reads none, the user decides).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crfmap.issues import Issue, make_issue


@dataclass(frozen=True, slots=True)
class SheetName:
    """`name` is unique within the workbook (what issues and `iter_rows` use); `written` is the name as the file
    gives it when `name` had to differ from it, else None."""

    name: str
    written: str | None = None


def identify_sheets(written: Sequence[str], file_name: str,
                    describe: Callable[[int], str]) -> tuple[list[SheetName], list[Issue]]:
    """Unique names for the sheets whose names are `written` (in workbook order), and one R017 per group of
    sheets whose names collide (the same text in any case). `describe(index)` names an entry the way its users
    find it: 'sheet 7' (its tab), 'DM.CSV' (its file)."""
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(written):
        groups.setdefault(name.casefold(), []).append(index)
    taken = {name.casefold() for name in written}
    names = [SheetName(name) for name in written]
    issues: list[Issue] = []
    for indexes in groups.values():
        if len(indexes) < 2:
            continue
        seen: set[str] = set()
        for index in indexes:
            name = written[index]
            if name in seen:  # the very same text again: a name of its own, saying which entry it is
                unique = f"{name} ({describe(index)})"
                while unique.casefold() in taken:
                    unique += "'"
                taken.add(unique.casefold())
                names[index] = SheetName(unique, name)
            seen.add(name)
        entries = ", ".join(f"{describe(index)} {written[index]!r}" for index in indexes)
        renamed = [names[index].name for index in indexes if names[index].written is not None]
        as_read = f"; reported as {', '.join(map(repr, renamed))}" if renamed else ""
        issues.append(make_issue("R017", file=file_name, sheet=names[indexes[-1]].name,
                                 detail=f"{entries}{as_read}"))
    return names, issues
