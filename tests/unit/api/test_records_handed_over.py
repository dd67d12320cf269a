"""A convert hands its records to the writers, and the last writer lets each go as it reads it: the validation
cannot be written a second time, and says so, rather than write an output without records."""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap.api import ConvertOptions, load_mapping
from crfmap.api.conversion import write_validated
from crfmap.api.validation import validate_workbook
from tests.e2e.reference import CLEAN, STUDY


@pytest.mark.parametrize("targets", [("sdtm",), ("fhir", "sdtm"), ("fhir",)])
def test_a_validation_is_written_once_and_a_second_write_says_why_it_cannot(tmp_path: Path, targets):
    mapping, _issues = load_mapping(STUDY)
    validation = validate_workbook(CLEAN, mapping, spill_records=targets == ("fhir",))
    options = ConvertOptions(out=tmp_path / "out", targets=targets, writer_options={"sdtm": {"transliterate": True}})
    first = write_validated(validation, options)
    assert first.exit_status == 0 and all(first.counts[target] for target in targets)
    assert validation.records == []  # the writers have them; the last let each go
    with pytest.raises(ValueError, match="validate the export again"):
        write_validated(validation, ConvertOptions(out=tmp_path / "again", targets=targets))
    assert not (tmp_path / "again").exists()


def test_a_refused_validation_keeps_its_records_for_another_try(tmp_path: Path):
    from tests.e2e.reference import MESSY

    mapping, _issues = load_mapping(STUDY)
    validation = validate_workbook(MESSY, mapping)
    records = len(validation.records)
    refused = write_validated(validation, ConvertOptions(out=tmp_path / "out", targets=("fhir",)))
    assert refused.exit_status != 0 and not refused.written
    assert len(validation.records) == records and not validation.written
