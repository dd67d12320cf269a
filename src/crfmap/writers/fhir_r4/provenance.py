"""One Provenance per bundle (per subject in NDJSON): what was made, from what, by which program, when.

target = every other resource of the bundle; recorded = a fixed instant, never the wall clock: the
`recorded` option, else the study's data cut-off date at 00:00 UTC (a FatalIssue when neither is set,
because R4 requires Provenance.recorded). agent = crfmap with its version (a display-only reference:
no Device resource is invented). entity = the input file (name, SHA-256) and the mapping (study id,
version, SHA-256), both role `source`. Which cells each resource came from sits on that resource's
`meta` (`source-cells` extensions), so a resource carries its own trace when split from the bundle.
"""

from __future__ import annotations

import re
from typing import Any

from crfmap.issues import FatalIssue, make_issue
from crfmap.writers.fhir_r4.context import StudyContext
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.options import SourceInfo

PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def choose_recorded(context: StudyContext) -> str:
    """Provenance.recorded: the option, else the data cut-off at midnight UTC."""
    if context.options.recorded:
        if not INSTANT.match(context.options.recorded):
            raise FatalIssue(make_issue("W040", value=context.options.recorded,
                                        detail="it is not an instant such as 2024-06-30T00:00:00Z"))
        return context.options.recorded
    cutoff = context.study.study.data_cutoff
    if cutoff and DATE.match(cutoff):
        return f"{cutoff}T00:00:00Z"
    raise FatalIssue(make_issue("W040", value=cutoff or "(none)",
                                detail="study.yaml has no data_cutoff date (YYYY-MM-DD) and no --recorded was given"))


def make_hash_identifier(sha256: str) -> dict[str, Any]:
    return {"type": {"text": "SHA-256"}, "value": sha256}


def build_provenance(handle: ResourceHandle, targets: list[ResourceHandle], recorded: str, source: SourceInfo,
                     context: StudyContext) -> dict[str, Any]:
    study = context.study
    version = source.crfmap_version or "unknown"
    mapping_version = source.mapping_version or study.study.version
    mapping_sha = source.mapping_sha256 or study.sha256
    return {
        "resourceType": "Provenance",
        "id": handle.id,
        "target": [context.reference(target) for target in targets],
        "recorded": recorded,
        "activity": {"text": "crfmap conversion of a study workbook to FHIR R4"},
        "agent": [{
            "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "assembler", "display": "Assembler"}]},
            "who": {"display": f"crfmap {version}"},
        }],
        "entity": [
            {"role": "source", "what": {"identifier": make_hash_identifier(source.sha256),
                                        "display": source.file}},
            {"role": "source", "what": {"identifier": make_hash_identifier(mapping_sha),
                                        "display": f"mapping {study.study.id} version {mapping_version}"}},
        ],
    }
