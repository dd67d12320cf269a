"""Where a conformance issue points: the input cell of the row when known, else the dataset and row."""

from __future__ import annotations

import math
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.writers.sdtm.dataset import Dataset


def row_issue(code: str, dataset: Dataset, index: int, *, column: str | None = None, value: Any = None,
              detail: str) -> Issue:
    """An issue about row `index` (0-based) of `dataset`, at the variable's (else the row's) first source cell."""
    cells = dataset.cells_at(index, column)
    where = f"{dataset.name} row {index + 1}"
    subject = dataset.rows[index].get("USUBJID")
    return make_issue(code, at=cells[0] if cells else None, column=column, value=value,
                      subject=None if subject is None else str(subject), detail=f"{where}: {detail}")


def is_null(value: Any) -> bool:
    """SDTM null: None, an empty or blank text, or a missing number (NaN from an XPT reader)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def key_text(value: Any) -> str:
    """A value as IDVARVAL text: 3.0 read back from XPT is '3'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
