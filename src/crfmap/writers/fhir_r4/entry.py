"""The FHIR writer's entry in the output registry: its options, its mapping targets, and `write`.

Kept light: the builders are imported only when something is written, so a run that writes no FHIR does not
pay for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crfmap.issues import make_issue
from crfmap.writers.base import OptionSpec, PartRequest, SubjectParts, Writer, WriteRequest, WriteResult
from crfmap.writers.fhir_r4.targets import FhirTarget, StudyFhirSettings, lint_fhir_targets

if TYPE_CHECKING:
    from crfmap.writers.fhir_r4.options import FhirOptions, FhirWriteResult

OPTIONS = (
    OptionSpec("bundle", "--bundle", "FHIR: Bundle type.", kind="choice", default="transaction",
               choices=("transaction", "collection")),
    OptionSpec("single", "--single", "FHIR: one bundle for all subjects instead of one per subject."),
    OptionSpec("ndjson", "--ndjson", "FHIR: also write Bulk Data NDJSON, one file per resource type."),
    OptionSpec("request", "--request", "FHIR transaction requests: conditional create (ifNoneExist on the business "
               "identifier) or PUT with deterministic ids. Both reload idempotently.", kind="choice",
               default="conditional", choices=("conditional", "put")),
    OptionSpec("pretty", "--pretty", "FHIR/JSON: indented output (default compact)."),
    OptionSpec("strict", "--strict", "FHIR: check every resource with fhir.resources and the R4 JSON Schema while "
               "writing (slower; needs the 'strict' extra)."),
    OptionSpec("fhir_schema", "--fhir-schema", "FHIR with --strict: also validate against this copy of HL7's R4 "
               "JSON Schema (fhir.schema.json).", kind="file"),
    OptionSpec("recorded", "--recorded", "FHIR Provenance.recorded (default: the study's data cut-off at 00:00Z; "
               "never the clock).", kind="text", metavar="ISO-INSTANT"),
)


def write(request: WriteRequest) -> WriteResult:
    from crfmap.writers.fhir_r4.writer import write_fhir_into

    options, schema = _options(request.options)
    return _result(write_fhir_into(request.records, request.study, request.folder, options, request.source, schema),
                   request)


def make_parts(request: PartRequest) -> Iterator[Any]:
    from crfmap.writers.fhir_r4.writer import make_fhir_parts

    options, schema = _options(request.options)
    return make_fhir_parts(request.records, request.study, options, request.source, schema)


def write_parts(request: WriteRequest, parts: Iterable[Any]) -> WriteResult:
    from crfmap.writers.fhir_r4.writer import write_fhir_parts

    options, schema = _options(request.options)
    return _result(write_fhir_parts(parts, request.study, request.folder, options, request.source, schema), request)


def _options(values: Mapping[str, Any]) -> tuple[FhirOptions, Path | None]:
    from crfmap.writers.fhir_r4.options import FhirOptions

    options = FhirOptions(bundle=values["bundle"], ndjson=values["ndjson"], single=values["single"],
                          request=values["request"], pretty=values["pretty"], strict=values["strict"],
                          recorded=values["recorded"])
    return options, Path(values["fhir_schema"]) if values["fhir_schema"] else None


def _result(written: FhirWriteResult, request: WriteRequest) -> WriteResult:
    result = WriteResult(files=written.files, counts=written.counts, issues=list(written.issues))
    settings = request.study.study.target_settings("fhir", StudyFhirSettings)
    dropped = 0 if settings.timezone else written.times_of_day
    if dropped:
        result.issues.append(make_issue(
            "W043", file=request.source.file,
            detail=f"{dropped} date(s) have a time of day, but study.yaml gives no fhir.timezone; FHIR needs a zone "
                   "with a time, so those FHIR values carry the date only"))
    return result


FHIR_WRITER = Writer(
    name="fhir", summary="HL7 FHIR R4: transaction or collection bundles, Bulk Data NDJSON", options=OPTIONS,
    concept_target=FhirTarget, study_settings=StudyFhirSettings, lint=lint_fhir_targets, write=write,
    streams_records=True,
    parts=SubjectParts(applies=lambda options: not options["single"], make=make_parts, write=write_parts))
