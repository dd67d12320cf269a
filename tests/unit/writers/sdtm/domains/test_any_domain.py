"""Domains no code names: VS, QS, EG, FA, CE, CM, SV and a custom domain, built from the generated SDTMIG/SDTM
metadata, with the named derivations (standard units by UCUM, baseline flag, epoch, visit number). Expected
values are worked out by hand from SDTMIG 3.4 and the arithmetic, not copied from a run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crfmap.model import Coded, Coding, Event, Finding, Intervention, PartialDate, Quantity, Subject, Visit
from crfmap.writers.sdtm.build import build_sdtm
from crfmap.writers.sdtm.domains.catalog import ig_domain
from crfmap.writers.sdtm.domains.lint import FIELD_SUFFIXES, lint_sdtm_targets

from .conftest import cell, coded, concept, day, make_study

PHQ = "PHQ-9"


def vs_test(code: str, name: str) -> Coded:
    return coded("vs_test", code, name, submission=code)


@pytest.fixture(scope="module")
def built():
    concepts = [
        concept("dm", "subject", {"domain": "DM"}),
        concept("ex", "intervention", {"domain": "EX"}),
        concept("vs", "finding", {"domain": "VS", "derive": [
            {"op": "standard_units", "units": {"WEIGHT": "kg", "TEMP": "Cel"}, "decimals": 2},
            {"op": "baseline_flag"}, {"op": "epoch"}, {"op": "visit_number"}],
            "variables": {"VSPOS": "position"}}, qualifiers=("position",)),
        concept("qs", "finding", {"domain": "QS", "category": PHQ}),
        concept("eg", "finding", {"domain": "EG", "derive": [{"op": "visit_number"}]}),
        concept("fa", "finding", {"domain": "FA"}),
        concept("cm", "intervention", {"domain": "CM"}),
        concept("sv", "visit", {"domain": "SV", "derive": [{"op": "visit_number"}]}),
        concept("xw", "finding", {"domain": "XW", "category": "ACTIVITY"}),
        concept("ce", "event", {"domain": "CE"}),
    ]
    study = make_study(concepts, sdtm={
        "units": {"[lb_av]": "LB", "Cel": "C", "[degF]": "F"},
        "visits": [{"name": "SCREENING", "number": 1}, {"name": "WEEK 4", "number": 2}],
        "custom_domains": {"XW": {"label": "Wearable Activity", "class": "Findings",
                                  "structure": "One record per test per day per subject"}}})
    first = "01-001"
    records = [
        Subject(subject_id=first, concept="dm", key="1", site="01", country="FRA",
                sex=coded("sex", "F", submission="F")),
        Intervention(subject_id=first, concept="ex", key="1", category="exposure",
                     treatment=coded("drug", "X", "Drug X"), start=day("2024-02-05"), end=day("2024-03-04")),
        # 150 lb before first dose (screening), then 70.5 kg in treatment: converted, baseline flagged
        Finding(subject_id=first, concept="vs", key="1", category="vital-signs", test=vs_test("WEIGHT", "Weight"),
                value_quantity=Quantity(Decimal(150), "[lb_av]"), date=day("2024-02-01"), visit="SCREENING",
                qualifiers={"position": coded("position", "STANDING", submission="STANDING")},
                sources={"value_quantity": cell("VS", 2, 5)}),
        Finding(subject_id=first, concept="vs", key="2", category="vital-signs", test=vs_test("WEIGHT", "Weight"),
                value_quantity=Quantity(Decimal("70.5"), "kg"), date=day("2024-03-04"), visit="WEEK 4"),
        Finding(subject_id=first, concept="vs", key="3", category="vital-signs", test=vs_test("TEMP", "Temperature"),
                value_quantity=Quantity(Decimal("98.6"), "[degF]"), date=day("2024-02-01"), visit="SCREENING"),
        # a unit that cannot become the standard one: M003 at its cell, and no number in the wrong unit
        Finding(subject_id=first, concept="vs", key="4", category="vital-signs", test=vs_test("WEIGHT", "Weight"),
                value_quantity=Quantity(Decimal(150), "cm"), date=day("2024-03-05"), visit="WEEK 9",
                sources={"value_quantity": cell("VS", 5, 5)}),
        Finding(subject_id=first, concept="qs", key="1", category="survey",
                test=coded("qs_test", "PHQ0101", "PHQ01-Little Interest in Doing Things", submission="PHQ0101"),
                value_coded=coded("phq_answer", "1", "Several days", submission="SEVERAL DAYS"),
                date=day("2024-02-01")),
        Finding(subject_id=first, concept="eg", key="1", category="procedure",
                test=coded("eg_test", "QTCF", "QTcF Interval", submission="QTCF"),
                value_quantity=Quantity(Decimal(412), "ms"), date=day("2024-02-01"), visit="SCREENING"),
        Finding(subject_id=first, concept="fa", key="1", category="exam", object="Injection site reaction",
                test=coded("fa_test", "SEV", "Severity/Intensity", submission="SEV"),
                value_coded=coded("sev", "MILD", submission="MILD"), date=day("2024-02-06")),
        Intervention(subject_id=first, concept="cm", key="1", category="concomitant", verbatim="Tylenol",
                     treatment=Coded("cm_drug", "APAP", "Paracetamol", codings=(
                         Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "161", "acetaminophen"),)),
                     start=PartialDate(2024, 1)),
        Visit(subject_id=first, concept="sv", key="1", visit="SCREENING", start=day("2024-02-01"),
              end=day("2024-02-01")),
        Visit(subject_id=first, concept="sv", key="2", visit="WEEK 4", start=day("2024-03-04"), occurred=True),
        Finding(subject_id=first, concept="xw", key="1", category="activity",
                test=coded("xw_test", "STEPS", "Step Count", submission="STEPS"),
                value_quantity=Quantity(Decimal(8200), "{steps}/d"), date=day("2024-02-07")),
        Event(subject_id=first, concept="ce", key="1", category="medical_history", term="Headache",
              start=day("2024-02-10")),
    ]
    build = build_sdtm(records, study)
    return {dataset.name: dataset for dataset in build.datasets}, build, study


def rows(datasets, name, *variables):
    return [tuple(row.get(variable) for variable in variables) for row in datasets[name].rows]


def test_every_domain_is_built_from_metadata(built):
    datasets, _, study = built
    assert [name for name in datasets] == ["DM", "CE", "CM", "EG", "EX", "FA", "QS", "SV", "VS", "XW", "TS"]
    # every target is valid (no P011); the test concepts map no fields, so Req variables are unfilled (P020)
    assert {issue.code for issue in lint_sdtm_targets(study)} == {"P020"}


def test_vs_standard_units_by_ucum_baseline_epoch_visit_number(built):
    datasets, build, _ = built
    assert rows(datasets, "VS", "VSTESTCD", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN", "VSSTRESU") == [
        ("WEIGHT", "150", "LB", "68.04", 68.04, "kg"),  # 150 × 0.45359237 = 68.0388555 → 2 decimals
        ("TEMP", "98.6", "F", "37.00", 37.0, "C"),  # (98.6 − 32) × 5/9 = 37
        ("WEIGHT", "70.5", "kg", "70.5", 70.5, "kg"),  # already in kg: copied, not rounded
        ("WEIGHT", "150", "cm", None, None, None),  # cm is no mass: left empty, M003
    ]
    assert rows(datasets, "VS", "VSLOBXFL", "VSBLFL", "EPOCH", "VISITNUM", "VSPOS") == [
        ("Y", "Y", "SCREENING", 1, "STANDING"), ("Y", "Y", "SCREENING", 1, None),
        (None, None, "TREATMENT", 2, None), (None, None, "FOLLOW-UP", None, None)]
    methods = {variable.name: variable.method for variable in datasets["VS"].variables}
    assert methods["VSSTRESN"] == "MT.STRESCU" and methods["VSBLFL"] == "MT.BLFL" and methods["EPOCH"] == "MT.EPOCHEX"
    codes = sorted((issue.code, issue.cell) for issue in build.issues)
    assert ("M003", "E5") in codes and ("W073", "E5") in codes  # WEEK 9 is no planned visit
    (unit,) = [issue.message for issue in build.issues if issue.code == "W060"]
    assert "'{steps}/d'" in unit  # not a CDISC UNIT submission value: written as UCUM, and said


def test_qs_fa_eg_ce_cm_sv(built):
    datasets, _, _ = built
    assert rows(datasets, "QS", "QSCAT", "QSTESTCD", "QSORRES", "QSSTRESC") == [
        (PHQ, "PHQ0101", "SEVERAL DAYS", "SEVERAL DAYS")]
    assert rows(datasets, "FA", "FATESTCD", "FAOBJ", "FAORRES") == [("SEV", "Injection site reaction", "MILD")]
    assert rows(datasets, "EG", "EGTESTCD", "EGORRES", "EGORRESU", "EGSTRESN", "VISITNUM") == [
        ("QTCF", "412", "ms", 412, 1)]
    assert rows(datasets, "CE", "CETERM", "CESTDTC", "CESTDY") == [("Headache", "2024-02-10", 6)]
    assert rows(datasets, "CM", "CMTRT", "CMDECOD", "CMSTDTC") == [("Tylenol", "acetaminophen", "2024-01")]
    assert rows(datasets, "SV", "VISITNUM", "VISIT", "SVSTDTC", "SVSTDY", "SVPRESP", "SVOCCUR") == [
        (1, "SCREENING", "2024-02-01", -4, None, None), (2, "WEEK 4", "2024-03-04", 29, "Y", "Y")]
    assert "SVSEQ" not in [variable.name for variable in datasets["SV"].variables]
    assert datasets["SV"].keys == ("STUDYID", "USUBJID", "VISITNUM")


def test_a_custom_domain_from_the_sdtm_class_template(built):
    datasets, _, _ = built
    xw = datasets["XW"]
    assert (xw.label, xw.klass) == ("Wearable Activity", "FINDINGS")
    assert rows(datasets, "XW", "XWSEQ", "XWTESTCD", "XWCAT", "XWORRES", "XWORRESU", "XWDTC", "XWDY") == [
        (1, "STEPS", "ACTIVITY", "8200", "{steps}/d", "2024-02-07", 3)]
    assert [variable.core for variable in xw.variables if variable.name in ("XWSEQ", "XWTESTCD", "XWORRES")] == [
        "Req", "Req", "Perm"]


@pytest.mark.parametrize("record", sorted(FIELD_SUFFIXES))
def test_the_lint_table_of_field_variables_is_what_the_builders_fill(record):
    """P020 decides from FIELD_SUFFIXES which variables a concept fills; every suffix listed must really be
    filled by the builder from that field (checked on a domain of the record's class)."""
    domain = {"event": "CE", "intervention": "CM", "finding": "FA", "visit": "SV"}[record]
    study = make_study([concept("dm", "subject", {"domain": "DM"}),
                        concept("c", record, {"domain": domain, "end_reference": "END OF STUDY"})])
    value = {"test": coded("t", "T", submission="T"), "category": "concomitant" if record == "intervention" else
             "adverse_event" if record == "event" else "exam"}
    meddra = Coding("http://terminology.hl7.org/CodeSystem/mdr", "10019211", "Headache")
    sample = {"term": "x", "decoded": coded("d", "D", codings=(meddra,)), "grade": coded("g", "1", submission="1"),
              "relation": coded("r", "R", submission="R"), "action": coded("a", "A", submission="A"),
              "outcome": coded("o", "O", submission="O"), "body_site": coded("b", "B", submission="B"),
              "serious": True, "start": day("2024-01-01"), "end": day("2024-01-02"), "ongoing": True,
              "treatment": Coded("c", "C", "C", codings=(Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "1",
                                                               "one"),)),
              "verbatim": "v", "dose": Quantity(Decimal(1), "mg"), "route": coded("ro", "O", submission="O"),
              "frequency": coded("f", "F", submission="F"), "occurred": True, "object": "obj",
              "value_quantity": Quantity(Decimal(1), "mg"), "specimen": coded("s", "S", submission="S"),
              "method": coded("m", "M", submission="M"), "evaluator": "e", "performed": False, "reason": "why",
              "date": day("2024-01-01"), "threshold": Quantity(Decimal(1), "mg"),
              "contact_mode": coded("cm", "IN PERSON", submission="IN PERSON"), "description": "d"}
    kind = {"event": Event, "intervention": Intervention, "finding": Finding, "visit": Visit}[record]
    for field_name, suffixes in FIELD_SUFFIXES[record].items():
        if field_name in ("value_coded", "value_text", "interpretation"):
            continue  # alternatives of value_quantity; interpretation needs a CDISC NRIND code list
        given = {key: value[key] for key in ("test", "category") if key in kind.__dataclass_fields__}
        given[field_name] = sample.get(field_name, value.get(field_name))
        if field_name == "reason" and record == "finding":
            given["performed"] = False  # a reason not done needs the test not done
        if field_name == "threshold":
            given["value_quantity"] = sample["value_quantity"]  # --LLOQ is in the unit of a numeric result
        if record == "visit":
            given["visit"] = "V1"
        built = build_sdtm(
            [Subject(subject_id="1", concept="dm", key="1"), kind(subject_id="1", concept="c", key="1", **given)],
            study)
        datasets = {dataset.name: dataset for dataset in built.datasets}
        (row,) = datasets[domain].rows
        spec = ig_domain("3.4", "2.0", domain)
        assert spec is not None
        for suffix in suffixes:
            if spec.has(domain + suffix):
                assert row.get(domain + suffix) is not None, (field_name, domain + suffix)
            else:  # a class variable the IG does not list for the domain: filled only where sdtm.variables names
                # it, so the value is not written there and is said not to be carried (W060), never lost silently
                assert row.get(domain + suffix) is None, (field_name, domain + suffix)
                if not any(spec.has(domain + other) for other in suffixes):
                    assert any(issue.code == "W060" and repr(field_name) in issue.message for issue in built.issues), (
                        field_name, [issue.message for issue in built.issues])


