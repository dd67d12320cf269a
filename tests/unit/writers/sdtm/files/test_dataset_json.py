"""Dataset-JSON 1.1 and NDJSON: valid against CDISC's schemas (which also accept CDISC's files), same data."""

from __future__ import annotations

import json

import pytest

from crfmap.writers.sdtm.dataset_json import DatasetJsonHeader, write_dataset_json, write_dataset_ndjson
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import write_xpt
from tests.shared_data import shared_path

jsonschema = pytest.importorskip("jsonschema")

HEADER = DatasetJsonHeader(creation_datetime="2024-04-30T00:00:00", study_oid="STDY.BLINA-PED-01",
                           metadata_version_oid="MDV.BLINA-PED-01.SDTMIG.3.4", originator="crfmap tests")
MSG_DOMAINS = ["ae", "cm", "dm", "ex", "lb", "relrec", "suppdm", "ta", "te", "ts", "tv"]


def dataset_validator():
    schema = json.loads(shared_path("schemas", "dataset-json-1.1", "dataset.schema.json").read_text("utf-8"))
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())


def ndjson_validator():
    """The NDJSON metadata line is a Dataset-JSON object without `rows` (not required): the main schema checks it.

    CDISC's own dataset-ndjson-schema.json cannot be used: its `$ref: #/$defs/Column` points nowhere (see
    test_cdisc_ndjson_schema_is_unresolvable), so it errors on any file, CDISC's included.
    """
    return dataset_validator()


@pytest.mark.shared
def test_cdisc_ndjson_schema_is_unresolvable():
    # The file is UTF-16 LE with a BOM; "utf-16" reads the BOM and picks the byte order.
    text = shared_path("schemas", "dataset-json-1.1", "dataset-ndjson-schema.json").read_text("utf-16")
    schema = json.loads(text)
    assert "Column" not in schema["$defs"] and schema["properties"]["columns"]["items"] == {"$ref": "#/$defs/Column"}
    first_line = shared_path("sdtm", "msg-v2-cdiscpilot01", "dm.ndjson").read_text("utf-8").split("\n")[0]
    referencing = pytest.importorskip("referencing.exceptions")
    with pytest.raises(referencing.Unresolvable):
        list(jsonschema.Draft201909Validator(schema).iter_errors(json.loads(first_line)))


def expected_json_value(variable, value):
    if value is None:
        return None if variable.data_type in ("integer", "float") else ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.mark.shared
@pytest.mark.parametrize("build", ["dm", "ae", "lb"])
def test_dataset_json_is_valid_and_holds_the_rows(build, request, tmp_path):
    dataset, _ = prepare_dataset(request.getfixturevalue(build))
    path = tmp_path / f"{dataset.name.lower()}.json"
    write_dataset_json(dataset, path, HEADER)
    document = json.loads(path.read_bytes())
    assert sorted(error.message for error in dataset_validator().iter_errors(document)) == []
    assert document["records"] == len(dataset.rows) == len(document["rows"])
    assert document["itemGroupOID"] == f"IG.{dataset.name}" and document["datasetJSONVersion"] == "1.1.0"
    assert document["datasetJSONCreationDateTime"] == "2024-04-30T00:00:00"
    assert [column["itemOID"] for column in document["columns"]] == [
        f"IT.{dataset.name}.{variable.name}" for variable in dataset.variables]
    for row, written in zip(dataset.rows, document["rows"]):
        assert written == [expected_json_value(variable, row[variable.name]) for variable in dataset.variables]


def test_column_metadata_matches_xpt(ae, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    prepared, _ = prepare_dataset(ae)
    write_dataset_json(prepared, tmp_path / "ae.json", HEADER)
    write_xpt(ae, tmp_path / "ae.xpt")
    columns = {column["name"]: column for column in json.loads((tmp_path / "ae.json").read_bytes())["columns"]}
    _, meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    for name, width in meta.variable_storage_width.items():
        if meta.readstat_variable_types[name] == "string" and columns[name]["dataType"] == "string":
            assert columns[name]["length"] == width
    assert columns["AESEQ"]["dataType"] == "integer" and "length" not in columns["AESEQ"]
    assert columns["AESTDTC"]["dataType"] == "string"  # partialDate is not a complete ISO date
    assert [columns[name].get("keySequence") for name in ("STUDYID", "USUBJID", "AETERM", "AESTDTC", "AESEQ")] == [
        1, 2, 3, 4, None]


@pytest.mark.shared
def test_ndjson_metadata_line_is_valid_and_rows_follow(lb, tmp_path):
    dataset, _ = prepare_dataset(lb)
    path = tmp_path / "lb.ndjson"
    write_dataset_ndjson(dataset, path, HEADER)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(dataset.rows) + 2
    metadata = json.loads(lines[0])
    assert list(ndjson_validator().iter_errors(metadata)) == []
    assert "rows" not in metadata
    rows = [json.loads(line) for line in lines[1:-1]]
    assert rows == [[expected_json_value(variable, row[variable.name]) for variable in dataset.variables]
                    for row in dataset.rows]
    json_path = tmp_path / "lb.json"
    write_dataset_json(dataset, json_path, HEADER)
    assert json.loads(json_path.read_bytes())["rows"] == rows


def test_output_is_deterministic(ae, tmp_path):
    write_dataset_json(ae, tmp_path / "a.json", HEADER)
    write_dataset_json(ae, tmp_path / "b.json", HEADER)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_unicode_is_kept_in_json(ae, tmp_path):
    ae.rows[0]["AETERM"] = "Фебрильная нейтропения"
    write_dataset_json(ae, tmp_path / "ae.json", HEADER)
    assert json.loads((tmp_path / "ae.json").read_bytes())["rows"][0][4] == "Фебрильная нейтропения"


@pytest.mark.shared
@pytest.mark.parametrize("domain", MSG_DOMAINS)
def test_same_validator_accepts_cdisc_msg_files(domain):
    document = json.loads(shared_path("sdtm", "msg-v2-cdiscpilot01", f"{domain}.json").read_text("utf-8"))
    assert list(dataset_validator().iter_errors(document)) == []


@pytest.mark.shared
def test_same_validators_accept_cdisc_ndjson_and_reject_a_broken_file():
    first_line = shared_path("sdtm", "msg-v2-cdiscpilot01", "dm.ndjson").read_text("utf-8").split("\n")[0]
    assert list(ndjson_validator().iter_errors(json.loads(first_line))) == []
    broken = json.loads(shared_path("sdtm", "msg-v2-cdiscpilot01", "dm.json").read_text("utf-8"))
    del broken["datasetJSONCreationDateTime"]
    broken["columns"][0]["dataType"] = "text"
    messages = sorted(error.message for error in dataset_validator().iter_errors(broken))
    assert len(messages) == 2 and any("datasetJSONCreationDateTime" in message for message in messages)
