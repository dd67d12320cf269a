"""The application layer: what the command line and Python callers both use. No format logic lives here;
formats are in the registries (`FORMATS` of readers, `WRITERS` of writers, `OPERATIONS` of mapping).

    mapping, issues = load_mapping(Path("mappings/blinatumomab_ped_all"))
    result = validate_workbook(Path("site.xlsx"), mapping)
    outcome = convert_workbook(Path("site.xlsx"), mapping, ConvertOptions(out=Path("out"), targets=("fhir",)))
"""

from crfmap.api.annotation import write_annotation
from crfmap.api.conversion import ConvertOptions, ConvertOutcome, convert_workbook
from crfmap.api.mapping import load_mapping, mapping_json_schema, mapping_reference, target_models
from crfmap.api.validation import CellGrid, Progress, SheetAccount, ValidationResult, validate_workbook
from crfmap.readers import FORMATS, ReadLimits, ReadOptions
from crfmap.writers import WRITERS, OptionSpec

__all__ = [
    "FORMATS", "WRITERS", "CellGrid", "ConvertOptions", "ConvertOutcome", "OptionSpec", "Progress", "ReadLimits", "ReadOptions",
    "SheetAccount", "ValidationResult", "convert_workbook", "load_mapping", "mapping_json_schema", "mapping_reference", "target_models",
    "validate_workbook", "write_annotation",
]
