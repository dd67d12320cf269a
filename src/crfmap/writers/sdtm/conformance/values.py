"""Required variables are never null (SDTMIG 4.1.5 'Req'; FDA validator SD0002)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from crfmap.issues import Issue
from crfmap.writers.sdtm.conformance.locate import is_null, row_issue
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows


def check_required_values(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """A variable whose core is Req has a value in every row (FDA validator rule SD0002)."""
    for dataset in datasets:
        columns = columns_of_rows(dataset.rows, [variable.name for variable in dataset.variables
                                                 if variable.core == "Req"])
        required = [name for name, column in columns.items() if _has_null(column)]
        if not required:
            continue  # the usual dataset: every Req column is filled, known without a call per value
        for index, row in enumerate(dataset.rows):
            for name in required:
                if is_null(row.get(name)):
                    yield row_issue("W068", dataset, index, column=name, detail=f"Req variable {name} is null")


def _has_null(column: Sequence[Any]) -> bool:
    """Whether `is_null` holds for some value, asked of the whole column with C-level builtins."""
    if None in column:
        return True
    texts = [value for value in column if isinstance(value, str)]
    if not all(map(str.strip, texts)):
        return True
    return any(math.isnan(value) for value in column if isinstance(value, float))
