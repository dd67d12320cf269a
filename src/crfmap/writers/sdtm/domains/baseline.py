"""The last observation before exposure (--LOBXFL, and --BLFL where asked; SDTMIG 3.4 section 4.5.9).

Per subject, test code and specimen: "Y" on the latest record with a result taken before the first study
treatment (RFXSTDTC). "Before" is decided only when it can be: both dates complete to the day and the
observation on an earlier day, or on the same day with both times known and the observation not after the
dose. A same-day observation without times is not flagged (it cannot be told from the data); nothing else
is ever "N" (the flag is Y or null).
"""

from __future__ import annotations

from typing import Any

from crfmap.model import PartialDate
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft


def last_before_exposure(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> list[Draft]:
    """The drafts that are the last observation before exposure, per USUBJID, --TESTCD and --SPEC (sorted input)."""
    return last_before(spec, drafts, context.exposure_start, inclusive=False)


def last_before(spec: DomainSpec, drafts: list[Draft], references: dict[str, PartialDate],
                inclusive: bool) -> list[Draft]:
    """The last observation with a result before each subject's reference date (on or before it, `inclusive`)."""
    prefix = spec.prefix
    latest: dict[tuple[Any, ...], Draft] = {}
    for draft in drafts:  # sorted by subject and date, so a later eligible draft replaces an earlier one
        values = draft.values
        if draft.record is None or values.get(f"{prefix}ORRES") is None:
            continue
        reference = references.get(draft.record.subject_id)
        when = values.get("_DTC")
        if is_before(when, reference) or (inclusive and is_same_day(when, reference)):
            latest[(values["USUBJID"], values.get(f"{prefix}TESTCD"), values.get(f"{prefix}SPEC"))] = draft
    return list(latest.values())


def is_same_day(when: PartialDate | None, reference: PartialDate | None) -> bool:
    day = when.to_date() if when is not None else None
    return day is not None and reference is not None and day == reference.to_date()


def is_before(when: PartialDate | None, first_dose: PartialDate | None) -> bool:
    if when is None or first_dose is None:
        return False
    day, dose_day = when.to_date(), first_dose.to_date()
    if day is None or dose_day is None:
        return False
    if day != dose_day:
        return day < dose_day
    if when.hour is None or first_dose.hour is None:
        return False
    return when.sort_key() <= first_dose.sort_key()
