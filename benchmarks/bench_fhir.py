"""Throughput of the FHIR writer's hot path against building the same resources as fhir.resources models.

    python benchmarks/bench_fhir.py --findings 20000

Findings look like marrow-blast results (one Observation each with a quantity, a date and source cells).
Times (1) crfmap's write_fhir to NDJSON (plain dicts + orjson, streamed) and (2) the same Observation dicts
validated into fhir.resources R4B models and serialised with `model_dump_json`; prints both rates and the
ratio in one run. Needs fhir.resources (the `test` extra).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from crfmap.model import Coded, Coding, Finding, PartialDate, Quantity, SourceCell
from crfmap.study.models import (
    Codelist, CodelistValue, Column, ConceptSpec, Form, Identity, IdentifierSystems, Standards, Study,
    StudyMapping,
)
from crfmap.writers.fhir_r4 import FhirOptions, SourceInfo, write_fhir
from crfmap.writers.fhir_r4.clinical import build_finding_observation
from crfmap.writers.fhir_r4.context import SubjectContext, make_study_context
from crfmap.writers.fhir_r4.emit import dump_json

TEST = Coded("test", "BLASTS", "Blasts/Total cells", codings=(Coding("http://example.org/crfmap-bench", "blasts"),))


def build_study() -> StudyMapping:
    study = Study(id="BENCH", title="Benchmark", data_cutoff="2024-06-30", standards=Standards(ct="2024-03-29"),
                  identifier_systems=IdentifierSystems(subject="https://example.org/subject",
                                                       study="https://example.org/study"))
    form = Form(name="bm", label="BM", sheets=["BM"], identity=Identity(subject="subject"),
                columns=[Column(name="subject", label="Subject", type="string")])
    codelist = Codelist(id="none", name="none", values=[CodelistValue(value="x", display="x")])
    concept = ConceptSpec(id="blasts", form="bm", record="finding", fields={}, fhir={"category": "laboratory"})
    return StudyMapping(folder="bench", study=study, forms={"bm": form}, codelists={"none": codelist},
                        concepts=[concept], sha256="0" * 64)


def build_findings(count: int) -> list[Finding]:
    return [Finding(subject_id=f"S{number // 20:05d}", concept="blasts", key=f"{number:07d}", category="laboratory",
                    test=TEST, value_quantity=Quantity(Decimal(number % 997) / 10, "%"),
                    date=PartialDate(2021, 1 + number % 12, 1 + number % 28),
                    sources={"value_quantity": (SourceCell("bench.xlsx", "BM", 2 + number, 4),)})
            for number in range(count)]


def time_crfmap(findings: list[Finding], study: StudyMapping) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_fhir(findings, study, Path(folder) / "out", FhirOptions(ndjson=True), SourceInfo("bench.xlsx", "0" * 64))
        return time.perf_counter() - started


def time_models(findings: list[Finding], study: StudyMapping) -> float:
    import orjson
    from fhir.resources.R4B.observation import Observation

    context = make_study_context(study, FhirOptions(ndjson=True))
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stream:
        for finding in findings:
            patient = context.make_handle("Patient", finding.subject_id, "Patient", finding.subject_id)
            handle = context.make_handle("Observation", finding.subject_id, finding.concept, finding.key)
            resource = build_finding_observation(finding, handle, SubjectContext(finding.subject_id, patient), context)
            model = Observation.model_validate(orjson.loads(dump_json(resource)))
            stream.write(model.model_dump_json().encode() + b"\n")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=5000)
    arguments = parser.parse_args()
    study, findings = build_study(), build_findings(arguments.findings)
    plain = time_crfmap(findings, study)
    models = time_models(findings, study)
    count = arguments.findings
    print(f"crfmap dicts + orjson (NDJSON, with Patients/Provenance): {count / plain:,.0f} findings/s ({plain:.2f} s)")
    print(f"fhir.resources R4B validate + dump (Observations only):  {count / models:,.0f} findings/s ({models:.2f} s)")
    print(f"ratio: {models / plain:.1f}x")


if __name__ == "__main__":
    main()
