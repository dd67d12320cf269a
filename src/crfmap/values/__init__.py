"""Typed values: dates that keep their precision, numbers as sites write them, yes/no in several languages,
coded values through code lists with synonyms. `parse_cell` is the one entry point per cell."""

from crfmap.values.cells import ParseContext, ParsedCell, display_raw, parse_cell
from crfmap.values.coded import CodelistIndex, build_codelist_index, build_codelist_indexes
from crfmap.values.problems import Problem, ValueProblem

__all__ = [
    "CodelistIndex", "ParseContext", "ParsedCell", "Problem", "ValueProblem", "build_codelist_index",
    "build_codelist_indexes", "display_raw", "parse_cell",
]
