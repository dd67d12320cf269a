"""The published source files, read here with the csv and tarfile modules, independently of the generator."""

from __future__ import annotations

import csv
import io
import tarfile
from pathlib import Path

import pytest

from tests.shared_data import shared_path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def read_nci_release(archive: Path) -> list[dict[str, str]]:
    """NCI EVS 'SDTM Terminology.txt': tab-separated, no quoting, a header line."""
    with tarfile.open(archive, mode="r:xz") as bundle:
        stream = bundle.extractfile("SDTM Terminology.txt")
        assert stream is not None
        content = stream.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="session")
def sdtmig_datasets() -> list[dict[str, str]]:
    return read_csv(shared_path("cdisc", "sdtmig-3.4", "Datasets.csv"))


@pytest.fixture(scope="session")
def sdtmig_variables() -> list[dict[str, str]]:
    return read_csv(shared_path("cdisc", "sdtmig-3.4", "Variables.csv"))


@pytest.fixture(scope="session")
def sdtm_model_variables() -> list[dict[str, str]]:
    return read_csv(shared_path("cdisc", "sdtm-2.0", "Variables.csv"))
