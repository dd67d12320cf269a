"""Names and labels (SDTMIG 3.4 section 4.1.2 and SDTM v2.0: SAS XPORT v5 limits; FDA TCG section 3.3.2)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from crfmap.issues import Issue, make_issue
from crfmap.writers.sdtm.dataset import Dataset

NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")
LABEL_LIMIT = 40


def check_names_and_labels(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """Dataset and variable names 1–8 characters A–Z 0–9 _; dataset and variable labels ≤ 40 characters."""
    for dataset in datasets:
        if not NAME.fullmatch(dataset.name):
            yield _issue(dataset, f"dataset name {dataset.name!r} is not 1–8 characters A–Z, 0–9, _")
        if len(dataset.label) > LABEL_LIMIT:
            yield _issue(dataset, f"dataset {dataset.name} label has {len(dataset.label)} characters (> 40)")
        for variable in dataset.variables:
            if not NAME.fullmatch(variable.name):
                yield _issue(dataset, f"{dataset.name}.{variable.name}: name is not 1–8 characters A–Z, 0–9, _")
            if len(variable.label) > LABEL_LIMIT:
                yield _issue(dataset, f"{dataset.name}.{variable.name}: label has {len(variable.label)} "
                                      "characters (> 40)")


def _issue(dataset: Dataset, detail: str) -> Issue:
    return make_issue("W071", value=dataset.name, detail=detail)
