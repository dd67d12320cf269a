"""Lint the writers' targets (`fhir:` / `sdtm:` keys of concepts) as part of loading a mapping."""

from __future__ import annotations

from crfmap.issues import Issue
from crfmap.study.models import StudyMapping


def lint_targets(study: StudyMapping) -> list[Issue]:
    from crfmap.writers.fhir_r4 import lint_fhir_targets
    from crfmap.writers.sdtm.domains.targets import lint_sdtm_targets

    return [*lint_fhir_targets(study), *lint_sdtm_targets(study)]
