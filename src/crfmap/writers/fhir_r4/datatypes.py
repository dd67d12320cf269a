"""Canonical values to FHIR R4 data types, as plain dicts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crfmap.model import Coded, Coding, PartialDate, Quantity
from crfmap.study.systems import CODE_SYSTEMS

UCUM = CODE_SYSTEMS["ucum"]
NCIT = CODE_SYSTEMS["ncit"]
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def make_coding(coding: Coding) -> dict[str, Any]:
    data: dict[str, Any] = {"system": coding.system}
    if coding.version:
        data["version"] = coding.version
    data["code"] = coding.code
    if coding.display:
        data["display"] = coding.display
    return data


def make_codeable_concept(coded: Coded, text: str | None = None) -> dict[str, Any]:
    """Every standard coding of the value, the NCI C-code when not already among them, and a text.

    The text is what the site wrote when known (verbatim), else the code list's display.
    """
    codings = [make_coding(coding) for coding in coded.codings]
    if coded.nci_code and not any(c.system == NCIT and c.code == coded.nci_code for c in coded.codings):
        codings.append({"system": NCIT, "code": coded.nci_code, "display": coded.display})
    data: dict[str, Any] = {}
    if codings:
        data["coding"] = codings
    label = text or coded.verbatim or coded.display or coded.value
    if label:  # FHIR strings may not be empty
        data["text"] = label
    return data


def make_text_concept(text: str) -> dict[str, Any]:
    return {"text": text}


def make_quantity(quantity: Quantity) -> dict[str, Any]:
    """A FHIR Quantity; UCUM system and code when the unit is given (the model's units are UCUM codes)."""
    data: dict[str, Any] = {"value": quantity.value}
    if quantity.unit:
        data["unit"] = quantity.unit_display or quantity.unit
        data["system"] = UCUM
        data["code"] = quantity.unit
    return data


def make_date_time(value: PartialDate, zone: str | None = None) -> str:
    """FHIR dateTime at the source's precision.

    FHIR needs seconds and a time zone with any time of day; sites give no zone. With the study's
    `fhir.timezone` (e.g. "+01:00") the time is kept (seconds :00 when not recorded); without it the value
    is cut to its date rather than given an invented zone.
    """
    if value.hour is None:
        return value.iso()
    date_text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if zone is None:
        return date_text
    return f"{date_text}T{value.hour:02d}:{value.minute or 0:02d}:{value.second or 0:02d}{zone}"


def times_of_day(record: Any) -> int:
    """How many of a record's dates carry a time of day (which FHIR can only keep with a known zone)."""
    count = 0
    for name in ("start", "end", "date", "birth_date", "consent_date", "enrolment_date"):
        value = getattr(record, name, None)
        if isinstance(value, PartialDate) and value.hour is not None:
            count += 1
    return count


def make_date(value: PartialDate) -> str:
    """FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)."""
    return make_date_time(value)


def make_period(start: PartialDate | None, end: PartialDate | None, zone: str | None = None) -> dict[str, Any] | None:
    period: dict[str, Any] = {}
    if start is not None:
        period["start"] = make_date_time(start, zone)
    if end is not None:
        period["end"] = make_date_time(end, zone)
    return period or None


def make_absent_period() -> dict[str, Any]:
    """A Period that says its dates are unknown (for 1..1 effective[x] elements with no dates)."""
    return {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}


def make_display_reference(display: str) -> dict[str, str]:
    """A reference that only names its target (performer, sponsor …) without inventing a resource."""
    return {"display": display}


def format_decimal(value: Decimal) -> str:
    """The digits as the site wrote them (12.50 stays 12.50), never in exponent form."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    return format(value, "f")
