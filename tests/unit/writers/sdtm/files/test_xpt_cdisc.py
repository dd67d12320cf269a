"""CDISC's own SDTM-MSG v2 XPT files, re-written by our writer, read back identically by pyreadstat."""

from __future__ import annotations

import math

import pytest

from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.xpt import write_xpt
from tests.shared_data import shared_path

pyreadstat = pytest.importorskip("pyreadstat")
pandas = pytest.importorskip("pandas")

MSG_DOMAINS = ["ae", "cm", "dm", "ex", "lb", "relrec", "suppdm", "ta", "te", "ts", "tv"]


def dataset_from_xpt(path) -> Dataset:
    """A Dataset holding exactly what pyreadstat reads: NaN → None, '' → None (XPT cannot tell them apart)."""
    frame, meta = pyreadstat.read_xport(str(path))
    variables = [Variable(name, label or "", "float" if meta.readstat_variable_types[name] == "double" else "text")
                 for name, label in zip(meta.column_names, meta.column_labels)]
    rows = []
    for record in frame.itertuples(index=False):
        row = {}
        for variable, value in zip(variables, record):
            if variable.data_type == "float":
                row[variable.name] = None if math.isnan(value) else float(value)
            else:
                row[variable.name] = value or None
        rows.append(row)
    return Dataset(meta.table_name, meta.file_label or "", "", "", variables, rows)


@pytest.mark.shared
@pytest.mark.parametrize("domain", MSG_DOMAINS)
def test_rewritten_msg_xpt_reads_identically(domain, tmp_path):
    original = shared_path("sdtm", "msg-v2-cdiscpilot01", f"{domain}.xpt")
    dataset = dataset_from_xpt(original)
    target = tmp_path / f"{domain}.xpt"
    assert write_xpt(dataset, target) == []
    theirs, their_meta = pyreadstat.read_xport(str(original))
    ours, our_meta = pyreadstat.read_xport(str(target))
    pandas.testing.assert_frame_equal(ours, theirs)
    assert our_meta.column_labels == their_meta.column_labels
    assert our_meta.table_name == their_meta.table_name and our_meta.file_label == their_meta.file_label
    for name, width in our_meta.variable_storage_width.items():
        # Ours is the longest value; CDISC's may be declared longer (e.g. ACTARMUD $200 with no values).
        assert width <= their_meta.variable_storage_width[name]
    assert len(theirs) > 0


@pytest.mark.shared
def test_pandas_reads_zero_in_cdisc_file_as_sixteen_to_minus_65():
    """The pandas quirk the round-trip tests allow for is pandas', not ours: it shows on CDISC's own file."""
    path = shared_path("sdtm", "msg-v2-cdiscpilot01", "ex.xpt")
    frame, _ = pyreadstat.read_xport(str(path))
    other = pandas.read_sas(str(path), format="xport", encoding="ascii")
    zero = frame.index[frame["EXDOSE"] == 0][0]
    assert other["EXDOSE"][zero] == 16.0 ** -65
