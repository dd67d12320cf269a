"""The second bundled study (mappings/vitals_phq9_cohort), written in YAML only: a REDCap-style export with every
instrument in one sheet converts to SDTM (DM, SV, VS, QS, EG, CM and the custom XW) and FHIR (vital-signs and
survey Observations). Every expectation is worked out here from the export's own cells and from CDISC's and
HL7's published facts, and the outputs are read back with independent tools (pyreadstat, pandas, CDISC's
Dataset-JSON schema, the Define-XML XSD, HL7's R4 JSON Schema and the R4 profile validator of tests/fhir_engines).
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
import yaml

from crfmap.api import ConvertOptions, convert_workbook, load_mapping, validate_workbook
from tests.fhir_engines import describe, errors
from tests.golden.checks import check_fhir, check_sdtm
from tests.shared_data import REPO_ROOT

STUDY = REPO_ROOT / "mappings" / "vitals_phq9_cohort"
FIXTURES = REPO_ROOT / "fixtures" / "vitals_phq9_cohort"
EXPORT = FIXTURES / "export.csv"
MESSY = FIXTURES / "messy" / "export.csv"
# PHQ0101T09OR (C213939) answers by REDCap's raw code, from NCI EVS SDTM CT 2025-03-28 (read, not generated).
PHQ_ANSWERS = {"0": "Not at all", "1": "Several days", "2": "More than half the days", "3": "Nearly every day"}
POUND = Decimal("0.45359237")  # kg per avoirdupois pound (exact, by definition)


def export_rows() -> list[dict[str, str]]:
    with EXPORT.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def iso(text: str) -> str:
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day).isoformat()


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    outcome = convert_workbook(EXPORT, STUDY, ConvertOptions(out=out))
    assert outcome.exit_status == 0, outcome.report.flatten(("code", "sheet", "cell", "message"))
    # visits have no FHIR resource in crfmap yet: said once, and written to SDTM
    assert [(issue.code, issue.severity.value) for issue in outcome.report.issues] == [("W042", "warning")]
    return out


def read_xpt(folder: Path, name: str):
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(folder / "sdtm" / f"{name}.xpt"))
    return frame


def test_the_mapping_is_clean_and_the_export_validates_with_no_issue():
    _, issues = load_mapping(STUDY)
    assert {issue.code for issue in issues} <= {"P013"}  # three LOINC codes left unverified, kept out of outputs
    result = validate_workbook(EXPORT, STUDY)
    assert result.report.flatten(("code", "sheet", "cell")) == []
    (account,) = result.coverage  # one sheet, read by seven forms
    assert account.unaccounted == 0 and account.unmapped == 0


def test_sdtm_holds_what_the_export_says(converted):
    rows = export_rows()
    vitals = [row for row in rows if row["instrument"] == "vital_signs"]
    vs = read_xpt(converted, "vs")
    weights = vs[vs.VSTESTCD == "WEIGHT"].set_index(["USUBJID", "VISIT"])
    temperatures = vs[vs.VSTESTCD == "TEMP"].set_index(["USUBJID", "VISIT"])
    visits = {"screening_arm_1": "SCREENING", "week_6_arm_1": "WEEK 6", "week_12_arm_1": "WEEK 12"}
    for row in vitals:
        key = (f"VPC-01-{row['record_id']}", visits[row["event_name"]])
        weight = weights.loc[key]
        if row["weight_unit"] == "lb":  # converted by UCUM into the declared standard unit, 1 decimal
            kilograms = (Decimal(row["weight"]) * POUND).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
            assert (weight.VSORRES, weight.VSORRESU) == (row["weight"], "LB")
        else:
            kilograms = Decimal(row["weight"]).quantize(Decimal("0.1"))
            assert (weight.VSORRES, weight.VSORRESU) == (row["weight"], "kg")
        assert (weight.VSSTRESN, weight.VSSTRESU) == (pytest.approx(float(kilograms)), "kg")
        temperature = temperatures.loc[key]
        celsius = Decimal(row["temp"]) if row["temp_unit"] == "C" else (
            (Decimal(row["temp"]) - 32) * 5 / 9).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
        assert (temperature.VSSTRESN, temperature.VSSTRESU) == (pytest.approx(float(celsius)), "C")
        assert temperature.VSDTC == iso(row["vs_date"])
    baseline = vs[vs.VSBLFL == "Y"]
    assert set(baseline.VISIT) == {"SCREENING"} and len(baseline) == 6 * 12  # six tests at screening, 12 subjects
    assert set(vs.VSLOBXFL) == {""}  # no study treatment: no last observation before exposure

    qs = read_xpt(converted, "qs")
    assert set(qs.QSCAT) == {"PHQ-9"}
    phq = [row for row in rows if row["instrument"] == "phq9"]
    items = qs[qs.QSTESTCD == "PHQ0101"].set_index("USUBJID")
    for row in phq:
        if row["event_name"] != "screening_arm_1":
            continue
        item = items.loc[f"VPC-01-{row['record_id']}"]
        item = item[item.VISIT == "SCREENING"].iloc[0] if hasattr(item, "VISIT") and item.ndim == 2 else item
        assert (item.QSORRES, item.QSSTRESC, item.QSSTRESN) == (PHQ_ANSWERS[row["phq_1"]], row["phq_1"],
                                                                float(row["phq_1"]))
    totals = qs[qs.QSTESTCD == "PHQ0111"]
    assert sorted(totals.QSSTRESN) == sorted(float(row["phq_total"]) for row in phq)

    sv = read_xpt(converted, "sv")
    assert len(sv) == 36 and set(sv.VISITNUM) == {1.0, 2.0, 3.0}
    missed = sv[sv.SVOCCUR == "N"]
    assert list(zip(missed.USUBJID, missed.VISIT, strict=True)) == [("VPC-01-005", "WEEK 6")]

    dm = read_xpt(converted, "dm").set_index("USUBJID")
    for row in rows:
        if row["instrument"] == "":
            subject = dm.loc[f"VPC-01-{row['record_id']}"]
            assert (subject.RFSTDTC, subject.RFICDTC, subject.ARMNRS, subject.COUNTRY) == (
                iso(row["consent_date"]), iso(row["consent_date"]), "NOT ASSIGNED", "USA")
            assert subject.AGE == float(row["age"]) and subject.SITEID == row["site"]

    cm = read_xpt(converted, "cm")
    zestril = cm[cm.CMTRT == "Zestril"].iloc[0]
    assert (zestril.CMDECOD, zestril.CMDOSE, zestril.CMDOSU, zestril.CMROUTE, zestril.CMSTDTC) == (
        "lisinopril", 10.0, "mg", "ORAL", "2019")

    eg = read_xpt(converted, "eg")
    assert set(eg.EGTESTCD) == {"EGHRMN", "PRAG", "QRSAG", "QTAG", "QTCFAG", "INTP"}
    assert set(eg[eg.EGTESTCD == "QTCFAG"].EGORRESU) == {"ms"}

    xw = read_xpt(converted, "xw")
    assert len(xw) == sum(row["instrument"] == "activity" for row in rows)
    assert set(xw.XWTESTCD) == {"STEPS"} and set(xw.XWORRESU) == {"steps/day"}


def test_pandas_reads_the_same_as_pyreadstat(converted):
    import pandas

    for name in ("vs", "qs", "xw"):
        ours = read_xpt(converted, name)
        theirs = pandas.read_sas(converted / "sdtm" / f"{name}.xpt", format="xport", encoding="utf-8")
        assert list(theirs.columns) == list(ours.columns) and len(theirs) == len(ours)


def test_sdtm_files_pass_cdisc_schemas_and_define_names_every_dataset(converted):
    assert check_sdtm(converted / "sdtm") == []
    define = (converted / "sdtm" / "define.xml").read_text(encoding="utf-8")
    for dataset in ("DM", "SV", "VS", "QS", "EG", "CM", "XW", "TS"):
        assert f'OID="IG.{dataset}"' in define, dataset
    assert 'def:Label="Wearable Activity"' in define or "Wearable Activity" in define


def test_fhir_observations_in_the_vital_signs_and_survey_categories(converted):
    assert check_fhir(converted / "fhir") == []
    observations = [entry["resource"] for path in sorted((converted / "fhir").glob("bundle-*.json"))
                    for entry in json.loads(path.read_bytes())["entry"]
                    if entry["resource"]["resourceType"] == "Observation"]
    by_category: dict[str, list[dict]] = {}
    uncategorised = [o["code"] for o in observations if "category" not in o]
    assert all(code["coding"][0]["code"] == "30525-0" for code in uncategorised)  # only the subjects' age (LOINC)
    for observation in observations:
        if "category" not in observation:
            continue
        (category,) = [coding["code"] for coding in observation["category"][0]["coding"]]
        by_category.setdefault(category, []).append(observation)
    weights = [o for o in by_category["vital-signs"] if o["code"]["coding"][0]["code"] == "29463-7"]
    assert weights and all(o["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bodyweight"]
                           for o in weights)
    assert {o["valueQuantity"]["code"] for o in weights} == {"kg", "[lb_av]"}  # as collected, UCUM
    survey = by_category["survey"]
    loinc = {coding["code"] for o in survey for coding in o["code"]["coding"] if coding["system"] == "http://loinc.org"}
    assert {"44250-9", "44261-6"} <= loinc
    answers = {coding["code"] for o in survey if "valueCodeableConcept" in o
               for coding in o["valueCodeableConcept"]["coding"] if coding["system"] == "http://loinc.org"}
    assert answers <= {"LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9", "LA6572-7", "LA6573-5"}  # never unverified
    assert set(by_category) == {"vital-signs", "survey", "procedure", "activity"}


def test_fhir_conforms_to_r4_the_profiles_it_claims_and_crfmaps_own_extensions(converted, fhir_validate):
    from crfmap.writers.fhir_r4.definitions import SHIPPED

    found = errors(fhir_validate([converted / "fhir"], definitions=[SHIPPED], root=converted / "fhir"))
    assert not found, describe(found)


def test_every_planted_mistake_is_reported_at_its_cell():
    planted = yaml.safe_load((FIXTURES / "planted.yaml").read_text(encoding="utf-8"))
    report = validate_workbook(MESSY, STUDY).report
    assert sorted(report.flatten(("code", "cell"))) == sorted((entry["code"], entry["cell"]) for entry in planted)


def test_the_fixture_generator_is_deterministic_and_the_files_are_its_output(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("cohort_generate", FIXTURES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    first = module.generate(tmp_path / "a")
    second = module.generate(tmp_path / "b")
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes() == (FIXTURES / name).read_bytes(), name


DOMAINS_OF_THE_STUDY = ("VS", "QS", "EG", "CM", "SV", "XW")


def test_no_code_knows_the_study():
    """No domain of this study is named in src/ outside the generated metadata (and its loader package)."""
    pattern = re.compile(r"\b(" + "|".join(DOMAINS_OF_THE_STUDY) + r")[A-Z]{0,6}\b")
    found = []
    for path in sorted((REPO_ROOT / "src").rglob("*.py")):
        if "standards" in path.relative_to(REPO_ROOT / "src").parts:
            continue  # crfmap.standards: the generated CDISC metadata and its loader
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert found == []
