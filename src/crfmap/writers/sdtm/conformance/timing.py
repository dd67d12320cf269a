"""--DTC in ISO 8601 (SDTMIG 4.4.2; FDA validator SD0003) and --DY consistent with it (SDTMIG 4.4.4)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

from crfmap.issues import Issue
from crfmap.writers.sdtm.conformance.locate import is_null, row_issue
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows

# Right-truncated ISO 8601, with '-' for an unknown middle component as SDTMIG 4.4.2 allows ("2003---15").
_PART = r"(?:\d{2}|-)"
ISO_8601 = re.compile(
    rf"(?P<year>\d{{4}}|-)(?:-(?P<month>{_PART})(?:-(?P<day>{_PART}))?)?"
    rf"(?:T(?P<hour>{_PART})(?::(?P<minute>{_PART})(?::(?P<second>\d{{2}}(?:\.\d+)?))?)?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?"
)
DAY_PAIRS = (("DY", "DTC"), ("STDY", "STDTC"), ("ENDY", "ENDTC"))


@lru_cache(maxsize=65_536)  # a study's dates repeat on many rows (a visit's date on every finding of it)
def parse_day(text: str) -> date | None:
    """The calendar date of a --DTC when it is complete to the day, else None (also for invalid text)."""
    match = ISO_8601.fullmatch(text.strip())
    if not match or not all((match["year"] or "-").isdigit() and (match[part] or "-").isdigit()
                            for part in ("month", "day")):
        return None
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None


@lru_cache(maxsize=65_536)
def is_iso8601(text: str) -> bool:
    """ISO 8601 text with valid components: month 01–12, a real day of the month, hour < 24, minute < 60."""
    match = ISO_8601.fullmatch(text)
    if not match:
        return False
    numbers = {part: int(match[part]) for part in ("month", "day", "hour", "minute")
               if match[part] and match[part].isdigit()}
    if not 1 <= numbers.get("month", 1) <= 12 or numbers.get("hour", 0) > 23 or numbers.get("minute", 0) > 59:
        return False
    if "day" in numbers and "month" in numbers and match["year"].isdigit():
        return parse_day(text[:10]) is not None
    return 1 <= numbers.get("day", 1) <= 31


def check_dtc_iso8601(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """Every --DTC value (and DM's RF…DTC, BRTHDTC, DTHDTC) is ISO 8601 (FDA validator rule SD0003)."""
    for dataset in datasets:
        names = [variable.name for variable in dataset.variables if variable.name.endswith("DTC")]
        if not names:
            continue
        columns = columns_of_rows(dataset.rows, names)
        for index, values in enumerate(zip(*columns.values(), strict=True)):
            for name, value in zip(names, values, strict=True):
                if not is_null(value) and not (isinstance(value, str) and is_iso8601(value)):
                    yield row_issue("W069", dataset, index, column=name, value=value, detail=name)


def check_study_days(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """--DY, --STDY, --ENDY equal their --DTC minus DM.RFSTDTC (+1 on/after it), are never 0, and are null when
    either date is incomplete (SDTMIG 4.4.4)."""
    dm = next((dataset for dataset in datasets if dataset.name == "DM"), None)
    if dm is None:
        return
    dm_columns = columns_of_rows(dm.rows, ["USUBJID", "RFSTDTC"])
    references = {str(subject): start for subject, start in zip(dm_columns["USUBJID"], dm_columns["RFSTDTC"],
                                                                 strict=True)}
    for dataset in datasets:
        names = {variable.name for variable in dataset.variables}
        pairs = [(f"{dataset.name[:2]}{day}", f"{dataset.name[:2]}{dtc}") for day, dtc in DAY_PAIRS]
        pairs = [(day, dtc) for day, dtc in pairs if day in names and dtc in names]
        if not pairs:
            continue
        columns = columns_of_rows(dataset.rows, dict.fromkeys(["USUBJID", *(name for pair in pairs for name in pair)]))
        subjects = [str(subject) for subject in columns["USUBJID"]]
        for day_name, dtc_name in pairs:
            for index, (subject, day, when) in enumerate(zip(subjects, columns[day_name], columns[dtc_name],
                                                             strict=True)):
                if subject not in references or (isinstance(when, str) and not is_iso8601(when)):
                    continue  # reported by check_subjects_in_dm / check_dtc_iso8601
                problem = _day_problem(day, when, references[subject])
                if problem:
                    yield row_issue("W070", dataset, index, column=day_name, value=day, detail=f"{day_name} {problem}")


def _day_problem(value: object, when: object, reference: object) -> str | None:
    recorded = None if is_null(value) or not isinstance(value, (int, float, str)) else int(value)
    if recorded == 0:
        return "is 0; there is no study day 0"
    day = parse_day(when) if isinstance(when, str) else None
    start = parse_day(reference) if isinstance(reference, str) else None
    if day is None or start is None:
        return None if recorded is None else f"is {recorded} but the date {when!r} or RFSTDTC {reference!r} is " \
                                             "incomplete"
    difference = (day - start).days
    expected = difference + 1 if difference >= 0 else difference
    if recorded != expected:
        return f"is {recorded}, expected {expected} from {when} and RFSTDTC {reference}"
    return None
