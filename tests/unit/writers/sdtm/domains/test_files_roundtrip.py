"""The built datasets go through the file writers: XPT read back by pyreadstat, Dataset-JSON against the schema.

This shows the domain builders' Datasets are what the H5a writers expect (types, lengths, names), checked
with independent readers.
"""

from __future__ import annotations

import json
import math

import pytest

from crfmap.writers.sdtm.build import build_sdtm
from crfmap.writers.sdtm.dataset_json import DatasetJsonHeader, write_dataset_json
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import write_xpt
from tests.shared_data import shared_path

from .conftest import make_records, make_study

pyreadstat = pytest.importorskip("pyreadstat")


@pytest.fixture(scope="module")
def datasets():
    return build_sdtm(make_records(), make_study()).datasets


def test_every_dataset_prepares_without_issues(datasets):
    for dataset in datasets:
        _, issues = prepare_dataset(dataset)
        assert issues == [], dataset.name


def test_xpt_read_back_by_pyreadstat_matches(datasets, tmp_path):
    for dataset in datasets:
        target = tmp_path / f"{dataset.name.lower()}.xpt"
        assert write_xpt(dataset, target) == []
        frame, meta = pyreadstat.read_xport(str(target))
        assert list(frame.columns) == [variable.name for variable in dataset.variables]
        assert meta.file_label == dataset.label
        for row, record in zip(dataset.rows, frame.to_dict(orient="records")):
            for name, value in row.items():
                read = record[name]
                if value is None:
                    assert read == "" or (isinstance(read, float) and math.isnan(read)), (dataset.name, name)
                else:
                    assert read == value, (dataset.name, name)


def test_dataset_json_validates_against_the_cdisc_schema(datasets, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(shared_path("schemas", "dataset-json-1.1", "dataset.schema.json").read_text())
    header = DatasetJsonHeader(creation_datetime="2024-12-31T00:00:00", study_oid="BLINA-PED-01",
                               metadata_version_oid="MDV.1")
    for dataset in datasets:
        prepared, _ = prepare_dataset(dataset)
        target = tmp_path / f"{dataset.name.lower()}.json"
        write_dataset_json(prepared, target, header)
        document = json.loads(target.read_text())
        jsonschema.validate(document, schema)
        assert [column["name"] for column in document["columns"]] == [variable.name for variable in dataset.variables]


def test_define_xml_with_the_build_methods_validates_against_the_xsd(datasets):
    etree = pytest.importorskip("lxml.etree")
    import dataclasses

    from crfmap.writers.sdtm.define_metadata import CodeListTerm, DefineCodeList, DefineMetadata
    from crfmap.writers.sdtm.define_xml import build_define

    build = build_sdtm(make_records(), make_study())
    prepared = [prepare_dataset(dataset)[0] for dataset in build.datasets]
    used = {(dataset.name, variable.name, variable.codelist) for dataset in prepared
            for variable in dataset.variables if variable.codelist}
    assert ("DM", "SEX", "sex") in used and ("AE", "AETOXGR", "ctcae_grade") in used
    assert ("EX", "EXROUTE", "route") in used and ("CP", "CPTESTCD", "cptestcd") in used
    assert ("DS", "DSDECOD", "ncomplt") in used and ("RS", "RSORRES", "response") in used
    for dataset in prepared:  # the API declares every study code list; here only SEX is declared
        dataset.variables = [variable if variable.codelist in (None, "sex") else
                             dataclasses.replace(variable, codelist=None) for variable in dataset.variables]
    sex = DefineCodeList("sex", "Sex", (CodeListTerm("F", "C16576"), CodeListTerm("M", "C20197")), c_code="C66731")
    metadata = DefineMetadata(study_oid="BLINA-PED-01", study_name="BLINA-PED-01", study_description="Blinatumomab",
                              protocol_name="BLINA-PED-01", metadata_version_oid="MDV.1", metadata_version_name="1",
                              creation_datetime="2024-12-31T00:00:00", ct_version="2024-09-27", codelists=(sex,),
                              methods=build.methods)
    root, issues = build_define(prepared, metadata)
    assert issues == []  # every MethodOID the variables name is among build.methods
    schema = etree.XMLSchema(etree.parse(str(shared_path(
        "schemas", "define-xml-2.1", "cdisc-define-2.1", "define2-1-0.xsd"))))
    assert schema.validate(root), schema.error_log.last_error
