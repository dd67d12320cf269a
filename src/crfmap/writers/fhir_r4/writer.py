"""write_fhir: canonical records → FHIR R4 bundles or NDJSON, written atomically into one folder.

Layout of `out_dir` (replaced as a whole only when the run succeeds):
- per subject (default): `bundle-<subject>.json`, each with the ResearchStudy, the subject's resources
  and a Provenance;
- `single`: `bundle.json` with the ResearchStudy, every subject's resources and one Provenance;
- `ndjson`: besides the bundles, `<Type>.ndjson` (Bulk Data) with the same resources, one Provenance per
  subject plus one for the ResearchStudy; there references are relative (`Patient/<id>`), as Bulk Data
  files have no fullUrls.
Records are sorted by (subject, concept, key). Per subject, a part is made in memory (its bundle and NDJSON
lines, writers/fhir_r4/parts.py) and written before the next subject's is made; convert-many partitions make
parts where they run and the driver writes them (`write_fhir_parts`). With NDJSON, each resource is built once:
written into its bundle, then its references are rewritten in place and it is written as an NDJSON line (only
the Provenances, whose targets differ, are built for each).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.model import Record
from crfmap.model.spool import RecordSpool
from crfmap.study.models import StudyMapping
from crfmap.writers.atomic import atomic_output_dir
from crfmap.writers.fhir_r4.build import build_subject_resources, group_by_subject
from crfmap.writers.fhir_r4.context import STUDY_SUBJECT, StudyContext, make_study_context
from crfmap.writers.fhir_r4.datatypes import times_of_day
from crfmap.writers.fhir_r4.emit import BundleFile, NdjsonFiles, NdjsonLines
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.options import FhirOptions, FhirWriteResult, SourceInfo
from crfmap.writers.fhir_r4.parts import PartAssembly, SubjectPart
from crfmap.writers.fhir_r4.provenance import build_provenance, choose_recorded
from crfmap.writers.fhir_r4.strict import ResourceValidator
from crfmap.writers.fhir_r4.subject import build_research_study
from crfmap.writers.fhir_r4.targets import lint_fhir_targets

Sink = BundleFile | NdjsonFiles | NdjsonLines


class FhirRun:
    """One run's state: where resources go, what they are counted as, what is validated."""

    def __init__(self, context: StudyContext, source: SourceInfo, folder: Path,
                 validator: ResourceValidator | None) -> None:
        self.context = context
        self.source = source
        self.folder = folder
        self.validator = validator
        self.recorded = choose_recorded(context)
        self.result = FhirWriteResult()
        self.ndjson: NdjsonFiles | NdjsonLines | None = None  # also NDJSON: each subject resource goes to both
        self.research_study: dict | None = None  # the same in every bundle: built once

    def emit(self, sink: Sink, handle: ResourceHandle, resource: dict, targets: list[ResourceHandle]) -> None:
        if self.validator is not None:
            self.validator.check(resource)
        sink.add(handle, resource)
        self.result.count(handle.resource_type)
        targets.append(handle)

    def emit_ndjson(self, handle: ResourceHandle, resource: dict, targets: list[ResourceHandle]) -> None:
        """The NDJSON line of a resource (counted once, by its bundle)."""
        assert self.ndjson is not None
        if self.validator is not None:
            self.validator.check(resource)
        self.ndjson.add(handle, resource)
        targets.append(handle)

    def emit_provenance(self, sink: Sink, owner: str, targets: list[ResourceHandle]) -> None:
        handle = self.context.make_handle("Provenance", owner, "Provenance", owner)
        self.emit(sink, handle, build_provenance(handle, targets, self.recorded, self.source, self.context), [])

    def emit_ndjson_provenance(self, owner: str, targets: list[ResourceHandle]) -> None:
        handle = self.context.make_handle("Provenance", owner, "Provenance", owner)
        with_relative = replace(self.context, in_bundle=False, made_references=None)
        self.emit_ndjson(handle, build_provenance(handle, targets, self.recorded, self.source, with_relative), [])

    def emit_study(self, sink: Sink, targets: list[ResourceHandle]) -> None:
        if self.research_study is None:
            self.research_study = build_research_study(self.context)
        self.emit(sink, self.context.research_study, self.research_study, targets)

    def emit_subject(self, sink: Sink, records: list[Record], targets: list[ResourceHandle],
                     ndjson_targets: list[ResourceHandle]) -> None:
        for handle, resource in build_subject_resources(records, self.context, self.result.issues):
            self.emit(sink, handle, resource, targets)
            if self.ndjson is not None:  # written into the bundle already: now as NDJSON, built once
                self.context.relative_references()
                self.emit_ndjson(handle, resource, ndjson_targets)

    def emit_subject_provenance(self, sink: Sink, subject_id: str, targets: list[ResourceHandle],
                                ndjson_targets: list[ResourceHandle]) -> None:
        self.emit_provenance(sink, subject_id, targets)
        if self.ndjson is not None:
            self.emit_ndjson_provenance(subject_id, ndjson_targets)

    def open_bundle(self, name: str, owner: str) -> BundleFile:
        bundle_id = self.context.make_handle("Bundle", owner, "Bundle", owner).id
        self.result.files.append(name)
        return BundleFile(open(self.folder / name, "wb"), bundle_id, self.context.options)

    def make_part(self, records: list[Record]) -> SubjectPart:
        """One subject's bundle and NDJSON lines, in memory, and what making them counted and found. Counts,
        issues and the said-once W042s are the part's own: the run's are the assembly's (parts.py)."""
        subject_id = records[0].subject_id
        run_result, run_ndjson = self.result, self.ndjson
        self.result, self.context.unwritten = FhirWriteResult(), {}
        lines = NdjsonLines() if self.context.options.ndjson else None
        self.ndjson = lines
        invalid_from = len(self.validator.issues) if self.validator is not None else 0
        bundle = io.BytesIO()
        try:
            handle = self.context.make_handle("Bundle", subject_id, "Bundle", subject_id)
            sink = BundleFile(bundle, handle.id, self.context.options)
            targets: list[ResourceHandle] = []
            ndjson_targets: list[ResourceHandle] = []
            self.emit_study(sink, targets)
            self.emit_subject(sink, records, targets, ndjson_targets)
            self.emit_subject_provenance(sink, subject_id, targets, ndjson_targets)
            sink.close()
            invalid: list = []
            if self.validator is not None:
                invalid = self.validator.issues[invalid_from:]
                del self.validator.issues[invalid_from:]
            return SubjectPart(
                subject_id=subject_id, bundle=bundle.getvalue(),
                ndjson={kind: bytes(data) for kind, data in lines.lines.items()} if lines is not None else {},
                counts=self.result.counts, issues=self.result.issues, once=self.context.unwritten, invalid=invalid,
                times_of_day=sum(times_of_day(record) for record in records))
        finally:
            self.result, self.ndjson = run_result, run_ndjson


