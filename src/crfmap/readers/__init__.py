"""Readers: the input registry `FORMATS` and `open_workbook`, which picks a format by content.

Adding a format is one module that defines an `InputFormat` (name, sniffer, opener) and one line below; its
tables then go through validation like any workbook's. Order matters: the first sniffer that accepts wins.
"""

from __future__ import annotations

from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.base import InputFormat, IssueSink, OpenWorkbook, ReadLimits, ReadOptions
from crfmap.readers.csv import CSV
from crfmap.readers.detect import detect_format, read_head
from crfmap.readers.odm import ODM
from crfmap.readers.redcap import REDCAP
from crfmap.readers.xlsx import XLSX
from crfmap.sources import RawValue, Row, SheetInfo, Workbook

FORMATS: tuple[InputFormat, ...] = (
    XLSX,
    ODM,
    REDCAP,  # before CSV, which would read a REDCap export as one flat table
    CSV,
)


def open_workbook(path: Path, options: ReadOptions, sink: IssueSink, format: str | None = None) -> Workbook:
    """Open `path` with the format its content calls for (or the one `format` names).

    Every problem that makes the file unreadable raises FatalIssue with an R code; never a traceback.
    """
    path = Path(path)
    if format is None:
        detected = detect_format(path, FORMATS)
        if options.dictionary is not None and detected is CSV:
            detected = REDCAP  # a csv with a data dictionary is a REDCap export
        return detected.open(path, options, sink)
    chosen = next((candidate for candidate in FORMATS if candidate.name == format.lower()), None)
    if chosen is None:
        raise FatalIssue(make_issue("R015", file=path.name,
                                    detail=f"there is no reader for the format {format!r}; known formats: "
                                           f"{', '.join(candidate.name for candidate in FORMATS)}"))
    if not path.is_dir():
        read_head(path)  # a forced format must not bypass the safety checks
    return chosen.open(path, options, sink)


__all__ = ["FORMATS", "InputFormat", "IssueSink", "OpenWorkbook", "RawValue", "ReadLimits", "ReadOptions", "Row",
           "SheetInfo", "Workbook", "open_workbook"]
