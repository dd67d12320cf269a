"""CDISC CORE on crfmap's own SDTM output of the reference study: no finding but the named false positives.

All 430 SDTMIG 3.4 rules of CORE 0.17.1 run on the Dataset-JSON files and define.xml that `crfmap convert` writes
for fixtures/blinatumomab_ped_all/clean.xlsx. Each rule that still reports something is named below with why it
is not a defect of the output, and its findings are recomputed from the files, so that a new finding, or a named
one on other records, fails the test.

Before issue #11 the same run gave 237 findings from 12 rules (EPOCH missing ×176, TS parameters, AESER without
criteria, MHCAT, a missing expected CP variable, define roles, TSVAL1 with a leading space); 14 rules were skipped
for lack of TA, TV, SV and SE.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus
from tests.e2e.reference import CLEAN, STUDY
from tests.sdtm_core.conftest import RunCore
from tests.sdtm_core.harness import CoreResult

pytestmark = [pytest.mark.slow, pytest.mark.shared]

# Rule → why its findings are not defects of the reference output.
FALSE_POSITIVES = {
    # FDA FB1111 as CORE 0.17.1 encodes it: its condition asks TS for 'PCLASS' (the CDISC TSPARMCD is PCLAS, C98768)
    # and fires whenever STYPE is not INTERVENTIONAL, on every TS record. The study is observational, and TS has
    # INTMODEL, INTTYPE and PCLAS with values.
    "CORE-000741": "rule typo PCLASS; fires on every TS record of a non-interventional study",
    # CG0603 (FAOBJ equals --DECOD of the parent record): the study has no FA dataset and no RELREC; the engine
    # reports every AE and DS record with a --DECOD anyway (it also fails on CDISC's own MSG example).
    "CORE-000767": "engine fault: reports records against an FA dataset that does not exist",
    # FDA FB0609 (a death in DM has a fatal AE): both deaths are from progression of the leukaemia, an efficacy
    # outcome (RS OVRLRESP PD, DS DEATH with SUPPDS DTHCAUS), which the protocol does not report as an adverse event.
    "CORE-001078": "deaths from disease progression are outcomes, not adverse events, in this oncology study",
    # FDA FB3202 (--STDY present with --STDTC): SDTMIG 3.4 MH has no MHSTDY (its variables are MHDTC/MHDY,
    # MHSTDTC, MHENDTC); crfmap writes the IG's variables only (issue #11).
    "CORE-000328": "SDTMIG 3.4 MH has no MHSTDY",
    # TSVAL1: SDTMIG 3.4 TS assumption 8 continues a value over 200 characters in TSVAL1…TSVALn (the title here);
    # CORE's SDTMIG metadata lists TS without them, so five metadata rules report the variable.
    "CORE-000550": "TSVAL1 (SDTMIG TS assumption) is not in CORE's TS metadata",
    "CORE-000594": "TSVAL1 (SDTMIG TS assumption) is not in CORE's TS metadata",
    "CORE-000852": "TSVAL1 (SDTMIG TS assumption) is not in CORE's TS metadata",
    "CORE-001081": "TSVAL1 (SDTMIG TS assumption) is not in CORE's TS metadata",
    "CORE-001082": "TSVAL1 (SDTMIG TS assumption) is not in CORE's TS metadata",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("core-reference")
    outcome = convert_workbook(CLEAN, STUDY, ConvertOptions(out=folder, targets=("sdtm",),
                                                            writer_options={"sdtm": {"sdtm_formats": ("json",)}}))
    assert outcome.exit_status is ExitStatus.OK, [issue.message for issue in outcome.report.errors]
    return folder / "sdtm"


@pytest.fixture(scope="module")
def reference_core(core: RunCore, reference: Path, tmp_path_factory: pytest.TempPathFactory) -> CoreResult:
    return core(reference, out=tmp_path_factory.mktemp("core-reference-run") / "findings.json")


def records(folder: Path, name: str) -> list[dict[str, Any]]:
    document = json.loads((folder / f"{name.lower()}.json").read_text(encoding="utf-8"))
    names = [column["name"] for column in document["columns"]]
    return [{name: None if value == "" else value for name, value in zip(names, row, strict=True)}
            for row in document["rows"]]


def test_only_the_named_false_positives_remain(reference_core: CoreResult) -> None:
    reported = {finding.core_id for finding in reference_core.findings}
    assert reported == set(FALSE_POSITIVES), reference_core.summary()


def test_the_rules_the_issue_was_about_are_clean(reference_core: CoreResult) -> None:
    for rule in ("CORE-000701",  # FB2201 EPOCH missing (176 findings before)
                 "CORE-000266",  # CG0042 AESER = Y without a seriousness criterion
                 "CORE-000365",  # CG0077 MHCAT grouping every record
                 "CORE-000334",  # CG0016 expected variable missing (CPMRKSTR)
                 "CORE-000867",  # FB1501 leading space (TSVAL1)
                 "CORE-000296",  # CG0540 no DS record for a treated subject
                 "CORE-000152", "CORE-000728"):  # TSVAL / TSVALCD one-to-one
        assert reference_core.findings_of(rule) == (), rule
    assert reference_core.rules["CORE-000701"].status in ("success", "not applicable")


def test_trial_design_datasets_let_the_design_rules_run(reference_core: CoreResult) -> None:
    assert {"TA", "TE", "TV", "TI", "SE", "SV", "TS"} <= set(reference_core.datasets)
    skipped_for_design = [skip for skip in reference_core.skipped
                          if skip.reason == "Domain not found" and skip.dataset in ("TA", "TE", "TV", "SE", "SV")]
    assert skipped_for_design == []
    for rule in ("CORE-000352",  # SEENDTC equals the next element's SESTDTC
                 "CORE-000271",  # EPOCH in TA.EPOCH
                 "CORE-000168",  # VISITNUM among SV.VISITNUM
                 "CORE-000039", "CORE-000040"):  # SVPRESP and TV agree
        assert reference_core.findings_of(rule) == (), rule


def test_false_positive_records_are_exactly_the_expected_ones(reference_core: CoreResult, reference: Path) -> None:
    ts, ae, ds, dm = (records(reference, name) for name in ("TS", "AE", "DS", "DM"))
    assert {finding.row for finding in reference_core.findings_of("CORE-000741")} == set(range(1, len(ts) + 1))
    assert {row["TSPARMCD"] for row in ts} >= {"INTMODEL", "INTTYPE", "PCLAS"}
    assert next(row["TSVAL"] for row in ts if row["TSPARMCD"] == "STYPE") == "OBSERVATIONAL"
    fa_rows = {("AE", number) for number, row in enumerate(ae, start=1) if row["AEDECOD"]}
    fa_rows |= {("DS", number) for number, row in enumerate(ds, start=1) if row["DSDECOD"]}
    assert {(finding.dataset, finding.row) for finding in reference_core.findings_of("CORE-000767")} == fa_rows
    died = {row["USUBJID"] for row in dm if row["DTHFL"] == "Y"}
    assert len(died) == 2 and not any(row["AEOUT"] == "FATAL" for row in ae)
    assert {finding.usubjid for finding in reference_core.findings_of("CORE-001078")} <= died | {None}
    assert len(reference_core.findings_of("CORE-001078")) == len(died)
    (mh,) = reference_core.findings_of("CORE-000328")
    assert mh.dataset == "MH" and "MHSTDY" not in records(reference, "MH")[0]
    for rule in ("CORE-000550", "CORE-000594", "CORE-000852", "CORE-001081", "CORE-001082"):
        (finding,) = reference_core.findings_of(rule)
        named = json.dumps([finding.variables, dict(finding.values)], default=str)
        # the variable TSVAL1, or its label "Parameter Value 1" (CG0359 reads a digit as not title case)
        assert finding.dataset == "TS" and ("TSVAL1" in named or "Parameter Value 1" in named), (rule, finding)
