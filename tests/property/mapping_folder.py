"""The minimal mapping folder with FHIR and SDTM targets, so generated workbooks can be converted."""

from __future__ import annotations

from pathlib import Path

from tests.minimal_study import FILES, write_minimal_study

STUDY_ID = "MINI01"

# DM needs SITEID and COUNTRY (SDTMIG Req variables); the minimal form has no site column, so constants.
SUBJECT_TARGETS = """
              site: {op: constant, value: "01"}
              country: {op: constant, value: RUS}
            sdtm: {domain: DM}
"""
FINDING_TARGETS = """
            sdtm: {domain: LB}
            fhir: {resource: Observation, category: laboratory}
"""
UNITS = """
        sdtm:
          units: {"%": "%"}
        fhir:
          timezone: "+03:00"
"""
TIME_ZONE = "+03:00"  # FHIR needs a zone with any time of day; without one the writer keeps the date only
BIRTH_DATE_LINE = "              birth_date: {op: copy, column: birth_date}\n"


def write_convertible_study(folder: Path) -> Path:
    """The minimal study plus `sdtm:`/`fhir:` targets for both concepts, the SDTM unit of '%' and the
    FHIR time zone of the sites."""
    concepts = FILES["concepts.yaml"]
    assert BIRTH_DATE_LINE in concepts, "tests/minimal_study.py changed: update the property tests' mapping"
    concepts = concepts.replace(BIRTH_DATE_LINE, BIRTH_DATE_LINE + SUBJECT_TARGETS.lstrip("\n"), 1)
    concepts = concepts.rstrip() + "\n" + FINDING_TARGETS.lstrip("\n")
    return write_minimal_study(folder, **{"concepts.yaml": concepts, "study.yaml": FILES["study.yaml"] + UNITS})
