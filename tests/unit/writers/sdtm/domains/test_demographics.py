"""DM from subjects and exposure: values derived by hand from SDTMIG 3.4 section 5.2 (see conftest's story)."""

from __future__ import annotations

from crfmap.writers.sdtm.build import build_sdtm

from .conftest import make_records, make_study

DM_ORDER = ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC",
            "RFPENDTC", "DTHDTC", "DTHFL", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ARMCD", "ARM",
            "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD", "COUNTRY"]


def dataset(name: str):
    build = build_sdtm(make_records(), make_study())
    return next(item for item in build.datasets if item.name == name)


def test_dm_variables_are_in_sdtmig_order_with_every_req_and_exp_one():
    dm = dataset("DM")
    # ETHNIC (Perm) has no value, so it is left out; RACE/ARMNRS/ACTARMUD (Exp) stay although all null.
    assert [variable.name for variable in dm.variables] == DM_ORDER
    # AGE is Num in SDTMIG 3.4 and may hold 2.5 (years): float, never an integer-only type that a decimal age breaks
    assert dm.variable("AGE").data_type == "float" and dm.variable("AGE").core == "Exp"
    assert dm.variable("SEX").core == "Req" and dm.variable("RACE").core == "Exp"
    assert dm.variable("SEX").codelist == "sex"


def test_dm_rows_one_per_subject_sorted_by_usubjid():
    dm = dataset("DM")
    assert [row["USUBJID"] for row in dm.rows] == ["BLINA-PED-01-01-001", "BLINA-PED-01-01-002",
                                                    "BLINA-PED-01-02-001"]
    assert [row["SUBJID"] for row in dm.rows] == ["01-001", "01-002", "02-001"]


def test_reference_dates_come_from_first_and_last_exposure():
    first, second, untreated = dataset("DM").rows
    # 01-001: steps 2024-02-05..02-11 and 02-12..03-03
    assert (first["RFSTDTC"], first["RFENDTC"]) == ("2024-02-05", "2024-03-03")
    assert (first["RFXSTDTC"], first["RFXENDTC"]) == ("2024-02-05", "2024-03-03")
    # 01-002: one infusion with no end: the last exposure is its start
    assert (second["RFSTDTC"], second["RFENDTC"]) == ("2024-03-11", "2024-03-11")
    assert untreated["RFSTDTC"] is None and untreated["RFXSTDTC"] is None
    assert first["RFICDTC"] == "2024-01-20"
    # the latest date collected: HSCT on 2024-04-20; death on 2024-06-01; marrow on 2024-01-15
    assert [row["RFPENDTC"] for row in (first, second, untreated)] == ["2024-04-20", "2024-06-01", "2024-01-15"]


def test_age_derived_in_whole_years_or_taken_as_collected():
    first, second, untreated = dataset("DM").rows
    # born 2015-06-20, first dose 2024-02-05: the 2024 birthday has not come yet → 8
    assert (first["AGE"], first["AGEU"], first["BRTHDTC"]) == (8, "YEARS", "2015-06-20")
    # birth year only: the collected age 4 years is used, the partial birth date kept as it is
    assert (second["AGE"], second["AGEU"], second["BRTHDTC"]) == (4, "YEARS", "2019")
    assert (untreated["AGE"], untreated["AGEU"]) == (10, "MONTHS")
    dm = dataset("DM")
    assert dm.variable("AGE").origin.type == "Derived" and dm.variable("AGE").method == "MT.AGE"
    assert dm.variable("BRTHDTC").data_type == "partialDate"  # "2019" is partial


def test_death_from_disposition_sets_dthdtc_and_dthfl_only_for_the_dead():
    first, second, _ = dataset("DM").rows
    assert (second["DTHDTC"], second["DTHFL"]) == ("2024-06-01", "Y")
    assert (first["DTHDTC"], first["DTHFL"]) == (None, None)  # DTHFL is Y or null, never N


def test_arm_names_come_from_the_study_and_country_from_the_study_default():
    first, _, untreated = dataset("DM").rows
    assert (first["ARMCD"], first["ARM"]) == ("BLINA", "Blinatumomab 28-day continuous infusion")
    assert (untreated["ACTARMCD"], untreated["ACTARM"]) == (None, None)  # not given: not invented
    assert {row["COUNTRY"] for row in dataset("DM").rows} == {"RUS"}
    assert [row["SITEID"] for row in dataset("DM").rows] == ["01", "01", "02"]
