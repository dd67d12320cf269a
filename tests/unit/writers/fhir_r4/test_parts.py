"""PartAssembly writes subjects' parts made apart (issue #16: convert-many's partitions write FHIR) as one run
writes them: files named in subject order (a later id that makes the same safe name gets a hash suffix), NDJSON
lines appended by type in subject order, counts summed in the order types first appear, W042 kept once per
concept (the first subject's), --strict issues in subject order."""

from __future__ import annotations

import hashlib

from crfmap.issues import make_issue
from crfmap.writers.fhir_r4.emit import NdjsonFiles
from crfmap.writers.fhir_r4.options import FhirWriteResult
from crfmap.writers.fhir_r4.parts import PartAssembly, SubjectPart


def issue(subject: str, value: str):
    return make_issue("W042", subject=subject, value=value, detail=value)


def test_parts_are_written_as_one_run_writes_them(tmp_path):
    first = SubjectPart(subject_id="01/001", bundle=b'{"a":1}\n', ndjson={"Patient": b"p1\n", "Observation": b"o1\n"},
                        counts={"Patient": 1, "Observation": 1},
                        issues=[issue("01/001", "visits"), issue("01/001", "second record")], once={"visit": 0},
                        invalid=[make_issue("W041", value="Observation/1", detail="bad")], times_of_day=2)
    second = SubjectPart(subject_id="01_001", bundle=b'{"b":2}\n', ndjson={"Observation": b"o2\no3\n",
                                                                          "Condition": b"c2\n"},
                         counts={"Observation": 2, "Condition": 1, "Patient": 1},
                         issues=[issue("01_001", "other"), issue("01_001", "visits")], once={"visit": 1},
                         times_of_day=1)
    result, invalid = FhirWriteResult(), []
    ndjson = NdjsonFiles(tmp_path)
    assembly = PartAssembly(tmp_path, result, ndjson, invalid)
    assembly.add(first)
    assembly.add(second)
    ndjson.close()
    suffix = hashlib.sha256(b"01_001").hexdigest()[:10]
    assert result.files == ["bundle-01_001.json", f"bundle-01_001-{suffix}.json"]
    assert (tmp_path / "bundle-01_001.json").read_bytes() == b'{"a":1}\n'
    assert (tmp_path / f"bundle-01_001-{suffix}.json").read_bytes() == b'{"b":2}\n'
    assert (tmp_path / "Observation.ndjson").read_bytes() == b"o1\no2\no3\n"
    assert (tmp_path / "Patient.ndjson").read_bytes() == b"p1\n"
    assert (tmp_path / "Condition.ndjson").read_bytes() == b"c2\n"
    assert list(result.counts.items()) == [("Patient", 2), ("Observation", 3), ("Condition", 1)]
    assert [(item.subject, item.value) for item in result.issues] == [
        ("01/001", "visits"), ("01/001", "second record"), ("01_001", "other")]
    assert [item.code for item in invalid] == ["W041"]
    assert result.times_of_day == 3
