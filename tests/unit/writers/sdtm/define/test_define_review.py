"""define.xml as a reviewer reads it: a code list with NCI C-codes for every CT-bound variable, value-level metadata
for findings, SUPP-- and TS, origins that name the CRF form and item (with the annotated CRF when declared), the
reason a variable is empty, and the stylesheet instruction. Built from the domain tests' small study, parsed with
lxml and validated against the Define-XML 2.1 XSD."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from lxml import etree

from crfmap.writers.sdtm.define.codelists import bind_ct_codelists
from crfmap.writers.sdtm.define.origins import assign_origins
from crfmap.writers.sdtm.define.stylesheet import STYLESHEET, stylesheet_bytes
from crfmap.writers.sdtm.define_xml import write_define_xml
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.writer import define_metadata, study_terminology
from tests.shared_data import shared_path
from tests.unit.writers.sdtm.domains.conftest import make_records
from tests.unit.writers.sdtm.trial_design.test_trial_design import DESIGN, _study

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def _define(tmp_path: Path, annotated_crf: str | None = None) -> etree._ElementTree:
    from crfmap.writers.sdtm.build import build_sdtm

    study = _study()
    settings = {"units": {"ug/m2/d": "ug/m2/day"}, "trial_design": DESIGN,
                "not_collected": {"DM.RACE": "Not collected by the CRF."},
                **({"annotated_crf": annotated_crf} if annotated_crf else {})}
    study = study.model_copy(update={"study": study.study.model_copy(
        update={"standards": study.study.standards.model_copy(update={"ct": "2025-03-28"})})})
    study.study.__pydantic_extra__["sdtm"] = settings  # type: ignore[index]
    built = build_sdtm(make_records(), study)
    prepared = [prepare_dataset(dataset)[0] for dataset in built.datasets]
    terms = study_terminology(study)
    prepared = bind_ct_codelists(assign_origins(prepared, study), study, terms)
    metadata = define_metadata(study, prepared, datetime.datetime(2024, 12, 31), "test", built.methods, terms)
    assert write_define_xml(prepared, tmp_path / "define.xml", metadata) == []
    return etree.parse(str(tmp_path / "define.xml"))


@pytest.fixture(scope="module")
def define(tmp_path_factory: pytest.TempPathFactory) -> etree._ElementTree:
    return _define(tmp_path_factory.mktemp("define"))


def test_valid_and_rendered_with_the_cdisc_stylesheet(define: etree._ElementTree) -> None:
    schema = etree.XMLSchema(etree.parse(str(shared_path("schemas", "define-xml-2.1", "cdisc-define-2.1",
                                                         "define2-1-0.xsd"))))
    assert schema.validate(define), schema.error_log
    instruction = define.getroot().getprevious()
    assert instruction.target == "xml-stylesheet" and instruction.get("href") == STYLESHEET
    assert stylesheet_bytes() == shared_path("cdisc", "define-stylesheet", "define2-1.xsl").read_bytes()


def test_ct_bound_variables_refer_to_cdisc_code_lists_with_c_codes(define: etree._ElementTree) -> None:
    epoch = define.find(".//odm:ItemDef[@OID='IT.AE.EPOCH']/odm:CodeListRef", NS)
    assert epoch.get("CodeListOID") == "CL.EPOCH"
    codelist = define.find(".//odm:CodeList[@OID='CL.EPOCH']", NS)
    assert codelist.find("odm:Alias", NS).get("Name") == "C99079"  # NCI EVS SDTM CT 2025-03-28
    terms = {item.get("CodedValue"): item.find("odm:Alias", NS).get("Name")
             for item in codelist.iterfind("odm:EnumeratedItem", NS)}
    assert terms == {"SCREENING": "C202487", "TREATMENT": "C101526", "FOLLOW-UP": "C202578"}
    # the mapping's SEX code list keeps its id and gets the CT C-code of each term
    sex = define.find(".//odm:CodeList[@OID='CL.sex']", NS)
    assert {item.get("CodedValue"): item.find("odm:Alias", NS).get("Name")
            for item in sex.iterfind("odm:CodeListItem", NS)} == {"F": "C16576", "M": "C20197"}


def test_value_level_metadata_of_findings_and_ts(define: etree._ElementTree) -> None:
    references = [item.get("ItemOID") for item in
                  define.iterfind(".//def:ValueListDef[@OID='VL.LB.LBORRES']/odm:ItemRef", NS)]
    assert references == ["IT.LB.LBORRES.BLASTLE"]
    clause = define.find(".//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.BLASTLE']/odm:RangeCheck", NS)
    assert (clause.get("Comparator"), clause.get(f"{{{NS['def']}}}ItemOID"),
            clause.find("odm:CheckValue", NS).text) == ("EQ", "IT.LB.LBTESTCD", "BLASTLE")
    assert define.find(".//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef", NS).get("ValueListOID") == \
        "VL.LB.LBORRES"
    sstdtc = define.find(".//odm:ItemDef[@OID='IT.TS.TSVAL.SSTDTC']", NS)
    assert sstdtc.get("DataType") == "date"
    stresc = define.find(".//def:ValueListDef[@OID='VL.LB.LBSTRESC']/odm:ItemRef", NS)
    assert stresc.get("MethodOID") == "MT.STRESC"
    ts_ref = define.find(".//def:ValueListDef[@OID='VL.TS.TSVAL']/odm:ItemRef[@ItemOID='IT.TS.TSVAL.SSTDTC']", NS)
    assert ts_ref.get("MethodOID") == "MT.SSTDTC"
    assert define.find(".//odm:MethodDef[@OID='MT.SSTDTC']", NS) is not None


def test_supp_value_level_metadata_by_qnam(define: etree._ElementTree) -> None:
    items = [item.get("ItemOID") for item in define.iterfind(".//def:ValueListDef[@OID='VL.SUPPPR.QVAL']/odm:ItemRef",
                                                             NS)]
    assert items == ["IT.SUPPPR.QVAL.DONORTYP"]
    item = define.find(".//odm:ItemDef[@OID='IT.SUPPPR.QVAL.DONORTYP']", NS)
    assert "".join(item.find("odm:Description", NS).itertext()).strip() == "Donor Type"


def test_origins_and_comments(define: etree._ElementTree) -> None:
    def origin(oid: str) -> etree._Element:
        return define.find(f".//odm:ItemDef[@OID='{oid}']/def:Origin", NS)

    # collected from a form's column (the small study's qualifiers read column x of form any); a variable no
    # column fills but a constant or the builder is Assigned
    donor = origin("IT.SUPPPR.QVAL.DONORTYP")
    assert donor.get("Type") == "Collected"
    assert "CRF form any ('Any'), item x ('X')" in "".join(donor.itertext())
    assert donor.find("def:DocumentRef", NS) is None  # no annotated CRF declared
    assert origin("IT.PR.PRSTDTC").get("Type") == "Assigned"
    assert origin("IT.AE.EPOCH").get("Type") == "Derived"
    assert origin("IT.DM.STUDYID").get("Type") == "Assigned"
    race = define.find(".//odm:ItemDef[@OID='IT.DM.RACE']", NS)
    assert race.find("def:Origin", NS).get("Type") == "Not Available"
    comment = define.find(f".//def:CommentDef[@OID='{race.get('{http://www.cdisc.org/ns/def/v2.1}CommentOID')}']",
                          NS)
    assert "".join(comment.itertext()).strip() == "Not collected by the CRF."


def test_origins_point_at_the_annotated_crf_when_declared(tmp_path: Path) -> None:
    define = _define(tmp_path, annotated_crf="crf-template.xlsx")
    reference = define.find(".//odm:ItemDef[@OID='IT.SUPPPR.QVAL.DONORTYP']/def:Origin/def:DocumentRef/def:PDFPageRef",
                            NS)
    assert (reference.get("Type"), reference.get("PageRefs")) == ("NamedDestination", "any")
    leaf = define.find(".//def:leaf[@ID='LF.acrf']", NS)
    assert leaf.get("{http://www.w3.org/1999/xlink}href") == "crf-template.xlsx"
