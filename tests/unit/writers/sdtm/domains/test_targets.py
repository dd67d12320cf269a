"""`sdtm:` targets: lint (P011) and what the builder does with values that have no place (W060, W006)."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, Event, Finding, PartialDate, Quantity
from crfmap.study.models import CdiscCodelist, Codelist, CodelistValue
from crfmap.writers.sdtm.build import build_sdtm
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets

from .conftest import cell, concept, default_concepts, make_study


def lint(*concepts, sdtm=None, codes=("P011",)):
    """The target issues; the test concepts map no fields, so Req-variable issues (P020/P021, tested below) are
    left out unless asked for."""
    return [(issue.code, issue.value, issue.message) for issue in
            lint_sdtm_targets(make_study(list(concepts), sdtm=sdtm)) if issue.code in codes]


def test_clean_targets_give_no_issue():
    assert lint(*default_concepts()) == []


def test_unknown_or_unsuitable_domain():
    (issue,) = lint(concept("ae", "event", {"domain": "XX"}))
    assert issue[:2] == ("P011", "XX") and "AE, BE, CE, DS, DV, HO, MH" in issue[2]
    (issue,) = lint(concept("ae", "event", {"domain": "LB"}))  # an event cannot go to a findings domain
    assert issue[:2] == ("P011", "LB")


def test_malformed_target_dicts():
    long_qnam = concept("ae", "event", {"domain": "AE", "supp": {"x": {"qnam": "TOOLONGQNAM", "qlabel": "X"}}},
                        qualifiers=("x",))
    long_label = concept("ae", "event", {"domain": "AE", "supp": {"x": {"qnam": "AEX", "qlabel": "L" * 41}}},
                         qualifiers=("x",))
    typo = concept("ae", "event", {"domain": "AE", "categry": "X"})
    no_domain = concept("ae", "event", {"category": "X"})
    for bad in (long_qnam, long_label, typo, no_domain):
        (issue,) = lint(bad)
        assert issue[0] == "P011", bad


def test_supp_must_name_a_qualifier_or_field_and_not_shadow_a_standard_variable():
    issues = lint(concept("ae", "event", {"domain": "AE", "supp": {
        "nowhere": {"qnam": "AEX1", "qlabel": "X"},
        "status": {"qnam": "AETERM", "qlabel": "Term"},  # a record field, but QNAM is a standard variable
    }}))
    assert [issue[0] for issue in issues] == ["P011", "P011"]
    assert "'nowhere'" in issues[0][2] and "'AETERM'" in issues[1][2]


def test_constants_must_be_domain_variables_and_ts_entries_known():
    (issue,) = lint(concept("ex", "intervention", {"domain": "EX", "constants": {"AETERM": "X"}}))
    assert "'AETERM'" in issue[2]
    issues = lint(concept("dm", "subject", {"domain": "DM"}),
                  sdtm={"ts": [{"parmcd": "NEWPARM", "value": "x"}, {"parmcd": "INDIC"}]})
    assert [issue[1] for issue in issues] == ["NEWPARM", "INDIC"]  # unknown name; no value nor null flavour


def test_values_without_a_place_are_warned_once_per_concept():
    study = make_study([concept("dm", "subject", {"domain": "DM"}),
                        concept("ae", "event", {"domain": "AE"}, qualifiers=("comment",))])
    records = [
        Event(subject_id="01", concept="ae", key=str(number), category="adverse_event", term="Fever",
              start=PartialDate(2024, 1, number), qualifiers={"comment": "mild"},
              status=Coded("status", "ONGOING", "Ongoing"), sources={"term": cell("AE", number + 1)})
        for number in (1, 2)
    ]
    build = build_sdtm(records, study)
    assert sorted((issue.code, issue.cell) for issue in build.issues) == [("W060", "B2"), ("W060", "B2")]
    assert {"'comment'" in issue.message or "'status'" in issue.message for issue in build.issues} == {True}


def test_records_of_a_concept_without_target_are_reported_once():
    study = make_study([concept("dm", "subject", {"domain": "DM"}), concept("ae", "event", None)])
    records = [Event(subject_id="01", concept=name, key="1", category="adverse_event", term="Fever")
               for name in ("ae", "ae", "unknown")]
    build = build_sdtm(records, study)
    assert [issue.code for issue in build.issues] == ["W006", "W006"]
    assert [dataset.name for dataset in build.datasets] == ["TS"]


def test_interpretation_goes_to_nrind_when_its_code_list_is_cdisc_nrind():
    study = make_study([concept("dm", "subject", {"domain": "DM"}), concept("lb", "finding", {"domain": "LB"})])
    nrind = Codelist(id="nrind", name="Reference range indicator", cdisc=CdiscCodelist(name="NRIND", nci_code="C78736"),
                     values=[CodelistValue(value="HIGH", display="High", nci_code="C78800")])
    study = study.model_copy(update={"codelists": {**study.codelists, "nrind": nrind}})
    record = Finding(subject_id="01", concept="lb", key="1", category="laboratory",
                     test=Coded("lbtestcd", "BLASTLE", "Blasts/Leukocytes", submission_value="BLASTLE"),
                     value_quantity=Quantity(Decimal(85), "%"),
                     interpretation=Coded("nrind", "HIGH", "High", submission_value="HIGH"))
    build = build_sdtm([record], study)
    lb = next(dataset for dataset in build.datasets if dataset.name == "LB")
    assert lb.rows[0]["LBNRIND"] == "HIGH" and lb.variable("LBNRIND").codelist == "nrind"
    assert build.issues == []


def test_unmapped_unit_is_written_as_ucum_and_warned():
    study = make_study([concept("dm", "subject", {"domain": "DM"}), concept("lb", "finding", {"domain": "LB"})],
                       sdtm={})
    record = Finding(subject_id="01", concept="lb", key="1", category="laboratory",
                     test=Coded("lbtestcd", "WBC", "Leukocytes", submission_value="WBC"),
                     value_quantity=Quantity(Decimal("3.5"), "10*9/L"))
    build = build_sdtm([record], study)
    lb = next(dataset for dataset in build.datasets if dataset.name == "LB")
    assert (lb.rows[0]["LBORRESU"], lb.rows[0]["LBSTRESN"]) == ("10*9/L", 3.5)
    assert [issue.code for issue in build.issues] == ["W060"]


def test_constants_fill_only_what_the_records_leave_null():
    from crfmap.model import Intervention

    study = make_study([concept("dm", "subject", {"domain": "DM"}),
                        concept("ex", "intervention", {"domain": "EX", "constants": {
                            "EXROUTE": "INTRAVENOUS", "EXDOSFRM": "INJECTION"}})])
    route = Coded("route", "SUBCUTANEOUS", "Subcutaneous", submission_value="SUBCUTANEOUS")
    records = [Intervention(subject_id="01", concept="ex", key=str(number), category="exposure",
                            treatment=Coded("treatment", "BLINATUMOMAB", "Blinatumomab"), route=given)
               for number, given in ((1, None), (2, route))]
    ex = next(dataset for dataset in build_sdtm(records, study).datasets if dataset.name == "EX")
    assert [(row["EXROUTE"], row["EXDOSFRM"]) for row in ex.rows] == [("INTRAVENOUS", "INJECTION"),
                                                                       ("SUBCUTANEOUS", "INJECTION")]


def test_options_and_constants_the_domain_cannot_hold():
    issues = lint(concept("dm", "subject", {"domain": "DM", "category": "X", "epoch": "SCREENING"}),
                  # SDTMIG 3.4 DS lists no DSENTPT: the Events class variable is written only where sdtm.variables
                  # names it, so end_reference has nowhere to go; SV has no SVCAT
                  concept("ds", "event", {"domain": "DS", "end_reference": "END OF STUDY"}),
                  concept("sv", "visit", {"domain": "SV", "category": "X"}),
                  concept("ae", "event", {"domain": "AE", "constants": {"AESEQ": "1", "AESTDTC": "2024"}}))
    assert [issue[1] for issue in issues] == ["dm", "dm", "ds", "sv", "ae", "ae"]


def test_build_refuses_invalid_targets_with_a_fatal_issue_not_a_traceback():
    import pytest

    from crfmap.issues import FatalIssue

    study = make_study([concept("ae", "event", {"domain": "AE", "supp": {"x": {"qnam": "1BAD", "qlabel": "X"}}},
                                qualifiers=("x",))])
    with pytest.raises(FatalIssue) as raised:
        build_sdtm([], study)
    assert [issue.code for issue in raised.value.issues] == ["P011"]
