"""The canonical clinical model: pure data, independent of both standards."""

from crfmap.model.dates import PartialDate
from crfmap.model.records import (
    BASE_FIELDS,
    RECORD_TYPES,
    Coded,
    Coding,
    Event,
    Finding,
    Intervention,
    Quantity,
    Record,
    Subject,
    Value,
    record_field_names,
)

__all__ = [
    "BASE_FIELDS", "RECORD_TYPES", "Coded", "Coding", "Event", "Finding", "Intervention", "PartialDate",
    "Quantity", "Record", "Subject", "Value", "record_field_names",
]
