"""crfmap.standards.load_sdtm_model: SDTM v2.0 class variables, and the variables of a custom domain."""

from __future__ import annotations

import pytest

from crfmap.standards import OBSERVATION_CLASSES, load_sdtm_model, load_sdtmig

pytestmark = pytest.mark.shared


def test_every_class_variable_is_the_one_in_variables_csv(sdtm_model_variables: list[dict[str, str]]) -> None:
    model = load_sdtm_model("2.0")
    templates = [row for row in sdtm_model_variables if not row["Dataset Name"]]
    assert sum(len(variables) for variables in model.classes.values()) == len(templates) == 268
    for row in templates:
        (variable,) = [item for item in model.classes[row["Class"]] if item.name == row["Variable Name"]]
        assert (variable.order, variable.label, variable.type, variable.role, variable.c_code) == (
            int(row["Variable Order"]), row["Variable Label"], row["Type"], row["Role"],
            row["Variable C-Code"] or None), row
    tables = [row for row in sdtm_model_variables if row["Dataset Name"]]
    assert {(name, variable.name) for name, dataset in model.datasets.items() for variable in dataset.variables} \
        == {(row["Dataset Name"], row["Variable Name"]) for row in tables}


@pytest.mark.parametrize("class_name", OBSERVATION_CLASSES)
def test_every_sdtmig_domain_of_a_class_fits_the_class_template(class_name: str) -> None:
    """Two independent sources agree: each SDTMIG 3.4 domain's variables are the model's, in the model's order.

    SDTMIG domains are built from the SDTM class variables (SDTMIG 3.4 §2.6); so the template that a custom domain
    gets here must order and name variables as every standard domain of its class does.
    """
    model = load_sdtm_model("2.0")
    domains = load_sdtmig("3.4").domains_of_class(class_name)
    assert domains
    for domain in domains:
        template = [variable.name for variable in model.domain_variables(domain.name, class_name)]
        in_ig = [variable.name for variable in domain.variables]
        assert [name for name in in_ig if name not in template] == [], domain.name
        assert [name for name in template if name in in_ig] == in_ig, domain.name


def test_a_custom_findings_domain() -> None:
    variables = load_sdtm_model("2.0").domain_variables("XB", "Findings")
    names = [variable.name for variable in variables]
    assert names[:3] == ["STUDYID", "DOMAIN", "USUBJID"]
    assert names.index("XBSEQ") < names.index("XBTESTCD") < names.index("XBORRES") < names.index("EPOCH") \
        < names.index("XBDTC")
    by_name = {variable.name: variable for variable in variables}
    assert by_name["DOMAIN"].fixed_value == "XB"
    assert (by_name["XBTESTCD"].role, by_name["XBSTRESN"].type, by_name["XBDTC"].value_domain) == (
        "Topic", "Num", "ISO 8601 datetime or interval")
    assert "XBSTDTC" not in by_name  # "Not in Findings class domains"
    assert "XBBEATNO" not in by_name  # "EG Domain only"
    assert "XBPTFL" not in by_name  # "Only in Findings class specimen-based domains"
    assert "FETUSID" not in by_name and "XBNOMDY" not in by_name  # "Not in human clinical trials"
    assert all(len(name) <= 8 for name in names)
    assert [variable.order for variable in variables] == list(range(1, len(variables) + 1))
    assert all(variable.core is None for variable in variables)


def test_custom_events_interventions_and_findings_about() -> None:
    model = load_sdtm_model("2.0")
    events = [variable.name for variable in model.domain_variables("YE", "Events")]
    assert "YETERM" in events and "YESTDTC" in events and "YETESTCD" not in events
    interventions = [variable.name for variable in model.domain_variables("ZI", "Interventions")]
    assert "ZITRT" in interventions and "ZIDOSE" in interventions
    findings_about = [variable.name for variable in model.domain_variables("XF", "Findings About")]
    position = findings_about.index("XFTEST")
    assert findings_about[position - 1: position + 2] == ["XFTESTCD", "XFTEST", "XFOBJ"]


def test_wrong_class_or_domain_code() -> None:
    model = load_sdtm_model("2.0")
    with pytest.raises(KeyError, match="not a general observation class"):
        model.domain_variables("XA", "Special-Purpose")
    with pytest.raises(ValueError, match="two capital letters"):
        model.domain_variables("xa", "Findings")
