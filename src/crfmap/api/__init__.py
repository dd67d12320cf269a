"""The application layer: what the command line and Python callers both use. No format logic lives here;
formats are in the registries (`FORMATS` of readers, `WRITERS` of writers, `OPERATIONS` of mapping).

    mapping, issues = load_mapping(Path("mappings/blinatumomab_ped_all"))
    result = validate_workbook(Path("site.xlsx"), mapping)
    outcome = convert_workbook(Path("site.xlsx"), mapping, ConvertOptions(out=Path("out"), targets=("fhir",)))
    result = push_fhir(Path("out"), make_push_options(PushSettings(server="https://fhir.example.org/fhir")))
    outcome = convert_many(Path("exports"), mapping, ConvertOptions(out=Path("out")),
                           ManyOptions(executor="dask", scheduler="tcp://host:8786", partitions=4))
"""

# Imported on first use (PEP 562): `crfmap convert` of a small study must not pay at start-up for what it never
# uses (openpyxl and numpy for annotated copies and templates, the web and push stacks).
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crfmap.api.annotation import write_annotation
    from crfmap.api.conversion import ConvertOptions, ConvertOutcome, convert_workbook, published_version
    from crfmap.api.delivery import PushSettings, make_push_options, push_fhir, write_fhir_definitions
    from crfmap.api.executors import EXECUTORS, Executor, ExecutorSettings
    from crfmap.api.many import ExportSummary, ManyOptions, ManyOutcome, convert_many, list_exports
    from crfmap.api.mapping import load_mapping, mapping_json_schema, mapping_reference, target_models
    from crfmap.api.partitions import Partition, PartitionResult, convert_partition, merge_partitions
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

_HOMES: dict[str, str] = {
    "write_annotation": "crfmap.api.annotation",
    "ConvertOptions": "crfmap.api.conversion",
    "ConvertOutcome": "crfmap.api.conversion",
    "convert_workbook": "crfmap.api.conversion",
    "published_version": "crfmap.api.conversion",
    "PushSettings": "crfmap.api.delivery",
    "make_push_options": "crfmap.api.delivery",
    "push_fhir": "crfmap.api.delivery",
    "write_fhir_definitions": "crfmap.api.delivery",
    "EXECUTORS": "crfmap.api.executors",
    "Executor": "crfmap.api.executors",
    "ExecutorSettings": "crfmap.api.executors",
    "ExportSummary": "crfmap.api.many",
    "ManyOptions": "crfmap.api.many",
    "ManyOutcome": "crfmap.api.many",
    "convert_many": "crfmap.api.many",
    "list_exports": "crfmap.api.many",
    "load_mapping": "crfmap.api.mapping",
    "mapping_json_schema": "crfmap.api.mapping",
    "mapping_reference": "crfmap.api.mapping",
    "target_models": "crfmap.api.mapping",
    "Partition": "crfmap.api.partitions",
    "PartitionResult": "crfmap.api.partitions",
    "convert_partition": "crfmap.api.partitions",
    "merge_partitions": "crfmap.api.partitions",
    "Progress": "crfmap.api.progress",
    "REPORT_FORMATS": "crfmap.api.reports",
    "annotate_workbook": "crfmap.api.reports",
    "check_report_targets": "crfmap.api.reports",
    "html_report": "crfmap.api.reports",
    "page_policy": "crfmap.api.reports",
    "write_reports": "crfmap.api.reports",
    "InitOutcome": "crfmap.api.scaffolding",
    "init_mapping": "crfmap.api.scaffolding",
    "TemplateOutcome": "crfmap.api.templates",
    "write_template": "crfmap.api.templates",
    "CellGrid": "crfmap.api.validation",
    "SheetAccount": "crfmap.api.validation",
    "ValidationResult": "crfmap.api.validation",
    "validate_workbook": "crfmap.api.validation",
    "FORMATS": "crfmap.readers",
    "ReadLimits": "crfmap.readers",
    "ReadOptions": "crfmap.readers",
    "WRITERS": "crfmap.writers",
    "OptionSpec": "crfmap.writers",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'crfmap.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value

__all__ = [
    "EXECUTORS",
    "FORMATS",
    "REPORT_FORMATS",
    "WRITERS",
    "CellGrid",
    "ConvertOptions",
    "ConvertOutcome",
    "Executor",
    "ExecutorSettings",
    "ExportSummary",
    "InitOutcome",
    "ManyOptions",
    "ManyOutcome",
    "OptionSpec",
    "Partition",
    "PartitionResult",
    "Progress",
    "PushSettings",
    "ReadLimits",
    "ReadOptions",
    "SheetAccount",
    "TemplateOutcome",
    "ValidationResult",
    "annotate_workbook",
    "check_report_targets",
    "convert_many",
    "convert_partition",
    "convert_workbook",
    "html_report",
    "init_mapping",
    "list_exports",
    "load_mapping",
    "make_push_options",
    "mapping_json_schema",
    "mapping_reference",
    "merge_partitions",
    "page_policy",
    "published_version",
    "push_fhir",
    "target_models",
    "validate_workbook",
    "write_annotation",
    "write_fhir_definitions",
    "write_reports",
    "write_template",
]
