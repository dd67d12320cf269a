"""CDISC CT checked, not hoped for: the verdict on one value, the mapping lint before any data (P040–P043) and the
write-time check of every CT-bound value (W080–W082), against NCI EVS SDTM CT 2025-03-28 as crfmap ships it.

Facts used (NCI EVS SDTM CT 2025-03-28): SEX C66731 is not extensible (F, M, U …); EPOCH C99079 is extensible
(SCREENING, TREATMENT, FOLLOW-UP …); DSDECOD is bound to NCOMPLT, PROTMLST and OTHEVENT, all extensible; LBTESTCD
BLASTLE (C64487) is named "Blasts/Leukocytes" in LBTEST.
"""

from __future__ import annotations

from typing import Any

from crfmap.study.models import CdiscCodelist, Codelist, CodelistValue, ConceptSpec, Standards
from crfmap.writers.sdtm.controlled_terms.check import check_terminology
from crfmap.writers.sdtm.controlled_terms.lint import lint_terminology
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology
from crfmap.writers.sdtm.dataset import Dataset, Variable
from tests.unit.writers.sdtm.domains.conftest import default_concepts, make_study

SETTINGS: dict[str, Any] = {"ct_extensions": {"EPOCH": ["MAINTENANCE"], "DICTNAM": ["ISO 8601"]}}


def study_on(ct: str = "2025-03-28", sdtm: dict[str, Any] | None = None, concepts: list | None = None,
             codelists: dict[str, Codelist] | None = None):
    study = make_study(concepts, sdtm=sdtm if sdtm is not None else SETTINGS)
    standards = Standards(ct=ct)
    return study.model_copy(update={"study": study.study.model_copy(update={"standards": standards}),
                                    "codelists": {**study.codelists, **(codelists or {})}})


def terms_of(study) -> StudyTerminology:
    found = StudyTerminology.of(study, study.study.target_data("sdtm").get("ct_extensions"))
    assert found is not None
    return found


def test_the_verdict_on_one_value():
    terms = terms_of(study_on())
    sex, epoch, dsdecod = ("C66731",), ("C99079",), ("C66727", "C114118", "C150811")
    assert (terms.judge("F", sex).kind, terms.judge("F", sex).term.code) == ("term", "C16576")
    assert terms.judge("female", sex).kind == "not-in-ct"
    assert terms.judge("female", sex).hint is None and terms.judge("f", sex).hint == "F"  # case counts
    assert terms.judge("MAINTENANCE", epoch).kind == "declared"
    assert terms.judge("LAST CONTACT", dsdecod).kind == "undeclared"
    assert terms.judge("DEATH", dsdecod).codelist.submission_value == "NCOMPLT"


def test_a_ct_release_crfmap_does_not_ship_is_said_and_nothing_is_checked():
    issues = lint_terminology(study_on("2024-03-29"))
    assert [(issue.code, issue.value) for issue in issues] == [("P040", "2024-03-29")]
    assert "2025-03-28" in issues[0].message


def test_the_lint_checks_code_lists_constants_and_extensions():
    codelists = {
        "sex": Codelist(id="sex", name="Sex", cdisc=CdiscCodelist(name="SEX", nci_code="C66731", extensible=True),
                        values=[CodelistValue(value="F", display="Female", nci_code="C20197"),
                                CodelistValue(value="X", display="Other")]),
        "ds_term": Codelist(id="ds_term", name="Disposition", values=[CodelistValue(value="LAST CONTACT",
                                                                                    display="Last contact")]),
    }
    contact = ConceptSpec(id="contact", form="any", record="event", sdtm={"domain": "DS", "epoch": "RUN IN"},
                          fields={"decoded": {"op": "constant_code", "codelist": "ds_term", "value": "LAST CONTACT"}})
    concepts = [*default_concepts(), contact]
    sdtm = {"ct_extensions": {"SEX": ["X"], "EPOCH": ["TREATMENT"], "NOSUCH": ["A"]}}
    found = sorted((issue.code, issue.value or "", issue.message) for issue in
                   lint_terminology(study_on(sdtm=sdtm, concepts=concepts, codelists=codelists)))
    codes = [(code, value) for code, value, _ in found]
    assert ("P041", "") in codes  # sex: not extensible in CT, nci_code of F wrong, extensions of SEX / NOSUCH
    messages = " | ".join(message for _, _, message in found)
    assert "says SEX C66731 extensible; CDISC CT 2025-03-28 has SEX C66731 not extensible" in messages
    assert "'F' has nci_code C20197, CDISC CT 2025-03-28 SEX has C16576" in messages
    assert "'SEX' cannot be extended" in messages and "'NOSUCH' is not a code list of" in messages
    assert "'TREATMENT' is already a term of EPOCH" in messages
    assert ("P042", "X") in codes  # SEX is not extensible: the value is an error, declared or not
    assert ("P043", "LAST CONTACT") in codes  # DSDECOD's code lists are extensible: undeclared is a warning
    assert ("P043", "RUN IN") in codes  # an EPOCH constant


def test_the_reference_mapping_lints_clean():
    from crfmap.api import load_mapping
    from tests.e2e.reference import STUDY

    _, issues = load_mapping(STUDY)
    assert [issue.code for issue in issues if issue.code.startswith("P04")] == []


def _dataset(name: str, variables: list[tuple[str, str | None]], rows: list[dict[str, Any]]) -> Dataset:
    return Dataset(name=name, label=name, structure="", klass="FINDINGS",
                   variables=[Variable(name=variable, label=variable, data_type="text", codelist=codelist)
                              for variable, codelist in variables], rows=rows)


def test_every_value_is_checked_when_writing():
    study = study_on()
    terms = terms_of(study)
    lb = _dataset("LB", [("LBTESTCD", None), ("LBTEST", None), ("LBSTRESC", None), ("EPOCH", None)], [
        {"LBTESTCD": "BLASTLE", "LBTEST": "Blasts/Leukocytes", "LBSTRESC": "12.5", "EPOCH": "MAINTENANCE"},
        {"LBTESTCD": "BLASTLE", "LBTEST": "Blasts", "LBSTRESC": "<0.01", "EPOCH": "TREATMENT"},
        {"LBTESTCD": "BLASTLE", "LBTEST": "Blasts", "LBSTRESC": "MANY", "EPOCH": "RUN IN"},
    ])
    dm = _dataset("DM", [("SEX", "sex")], [{"SEX": "F"}, {"SEX": "female"}, {"SEX": "female"}])
    found = [(issue.code, issue.value, issue.message) for issue in check_terminology([lb, dm], terms, study)]
    assert [(code, value) for code, value, _ in found] == [
        ("W082", "Blasts"),  # LBTEST of BLASTLE is "Blasts/Leukocytes": once for its two rows
        ("W081", "MANY"),  # LBSTRESC (C102580) is extensible; numbers are no terms of it and are not checked
        ("W081", "RUN IN"),  # EPOCH is extensible; MAINTENANCE is declared
        ("W080", "female"),  # SEX is not extensible, through the mapping's code list linked to it
    ]
    assert "(2 rows, first row 2)" in found[0][2] and "(2 rows, first row 2)" in found[3][2]
