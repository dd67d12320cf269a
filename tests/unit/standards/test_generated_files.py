"""The shipped metadata is what scripts/generate_sdtm_metadata.py makes from the published files today."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_data import REPO_ROOT, shared_path

pytestmark = pytest.mark.shared
GENERATOR = REPO_ROOT / "scripts" / "generate_sdtm_metadata.py"
SHIPPED = REPO_ROOT / "src" / "crfmap" / "standards" / "data"


def generate(public_data: Path, out: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--public-data", str(public_data), "--out", str(out)],
                   check=True, capture_output=True, timeout=600)


def test_shipped_files_are_up_to_date(tmp_path: Path) -> None:
    shared_path("cdisc", "sdtmig-3.4", "Variables.csv")
    public_data = shared_path("cdisc").parent
    generate(public_data, tmp_path / "first")
    generate(public_data, tmp_path / "second")
    made = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert made == sorted(path.name for path in SHIPPED.iterdir()), "regenerate: python " + str(GENERATOR)
    for name in made:
        # Deterministic: two runs give the same bytes (gzip with no name and mtime 0).
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
        # Up to date: compared unzipped, since another zlib may compress the same text differently.
        assert gzip.decompress((tmp_path / "first" / name).read_bytes()) \
            == gzip.decompress((SHIPPED / name).read_bytes()), f"{name} is stale: python scripts/generate_sdtm_metadata.py"


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
