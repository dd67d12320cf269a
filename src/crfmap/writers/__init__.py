"""Writers: the output registry `WRITERS`, one entry per target standard.

Adding a target is one package with an entry (a `Writer`: name, options, mapping-target models, lint, write)
and one line below; `--to`, its options, the mapping loader and `crfmap schema` all follow from the registry.
"""

from __future__ import annotations

from crfmap.writers.base import OptionSpec, PartRequest, SourceInfo, Writer, WriteRequest, WriteResult
from crfmap.writers.fhir_r4.entry import FHIR_WRITER
from crfmap.writers.sdtm.entry import SDTM_WRITER

WRITERS: dict[str, Writer] = {
    FHIR_WRITER.name: FHIR_WRITER,
    SDTM_WRITER.name: SDTM_WRITER,
}

__all__ = ["WRITERS", "OptionSpec", "PartRequest", "SourceInfo", "WriteRequest", "WriteResult", "Writer"]
