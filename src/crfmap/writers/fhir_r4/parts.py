"""One subject's FHIR output, made apart from the others, and the assembly that writes such parts into a run's
folder in subject order.

Every per-subject run is made this way: `FhirRun.make_part` builds a subject's bundle and NDJSON lines in memory
and `PartAssembly` writes them. A `convert` makes and writes each part in turn; a `convert-many` partition makes
the parts of its subjects wherever it runs and only their bytes travel back, and the driver assembles the parts
of every partition in subject order. The bytes are the same either way, because they are made by the same code:
only the place differs.

What a part cannot know alone is settled when it is written: its bundle's file name (two subject ids may make
the same safe name; the later subject gets a hash suffix) and the issues said once per run (W042 for a concept
with no FHIR resource: each part says it, the first in subject order is kept).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.issues import Issue
from crfmap.writers.atomic import safe_file_name
from crfmap.writers.fhir_r4.emit import NdjsonFiles
from crfmap.writers.fhir_r4.options import FhirWriteResult


@dataclass(slots=True)
class SubjectPart:
    """A subject's bundle file, its NDJSON lines by resource type, and what making them counted and found."""

    subject_id: str
    bundle: bytes
    ndjson: dict[str, bytes] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # resources by type (the bundle's entries)
    issues: list[Issue] = field(default_factory=list)
    once: dict[str, int] = field(default_factory=dict)  # concept → index in `issues` of its said-once W042
    invalid: list[Issue] = field(default_factory=list)  # --strict: W041 for the subject's resources
    times_of_day: int = 0


class PartAssembly:
    """Writes parts, in subject order, into the run's folder and adds up what they found."""

    def __init__(self, folder: Path, result: FhirWriteResult, ndjson: NdjsonFiles | None,
                 invalid: list[Issue]) -> None:
        self.folder = folder
        self.result = result
        self.ndjson = ndjson
        self.invalid = invalid
        self.used_names: set[str] = set()
        self.said_once: set[str] = set()

    def add(self, part: SubjectPart) -> None:
        name = bundle_name(part.subject_id, self.used_names)
        (self.folder / name).write_bytes(part.bundle)
        self.result.files.append(name)
        if self.ndjson is not None:
            for resource_type, lines in part.ndjson.items():
                self.ndjson.add_lines(resource_type, lines)
        for resource_type, count in part.counts.items():
            self.result.counts[resource_type] = self.result.counts.get(resource_type, 0) + count
        repeated = {index for concept, index in part.once.items() if concept in self.said_once}
        self.said_once.update(part.once)
        self.result.issues.extend(issue for index, issue in enumerate(part.issues) if index not in repeated)
        self.invalid.extend(part.invalid)
        self.result.times_of_day += part.times_of_day


def bundle_name(subject_id: str, used: set[str]) -> str:
    """bundle-<subject>.json; a short hash of the id is added when two ids make the same safe name."""
    name = f"bundle-{safe_file_name(subject_id)}.json"
    if name.lower() in used:
        digest = hashlib.sha256(subject_id.encode("utf-8")).hexdigest()[:10]
        name = f"bundle-{safe_file_name(subject_id)}-{digest}.json"
    used.add(name.lower())
    return name
