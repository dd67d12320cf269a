"""What the FHIR writer is asked to do, what it is told about the input, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crfmap.issues import Issue
from crfmap.writers.base import SourceInfo

__all__ = ["FhirOptions", "FhirWriteResult", "SourceInfo"]


@dataclass(frozen=True, slots=True)
class FhirOptions:
    """How to shape the output.

    bundle: "transaction" (entries carry a request, loadable into a server) or "collection".
    ndjson: also write Bulk Data NDJSON (one `<Type>.ndjson` per resource type) beside the bundles.
    single: one bundle for all subjects (`bundle.json`) instead of one per subject.
    request: "conditional" = POST with ifNoneExist on the business identifier; "put" = PUT Type/<id>.
    pretty: 2-space indented JSON (bundles only; NDJSON is one resource per line by definition).
    strict: validate every resource with fhir.resources R4B and the R4 JSON Schema while writing.
    recorded: Provenance.recorded instant; when None, the study's data cut-off date at 00:00 UTC.
    """

    bundle: Literal["transaction", "collection"] = "transaction"
    ndjson: bool = False
    single: bool = False
    request: Literal["conditional", "put"] = "conditional"
    pretty: bool = False
    strict: bool = False
    recorded: str | None = None


@dataclass(slots=True)
class FhirWriteResult:
    """Files written (relative to the output folder, sorted) and resources per type."""

    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # entries of the bundles (NDJSON repeats them)
    issues: list[Issue] = field(default_factory=list)
    times_of_day: int = 0  # dates with a time of day, counted as the records went by

    def count(self, resource_type: str) -> None:
        self.counts[resource_type] = self.counts.get(resource_type, 0) + 1