def test_a_decimal_age_is_valid_sdtm_and_an_issue_names_the_cell_of_its_own_field():
    """The issue's two write-time holes: a decimal age (AGE is Num in the SDTMIG, 2.5 years is valid) used to be a
    W030 'report it'; and a value's issue pointed at the record's first cell, not at the cell it came from."""
    from crfmap.writers.sdtm.preparation import prepare_dataset

    study = make_study([concept("dm", "subject", {"domain": "DM"}), concept("ae", "event", {"domain": "AE"})])
    records = [
        Subject(subject_id="01", concept="dm", key="1", site="01", sex=coded("sex", "F", submission="F"),
                age=Quantity(Decimal("2.5"), "a"), sources={"age": cell("DM", 2, 4)}),
        Event(subject_id="01", concept="ae", key="1", category="adverse_event", term="Лихорадка",
              start=day("2024-02-05"), sources={"start": cell("AE", 2, 2), "term": cell("AE", 2, 4)}),
    ]
    datasets = {dataset.name: dataset for dataset in build_sdtm(records, study).datasets}
    dm, issues = prepare_dataset(datasets["DM"])
    assert (dm.rows[0]["AGE"], dm.variable("AGE").data_type, issues) == (2.5, "float", [])
    _, issues = prepare_dataset(datasets["AE"])
    (non_ascii,) = [issue for issue in issues if issue.code == "W002"]
    assert (non_ascii.sheet, non_ascii.cell) == ("AE", "D2")  # AETERM's own cell, not the first cell of the row
