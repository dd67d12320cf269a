"""Resource ids: the hand-rolled UUID v5 must equal the standard library's for every name."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from crfmap.writers.fhir_r4.ids import CRFMAP_NAMESPACE, make_resource_id, uuid5_text


@given(st.text())
def test_uuid5_text_is_the_standard_uuid5(name: str) -> None:
    assert uuid5_text(name) == str(uuid.uuid5(CRFMAP_NAMESPACE, name))


def test_a_known_id_never_changes() -> None:
    # computed with uuid.uuid5 independently of crfmap's code: ids written by earlier versions stay valid
    name = "BLINA-PED-ALL\x1f01-001\x1fPatient\x1f01-001\x1f"
    assert make_resource_id("BLINA-PED-ALL", "01-001", "Patient", "01-001") == str(uuid.uuid5(CRFMAP_NAMESPACE, name))
