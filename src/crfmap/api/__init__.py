"""The application layer: what the command line and Python callers both use. No format logic lives here;
formats are in the registries (`FORMATS` of readers, `WRITERS` of writers, `OPERATIONS` of mapping).

    mapping, issues = load_mapping(Path("mappings/blinatumomab_ped_all"))
    result = validate_workbook(Path("site.xlsx"), mapping)
    outcome = convert_workbook(Path("site.xlsx"), mapping, ConvertOptions(out=Path("out"), targets=("fhir",)))
    result = push_fhir(Path("out"), make_push_options(PushSettings(server="https://fhir.example.org/fhir")))
"""

from crfmap.api.annotation import write_annotation
from crfmap.api.conversion import ConvertOptions, ConvertOutcome, convert_workbook
from crfmap.api.delivery import PushSettings, make_push_options, push_fhir, write_fhir_definitions
from crfmap.api.mapping import load_mapping, mapping_json_schema, mapping_reference, target_models
from crfmap.api.progress import Progress
from crfmap.api.reports import (
    REPORT_FORMATS,
    annotate_workbook,
    check_report_targets,
    html_report,
    page_policy,
    write_reports,
)
from crfmap.api.scaffolding import InitOutcome, init_mapping
from crfmap.api.templates import TemplateOutcome, write_template
from crfmap.api.validation import CellGrid, SheetAccount, ValidationResult, validate_workbook
from crfmap.readers import FORMATS, ReadLimits, ReadOptions
from crfmap.writers import WRITERS, OptionSpec

__all__ = [
    "FORMATS",
    "REPORT_FORMATS",
    "WRITERS",
    "CellGrid",
    "ConvertOptions",
    "ConvertOutcome",
    "InitOutcome",
    "OptionSpec",
    "Progress",
    "PushSettings",
    "ReadLimits",
    "ReadOptions",
    "SheetAccount",
    "TemplateOutcome",
    "ValidationResult",
    "annotate_workbook",
    "check_report_targets",
    "convert_workbook",
    "html_report",
    "init_mapping",
    "load_mapping",
    "make_push_options",
    "mapping_json_schema",
    "mapping_reference",
    "page_policy",
    "push_fhir",
    "target_models",
    "validate_workbook",
    "write_annotation",
    "write_fhir_definitions",
    "write_reports",
    "write_template",
]
