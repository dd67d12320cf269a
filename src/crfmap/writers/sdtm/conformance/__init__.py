"""SDTMIG structural checks on built datasets: one small named function per rule, each naming what it mirrors.

    check_datasets(datasets) -> list[Issue]

The checks read only Dataset rows and variable metadata, so they run as well on CDISC's own datasets read
back from XPT as on crfmap's (tests do both: the checks must agree with CDISC's files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from crfmap.issues import Issue
from crfmap.writers.sdtm.conformance.metadata import check_names_and_labels
from crfmap.writers.sdtm.conformance.references import check_subjects_in_dm, check_supp_parents
from crfmap.writers.sdtm.conformance.subjects import check_dm_subjects_unique, check_sequence_unique
from crfmap.writers.sdtm.conformance.timing import check_dtc_iso8601, check_study_days
from crfmap.writers.sdtm.conformance.values import check_required_values
from crfmap.writers.sdtm.dataset import Dataset

Check = Callable[[Sequence[Dataset]], Iterable[Issue]]

CHECKS: tuple[Check, ...] = (
    check_names_and_labels,
    check_dm_subjects_unique,
    check_subjects_in_dm,
    check_sequence_unique,
    check_required_values,
    check_dtc_iso8601,
    check_study_days,
    check_supp_parents,
)


def check_datasets(datasets: Iterable[Dataset]) -> list[Issue]:
    """Every structural issue of `datasets`, check by check, in dataset and row order."""
    collected = list(datasets)
    return [issue for check in CHECKS for issue in check(collected)]


__all__ = ["CHECKS", "check_datasets"]
