"""Deterministic resource ids and the references between resources.

Ids are UUID v5 in a namespace of our own, over (study id, subject id, concept, key, part): the same
record always gets the same id, on every machine and in every run. `part` tells apart the several
resources one record makes (a Subject makes a Patient and a ResearchSubject).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# Fixed for ever: changing it would change every id crfmap has ever written.
CRFMAP_NAMESPACE = uuid.UUID("6f1d1a64-2c55-5b0e-9a56-6372666d6170")

_SEPARATOR = "\x1f"  # unit separator: cannot occur in ids read from spreadsheets' visible text


def make_resource_id(study_id: str, subject_id: str, concept: str, key: str, part: str = "") -> str:
    """The UUID v5 of the record's identity, as a FHIR id (lower-case hex with dashes, 36 characters)."""
    name = _SEPARATOR.join((study_id, subject_id, concept, key, part))
    return str(uuid.uuid5(CRFMAP_NAMESPACE, name))


@dataclass(frozen=True, slots=True)
class ResourceHandle:
    """A resource's type and id, and how other resources refer to it in this output."""

    resource_type: str
    id: str

    @property
    def full_url(self) -> str:
        return f"urn:uuid:{self.id}"

    def reference(self, in_bundle: bool) -> dict[str, str]:
        """In a bundle, the fullUrl (resolved inside the bundle); in NDJSON, the relative `Type/id`."""
        target = self.full_url if in_bundle else f"{self.resource_type}/{self.id}"
        return {"reference": target, "type": self.resource_type}