def write_fhir(records: Iterable[Record], study: StudyMapping, out_dir: Path, options: FhirOptions,
               source: SourceInfo, schema: Path | None = None) -> FhirWriteResult:
    """Write the records' FHIR resources into `out_dir`, replaced as a whole; on any failure the previous
    output stays. For direct use of the writer: `crfmap convert` stages all targets together instead.

    `schema` is the R4 JSON Schema file used by `options.strict` besides the fhir.resources models.
    Raises FatalIssue (P011 invalid targets; W040 no fixed Provenance time; W041 strict validation failed;
    W001 not writable).
    """
    target_issues = lint_fhir_targets(study)  # a study built in code has not been through the loader's lint
    if target_issues:
        raise FatalIssue(*target_issues)
    prepare_fhir_run(study, options)  # fail before touching the output folder
    try:
        with atomic_output_dir(Path(out_dir)) as staging:
            return write_fhir_into(records, study, staging, options, source, schema)
    except OSError as problem:
        raise FatalIssue(make_issue("W001", detail=f"the FHIR output folder {Path(out_dir).name!r} cannot be "
                                                   f"written: {problem.strerror or problem}")) from problem


def prepare_fhir_run(study: StudyMapping, options: FhirOptions) -> StudyContext:
    """The run's study context; raises W040 when Provenance would have no fixed time."""
    context = make_study_context(study, options)
    choose_recorded(context)
    return context


