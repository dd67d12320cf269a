"""`--format csv`: one quick-look CSV per dataset (UTF-8, no BOM, RFC 4180 quoting, CRLF line ends).

Spreadsheet programs run a cell that starts with = + - @ (or a tab / carriage return) as a formula
("CSV injection"). Every such text cell gets a leading apostrophe, which Excel and LibreOffice show as
text and do not run; the apostrophe is visible in other tools, which is the price of safety. Numeric
variables (integer, float) are written as plain numbers and never prefixed, so a genuinely negative
number like -7 in --DY stays a number; a text value "-7" (e.g. in --ORRES) is prefixed, because a
spreadsheet cannot tell it from a formula prefix when the column is text.
Missing values are empty cells. This file is for looking, not for submission (use XPT / Dataset-JSON).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from crfmap.writers.cells import neutralise_formula
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import is_numeric


def write_sdtm_csv(dataset: Dataset, target: Path) -> None:
    """Write `dataset` as CSV with a header row of variable names, atomically."""
    numeric = [is_numeric(variable) for variable in dataset.variables]
    names = [variable.name for variable in dataset.variables]
    with open_output(Path(target), "w") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(names)
        for row in dataset.rows:
            writer.writerow([_format_number(row.get(name)) if number else _format_text(row.get(name))
                             for name, number in zip(names, numeric)])


def _format_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _format_text(value: Any) -> str:
    return "" if value is None else neutralise_formula(str(value))
