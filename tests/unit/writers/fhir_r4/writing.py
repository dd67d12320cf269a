"""Writing the test cohort into a temporary folder, in any mode."""

from __future__ import annotations

from pathlib import Path

from crfmap.writers.fhir_r4 import FhirOptions, FhirWriteResult, SourceInfo, write_fhir
from tests.unit.writers.fhir_r4.cohort import FILE, build_records, build_study

SOURCE = SourceInfo(FILE, "cd" * 32, crfmap_version="0.1.0")


def write_cohort(out: Path, records: list | None = None, study=None, **options) -> FhirWriteResult:
    return write_fhir(build_records() if records is None else records, study or build_study(), out,
                      FhirOptions(**options), SOURCE)
