"""AE, EX, MH, PR, DS, LB, CP, RS rows, checked value by value against SDTMIG rules worked out by hand."""

from __future__ import annotations

import pytest

from crfmap.writers.sdtm.build import build_sdtm

from .conftest import make_records, make_study


@pytest.fixture(scope="module")
def built():
    build = build_sdtm(make_records(), make_study())
    return {dataset.name: dataset for dataset in build.datasets}, build


def values(dataset, *names):
    return [tuple(row[name] for name in names) for row in dataset.rows]


def test_dataset_order_and_no_issues_for_a_clean_study(built):
    datasets, build = built
    assert list(datasets) == ["DM", "AE", "CP", "DS", "EX", "LB", "MH", "PR", "RS", "SUPPCP", "SUPPMH", "SUPPPR",
                              "TS"]
    assert build.issues == []


def test_ae_sequence_by_date_and_study_days_without_day_zero(built):
    ae = built[0]["AE"]
    # 01-001: tremor 2024-02-04 (the day before RFSTDTC 2024-02-05 → -1), fever 2024-02-05..07 (→ 1..3);
    # 01-002: seizure in 2024-03 (partial: no study day)
    assert values(ae, "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEPTCD", "AESTDTC", "AESTDY", "AEENDY") == [
        ("BLINA-PED-01-01-001", 1, "Tremor", "Tremor", 10044565, "2024-02-04", -1, None),
        ("BLINA-PED-01-01-001", 2, "Fever", "Pyrexia", 10016558, "2024-02-05", 1, 3),
        ("BLINA-PED-01-01-002", 1, "Seizure", "Seizure", 10039906, "2024-03", None, None),
    ]
    assert values(ae, "AESER", "AETOXGR") == [("N", "1"), ("N", "2"), ("Y", "3")]
    assert ae.variable("AESTDTC").data_type == "partialDate"
    assert ae.variable("AESTDY").method == "MT.DY" and ae.variable("AESEQ").method == "MT.SEQ"


def test_ae_keeps_meddra_hierarchy_columns_null_rather_than_inventing_a_soc(built):
    ae = built[0]["AE"]
    names = [variable.name for variable in ae.variables]
    assert names.index("AETERM") < names.index("AEDECOD") < names.index("AEBODSYS") < names.index("AESTDTC")
    assert {row["AEBODSYS"] for row in ae.rows} == {None}
    assert {row["AESOC"] for row in ae.rows} == {None}


def test_ex_two_dose_steps(built):
    ex = built[0]["EX"]
    assert values(ex, "USUBJID", "EXSEQ", "EXDOSE", "EXDOSU", "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY") == [
        ("BLINA-PED-01-01-001", 1, 5, "ug/m2/day", "2024-02-05", "2024-02-11", 1, 7),
        ("BLINA-PED-01-01-001", 2, 15, "ug/m2/day", "2024-02-12", "2024-03-03", 8, 28),
        ("BLINA-PED-01-01-002", 1, 5, "ug/m2/day", "2024-03-11", None, 1, None),
    ]
    assert values(ex, "EXTRT", "EXROUTE", "EXDOSFRQ", "EXDOSFRM", "EPOCH")[0] == (
        "Blinatumomab", "INTRAVENOUS", "CONTINUOUS", "INJECTION", "TREATMENT")
    assert ex.variable("EXDOSE").data_type == "float" and ex.variable("EXSTDY").data_type == "integer"


def test_cp_result_below_threshold_keeps_the_text_and_no_number(built):
    cp = built[0]["CP"]
    (row,) = cp.rows
    assert (row["CPTESTCD"], row["CPTEST"], row["CPCAT"]) == ("MRD", "Minimal Residual Disease",
                                                              "MINIMAL RESIDUAL DISEASE")
    assert (row["CPORRES"], row["CPORRESU"], row["CPSTRESC"], row["CPSTRESU"]) == ("<0.01", "%", "<0.01", "%")
    # CPSTRESN (Perm) is null in every row, so it is left out; SDTMIG 3.4 CP has no CPLLOQ: the threshold goes to
    # SUPPCP, as the concept maps it (test_supplemental_qualifiers)
    names = [variable.name for variable in cp.variables]
    assert "CPSTRESN" not in names and "CPLLOQ" not in names
    assert (row["CPSPEC"], row["CPMETHOD"]) == ("BONE MARROW", "FLOW CYTOMETRY")
    # 2024-04-08 − RFSTDTC 2024-03-11 = 28 days → day 29
    assert (row["CPDTC"], row["CPDY"]) == ("2024-04-08", 29)


def test_lb_numeric_result_and_no_study_day_for_an_untreated_subject(built):
    (row,) = built[0]["LB"].rows
    assert (row["LBORRES"], row["LBSTRESC"], row["LBSTRESN"], row["LBORRESU"]) == ("85", "85", 85, "%")
    assert (row["LBSPEC"], row["LBDTC"]) == ("BONE MARROW", "2024-01-15")
    names = [variable.name for variable in built[0]["LB"].variables]
    assert "LBDY" not in names  # no RFSTDTC for 02-001, so no study day; LBDY is Perm and left out
    # Exp variables stay even when null (reference ranges, LBNRIND, LBLOBXFL, VISITNUM)
    assert {"LBORNRLO", "LBSTNRHI", "LBNRIND", "LBLOBXFL", "VISITNUM"} <= set(names)
    assert "LBLLOQ" not in names and "LBMETHOD" not in names  # Perm and empty


