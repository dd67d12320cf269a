"""What a reviewer receives, checked on the reference study's SDTM output with tools and files independent of crfmap.

- CDISC CT: every value of every CT-bound variable is a term of its code list in the NCI EVS release the study
  declares (read here from the NCI EVS archive with csv, not through crfmap.standards), or a sponsor term that
  define.xml lists as an extended value of an extensible code list; every C-code define.xml gives is NCI's.
- SDTMIG: every variable's name, label and order is the IG's (read from CDISC's Variables.csv).
- Trial design: TA/TE/TV/TI/SE/SV are there; EPOCH is filled for every observation FDA FB2201 asks it of; SE is
  contiguous; every VISITNUM of the observations is in SV; TS has the parameters FDA expects.
- define.xml: valid against the Define-XML 2.1 XSD, names the stylesheet written beside it, and that stylesheet
  renders it with lxml's XSLT without errors, showing every dataset, value-level item and code list.
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
from collections import defaultdict
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from crfmap.api import ConvertOptions, convert_workbook
from crfmap.issues import ExitStatus
from tests.e2e.reference import CLEAN, STUDY
from tests.shared_data import shared_path

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
NS = {"odm": ODM, "def": DEF}
CT_VERSION = "2025-03-28"  # mappings/blinatumomab_ped_all/study.yaml standards.ct
OBSERVATION_CLASSES = ("INTERVENTIONS", "EVENTS", "FINDINGS")


@pytest.fixture(scope="module")
def sdtm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference-sdtm")
    outcome = convert_workbook(CLEAN, STUDY, ConvertOptions(out=folder, targets=("sdtm",),
                                                            writer_options={"sdtm": {"sdtm_formats": ("json",)}}))
    assert outcome.exit_status is ExitStatus.OK, [issue.message for issue in outcome.report.errors]
    # the one note: no MedDRA dictionary was supplied, so the hierarchy is empty and said to be (W086)
    assert [issue.code for issue in outcome.report.issues] == ["W086"]
    return folder / "sdtm"


def rows(folder: Path, name: str) -> list[dict[str, Any]]:
    """A Dataset-JSON file's rows as dicts; an empty text is None (Dataset-JSON writes a null text as "")."""
    document = json.loads((folder / f"{name.lower()}.json").read_text(encoding="utf-8"))
    names = [column["name"] for column in document["columns"]]
    return [{name: None if value == "" else value for name, value in zip(names, row, strict=True)}
            for row in document["rows"]]


