"""Readers: one registry from format name to open function, and `open_workbook`, which picks by content.

Adding a format is one module with an `open_<format>(path, options, sink)` function and one line below.
"""

from __future__ import annotations

from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import IssueSink, OpenWorkbook, RawValue, ReadLimits, ReadOptions, Row, SheetInfo, Workbook
from crfmap.readers.csv import open_csv
from crfmap.readers.detect import detect_format
from crfmap.readers.xlsx import open_xlsx

READERS: dict[str, OpenWorkbook] = {
    "xlsx": open_xlsx,
    "xlsm": open_xlsx,
    "csv": open_csv,
}


def open_workbook(path: Path, options: ReadOptions, sink: IssueSink, format: str | None = None) -> Workbook:
    """Open `path` with the reader its content calls for (or the one `format` names).

    Every problem that makes the file unreadable raises FatalIssue with an R code; never a traceback.
    """
    path = Path(path)
    detected = detect_format(path)  # always: a forced format must not bypass the safety checks
    name = (format or detected).lower()
    opener = READERS.get(name)
    if opener is None:
        raise FatalIssue(make_issue("R015", file=path.name,
                                    detail=f"there is no reader for the format {format!r}; known formats: "
                                           f"{', '.join(sorted(READERS))}"))
    return opener(path, options, sink)


__all__ = ["READERS", "IssueSink", "OpenWorkbook", "RawValue", "ReadLimits", "ReadOptions", "Row", "SheetInfo",
           "Workbook", "open_workbook"]
