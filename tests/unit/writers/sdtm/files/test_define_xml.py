"""Define-XML 2.1: valid against CDISC's XSD (which accepts CDISC's example and rejects the MSG v2 typo), consistent
with the XPT and Dataset-JSON written from the same datasets."""

from __future__ import annotations

import dataclasses
import json

import pytest
from lxml import etree

from crfmap.writers.sdtm.dataset import Origin
from crfmap.writers.sdtm.dataset_json import DatasetJsonHeader, write_dataset_json
from crfmap.writers.sdtm.define_xml import build_define, write_define_xml
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import write_xpt
from tests.shared_data import shared_path

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}
SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False}


def define_schema() -> etree.XMLSchema:
    path = shared_path("schemas", "define-xml-2.1", "cdisc-define-2.1", "define2-1-0.xsd")
    return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(**SAFE)))


def parse(path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(**SAFE))


@pytest.fixture
def prepared(dm, ae, lb):
    return [prepare_dataset(dataset)[0] for dataset in (dm, ae, lb)]


@pytest.mark.shared
def test_our_define_is_schema_valid(prepared, define_metadata, tmp_path):
    path = tmp_path / "define.xml"
    assert write_define_xml(prepared, path, define_metadata) == []
    schema = define_schema()
    assert schema.validate(parse(path)), str(schema.error_log)


@pytest.mark.shared
def test_validator_accepts_cdisc_example_and_rejects_msg_typo():
    schema = define_schema()
    example = parse(shared_path("define-xml-2.1-examples", "defineV21-SDTM.xml"))
    assert schema.validate(example), str(schema.error_log)
    msg = parse(shared_path("sdtm", "msg-v2-cdiscpilot01", "define.xml"))
    assert not schema.validate(msg)
    errors = [error.message for error in schema.error_log]
    assert errors and all("STDTMIG" in message for message in errors)


def test_lengths_and_oids_match_xpt_and_dataset_json(prepared, define_metadata, dm, ae, lb, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    root, issues = build_define(prepared, define_metadata)
    assert issues == []
    items = {item.get("OID"): item for item in root.iterfind(".//odm:ItemDef", NS)}
    header = DatasetJsonHeader("2024-04-30T00:00:00", define_metadata.study_oid, define_metadata.metadata_version_oid)
    for original, dataset in zip((dm, ae, lb), prepared):
        write_xpt(original, tmp_path / "data.xpt")
        _, meta = pyreadstat.read_xport(str(tmp_path / "data.xpt"))
        for variable in dataset.variables:
            item = items[f"IT.{dataset.name}.{variable.name}"]
            assert item.get("Name") == item.get("SASFieldName") == variable.name
            if meta.readstat_variable_types[variable.name] == "string" and variable.data_type == "text":
                assert int(item.get("Length")) == meta.variable_storage_width[variable.name]
        write_dataset_json(dataset, tmp_path / "data.json", header)
        columns = json.loads((tmp_path / "data.json").read_bytes())["columns"]
        group = root.find(f".//odm:ItemGroupDef[@OID='IG.{dataset.name}']", NS)
        references = [reference.get("ItemOID") for reference in group.iterfind("odm:ItemRef", NS)]
        assert [column["itemOID"] for column in columns] == references
        assert group.find("def:leaf", NS).get(f"{{{NS['xlink']}}}href") == f"{dataset.name.lower()}.xpt"


def test_content_of_groups_items_codelists_and_methods(prepared, define_metadata):
    root, _ = build_define(prepared, define_metadata)
    assert root.get("CreationDateTime") == "2024-04-30T00:00:00" and root.get("FileType") == "Snapshot"
    assert root.get(f"{{{NS['def']}}}Context") == "Submission"
    standards = [(standard.get("Name"), standard.get("Version")) for standard in root.iterfind(".//def:Standard", NS)]
    assert standards == [("SDTMIG", "3.4"), ("CDISC/NCI", "2024-03-29")]
    dm_group = root.find(".//odm:ItemGroupDef[@OID='IG.DM']", NS)
    flags = (dm_group.get("Repeating"), dm_group.get("IsReferenceData"), dm_group.get("Purpose"))
    assert flags == ("No", "No", "Tabulation")
    assert dm_group.find("def:Class", NS).get("Name") == "SPECIAL PURPOSE"
    ae_refs = {ref.get("ItemOID"): ref for ref in root.find(".//odm:ItemGroupDef[@OID='IG.AE']", NS)}
    assert ae_refs["IT.AE.AESEQ"].get("MethodOID") == "MT.SEQ" and ae_refs["IT.AE.AESEQ"].get("Mandatory") == "Yes"
    assert ae_refs["IT.AE.AETERM"].get("KeySequence") == "3" and ae_refs["IT.AE.AETERM"].get("Role") == "Topic"
    sex = root.find(".//odm:CodeList[@OID='CL.SEX']", NS)
    terms = [(item.get("CodedValue"), item.find("odm:Alias", NS).get("Name"))
             for item in sex.iterfind("odm:EnumeratedItem", NS)]
    assert terms == [("F", "C16576"), ("M", "C20197")]
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    assert [method.get("OID") for method in root.iterfind(".//odm:MethodDef", NS)] == ["MT.AGE", "MT.DY", "MT.SEQ"]
    stresn = root.find(".//odm:ItemDef[@OID='IT.LB.LBSTRESN']", NS)
    assert stresn.get("DataType") == "float" and stresn.get("SignificantDigits") == "16"  # 1/3 has 16 decimals
    assert root.find(".//odm:ItemDef[@OID='IT.LB.LBDY']", NS).get("Length") == "2"
    assert root.find(".//def:CommentDef[@OID='COM.AE']", NS) is not None


def test_unknown_codelist_or_method_is_reported_and_nothing_written(prepared, define_metadata, tmp_path):
    ae = prepared[1]
    ae.variables = [dataclasses.replace(variable, codelist="AESEV") if variable.name == "AETOXGR" else
                    dataclasses.replace(variable, method="MT.AESTDY.CUSTOM") if variable.name == "AESTDY" else variable
                    for variable in ae.variables]
    path = tmp_path / "define.xml"
    issues = write_define_xml(prepared, path, define_metadata)
    assert [issue.code for issue in issues] == ["W031", "W031"]
    assert "AE.AETOXGR" in issues[0].message and "AE.AESTDY" in issues[1].message
    assert not path.exists()


@pytest.mark.shared
def test_annotated_crf_pages(prepared, define_metadata):
    dm = prepared[0]
    dm.variables = [dataclasses.replace(variable, origin=Origin("Collected", "Investigator", pages=("3", "4")))
                    if variable.name == "SEX" else variable for variable in dm.variables]
    _, issues = build_define(prepared, define_metadata)
    assert [issue.code for issue in issues] == ["W031"]
    root, issues = build_define(prepared, dataclasses.replace(define_metadata, annotated_crf="acrf.pdf"))
    assert issues == []
    assert root.find(".//def:AnnotatedCRF/def:DocumentRef", NS).get("leafID") == "LF.acrf"
    page = root.find(".//odm:ItemDef[@OID='IT.DM.SEX']/def:Origin/def:DocumentRef/def:PDFPageRef", NS)
    assert page.get("PageRefs") == "3 4"
    schema = define_schema()
    assert schema.validate(etree.ElementTree(root)), str(schema.error_log)


def test_deterministic_bytes(prepared, define_metadata, tmp_path):
    write_define_xml(prepared, tmp_path / "a.xml", define_metadata)
    write_define_xml(prepared, tmp_path / "b.xml", define_metadata)
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    assert (tmp_path / "a.xml").read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
