"""The SDTM writer's entry in the output registry: its options, its mapping targets, and `write`.

Kept light: the domain builders and file writers are imported only when something is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crfmap.issues import Issue
from crfmap.study.models import StudyMapping
from crfmap.writers.base import OptionSpec, PartRequest, SubjectParts, Writer, WriteRequest, WriteResult
from crfmap.writers.sdtm.controlled_terms.lint import lint_terminology
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets
from crfmap.writers.sdtm.domains.targets import SdtmTarget, StudySdtm
from crfmap.writers.sdtm.trial_design.lint import lint_trial_design

if TYPE_CHECKING:
    from crfmap.writers.sdtm.build import SdtmBuild

FILE_FORMATS = ("xpt", "json", "ndjson", "csv")

OPTIONS = (
    OptionSpec("sdtm_formats", "--sdtm-format", "SDTM: file formats (define.xml is always written).",
               kind="choice", default=("xpt", "json"), choices=FILE_FORMATS, multiple=True),
    OptionSpec("transliterate", "--transliterate",
               "SDTM XPT: transliterate Cyrillic to Latin instead of refusing non-ASCII values."),
    OptionSpec("meddra", "--meddra", "SDTM: the study's MedDRA ASCII distribution (folder with llt.asc and "
               "mdhier.asc) for the AE hierarchy; without it the hierarchy stays empty, never guessed.",
               kind="text", metavar="DIR"),
)


def write(request: WriteRequest) -> WriteResult:
    from crfmap.writers.sdtm.build import build_sdtm

    return _write_built(request, build_sdtm(request.records, request.study))


def make_parts(request: PartRequest) -> Iterator[Any]:
    """Each subject's SDTM part (its rows in every domain, what decides the variables, its issues), made where a
    convert-many partition runs; the driver assembles them (`write_parts`)."""
    from crfmap.writers.sdtm.build import make_sdtm_parts

    return make_sdtm_parts(request.records, request.study)


def write_parts(request: WriteRequest, parts: Iterable[Any]) -> WriteResult:
    from crfmap.writers.sdtm.build import assemble_sdtm

    return _write_built(request, assemble_sdtm(parts, request.study))


def _write_built(request: WriteRequest, built: SdtmBuild) -> WriteResult:
    from crfmap.writers.sdtm.writer import SdtmOptions, write_built_into

    formats = tuple(dict.fromkeys(request.options["sdtm_formats"]))
    meddra = request.options.get("meddra")
    options = SdtmOptions(formats=formats, transliterate=request.options["transliterate"],
                          meddra=Path(meddra) if meddra else None)
    written = write_built_into(built, request.study, request.folder, options,
                               request.source.crfmap_version or "unknown")
    # errors stopped the writing (FatalIssue); what is left are warnings and notes
    return WriteResult(files=written.files, counts=written.rows,
                       issues=[issue for issue in written.issues if issue.severity.value != "error"])


def lint_sdtm_study(study: StudyMapping) -> list[Issue]:
    """Everything the SDTM writer can check before any data is read: targets (P011), trial design (P044, P045)
    and controlled terminology (P040–P043)."""
    issues = lint_sdtm_targets(study)
    if any(issue.code == "P011" for issue in issues):
        return issues  # the other checks read the same settings
    return issues + lint_trial_design(study) + lint_terminology(study)


SDTM_WRITER = Writer(
    name="sdtm", summary="CDISC SDTM: XPT v5, Dataset-JSON 1.1, Define-XML 2.1, CSV", options=OPTIONS,
    concept_target=SdtmTarget, study_settings=StudySdtm, lint=lint_sdtm_study, write=write, streams_records=True,
    parts=SubjectParts(applies=lambda options: True, make=make_parts, write=write_parts,
                       on_this_machine=False))