def test_rs_response_with_evaluator(built):
    (row,) = built[0]["RS"].rows
    assert (row["RSTESTCD"], row["RSORRES"], row["RSSTRESC"], row["RSEVAL"], row["RSDTC"], row["RSDY"]) == (
        "OVRLRESP", "CR", "CR", "INVESTIGATOR", "2024-03-04", 29)


def test_mh_pr_ds(built):
    datasets = built[0]
    assert values(datasets["MH"], "MHTERM", "MHCAT", "MHSTDTC") == [
        ("B-cell acute lymphoblastic leukaemia", "PRIMARY DIAGNOSIS", "2022-05")]
    assert datasets["MH"].variable("MHSTDTC").data_type == "partialDate"
    assert "MHSTDY" not in [variable.name for variable in datasets["MH"].variables]  # partial date: no day
    # HSCT 2024-04-20 − 2024-02-05 = 75 days → day 76
    assert values(datasets["PR"], "PRTRT", "PRCAT", "PRSTDTC", "PRSTDY") == [
        ("Allogeneic hematopoietic stem cell transplantation", "TRANSPLANT", "2024-04-20", 76)]
    # death 2024-06-01 − 2024-03-11 = 82 days → day 83
    assert values(datasets["DS"], "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC", "DSSTDY") == [
        ("Died of sepsis", "DEATH", "DISPOSITION EVENT", "2024-06-01", 83)]


def test_supp_rows_point_at_the_parent_sequence(built):
    datasets = built[0]
    supp = datasets["SUPPPR"]
    assert [variable.name for variable in supp.variables] == [
        "STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    assert values(supp, "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG") == [
        ("PR", "BLINA-PED-01-01-001", "PRSEQ", "1", "DONORTYP", "Donor Type", "HAPLOIDENTICAL", "Collected")]
    assert values(datasets["SUPPMH"], "QNAM", "QVAL") == [("RELAPSNO", "2")]
    # the interpretation has no NRIND code list, so the mapping sends it to SUPPCP
    assert values(datasets["SUPPCP"], "IDVAR", "IDVARVAL", "QNAM", "QVAL") == [
        ("CPSEQ", "1", "MRDINTP", "NEGATIVE"), ("CPSEQ", "1", "MRDTHR", "0.01 %")]


def test_ts_parameters_from_the_study(built):
    ts = built[0]["TS"]
    rows = {row["TSPARMCD"]: row for row in ts.rows}
    assert set(rows) == {"ACTSUB", "DCUTDTC", "FCNTRY", "NARMS", "SDTIGVER", "SDTMVER", "SPONSOR", "SSTDTC",
                         "TITLE", "TPHASE"}
    assert (rows["ACTSUB"]["TSVAL"], rows["SDTIGVER"]["TSVAL"], rows["SDTMVER"]["TSVAL"]) == ("3", "3.4", "2.0")
    # DICTNAM (C66788) spells the country code system "ISO 3166"
    assert (rows["FCNTRY"]["TSVAL"], rows["FCNTRY"]["TSVALCD"], rows["FCNTRY"]["TSVCDREF"]) == ("RUS", "RUS", "ISO 3166")
    # the earliest informed consent (RFICDTC): 01-002's, 2024-01-20, the only one collected
    assert (rows["SSTDTC"]["TSVAL"], rows["SSTDTC"]["TSVCDREF"]) == ("2024-01-20", "ISO 8601")
    assert rows["TITLE"]["TSPARM"] == "Trial Title" and rows["TITLE"]["TSSEQ"] == 1


def test_sources_follow_rows(built):
    ae = built[0]["AE"]
    assert [cells[0].a1 for cells in ae.sources] == ["B2", "B3", "B4"]  # tremor, fever, seizure


def test_build_is_deterministic_whatever_the_record_order():
    forward = build_sdtm(make_records(), make_study())
    backward = build_sdtm(list(reversed(make_records())), make_study())
    assert [(d.name, d.rows, d.variables) for d in forward.datasets] == \
           [(d.name, d.rows, d.variables) for d in backward.datasets]


def test_build_is_identical_across_hash_seeds():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("import hashlib, sys; sys.path.insert(0, sys.argv[1]); from conftest import make_records, make_study; "
              "from crfmap.writers.sdtm.build import build_sdtm; b = build_sdtm(make_records(), make_study()); "
              "print(hashlib.sha256(repr([(d.name, d.variables, d.rows, d.sources) for d in b.datasets]"
              " + [b.methods]).encode()).hexdigest())")
    here = str(Path(__file__).resolve().parent)
    digests = {subprocess.run([sys.executable, "-c", script, here], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(digests) == 1