def columns(folder: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((folder / f"{name.lower()}.json").read_text(encoding="utf-8"))["columns"]


def datasets(folder: Path) -> list[str]:
    return sorted(path.stem.upper() for path in folder.glob("*.json"))


@pytest.fixture(scope="module")
def define(sdtm: Path) -> etree._ElementTree:
    return etree.parse(str(sdtm / "define.xml"), etree.XMLParser(resolve_entities=False, no_network=True))


# ── independent sources ───────────────────────────────────────────────────────────────────────────────────

@cache
def nci_release(version: str) -> tuple[dict[str, dict[str, str]], dict[str, bool], dict[str, str]]:
    """(code list C-code → {submission value: term C-code}, code list → extensible, short name → C-code),
    read from NCI EVS's own 'SDTM Terminology.txt'."""
    archive = shared_path("cdisc", "ct", f"sdtm-terminology-{version}.tar.xz")
    with tarfile.open(archive, mode="r:xz") as bundle:
        member = next(item for item in bundle.getmembers() if item.name.endswith("SDTM Terminology.txt"))
        stream = bundle.extractfile(member)
        assert stream is not None
        text = stream.read().decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    next(reader)
    terms: dict[str, dict[str, str]] = defaultdict(dict)
    extensible: dict[str, bool] = {}
    names: dict[str, str] = {}
    for code, parent, flag, _name, submission, *_ in reader:
        if parent:
            terms[parent][submission] = code
        else:
            extensible[code] = flag == "Yes"
            names[submission] = code
    return dict(terms), extensible, names


@cache
def sdtmig_variables() -> dict[str, list[dict[str, str]]]:
    """SDTMIG 3.4 variables per dataset, in order, from CDISC's Variables.csv."""
    path = shared_path("cdisc", "sdtmig-3.4", "Variables.csv")
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found[row["Dataset Name"]].append(row)
    return dict(found)


def ig_codelists(dataset: str, variable: str) -> list[str]:
    name = "SUPPQUAL" if dataset.startswith("SUPP") else dataset
    row = next((row for row in sdtmig_variables().get(name, []) if row["Variable Name"] == variable), None)
    if row is None or not row["CDISC CT Codelist Code(s)"].strip():
        return []
    return [code.strip() for code in row["CDISC CT Codelist Code(s)"].split(";") if code.strip()]


def extended_values(define: etree._ElementTree) -> dict[str, set[str]]:
    """define.xml code list OID → the values it flags def:ExtendedValue."""
    found: dict[str, set[str]] = defaultdict(set)
    for codelist in define.iterfind(".//odm:CodeList", NS):
        for item in codelist:
            if item.get(f"{{{DEF}}}ExtendedValue") == "Yes":
                found[codelist.get("OID")].add(item.get("CodedValue"))
    return found


def variable_codelist(define: etree._ElementTree, dataset: str, variable: str) -> etree._Element | None:
    item = define.find(f".//odm:ItemDef[@OID='IT.{dataset}.{variable}']", NS)
    reference = item.find("odm:CodeListRef", NS) if item is not None else None
    if reference is None:
        return None
    return define.find(f".//odm:CodeList[@OID='{reference.get('CodeListOID')}']", NS)


def is_number(text: str) -> bool:
    try:
        float(text.lstrip("<>=≤≥ "))
    except ValueError:
        return False
    return True


# ── CDISC CT ──────────────────────────────────────────────────────────────────────────────────────────────

def test_every_ct_bound_value_is_a_term_or_a_declared_extension(sdtm: Path, define: etree._ElementTree) -> None:
    terms, extensible, _ = nci_release(CT_VERSION)
    extended = extended_values(define)
    checked = 0
    for dataset in datasets(sdtm):
        for variable in [column["name"] for column in columns(sdtm, dataset)]:
            codes = ig_codelists(dataset, variable)
            if not codes:
                continue
            codelist = variable_codelist(define, dataset, variable)
            if codelist is not None and codelist.find("odm:Alias", NS) is not None:
                codes = [codelist.find("odm:Alias", NS).get("Name")]  # value-level binding the mapping chose
            for row in rows(sdtm, dataset):
                value = row[variable]
                if not isinstance(value, str) or not value or (variable.endswith(("ORRES", "STRESC"))
                                                               and is_number(value)):
                    continue
                checked += 1
                if any(value in terms.get(code, {}) for code in codes):
                    continue
                assert codelist is not None and value in extended[codelist.get("OID")], (dataset, variable, value)
                assert any(extensible.get(code) for code in codes), (dataset, variable, value, "not extensible")
    assert checked > 500


def test_every_c_code_in_define_is_nci_s(define: etree._ElementTree) -> None:
    terms, _, _ = nci_release(CT_VERSION)
    by_code = {code for code in terms}
    checked = 0
    for codelist in define.iterfind(".//odm:CodeList", NS):
        alias = codelist.find("odm:Alias", NS)
        if alias is None:
            assert codelist.get(f"{{{DEF}}}IsNonStandard") == "Yes", codelist.get("OID")
            continue
        assert alias.get("Name") in by_code, codelist.get("OID")
        for item in codelist:
            term_alias = item.find("odm:Alias", NS)
            if item.tag == f"{{{ODM}}}Alias":
                continue
            if item.get(f"{{{DEF}}}ExtendedValue") == "Yes":
                assert term_alias is None
                continue
            assert term_alias is not None, (codelist.get("OID"), item.get("CodedValue"))
            assert terms[alias.get("Name")][item.get("CodedValue")] == term_alias.get("Name")
            checked += 1
    assert checked > 100


def test_test_names_are_the_cdisc_names_of_their_codes(sdtm: Path) -> None:
    terms, _, _ = nci_release(CT_VERSION)
    for dataset, code_variable, name_variable in (("LB", "LBTESTCD", "LBTEST"), ("CP", "CPTESTCD", "CPTEST"),
                                                  ("RS", "RSTESTCD", "RSTEST"), ("SS", "SSTESTCD", "SSTEST"),
                                                  ("TS", "TSPARMCD", "TSPARM")):
        code_list, name_list = ig_codelists(dataset, code_variable)[0], ig_codelists(dataset, name_variable)[0]
        by_code = {code: name for name, code in terms[name_list].items()}
        for row in rows(sdtm, dataset):
            assert by_code[terms[code_list][row[code_variable]]] == row[name_variable], row


def test_the_issue_s_non_ct_values_are_gone(sdtm: Path) -> None:
    assert {row["DSDECOD"] for row in rows(sdtm, "DS")} == {"DEATH", "COMPLETED"}
    assert {row["RSTESTCD"] for row in rows(sdtm, "RS")} == {"BESTRESP", "MRDRESP", "OVRLRESP"}
    assert {row["RSCAT"] for row in rows(sdtm, "RS")} == {"PROTOCOL DEFINED RESPONSE CRITERIA"}
    assert {row["RSEVAL"] for row in rows(sdtm, "RS")} == {"INVESTIGATOR"}
    assert {row["CPTESTCD"] for row in rows(sdtm, "CP")} == {"ABCCE"}
    ts = {row["TSPARMCD"]: row for row in rows(sdtm, "TS")}
    assert (ts["TPHASE"]["TSVAL"], ts["TPHASE"]["TSVALCD"]) == ("NOT APPLICABLE", "C48660")
    assert not any(dataset.startswith("SUPP") and row["QNAM"] == "DTHFL"
                   for dataset in datasets(sdtm) if dataset.startswith("SUPP") for row in rows(sdtm, dataset))
    assert {row["PRTRT"] for row in rows(sdtm, "PR")} == {"Haematopoietic stem cell transplantation"}


# ── SDTMIG ────────────────────────────────────────────────────────────────────────────────────────────────

def test_variables_and_labels_are_the_sdtmig_s(sdtm: Path) -> None:
    for dataset in datasets(sdtm):
        ig = {row["Variable Name"]: row for row in sdtmig_variables()["SUPPQUAL" if dataset.startswith("SUPP")
                                                                       else dataset]}
        order = [name for name in ig]
        names = [column["name"] for column in columns(sdtm, dataset)]
        extra = [name for name in names if name not in ig]
        continuations = [name for name in names if name[:5] == "TSVAL" and name[5:].isdigit()]
        assert extra == (continuations if dataset == "TS" else []), dataset  # TSVAL1… by the IG's TS assumption
        standard = [name for name in names if name in ig]
        assert standard == sorted(standard, key=order.index), dataset
        for column in columns(sdtm, dataset):
            if column["name"] in ig:
                assert column["label"] == ig[column["name"]]["Variable Label"], (dataset, column["name"])
        missing = [name for name, row in ig.items() if row["Core"] in ("Req", "Exp") and name not in names]
        assert missing == [], dataset


def test_ae_seriousness_criteria_are_filled_for_serious_events(sdtm: Path) -> None:
    criteria = ("AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE")
    for row in rows(sdtm, "AE"):
        if row["AESER"] == "Y":
            assert any(row[name] == "Y" for name in criteria), row
            assert all(row[name] in ("Y", "N") for name in criteria), row
        else:
            assert all(row[name] is None for name in criteria), row


def test_not_collected_dm_variables_are_there_empty_with_the_reason(sdtm: Path, define: etree._ElementTree) -> None:
    dm = rows(sdtm, "DM")
    for variable in ("RACE", "ETHNIC", "RFICDTC"):
        assert {row[variable] for row in dm} == {None}
        item = define.find(f".//odm:ItemDef[@OID='IT.DM.{variable}']", NS)
        comment = define.find(f".//def:CommentDef[@OID='{item.get(f'{{{DEF}}}CommentOID')}']", NS)
        assert "Not collected" in "".join(comment.itertext())
        assert item.find("def:Origin", NS).get("Type") == "Not Available"


# ── trial design ──────────────────────────────────────────────────────────────────────────────────────────

def test_trial_design_and_subject_level_design_datasets_are_written(sdtm: Path) -> None:
    assert {"TA", "TE", "TV", "TI", "TS", "SE", "SV"} <= set(datasets(sdtm))
    ta = rows(sdtm, "TA")
    assert [(row["TAETORD"], row["ETCD"], row["EPOCH"]) for row in ta] == [
        (1, "SCRN", "SCREENING"), (2, "BLINA1", "TREATMENT"), (3, "BLINA2", "TREATMENT"), (4, "FU", "FOLLOW-UP")]
    elements = {row["ETCD"] for row in rows(sdtm, "TE")}
    assert {row["ETCD"] for row in ta} == elements == {row["ETCD"] for row in rows(sdtm, "SE")}


def test_subject_elements_are_contiguous_and_in_ta_order(sdtm: Path) -> None:
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(sdtm, "SE"):
        by_subject[row["USUBJID"]].append(row)
    dm = {row["USUBJID"]: row for row in rows(sdtm, "DM")}
    assert set(by_subject) == set(dm)
    for subject, elements in by_subject.items():
        assert [row["SESEQ"] for row in elements] == list(range(1, len(elements) + 1))
        assert [row["TAETORD"] for row in elements] == sorted(row["TAETORD"] for row in elements)
        for before, after in pairwise(elements):
            assert before["SEENDTC"] == after["SESTDTC"], subject
        assert elements[-1]["SEENDTC"] == dm[subject]["RFPENDTC"]
        first_dose = next(row for row in elements if row["ETCD"] == "BLINA1")
        assert first_dose["SESTDTC"] == dm[subject]["RFXSTDTC"]


def test_epoch_of_every_observation_is_the_element_its_date_falls_in(sdtm: Path) -> None:
    elements: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(sdtm, "SE"):
        elements[row["USUBJID"]].append(row)
    for dataset in datasets(sdtm):
        prefix = dataset[:2]
        for row in rows(sdtm, dataset):
            if "EPOCH" not in row or dataset in ("SE", "TA", "MH"):
                continue
            assert row["EPOCH"], (dataset, row)  # FDA FB2201 / CORE-000701
            when = next((row.get(prefix + suffix) for suffix in ("DTC", "STDTC") if row.get(prefix + suffix)), None)
            if when is None or len(when) < 10:
                continue
            inside = [element for element in elements[row["USUBJID"]] if element["SESTDTC"][:10] <= when[:10]]
            assert inside and inside[-1]["EPOCH"] == row["EPOCH"], (dataset, row)


def test_every_observation_visit_is_in_sv_and_planned_ones_in_tv(sdtm: Path) -> None:
    sv = {(row["USUBJID"], row["VISITNUM"]): row for row in rows(sdtm, "SV")}
    tv = {row["VISITNUM"]: row["VISIT"] for row in rows(sdtm, "TV")}
    for (_subject, number), row in sv.items():
        assert (row["SVPRESP"] == "Y") == (number in tv)
        if number in tv:
            assert row["VISIT"] == tv[number]
    seen = 0
    for dataset in ("LB", "CP", "RS", "SS"):
        for row in rows(sdtm, dataset):
            if row.get("VISITNUM") is not None:
                assert (row["USUBJID"], row["VISITNUM"]) in sv, (dataset, row)
                assert sv[(row["USUBJID"], row["VISITNUM"])]["VISIT"] == row["VISIT"]
                seen += 1
    assert seen >= 80  # every marrow assessment (LB, CP) and every dated response


def test_trial_summary_has_what_fda_expects(sdtm: Path) -> None:
    ts = rows(sdtm, "TS")
    codes = {row["TSPARMCD"] for row in ts}
    # FDA Technical Rejection Criteria 1734 (SSTDTC) and the CDISC SDTM-MSG v2 TS parameter set
    msg = {row["TSPARMCD"] for row in rows(shared_path("sdtm", "msg-v2-cdiscpilot01"), "TS")}
    assert msg - {"RANDQT"} <= codes
    for row in ts:
        assert (row["TSVAL"] is None) != (row["TSVALNF"] is None), row  # CG0259 / CG0260
        for part in ("TSVAL", "TSVAL1"):
            assert not (row.get(part) or "").startswith(" "), row  # FDA FB1501
    title = next(row for row in ts if row["TSPARMCD"] == "TITLE")
    assert " ".join(filter(None, (title["TSVAL"], title.get("TSVAL1")))).startswith("Blinatumomab (BLINCYTO")


# ── define.xml ────────────────────────────────────────────────────────────────────────────────────────────

def test_define_is_valid_define_xml_2_1(define: etree._ElementTree) -> None:
    schema = etree.XMLSchema(etree.parse(str(shared_path("schemas", "define-xml-2.1", "cdisc-define-2.1",
                                                         "define2-1-0.xsd"))))
    assert schema.validate(define), schema.error_log


def test_define_has_value_level_metadata_for_findings_supp_and_ts(sdtm: Path, define: etree._ElementTree) -> None:
    lists = {element.get("OID") for element in define.iterfind(".//def:ValueListDef", NS)}
    for dataset in datasets(sdtm):
        names = [column["name"] for column in columns(sdtm, dataset)]
        if f"{dataset[:2]}TESTCD" in names and dataset not in ("TS",):
            assert f"VL.{dataset}.{dataset[:2]}ORRES" in lists, dataset
        if dataset.startswith("SUPP"):
            assert f"VL.{dataset}.QVAL" in lists, dataset
            qnams = {row["QNAM"] for row in rows(sdtm, dataset)}
            items = {element.get("ItemOID") for element in
                     define.iterfind(f".//def:ValueListDef[@OID='VL.{dataset}.QVAL']/odm:ItemRef", NS)}
            assert items == {f"IT.{dataset}.QVAL.{qnam}" for qnam in qnams}
    assert "VL.TS.TSVAL" in lists


def test_collected_variables_name_their_crf_form_and_item(define: etree._ElementTree) -> None:
    origin = define.find(".//odm:ItemDef[@OID='IT.AE.AESTDTC']/def:Origin", NS)
    assert origin.get("Type") == "Collected"
    assert "form adverse_events" in "".join(origin.itertext()) and "onset_date" in "".join(origin.itertext())


def test_stylesheet_renders_every_dataset_value_list_and_code_list(sdtm: Path, define: etree._ElementTree) -> None:
    instruction = define.getroot().getprevious()
    assert isinstance(instruction, etree._XSLTProcessingInstruction)
    href = instruction.get("href")
    stylesheet = sdtm / href
    assert stylesheet.is_file()
    shipped = shared_path("cdisc", "define-stylesheet", "define2-1.xsl")
    assert stylesheet.read_bytes() == shipped.read_bytes()  # CDISC's stylesheet, unchanged
    transform = etree.XSLT(etree.parse(str(stylesheet)))
    html = transform(define)
    assert len(transform.error_log) == 0, transform.error_log
    page = etree.tostring(html, method="html", encoding="unicode")
    document = etree.HTML(page)
    anchors = {element.get("id") for element in document.iter() if element.get("id")}
    for group in define.iterfind(".//odm:ItemGroupDef", NS):
        assert group.get("OID") in anchors, group.get("OID")
    for codelist in define.iterfind(".//odm:CodeList", NS):
        assert f"CL.{codelist.get('OID')}" in anchors, codelist.get("OID")
    vlm_rows = ["".join(row.itertext()) for row in document.iter("tr") if "vlm" in (row.get("class") or "")]
    for value_list in define.iterfind(".//def:ValueListDef", NS):
        for reference in value_list.iterfind("odm:ItemRef", NS):
            clause = define.find(f".//def:WhereClauseDef[@OID='{reference.find('def:WhereClauseRef', NS).get('WhereClauseOID')}']", NS)
            value = clause.find(".//odm:CheckValue", NS).text
            assert any(f'"{value}"' in row for row in vlm_rows), (value_list.get("OID"), value)
