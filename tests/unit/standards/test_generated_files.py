"""The shipped metadata is what scripts/generate_sdtm_metadata.py makes from the published files today."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.shared_data import REPO_ROOT, shared_path

pytestmark = pytest.mark.shared
GENERATOR = REPO_ROOT / "scripts" / "generate_sdtm_metadata.py"
SHIPPED = REPO_ROOT / "src" / "crfmap" / "standards" / "data"


def generate(public_data: Path, out: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--public-data", str(public_data), "--out", str(out)],
                   check=True, capture_output=True, timeout=600)


def unpacked(path: Path) -> object:
    """A generated file's content, independent of the zlib that compressed it: the text of a .json.gz; a .zip's
    members in order, each with its name, timestamp, permissions, compression and text."""
    if path.suffix != ".zip":
        return gzip.decompress(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, info.date_time, info.external_attr, info.compress_type, archive.read(info))
                for info in archive.infolist()]


def test_shipped_files_are_up_to_date(tmp_path: Path) -> None:
    shared_path("cdisc", "sdtmig-3.4", "Variables.csv")
    public_data = shared_path("cdisc").parent
    generate(public_data, tmp_path / "first")
    generate(public_data, tmp_path / "second")
    made = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert made == sorted(path.name for path in SHIPPED.iterdir()), "regenerate: python " + str(GENERATOR)
    for name in made:
        # Deterministic: two runs give the same bytes (gzip with no name and mtime 0; zip with fixed timestamps).
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
        # Up to date: compared unzipped, since another zlib may compress the same text differently.
        assert unpacked(tmp_path / "first" / name) == unpacked(SHIPPED / name), \
            f"{name} is stale: python scripts/generate_sdtm_metadata.py"


def test_a_ct_release_is_an_index_and_one_member_per_codelist() -> None:
    """The layout crfmap.standards reads a codelist at a time from, checked with zipfile and json alone."""
    for path in sorted(SHIPPED.glob("sdtm-ct-*.zip")):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            index = json.loads(archive.read("release.json"))
            assert names[0] == "release.json" and index["kind"] == "sdtm-ct" and index["format"] == 2
            assert index["codelist_fields"] == ["submission_value", "name", "extensible"]
            assert names[1:] == [f"codelists/{code}.json" for code in index["codelists"]], path.name
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
            ny = json.loads(archive.read("codelists/C66742.json"))
            assert index["codelists"]["C66742"] == ["NY", "No Yes Response", False]
            assert [term[1] for term in ny] == ["N", "NA", "U", "Y"]


def test_generator_stops_on_a_source_it_does_not_understand(tmp_path: Path) -> None:
    source = shared_path("cdisc", "sdtmig-3.4", "Variables.csv")
    public_data = tmp_path / "public-data"
    for relative in ("cdisc/sdtmig-3.4/Datasets.csv", "cdisc/sdtm-2.0/Datasets.csv", "cdisc/sdtm-2.0/Variables.csv"):
        (public_data / relative).parent.mkdir(parents=True, exist_ok=True)
        (public_data / relative).write_bytes((source.parents[2] / relative).read_bytes())
    (public_data / "cdisc/ct").mkdir()
    for archive in (source.parents[1] / "ct").glob("*.tar.xz"):
        (public_data / "cdisc/ct" / archive.name).symlink_to(archive)
    broken = source.read_text(encoding="utf-8-sig").replace('"AESER","Serious Event","Char"',
                                                              '"AESER","Serious Event","Text"', 1)
    (public_data / "cdisc/sdtmig-3.4/Variables.csv").write_text(broken, encoding="utf-8")
    done = subprocess.run([sys.executable, str(GENERATOR), "--public-data", str(public_data),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 2
    assert "Variables.csv: unexpected class/type/core" in done.stderr and "AESER" in done.stderr
    assert not (tmp_path / "out").exists()
