"""The FHIR R4 writer: canonical records → bundles (transaction/collection) or Bulk Data NDJSON."""

from crfmap.writers.fhir_r4.ids import CRFMAP_NAMESPACE, make_resource_id
from crfmap.writers.fhir_r4.options import FhirOptions, FhirWriteResult, SourceInfo
from crfmap.writers.fhir_r4.targets import FhirTarget, lint_fhir_targets
from crfmap.writers.fhir_r4.writer import write_fhir

__all__ = [
    "CRFMAP_NAMESPACE", "FhirOptions", "FhirTarget", "FhirWriteResult", "SourceInfo", "lint_fhir_targets",
    "make_resource_id", "write_fhir",
]
