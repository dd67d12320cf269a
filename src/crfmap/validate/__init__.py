"""Validation: sheets to forms, header rows, typed cells, row rules and cross-form checks. No I/O."""

from crfmap.validate.context import ValidationContext
from crfmap.validate.header import HeaderMap, locate_header
from crfmap.validate.plan import plan_forms
from crfmap.validate.sheet import validate_sheet
from crfmap.validate.sheets import count_cells_in, match_sheets

__all__ = [
    "HeaderMap", "ValidationContext", "count_cells_in", "locate_header", "match_sheets", "plan_forms",
    "validate_sheet",
]
