"""crfmap.standards.load_sdtm_ct against the NCI EVS SDTM Terminology releases themselves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from crfmap.standards import StandardNotAvailable, _Codelists, load_sdtm_ct, sdtm_ct_versions
from tests.shared_data import shared_path
from tests.unit.standards.conftest import read_nci_release

pytestmark = pytest.mark.shared


def release(version: str) -> Path:
    return shared_path("cdisc", "ct", f"sdtm-terminology-{version}.tar.xz")


def test_every_shipped_release_is_one_in_public_data() -> None:
    folder = shared_path("cdisc", "ct")
    published = sorted(path.name.removeprefix("sdtm-terminology-").removesuffix(".tar.xz")
                       for path in folder.glob("sdtm-terminology-*.tar.xz"))
    assert sdtm_ct_versions() == tuple(published) == ("2023-12-15", "2025-03-28")


@pytest.mark.parametrize("version", ["2023-12-15", "2025-03-28"])
def test_every_codelist_and_term_is_the_one_in_the_release(version: str) -> None:
    rows = read_nci_release(release(version))
    ct = load_sdtm_ct(version)
    codelist_rows = [row for row in rows if not row["Codelist Code"]]
    assert sorted(ct.codelists) == sorted(row["Code"] for row in codelist_rows)
    for row in codelist_rows:
        codelist = ct.codelist(row["Code"])
        assert (codelist.submission_value, codelist.name, codelist.extensible) == (
            row["CDISC Submission Value"], row["Codelist Name"], row["Codelist Extensible (Yes/No)"] == "Yes")
    term_rows = [row for row in rows if row["Codelist Code"]]
    assert sum(len(codelist.terms) for codelist in ct.codelists.values()) == len(term_rows)
    for row in term_rows:
        term = ct.codelist(row["Codelist Code"]).term(row["CDISC Submission Value"])
        assert term is not None, row
        synonyms = tuple(part.strip() for part in row["CDISC Synonym(s)"].split(";") if part.strip())
        assert (term.code, term.synonyms, term.preferred_term) == (
            row["Code"], synonyms, row["NCI Preferred Term"]), row


def test_header_names_the_release_with_its_sha256() -> None:
    ct = load_sdtm_ct("2025-03-28")
    (source,) = ct.sources
    archive = release("2025-03-28")
    assert source.file == "cdisc/ct/sdtm-terminology-2025-03-28.tar.xz"
    assert source.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()


def test_known_codelists() -> None:
    ct = load_sdtm_ct("2025-03-28")
    ny = ct.codelist("C66742")
    assert (ny.submission_value, ny.name, ny.extensible) == ("NY", "No Yes Response", False)
    assert [term.submission_value for term in ny] == ["N", "NA", "U", "Y"]
    assert ny.term("Y") is not None and ny.term("Y").code == "C49488"  # type: ignore[union-attr]
    assert ny.term("U").synonyms == ("U", "UNK", "Unknown")  # type: ignore[union-attr]
    assert ct.codelist_named("NY") is ny
    epoch = ct.codelist("C99079")
    assert (epoch.submission_value, epoch.extensible) == ("EPOCH", True)
    assert "FOLLOW-UP" in epoch and "SCREENING" in epoch
    lbtestcd = ct.codelist("C65047")
    assert (lbtestcd.submission_value, lbtestcd.extensible) == ("LBTESTCD", True)
    assert lbtestcd.term("GLUC").code == "C105585"  # type: ignore[union-attr]
    assert ct.codelist("C66727").term("DEATH").code == "C28554"  # type: ignore[union-attr]
    assert ct.codelist_named("PROTMLST").code == "C114118"
    assert ct.codelist_named("OTHEVENT").code == "C150811"


def test_membership_is_exact() -> None:
    ny = load_sdtm_ct("2025-03-28").codelist("C66742")
    assert "Y" in ny
    assert "y" not in ny and "Y " not in ny and "Yes" not in ny  # a synonym is not a submission value


def test_releases_differ_where_nci_changed_them() -> None:
    older, newer = load_sdtm_ct("2023-12-15"), load_sdtm_ct("2025-03-28")
    assert len(older.codelists) == 1081 and len(newer.codelists) == 1158
    assert "C85495" in older.codelists and "C85495" not in newer.codelists


def test_unknown_names_are_clear_errors() -> None:
    with pytest.raises(StandardNotAvailable, match="SDTM CT 2024-03-29 is not shipped; crfmap has 2023-12-15, 2025-03-28"):
        load_sdtm_ct("2024-03-29")
    with pytest.raises(KeyError, match="no codelist C1"):
        load_sdtm_ct("2025-03-28").codelist("C1")
    with pytest.raises(KeyError, match="no codelist 'XX'"):
        load_sdtm_ct("2025-03-28").codelist_named("XX")
    assert load_sdtm_ct("2025-03-28") is load_sdtm_ct("2025-03-28")


def test_loading_a_release_reads_only_its_index() -> None:
    """A codelist is read from the release's zip when it is first asked for, not at load: a conversion touches a
    few dozen of the ~1,100 codelists. Membership, len and iteration answer from the index."""
    ct = load_sdtm_ct.__wrapped__("2025-03-28")  # a fresh load, not the one other tests share
    codelists = ct.codelists
    assert isinstance(codelists, _Codelists)
    assert codelists.built == 0
    assert len(codelists) > 1_000 and "C66742" in codelists and "C0" not in codelists
    assert sum(1 for _ in codelists) == len(codelists)
    assert codelists.built == 0
    assert ct.codelist_named("NY").code == "C66742" and codelists.built == 1
    assert ct.codelist("C66742") is ct.codelist_named("NY") and codelists.built == 1  # built once
    with pytest.raises(KeyError, match="no codelist C0"):
        ct.codelist("C0")
    assert codelists.built == 1
