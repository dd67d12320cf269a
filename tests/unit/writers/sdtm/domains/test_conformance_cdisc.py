"""The structural checks agree with CDISC's own SDTM-MSG v2.0 datasets (CDISCPILOT01), read with pyreadstat.

The XPT files are converted into Datasets independently of crfmap's builders: names, labels and types from
the files, `core` from the SDTMIG 3.4 metadata crfmap generates from CDISC's export (so the Req check runs on every
dataset). CDISC's example is conformant on these rules with one known exception: its AE ships with
AEDECOD (Req) empty in every row — the MedDRA terms are left out of the public example, and its define.xml
declares AEDECOD with Length 1. The checks must find exactly that and nothing else.
"""

from __future__ import annotations

import math

import pytest

from crfmap.writers.sdtm.conformance import check_datasets
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.catalog import DomainCatalog
from tests.shared_data import shared_path

pyreadstat = pytest.importorskip("pyreadstat")

NAMES = ("dm", "ae", "cm", "ex", "lb", "suppdm", "relrec", "ta", "te", "ts", "tv")


def read_dataset(name: str) -> Dataset:
    frame, meta = pyreadstat.read_xport(str(shared_path("sdtm", "msg-v2-cdiscpilot01", f"{name}.xpt")))
    spec = DomainCatalog("3.4", "2.0").dataset(meta.table_name)
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append({key: _clean(value) for key, value in record.items()})
    variables = []
    for column in frame.columns:
        numeric = meta.readstat_variable_types[column] == "double"
        column_values = [row[column] for row in rows]
        integral = numeric and all(value is None or float(value).is_integer() for value in column_values)
        known = spec.variable(column) if spec else None
        variables.append(Variable(column, meta.column_names_to_labels[column],
                                  ("integer" if integral else "float") if numeric else "text",
                                  core=known.core if known else None))
    return Dataset(meta.table_name, meta.file_label, "", "", variables, rows)


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


@pytest.fixture(scope="module")
def cdisc_datasets() -> list[Dataset]:
    return [read_dataset(name) for name in NAMES]


def test_the_conversion_is_faithful(cdisc_datasets):
    dm = next(dataset for dataset in cdisc_datasets if dataset.name == "DM")
    assert len(dm.rows) == 18 and dm.variable("SEX").core == "Req" and dm.variable("AGE").data_type == "integer"
    ae = next(dataset for dataset in cdisc_datasets if dataset.name == "AE")
    assert len(ae.rows) == 74 and ae.variable("AESTDY").data_type == "integer"


def known_exceptions(issues):
    """The 74 empty AEDECOD values of CDISC's public AE (see the module docstring)."""
    return [issue for issue in issues if (issue.code, issue.column) == ("W068", "AEDECOD")]


def test_cdisc_msg_v2_datasets_pass_every_structural_check(cdisc_datasets):
    issues = check_datasets(cdisc_datasets)
    assert len(known_exceptions(issues)) == 74
    assert [(issue.code, issue.message) for issue in issues if issue not in known_exceptions(issues)] == []


def test_a_planted_error_in_cdisc_data_is_caught(cdisc_datasets):
    ae = next(dataset for dataset in cdisc_datasets if dataset.name == "AE")
    row = next(row for row in ae.rows if row["AESTDY"] is not None)
    saved = row["AESTDY"]
    row["AESTDY"] = saved + 1
    try:
        issues = check_datasets(cdisc_datasets)
        assert [issue.code for issue in issues if issue not in known_exceptions(issues)] == ["W070"]
    finally:
        row["AESTDY"] = saved
