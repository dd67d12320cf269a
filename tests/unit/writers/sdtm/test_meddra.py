"""The AE MedDRA hierarchy comes only from the dictionary the study supplies; without one it stays empty and is said so.

MedDRA is licensed and not in this repository: the dictionary here is a made-up two-term file set in the
distribution's ASCII layout ('$'-separated; mdhier.asc pt, hlt, hlgt, soc codes, their names, soc abbreviation,
null field, pt_soc_code, primary_soc_fg; llt.asc llt code, name, pt code …). Codes and names are invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap.issues import FatalIssue
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.meddra import HIERARCHY_VARIABLES, NOT_POPULATED, apply_meddra, read_meddra


def dictionary(folder: Path, version: str = "27.0") -> Path:
    folder.mkdir()
    (folder / "mdhier.asc").write_text(
        "90000001$91000001$92000001$93000001$Made-up fever$Made-up febrile HLT$Made-up HLGT$Made-up SOC$MUS$$"
        "93000001$Y$\n"
        "90000001$91000009$92000009$93000009$Made-up fever$Other HLT$Other HLGT$Secondary SOC$SEC$$93000001$N$\n",
        encoding="utf-8")
    (folder / "llt.asc").write_text("90000001$Made-up fever$90000001$$$$$$$Y$$\n"
                                    "90000002$Made-up high temperature$90000001$$$$$$$Y$$\n", encoding="utf-8")
    (folder / "meddra_release.asc").write_text(f"{version}$English$$$$\n", encoding="utf-8")
    return folder


def ae(*codes: int | None) -> Dataset:
    names = ["AETERM", "AEDECOD", "AEPTCD", *HIERARCHY_VARIABLES]
    return Dataset(name="AE", label="Adverse Events", structure="", klass="EVENTS",
                   variables=[Variable(name=name, label=name, data_type="text") for name in names],
                   rows=[{"AETERM": "fever", "AEDECOD": "Made-up fever", "AEPTCD": code} for code in codes])


def test_the_hierarchy_comes_from_the_primary_soc_path(tmp_path: Path) -> None:
    loaded = read_meddra(dictionary(tmp_path / "meddra"))
    (result,), issues = apply_meddra([ae(90000001)], loaded, "27.0")
    assert issues == []
    row = result.rows[0]
    assert (row["AELLT"], row["AELLTCD"]) == ("Made-up fever", 90000001)  # the PT's own lowest level term
    assert (row["AEHLT"], row["AEHLTCD"], row["AEHLGT"], row["AEHLGTCD"]) == (
        "Made-up febrile HLT", 91000001, "Made-up HLGT", 92000001)
    assert (row["AESOC"], row["AESOCCD"], row["AEBODSYS"], row["AEBDSYCD"]) == (
        "Made-up SOC", 93000001, "Made-up SOC", 93000001)  # primary SOC, not the secondary one


def test_a_code_not_in_the_dictionary_is_warned_and_left_empty(tmp_path: Path) -> None:
    (result,), issues = apply_meddra([ae(90000001, 12345678)], read_meddra(dictionary(tmp_path / "m")), None)
    assert [(issue.code, issue.value) for issue in issues] == [("W087", "12345678")]
    assert result.rows[1].get("AESOC") is None


def test_without_a_dictionary_nothing_is_guessed_and_it_is_said(tmp_path: Path) -> None:
    (result,), issues = apply_meddra([ae(90000001)], None, "27.0")
    assert [issue.code for issue in issues] == ["W086"]
    assert all(result.rows[0].get(name) is None for name in HIERARCHY_VARIABLES)
    assert {variable.name for variable in result.variables if variable.comment == NOT_POPULATED} == \
        set(HIERARCHY_VARIABLES)


def test_a_dictionary_of_another_version_or_unreadable_stops_the_writer(tmp_path: Path) -> None:
    other = read_meddra(dictionary(tmp_path / "m", version="26.1"))
    with pytest.raises(FatalIssue) as stopped:
        apply_meddra([ae(90000001)], other, "27.0")
    assert stopped.value.issues[0].code == "W088" and "26.1" in stopped.value.issues[0].message
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "mdhier.asc").write_text("1$2$3\n", encoding="utf-8")
    (tmp_path / "broken" / "llt.asc").write_text("1$x$1$\n", encoding="utf-8")
    with pytest.raises(FatalIssue) as unreadable:
        read_meddra(tmp_path / "broken")
    assert unreadable.value.issues[0].code == "W088"
    with pytest.raises(FatalIssue):
        read_meddra(tmp_path / "missing")
