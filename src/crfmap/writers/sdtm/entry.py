"""The SDTM writer's entry in the output registry: its options, its mapping targets, and `write`.

Kept light: the domain builders and file writers are imported only when something is written.
"""

from __future__ import annotations

from crfmap.writers.base import OptionSpec, Writer, WriteRequest, WriteResult
from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets
from crfmap.writers.sdtm.domains.targets import SdtmTarget, StudySdtm

FILE_FORMATS = ("xpt", "json", "ndjson", "csv")

OPTIONS = (
    OptionSpec("sdtm_formats", "--sdtm-format", "SDTM: file formats (define.xml is always written).",
               kind="choice", default=("xpt", "json"), choices=FILE_FORMATS, multiple=True),
    OptionSpec("transliterate", "--transliterate",
               "SDTM XPT: transliterate Cyrillic to Latin instead of refusing non-ASCII values."),
)


def write(request: WriteRequest) -> WriteResult:
    from crfmap.writers.sdtm.writer import SdtmOptions, write_sdtm_into

    formats = tuple(dict.fromkeys(request.options["sdtm_formats"]))
    options = SdtmOptions(formats=formats, transliterate=request.options["transliterate"])
    written = write_sdtm_into(request.records, request.study, request.folder, options,
                              request.source.crfmap_version or "unknown")
    # errors stopped the writing (FatalIssue); what is left are warnings and notes
    return WriteResult(files=written.files, counts=written.rows,
                       issues=[issue for issue in written.issues if issue.severity.value != "error"])


SDTM_WRITER = Writer(
    name="sdtm", summary="CDISC SDTM: XPT v5, Dataset-JSON 1.1, Define-XML 2.1, CSV", options=OPTIONS,
    concept_target=SdtmTarget, study_settings=StudySdtm, lint=lint_sdtm_targets, write=write)
