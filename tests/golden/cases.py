"""The golden cases: one crfmap command each, on the bundled studies' fixtures.

Each case runs the CLI in-process; its stdout and every file it writes under OUT are compared byte for byte with
`tests/golden/<case>/`. Paths in the arguments are relative to the repository root; `OUT` stands for the case's
output folder. Rebuild with `python -m pytest tests/golden --accept-golden` and review the change as a diff.
"""

from __future__ import annotations

from dataclasses import dataclass

CLEAN = "fixtures/blinatumomab_ped_all/clean.xlsx"
MESSY = "fixtures/blinatumomab_ped_all/messy.xlsx"
STUDY = "mappings/blinatumomab_ped_all"
COHORT = "mappings/vitals_phq9_cohort"
COHORT_EXPORT = "fixtures/vitals_phq9_cohort/export.csv"
COHORT_MESSY = "fixtures/vitals_phq9_cohort/messy/export.csv"


@dataclass(frozen=True)
class GoldenCase:
    name: str
    arguments: tuple[str, ...]
    exit_status: int


CASES = (
    GoldenCase("reference-convert", ("convert", CLEAN, "--study", STUDY, "--out", "OUT"), 0),
    GoldenCase("reference-fhir-ndjson-put-single",
               ("convert", CLEAN, "--study", STUDY, "--out", "OUT", "--to", "fhir", "--ndjson", "--request", "put",
                "--single"), 0),
    GoldenCase("reference-sdtm-every-format",
               ("convert", CLEAN, "--study", STUDY, "--out", "OUT", "--to", "sdtm", "--sdtm-format", "ndjson",
                "--sdtm-format", "csv"), 0),
    GoldenCase("messy-validate-text", ("validate", MESSY, "--study", STUDY, "--coverage"), 1),
    GoldenCase("messy-validate-json", ("validate", MESSY, "--study", STUDY, "--format", "json", "--coverage"), 1),
    # the second bundled study (YAML only): every SDTM domain it reaches, and its planted mistakes
    GoldenCase("cohort-sdtm", ("convert", COHORT_EXPORT, "--study", COHORT, "--out", "OUT", "--to", "sdtm"), 0),
    GoldenCase("cohort-messy-validate-json", ("validate", COHORT_MESSY, "--study", COHORT, "--format", "json",
                                               "--coverage"), 1),
    GoldenCase("messy-convert-allow-errors",
               ("convert", MESSY, "--study", STUDY, "--out", "OUT", "--allow-errors", "--allow-unmapped",
                "--transliterate"), 1),
)