def write_fhir_into(records: Iterable[Record], study: StudyMapping, folder: Path, options: FhirOptions,
                    source: SourceInfo, schema: Path | None = None) -> FhirWriteResult:
    """Write the records' FHIR resources into the empty `folder` (the caller makes it appear atomically)."""
    run = _start_run(study, options, source, folder, schema)
    # A spool gives its records back sorted, from disk beyond a few thousand: only a plain iterable is sorted here.
    ordered = records if isinstance(records, RecordSpool) else sorted(records, key=lambda record: record.sort_key)
    with _ndjson_of(run):
        if options.single:
            _write_single(run, _counting_times_of_day(ordered, run.result))  # counted on the way: read once
        else:
            _write_parts(run, (run.make_part(group) for group in group_by_subject(ordered)))
    run.result.files.sort()
    return run.result


def make_fhir_parts(records: Iterable[Record], study: StudyMapping, options: FhirOptions, source: SourceInfo,
                    schema: Path | None = None) -> Iterator[SubjectPart]:
    """The parts of the records' subjects, one at a time (a convert-many partition's share of a per-subject run);
    the records sorted by (subject, concept, key). Nothing is written: the driver writes the parts
    (`write_fhir_parts`). Raises FatalIssue (W040) at once, before the first part."""
    run = _start_run(study, options, source, Path(), schema)
    if options.ndjson:
        run.context.made_references = []  # as after the study's own NDJSON lines (_ndjson_of)
    return (run.make_part(group) for group in group_by_subject(records))


def write_fhir_parts(parts: Iterable[SubjectPart], study: StudyMapping, folder: Path, options: FhirOptions,
                     source: SourceInfo, schema: Path | None = None) -> FhirWriteResult:
    """Write parts made apart (`make_fhir_parts`), in subject order, into the empty `folder`: the same files
    `write_fhir_into` writes for the same records."""
    run = _start_run(study, options, source, folder, schema)
    with _ndjson_of(run):
        _write_parts(run, parts)
    run.result.files.sort()
    return run.result


def _start_run(study: StudyMapping, options: FhirOptions, source: SourceInfo, folder: Path,
               schema: Path | None) -> FhirRun:
    validator = ResourceValidator(schema) if options.strict else None
    return FhirRun(prepare_fhir_run(study, options), source, folder, validator)


@contextmanager
def _ndjson_of(run: FhirRun) -> Iterator[None]:
    """With NDJSON, the files opened and the study's lines written first, and closed after; then the run's
    --strict findings raised, if any."""
    files = None
    if run.context.options.ndjson:
        files = run.ndjson = NdjsonFiles(run.folder)
        relative = replace(run.context, in_bundle=False)
        study_targets: list[ResourceHandle] = []
        run.emit_ndjson(relative.research_study, build_research_study(relative), study_targets)
        run.emit_ndjson_provenance(STUDY_SUBJECT, study_targets)
        run.context.made_references = []
    try:
        yield
    finally:
        if files is not None:
            run.result.files.extend(files.close())
            run.context.made_references = None
    if run.validator is not None and run.validator.issues:
        raise FatalIssue(*run.validator.issues)


def _write_parts(run: FhirRun, parts: Iterable[SubjectPart]) -> None:
    ndjson = run.ndjson if isinstance(run.ndjson, NdjsonFiles) else None
    assembly = PartAssembly(run.folder, run.result, ndjson, run.validator.issues if run.validator else [])
    for part in parts:
        assembly.add(part)


def _counting_times_of_day(records: Iterable[Record], result: FhirWriteResult) -> Iterator[Record]:
    for record in records:
        result.times_of_day += times_of_day(record)
        yield record


def _write_single(run: FhirRun, records: Iterable[Record]) -> None:
    sink = run.open_bundle("bundle.json", STUDY_SUBJECT)
    try:
        targets: list[ResourceHandle] = []
        run.emit_study(sink, targets)
        for group in group_by_subject(records):
            ndjson_targets: list[ResourceHandle] = []
            run.emit_subject(sink, group, targets, ndjson_targets)
            if run.ndjson is not None:
                run.emit_ndjson_provenance(group[0].subject_id, ndjson_targets)
        run.emit_provenance(sink, STUDY_SUBJECT, targets)
    finally:
        sink.close()
