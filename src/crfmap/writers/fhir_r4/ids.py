"""Deterministic resource ids and the references between resources.

Ids are UUID v5 in a namespace of our own, over (study id, subject id, concept, key, part): the same
record always gets the same id, on every machine and in every run. `part` tells apart the several
resources one record makes (a Subject makes a Patient and a ResearchSubject).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

# Fixed for ever: changing it would change every id crfmap has ever written.
CRFMAP_NAMESPACE = uuid.UUID("6f1d1a64-2c55-5b0e-9a56-6372666d6170")

_SEPARATOR = "\x1f"  # unit separator: cannot occur in ids read from spreadsheets' visible text


_NAMESPACE_BYTES = CRFMAP_NAMESPACE.bytes


def make_resource_id(study_id: str, subject_id: str, concept: str, key: str, part: str = "") -> str:
    """The UUID v5 of the record's identity, as a FHIR id (lower-case hex with dashes, 36 characters)."""
    return uuid5_text(_SEPARATOR.join((study_id, subject_id, concept, key, part)))


def uuid5_text(name: str) -> str:
    """str(uuid.uuid5(CRFMAP_NAMESPACE, name)), without building a UUID object (RFC 4122 §4.3: SHA-1 of the
    namespace and the name, version 5 in the high nibble of byte 6, variant 10 in the top bits of byte 8): a third
    of the time, and ids are made for every resource and every reference."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


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
