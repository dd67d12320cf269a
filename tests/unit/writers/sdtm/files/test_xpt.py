"""XPT v5 writer: read back by two independent readers (pyreadstat, pandas), limits reported, bytes stable."""

from __future__ import annotations

import datetime
import math

import pytest

from crfmap.sources import SourceCell
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.xpt import SAS_EPOCH, XptOptions, sas_datetime_text, write_xpt

pyreadstat = pytest.importorskip("pyreadstat")
pandas = pytest.importorskip("pandas")


# pandas decodes an IBM zero (eight zero bytes, which SAS itself writes) as 16**-65; it does the same on
# CDISC's own ex.xpt (see test_xpt_cdisc.py). Only that exact value is mapped back to 0.
PANDAS_ZERO = 16.0 ** -65


def read_both(path, with_pandas=True):
    frame, meta = pyreadstat.read_xport(str(path))
    other = pandas.read_sas(str(path), format="xport", encoding="ascii") if with_pandas else None
    if other is not None:
        other = other.replace(PANDAS_ZERO, 0.0)
    return frame, meta, other


def expected_cell(value):
    """What an XPT reader gives back for a value we wrote: missing text is '', missing number NaN."""
    if value is None:
        return ""
    return value


def assert_same(read_value, written):
    if isinstance(written, (int, float)) or (written is None and isinstance(read_value, float)):
        if written is None or (isinstance(written, float) and math.isnan(written)):
            assert math.isnan(read_value)
        else:
            assert read_value == written
    else:
        assert read_value == expected_cell(written)


@pytest.mark.parametrize("build", ["dm", "ae", "lb"])
def test_round_trip_through_pyreadstat_and_pandas(build, request, tmp_path):
    dataset = request.getfixturevalue(build)
    path = tmp_path / f"{dataset.name.lower()}.xpt"
    assert write_xpt(dataset, path) == []
    frame, meta, other = read_both(path)
    names = [variable.name for variable in dataset.variables]
    assert list(frame.columns) == names and list(other.columns) == names
    assert meta.table_name == dataset.name and meta.file_label == dataset.label
    assert meta.column_labels == [variable.label for variable in dataset.variables]
    for variable in dataset.variables:
        numeric = variable.data_type in ("integer", "float")
        assert meta.readstat_variable_types[variable.name] == ("double" if numeric else "string")
        written = [row[variable.name] for row in dataset.rows]
        if not numeric:
            longest = max([len(value) for value in written if value] + [1])
            assert meta.variable_storage_width[variable.name] == longest
        for read_value, other_value, value in zip(frame[variable.name], other[variable.name], written):
            assert_same(read_value, value)
            assert_same(other_value, value)


def test_numbers_round_trip_exactly(lb, tmp_path):
    path = tmp_path / "lb.xpt"
    write_xpt(lb, path)
    frame, _, other = read_both(path)
    written = [row["LBSTRESN"] for row in lb.rows]
    assert written[:4] == [0.01, -3.75, 0.0, 123456789.125] and written[4] is None
    for column in (frame["LBSTRESN"], other["LBSTRESN"]):
        assert [None if math.isnan(value) else value for value in column] == written
    assert list(frame["LBDY"]) == [-7.0, 0.0, 7.0, 14.0, 21.0, 28.0, 35.0, 42.0]


def test_same_bytes_as_pyreadstat_except_stamps_and_system(tmp_path):
    """pyreadstat writes the same frame; only the header stamps, version/OS fields and nfj may differ."""
    dataset = Dataset("AE", "Adverse Events", "x", "EVENTS",
                      [Variable("AETERM", "Reported Term", "text"), Variable("AESEQ", "Sequence Number", "integer")],
                      [{"AETERM": "FEVER", "AESEQ": 1}, {"AETERM": "TREMOR", "AESEQ": -2},
                       {"AETERM": None, "AESEQ": None}])
    ours_path, theirs_path = tmp_path / "ours.xpt", tmp_path / "theirs.xpt"
    write_xpt(dataset, ours_path)
    frame = pandas.DataFrame({"AETERM": ["FEVER", "TREMOR", ""], "AESEQ": [1.0, -2.0, math.nan]})
    pyreadstat.write_xport(frame, str(theirs_path), file_format_version=5, table_name="AE",
                           file_label="Adverse Events", column_labels=["Reported Term", "Sequence Number"])
    ours, theirs = ours_path.read_bytes(), theirs_path.read_bytes()
    assert len(ours) == len(theirs)
    records = [(ours[start:start + 80], theirs[start:start + 80]) for start in range(0, len(ours), 80)]
    differing = [index for index, (left, right) in enumerate(records) if left != right]
    # 1, 2, 5, 6: stamps / version / OS; 10: the second NAMESTR's nfj (SAS writes 0, pyreadstat 1).
    assert differing == [1, 2, 5, 6, 10]
    for index in (1, 5):
        assert records[index][0][:24] == records[index][1][:24]  # "SAS     SAS     SASLIB  " / member name
    assert records[6][0][16:] == records[6][1][16:]  # label and type after the stamp
    left, right = records[10]
    assert [position for position in range(80) if left[position] != right[position]] == [49]


