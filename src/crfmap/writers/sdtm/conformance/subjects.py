"""One DM record per subject (SDTMIG 5.2; FDA validator SD0083) and unique --SEQ (SDTMIG 4.1.5; SD0005)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from crfmap.issues import Issue
from crfmap.writers.sdtm.conformance.locate import is_null, key_text, row_issue
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows


def check_dm_subjects_unique(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """DM.USUBJID is unique (FDA validator rule SD0083, 'Duplicate USUBJID')."""
    for dataset in datasets:
        if dataset.name != "DM":
            continue
        first: dict[str, int] = {}
        for index, subject in enumerate(columns_of_rows(dataset.rows, ["USUBJID"])["USUBJID"]):
            if is_null(subject):
                continue
            text = str(subject)
            if text in first:
                yield row_issue("W065", dataset, index, column="USUBJID", value=text,
                                detail=f"again (first in DM row {first[text] + 1})")
            else:
                first[text] = index


def check_sequence_unique(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """--SEQ unique within USUBJID in each domain (FDA validator rule SD0005, 'Duplicate value for --SEQ')."""
    for dataset in datasets:
        name = f"{dataset.name[:2]}SEQ"
        names = {variable.name for variable in dataset.variables}
        if name not in names or "USUBJID" not in names:  # TSSEQ & co. number parameters, not subject records
            continue
        seen: dict[tuple[str, str], int] = {}
        columns = columns_of_rows(dataset.rows, ["USUBJID", name])
        for index, (subject, sequence) in enumerate(zip(columns["USUBJID"], columns[name], strict=True)):
            if is_null(sequence):
                continue
            key = (str(subject), key_text(sequence))
            if key in seen:
                yield row_issue("W067", dataset, index, column=name, value=key[1],
                                detail=f"{name} {key[1]} of {key[0]} is also in row {seen[key] + 1}")
            else:
                seen[key] = index
