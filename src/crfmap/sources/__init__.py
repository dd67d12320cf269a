"""Sources: positions of input values, raw rows, the table interface readers provide, and the text
normalisation every matcher shares. Imports nothing else of crfmap; every layer may import it."""

from crfmap.sources.files import SourceInfo, describe_source
from crfmap.sources.positions import (
    EXCEL_ERROR,
    UNDECODABLE,
    FlawedText,
    KeptRowMap,
    RawValue,
    Row,
    RowCells,
    SheetInfo,
    SourceCell,
    Workbook,
    column_letters,
)

__all__ = ["EXCEL_ERROR", "UNDECODABLE", "FlawedText", "KeptRowMap", "RawValue", "Row", "RowCells", "SheetInfo", "SourceCell", "SourceInfo",
           "Workbook", "column_letters", "describe_source"]
