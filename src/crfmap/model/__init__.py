"""The canonical clinical model: pure data, independent of both standards."""

from crfmap.model.dates import PartialDate
from crfmap.model.records import (
    BASE_FIELDS,
    BOOKKEEPING,
    RECORD_TYPES,
    Coded,
    Coding,
    Event,
    FieldInfo,
    FieldKind,
    Finding,
    Intervention,
    Quantity,
    Record,
    Subject,
    Value,
    Visit,
    record_field_names,
    record_fields,
)

__all__ = [
    "BASE_FIELDS", "BOOKKEEPING", "RECORD_TYPES", "Coded", "Coding", "Event", "FieldInfo", "FieldKind", "Finding",
    "Intervention", "PartialDate", "Quantity", "Record", "Subject", "Value", "Visit", "record_field_names",
    "record_fields",
]
