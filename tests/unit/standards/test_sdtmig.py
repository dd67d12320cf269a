"""crfmap.standards.load_sdtmig against SDTMIG v3.4's own tables (CDISC Library Browser export)."""

from __future__ import annotations

import hashlib

import pytest

from crfmap.standards import (
    StandardNotAvailable,
    load_sdtm_ct,
    load_sdtmig,
    sdtmig_versions,
)
from tests.shared_data import PUBLIC_DATA, shared_path

pytestmark = pytest.mark.shared


def cell(value: str) -> str | None:
    cleaned = value.replace("\\n", "\n").strip()
    return cleaned or None


def test_every_domain_is_the_one_in_datasets_csv(sdtmig_datasets: list[dict[str, str]]) -> None:
    ig = load_sdtmig("3.4")
    assert sorted(ig.domains) == sorted(row["Dataset Name"] for row in sdtmig_datasets)
    assert len(ig.domains) == 63
    for row in sdtmig_datasets:
        domain = ig.domain(row["Dataset Name"])
        assert (domain.label, domain.class_name, domain.structure) == (
            row["Dataset Label"], row["Class"], cell(row["Structure"])), row["Dataset Name"]


def test_every_variable_is_the_one_in_variables_csv(sdtmig_variables: list[dict[str, str]]) -> None:
    ig = load_sdtmig("3.4")
    assert sum(len(domain.variables) for domain in ig.domains.values()) == len(sdtmig_variables) == 1917
    for row in sdtmig_variables:
        variable = ig.domain(row["Dataset Name"]).variable(row["Variable Name"])
        codes = tuple(code.strip() for code in row["CDISC CT Codelist Code(s)"].split(";") if code.strip())
        assert (variable.order, variable.label, variable.type, variable.role, variable.core,
                tuple(ref.code for ref in variable.codelists), variable.value_domain, variable.fixed_value,
                variable.notes) == (
            int(row["Variable Order"]), row["Variable Label"], row["Type"], row["Role"], row["Core"], codes,
            cell(row["Described Value Domain(s)"]), cell(row["Value List"]), cell(row["CDISC Notes"])), row


def test_variables_are_in_the_igs_order(sdtmig_variables: list[dict[str, str]]) -> None:
    ig = load_sdtmig("3.4")
    for name, domain in ig.domains.items():
        in_csv = [row["Variable Name"] for row in sdtmig_variables if row["Dataset Name"] == name]
        assert [variable.name for variable in domain.variables] == in_csv
        assert [variable.order for variable in domain.variables] == list(range(1, len(in_csv) + 1))


def test_codelist_submission_values_are_those_of_the_ct_release_named() -> None:
    for domain in load_sdtmig("3.4").domains.values():
        for variable in domain.variables:
            for ref in variable.codelists:
                assert ref.ct_version is not None, (domain.name, variable.name, ref.code)
                codelist = load_sdtm_ct(ref.ct_version).codelist(ref.code)
                assert ref.submission_value == codelist.submission_value


# Facts a reviewer knows by heart (SDTMIG v3.4 domain specifications and CDISC SDTM CT), checked one by one.
@pytest.mark.parametrize(("domain", "variable", "core", "codelists"), [
    ("AE", "AESER", "Exp", [("C66742", "NY")]),
    ("AE", "EPOCH", "Perm", [("C99079", "EPOCH")]),
    ("DM", "ARMNRS", "Exp", [("C142179", "ARMNULRS")]),
    ("DM", "SEX", "Req", [("C66731", "SEX")]),
    ("LB", "LBTESTCD", "Req", [("C65047", "LBTESTCD")]),
    ("DS", "DSDECOD", "Req", [("C66727", "NCOMPLT"), ("C114118", "PROTMLST"), ("C150811", "OTHEVENT")]),
    ("TS", "TSPARMCD", "Req", [("C66738", "TSPARMCD")]),
])
def test_known_variables(domain: str, variable: str, core: str, codelists: list[tuple[str, str]]) -> None:
    found = load_sdtmig("3.4").domain(domain).variable(variable)
    assert found.core == core
    assert [(ref.code, ref.submission_value) for ref in found.codelists] == codelists


def test_known_domains_and_value_domains() -> None:
    ig = load_sdtmig("3.4")
    assert {name: ig.domain(name).class_name for name in ("AE", "CM", "LB", "CP", "FA", "DM", "TS", "SUPPQUAL")} == {
        "AE": "Events", "CM": "Interventions", "LB": "Findings", "CP": "Findings", "FA": "Findings About",
        "DM": "Special-Purpose", "TS": "Trial Design", "SUPPQUAL": "Relationship"}
    assert ig.domain("AE").variable("AESTDTC").value_domain == "ISO 8601 datetime or interval"
    assert ig.domain("AE").variable("AEDECOD").value_domain == "MedDRA"
    assert ig.domain("AE").variable("AESEQ").type == "Num"
    assert "CPLLOQ" not in ig.domain("CP") and "MHSTDY" not in ig.domain("MH")  # issue #11: not SDTMIG 3.4
    for name, domain in ig.domains.items():
        if "DOMAIN" in domain:
            assert domain.variable("DOMAIN").fixed_value == name


def test_header_names_the_sources_with_their_sha256() -> None:
    shared_path("cdisc", "sdtmig-3.4")
    ig = load_sdtmig("3.4")
    assert [source.file for source in ig.sources] == ["cdisc/sdtmig-3.4/Datasets.csv", "cdisc/sdtmig-3.4/Variables.csv"]
    for source in ig.sources:
        assert source.version == "SDTMIG v3.4"
        assert source.sha256 == hashlib.sha256((PUBLIC_DATA / source.file).read_bytes()).hexdigest()


def test_unknown_names_are_clear_errors() -> None:
    assert sdtmig_versions() == ("3.4",)
    with pytest.raises(StandardNotAvailable, match="SDTMIG 3.2 is not shipped"):
        load_sdtmig("3.2")
    with pytest.raises(KeyError, match="no domain ZZ"):
        load_sdtmig("3.4").domain("ZZ")
    with pytest.raises(KeyError, match="AE has no variable AEFOO"):
        load_sdtmig("3.4").domain("AE").variable("AEFOO")