def test_deterministic_bytes_with_fixed_stamp(ae, tmp_path):
    first, second = tmp_path / "a.xpt", tmp_path / "b.xpt"
    write_xpt(ae, first, XptOptions(created="30APR24:00:00:00"))
    write_xpt(ae, second, XptOptions(created="30APR24:00:00:00"))
    assert first.read_bytes() == second.read_bytes()
    assert b"30APR24:00:00:00" in first.read_bytes() and b"01JAN70" not in first.read_bytes()
    write_xpt(ae, second)
    assert second.read_bytes()[80 + 64:80 + 80] == SAS_EPOCH.encode()


def test_sas_datetime_text():
    assert sas_datetime_text(datetime.date(2024, 3, 31)) == "31MAR24:00:00:00"
    assert sas_datetime_text(datetime.datetime(1999, 12, 1, 8, 5, 9)) == "01DEC99:08:05:09"


def test_bad_stamp_is_refused(ae, tmp_path):
    with pytest.raises(ValueError):
        write_xpt(ae, tmp_path / "ae.xpt", XptOptions(created="2024-03-31"))


def test_non_ascii_is_an_error_naming_the_cell_and_nothing_is_written(ae, tmp_path):
    ae.rows[1]["AETERM"] = "Тремор"
    path = tmp_path / "ae.xpt"
    path.write_bytes(b"previous")
    issues = write_xpt(ae, path)
    assert [(issue.code, issue.sheet, issue.cell) for issue in issues] == [("W002", "AE", "D3")]
    assert "dataset AE, variable AETERM, row 2" in issues[0].message
    assert path.read_bytes() == b"previous"
    assert [item.name for item in tmp_path.iterdir()] == ["ae.xpt"]  # no temporary file left


def test_transliteration_when_asked(ae, tmp_path):
    ae.rows[1]["AETERM"] = "Тремор, судороги"
    path = tmp_path / "ae.xpt"
    assert write_xpt(ae, path, XptOptions(transliterate={"AETERM"})) == []
    frame, meta, _ = read_both(path)
    assert frame["AETERM"][1] == "Tremor, sudorogi"
    assert meta.variable_storage_width["AETERM"] == len("FEBRILE NEUTROPENIA")
    ae.rows[2]["AESER"] = "Да"
    issues = write_xpt(ae, path, XptOptions(transliterate={"AETERM"}))
    assert [(issue.code, issue.cell) for issue in issues] == [("W002", "D4")]  # AESER was not asked for
    assert write_xpt(ae, path, XptOptions(transliterate=True)) == []
    assert read_both(path)[0]["AESER"][2] == "Da"


def test_limits_are_reported_before_writing(tmp_path):
    dataset = Dataset("LONGNAME9", "L" * 41, "x", "FINDINGS", [
        Variable("XXTESTCODE", "Test", "text"),
        Variable("XXORRES", "Result that has a label longer than forty chars", "text"),
        Variable("XXSTRESN", "Number", "float"),
        Variable("XXSEQ", "Sequence", "integer"),
    ], [
        {"XXTESTCODE": "A", "XXORRES": "x" * 201, "XXSTRESN": 1e80, "XXSEQ": 1.5},
        {"XXTESTCODE": "B", "XXORRES": 12, "XXSTRESN": "high", "XXSEQ": 2, "EXTRA": "y"},
    ], sources=[(SourceCell("lab.xlsx", "LB", 7, 3), SourceCell("lab.xlsx", "LB", 7, 5)), ()])
    path = tmp_path / "x.xpt"
    issues = write_xpt(dataset, path)
    assert not path.exists()
    found = sorted((issue.code, issue.cell or "") for issue in issues)
    assert found == [("W003", ""), ("W003", ""), ("W003", ""), ("W003", ""), ("W003", "C7"), ("W003", "C7"),
                     ("W030", ""), ("W030", ""), ("W030", ""), ("W030", "C7")]
    first_row = [issue for issue in issues if issue.cell == "C7"]
    assert all(issue.related == ("LB!C7", "LB!E7") for issue in first_row)


def test_empty_dataset_and_all_missing_text(tmp_path):
    dataset = Dataset("SUPPAE", "Supplemental Qualifiers for AE", "x", "RELATIONSHIP",
                      [Variable("QVAL", "Data Value", "text"), Variable("QNUM", "Number", "float")], [])
    path = tmp_path / "suppae.xpt"
    assert write_xpt(dataset, path) == []
    frame, meta, _ = read_both(path, with_pandas=False)  # pandas cannot read a member with no rows
    assert len(frame) == 0 and meta.variable_storage_width["QVAL"] == 1
    dataset.rows = [{"QVAL": None, "QNUM": None}]
    write_xpt(dataset, path)
    frame, _, other = read_both(path)
    assert frame["QVAL"].tolist() == [""] and math.isnan(other["QNUM"][0])


def test_unwritable_target_is_w001_not_a_traceback(ae, tmp_path):
    from crfmap.issues import FatalIssue

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FatalIssue) as raised:
        write_xpt(ae, blocker / "ae.xpt")
    assert [issue.code for issue in raised.value.issues] == ["W001"]


def test_nan_is_missing_even_in_an_integer_variable(ae, tmp_path):
    ae.rows[0]["AESTDY"] = float("nan")
    assert write_xpt(ae, tmp_path / "ae.xpt") == []
    assert math.isnan(read_both(tmp_path / "ae.xpt")[0]["AESTDY"][0])
