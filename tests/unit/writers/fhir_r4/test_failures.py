"""Failures: no fixed Provenance time, invalid targets, strict errors, and the previous output kept."""

from __future__ import annotations

import pytest

from crfmap.issues import FatalIssue
from crfmap.writers.fhir_r4 import lint_fhir_targets
from tests.unit.writers.fhir_r4.cohort import build_records, build_study, concept
from tests.unit.writers.fhir_r4.writing import write_cohort


def test_no_cutoff_and_no_recorded_option_is_fatal_before_writing(tmp_path):
    with pytest.raises(FatalIssue) as raised:
        write_cohort(tmp_path / "out", study=build_study(data_cutoff=None))
    assert [issue.code for issue in raised.value.issues] == ["W040"]
    assert not (tmp_path / "out").exists()


def test_recorded_option_wins_and_is_checked(tmp_path):
    write_cohort(tmp_path / "out", study=build_study(data_cutoff=None), recorded="2024-07-01T12:00:00+02:00",
                 bundle="collection")
    text = (tmp_path / "out" / "bundle-01-003.json").read_text(encoding="utf-8")
    assert '"recorded":"2024-07-01T12:00:00+02:00"' in text
    with pytest.raises(FatalIssue) as raised:
        write_cohort(tmp_path / "bad", recorded="yesterday")
    assert raised.value.issues[0].code == "W040"


def test_failed_run_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "out"
    write_cohort(out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    def failing_records():
        yield from build_records()[:5]
        raise RuntimeError("reader broke mid-way")

    with pytest.raises(RuntimeError):
        write_cohort(out, records=failing_records())
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_strict_failure_is_fatal_and_keeps_previous_output(tmp_path, monkeypatch):
    import crfmap.writers.fhir_r4.subject as subject_module

    out = tmp_path / "out"
    write_cohort(out)
    before = sorted(path.name for path in out.iterdir())
    original = subject_module.build_research_study

    def broken_study(context):
        resource = original(context)
        resource["status"] = "not-a-status"
        return resource

    monkeypatch.setattr("crfmap.writers.fhir_r4.writer.build_research_study", broken_study)
    from crfmap.writers.fhir_r4 import FhirOptions, write_fhir
    from tests.shared_data import shared_path
    from tests.unit.writers.fhir_r4.writing import SOURCE

    with pytest.raises(FatalIssue) as raised:  # the R4B models accept any code: the schema catches the status
        write_fhir(build_records(), build_study(), out, FhirOptions(strict=True), SOURCE,
                   schema=shared_path("schemas", "fhir-r4", "fhir.schema.json"))
    assert {issue.code for issue in raised.value.issues} == {"W041"}
    assert any("ResearchStudy/" in issue.message for issue in raised.value.issues)
    assert sorted(path.name for path in out.iterdir()) == before


def test_unsafe_subject_ids_stay_inside_the_folder(tmp_path):
    from crfmap.model import Subject

    records = [Subject(subject_id="../evil", concept="dm", key="1"),
               Subject(subject_id="..\\evil", concept="dm", key="1")]
    result = write_cohort(tmp_path / "out", records=records)
    assert len(result.files) == 2 and all("/" not in name and "\\" not in name for name in result.files)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == result.files


def test_lint_reports_each_bad_target():
    study = build_study(concepts=[
        concept("dm", "subject"),
        concept("ae", "event", {"resource": "Procedure"}),
        concept("blasts", "finding", {"category": "lab"}),
        concept("mrd", "finding", {"profile": ["mcode-tumor-marker-test"]}),
        concept("hsct", "intervention", {"resource": "Procedure", "colour": "red"}),
        concept("exposure", "intervention", {"resource": "MedicationAdministration", "category": "laboratory"}),
        concept("status", "finding", {"resource": "Observation", "category": "laboratory",
                                      "profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/x"]}),
    ])
    issues = lint_fhir_targets(study)
    assert [(issue.code, issue.value) for issue in issues] == [
        ("P011", "ae"), ("P011", "blasts"), ("P011", "mrd"), ("P011", "hsct"), ("P011", "exposure")]
    assert "colour" in issues[3].message


def test_invalid_targets_block_the_write(tmp_path):
    study = build_study(concepts=[concept("dm", "subject"), concept("ae", "event", {"resource": "Patient"})])
    with pytest.raises(FatalIssue) as raised:
        write_cohort(tmp_path / "out", study=study)
    assert [issue.code for issue in raised.value.issues] == ["P011"]


def test_records_of_undeclared_concepts_use_defaults(tmp_path):
    study = build_study(concepts=[concept("dm", "subject")])
    result = write_cohort(tmp_path / "out", study=study)
    assert result.counts["AdverseEvent"] == 2 and result.counts["Condition"] == 2


def test_the_checkers_can_fail(schema_errors, model_errors):
    broken = {"resourceType": "Observation", "status": "done", "code": {"text": "x"}, "valueQuantity": {"value": "1"}}
    assert schema_errors(broken)
    assert model_errors({**broken, "status": "final", "colour": "red"})  # the models check shape, not codes
    assert schema_errors({"resourceType": "AdverseEvent", "actuality": "actual"})  # subject is required


def with_study_fhir(settings: dict):
    study = build_study()
    return study.model_copy(update={"study": study.study.model_copy(update={"fhir": settings})})


def test_lint_reports_bad_study_level_fhir_options():
    unknown = lint_fhir_targets(with_study_fhir({"study_status": "completed", "colour": "red"}))
    assert [(issue.code, issue.file) for issue in unknown] == [("P011", "study.yaml")]
    assert "colour" in unknown[0].message
    issues = lint_fhir_targets(with_study_fhir({"study_status": "running", "timezone": "CET",
                                                "extension_base": "crfmap", "subject_status": "done"}))
    assert [issue.code for issue in issues] == ["P011", "P011", "P015", "P014"]
    assert "running" in issues[0].message and "CET" in issues[1].message
    assert "done" in issues[2].message and "off-study" in issues[2].message and "crfmap" in issues[3].message
    assert lint_fhir_targets(with_study_fhir({"study_status": "completed", "timezone": "+01:00",
                                              "subject_status": "off-study",
                                              "canonical_base": "https://fhir.example.org/studies/x"})) == []


def test_lint_reports_unusable_canonical_bases():
    for settings in ({"canonical_base": "fhir.example.org"}, {"canonical_base": "https://example.org/a?b=c"},
                     {"canonical_base": "https://example.org/a", "extension_base": "https://example.org/b"}):
        assert [issue.code for issue in lint_fhir_targets(with_study_fhir(settings))] == ["P014"], settings
    both = {"canonical_base": "https://example.org/a", "extension_base": "https://example.org/a/StructureDefinition"}
    assert lint_fhir_targets(with_study_fhir(both)) == []


def test_a_ctrl_c_while_a_value_is_encoded_stays_a_ctrl_c(monkeypatch):
    # orjson makes any exception of its `default` callback (where Decimals are written) a TypeError: the command
    # line would call a Ctrl-C at that moment an internal error (exit 2) instead of an interruption (exit 130)
    from decimal import Decimal

    from crfmap.writers.fhir_r4 import emit

    assert emit.dump_json({"value": Decimal("12.50")}) == b'{"value":12.50}'

    def interrupted(_value):
        raise KeyboardInterrupt

    monkeypatch.setattr(emit, "format_decimal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        emit.dump_json({"value": Decimal("12.50")})
    with pytest.raises(TypeError):  # what cannot be written is still said as such
        emit.dump_json({"value": object()})
