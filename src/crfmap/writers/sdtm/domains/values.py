"""Canonical values → SDTM cell values: CT submission values, Y/N flags, numbers, ISO 8601 text."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, Coding, PartialDate, Quantity, Value
from crfmap.study.systems import CODE_SYSTEMS

MEDDRA = CODE_SYSTEMS["meddra"]
Cell = str | int | float | None


def submission_text(coded: Coded | None) -> str | None:
    """What goes into SDTM for a coded value: the CDISC submission value, else the code list's own value."""
    if coded is None:
        return None
    return coded.submission_value or coded.value


def term_text(coded: Coded | None) -> str | None:
    """A verbatim-like text for a coded value (--TERM, --TRT): what the site wrote, else the display."""
    if coded is None:
        return None
    return coded.verbatim or coded.display


def flag(value: bool | None) -> str | None:
    """SDTM NY code list: Y / N; unknown stays null (never defaulted to N)."""
    if value is None:
        return None
    return "Y" if value else "N"


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as an SDTM numeric: int when integral, else float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def decimal_text(value: Decimal) -> str:
    """The digits the site wrote, never in exponent form (0.00001 stays 0.00001)."""
    return format(value, "f")


def dtc(value: PartialDate | None) -> str | None:
    return None if value is None else value.iso()


def meddra_coding(coded: Coded | None) -> Coding | None:
    return None if coded is None else coded.coding(MEDDRA)


def meddra_code(coding: Coding | None) -> int | None:
    """MedDRA codes are 8-digit numbers (SDTMIG --PTCD is numeric)."""
    if coding is None or not coding.code.isdigit():
        return None
    return int(coding.code)


def qualifier_text(value: Value) -> str | None:
    """QVAL text of a record qualifier (SUPP--): every value kind, with its unit when it has one."""
    if value is None:
        return None
    if isinstance(value, bool):
        return flag(value)
    if isinstance(value, Coded):
        return submission_text(value)
    if isinstance(value, Quantity):
        text = decimal_text(value.value)
        return f"{text} {value.unit}" if value.unit else text
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, PartialDate):
        return value.iso()
    text = str(value)
    return text if text.strip() else None
