"""Which CDISC code lists bind which SDTM variable: the SDTMIG's variable metadata, TSVAL by TSPARMCD, the test
name by its test code, and a value-level code list where the mapping's code list is linked to a CDISC one.

Standards facts kept once, here: the response code list of each Trial Summary parameter (SDTMIG 3.4 TS, Appendix C
"Trial Summary Codes", as the CDISC CT TS response code lists name them) and which variables pair a code with its
name (--TESTCD/--TEST, TSPARMCD/TSPARM), whose terms share one NCI C-code.
"""

from __future__ import annotations

from functools import cache

from crfmap.standards import load_sdtmig

# TSPARMCD → the CDISC code list of its TSVAL (submission short names; CDISC CT "TS … Response" code lists).
TS_RESPONSES: dict[str, str] = {
    "ADAPT": "NY", "ADDON": "NY", "HLTSUBJI": "NY", "RANDOM": "NY", "EXTTIND": "NY", "PDSTIND": "NY",
    "PDPSTIND": "NY", "PIPIND": "NY", "RDIND": "NY", "ONGOSIND": "NY", "DMCIND": "NY", "SSTDYIND": "NY",
    "FDADRIND": "NY", "FDADEIND": "NY", "EPDISIND": "NY", "PASSIND": "NY",
    "DOSFRM": "FRM", "DOSFRQ": "FREQ", "DOSU": "UNIT", "ROUTE": "ROUTE",
    "INTMODEL": "INTMODEL", "INTTYPE": "INTTYPE", "SEXPOP": "SEXPOP", "STYPE": "STYPE", "TBLIND": "TBLIND",
    "TCNTRL": "TCNTRL", "TINDTP": "TINDTP", "TPHASE": "TPHASE", "TTYPE": "TTYPE",
    "OBSMODEL": "OBSSMO", "OBSTIMP": "OBSSTP", "OBSTSMM": "OBSSSM",
}

# The name variable of a code variable whose terms it names (same C-code in the paired code lists).
PAIRED_NAMES: dict[str, str] = {"TSPARM": "TSPARMCD"}
TEST_SUFFIX, TESTCD_SUFFIX = "TEST", "TESTCD"


def paired_code_variable(dataset: str, variable: str) -> str | None:
    """The code variable a name variable goes with: LBTEST → LBTESTCD, TSPARM → TSPARMCD; else None."""
    if variable in PAIRED_NAMES:
        return PAIRED_NAMES[variable]
    domain = dataset.removeprefix("SUPP")
    if len(domain) == 2 and variable == f"{domain}{TEST_SUFFIX}":
        return f"{domain}{TESTCD_SUFFIX}"
    return None


@cache
def variable_codes(sdtmig: str, dataset: str, variable: str) -> tuple[str, ...]:
    """The C-codes of the CDISC code lists the SDTMIG binds `dataset.variable` to; () when none (or unknown)."""
    guide = load_sdtmig(sdtmig)
    name = "SUPPQUAL" if dataset.startswith("SUPP") and len(dataset) == 6 else dataset
    domain = guide.domains.get(name)
    if domain is None or variable not in domain:
        return ()
    return tuple(reference.code for reference in domain.variable(variable).codelists)


# Record field → the variable suffixes the domain builders fill from it (DM: whole names). Mirrors the builders in
# writers/sdtm/domains/ (a test keeps it equal to what they write).
FIELD_VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "event": {"decoded": ("DECOD",), "grade": ("TOXGR",), "relation": ("REL",), "action": ("ACN",),
              "outcome": ("OUT",), "body_site": ("LOC",), "serious": ("SER",)},
    "intervention": {"route": ("ROUTE",), "frequency": ("DOSFRQ",), "body_site": ("LOC",), "occurred": ("OCCUR",)},
    # `interpretation` goes to --NRIND only from a code list linked to CDISC NRIND (checked as that code list)
    "finding": {"test": ("TESTCD",), "value_coded": ("ORRES", "STRESC"), "specimen": ("SPEC",),
                "method": ("METHOD",), "evaluator": ("EVAL",)},
    "subject": {"sex": ("SEX",), "race": ("RACE",), "ethnicity": ("ETHNIC",)},
}


def field_variables(record: str, domain: str, field: str) -> tuple[str, ...]:
    """The variables of `domain` a record field goes to (only those with CT interest are listed above)."""
    suffixes = FIELD_VARIABLES.get(record, {}).get(field, ())
    return suffixes if record == "subject" else tuple(domain + suffix for suffix in suffixes)
