"""The run's inputs as provenance names them: never a machine path, always a digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The input file (bare name, SHA-256, size) and, once known, the mapping's SHA-256 and version and
    crfmap's own version: what FHIR Provenance and define.xml record about where an output came from."""

    file: str
    sha256: str
    size: int = 0
    mapping_sha256: str | None = None
    mapping_version: str | None = None
    crfmap_version: str | None = None


def describe_source(path: Path) -> SourceInfo:
    """Name, SHA-256 and size of an input file, streamed (a folder of csv files has no digest of its own)."""
    digest = hashlib.sha256()
    size = 0
    if path.is_file():
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    return SourceInfo(file=path.name, sha256=digest.hexdigest(), size=size)
