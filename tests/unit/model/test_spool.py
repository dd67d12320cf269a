"""RecordSpool (issue #16, flat memory): whatever the buffer, chunk and fan-in, the records come back exactly as
sorting one list would give them, every time they are asked for; and what it holds in memory does not grow with
the number of records."""

from __future__ import annotations

import pickle
import tracemalloc
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crfmap.api.validation import validate_workbook
from crfmap.model import Coded, Coding, Event, Finding, PartialDate, Quantity, Record, Subject
from crfmap.model.spool import RecordSpool
from crfmap.sources import SourceCell
from tests.e2e.reference import MESSY, STUDY


def cell(row: int, column: int) -> SourceCell:
    return SourceCell(file="site.xlsx", sheet="Лаборатория", row=row, column=column)


def finding(subject: str, key: str, row: int, value: str = "5.0") -> Finding:
    return Finding(subject_id=subject, concept="marrow_blasts", key=key, category="laboratory",
                   test=Coded(codelist="marrow_test", value="blasts", display="Blasts", submission_value="BLAST",
                              codings=(Coding(system="http://example.org/test", code="blasts"),)),
                   value_quantity=Quantity(value=Decimal(value), unit="%",
                                           as_collected=Quantity(value=Decimal(value), unit="%")), date=PartialDate(2024, 3, row % 28 + 1),
                   sources={"value_quantity": (cell(row, 3),), "date": (cell(row, 2),)},
                   qualifiers={"comment": f"строка {row}"}, subject_cell=cell(row, 1))


records_strategy = st.lists(
    st.builds(finding, subject=st.sampled_from(["01-001", "01-002", "02-001", "10-001"]),
              key=st.sampled_from(["1", "2", "3", "10"]), row=st.integers(2, 500),
              value=st.sampled_from(["5.0", "12.50", "0"])),
    max_size=60)


def as_written(records: list[Record]) -> list[tuple[Record, SourceCell | None, type]]:
    """Equality of records leaves out subject_cell (provenance); the spool must keep it, and the class."""
    return [(record, record.subject_cell, type(record)) for record in records]


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, buffer=st.integers(1, 9), chunk=st.integers(1, 4), fan_in=st.integers(2, 4))
def test_the_spool_gives_back_what_one_stable_sort_gives(records, buffer, chunk, fan_in):
    # Repeated (subject, concept, key) on purpose: ties must keep the order the records were added in.
    spool = RecordSpool(buffer=buffer, chunk=chunk, fan_in=fan_in)
    half = len(records) // 2
    spool.extend(records[:half])
    spool.extend(records[half:])
    expected = sorted(records, key=lambda record: record.sort_key)
    assert spool.spilled == len(records) // buffer
    assert as_written(list(spool)) == as_written(expected)
    assert as_written(list(spool)) == as_written(expected)  # as often as asked
    assert len(spool) == len(records)
    spool.close()


def test_every_kind_of_record_of_the_messy_fixture_comes_back_equal():
    records = validate_workbook(MESSY, STUDY).records
    assert {type(record) for record in records} >= {Subject, Finding, Event}
    spool = RecordSpool(buffer=7, chunk=3, fan_in=2)  # several merge passes
    spool.extend(records)
    assert spool.spilled == len(records) // 7
    assert as_written(list(spool)) == as_written(sorted(records, key=lambda record: record.sort_key))
    spool.close()


def test_leave_out_drops_the_subjects_records_and_counts_them():
    records = [finding("01-001", "1", 2), finding("01-002", "1", 3), finding("01-001", "2", 4)]
    spool = RecordSpool(buffer=2)
    spool.extend(records)
    spool.leave_out({"01-001"}, 2)
    assert [record.subject_id for record in spool] == ["01-002"]
    assert len(spool) == 1


def test_subjects_with_a_subject_record_are_known_without_reading_the_records_back():
    spool = RecordSpool(buffer=1)
    spool.extend([Subject(subject_id="01-001", concept="demographics", key="1"), finding("01-002", "1", 2)])
    assert spool.subjects_with_record == {"01-001"}


def many_findings(count: int) -> Iterator[Finding]:
    for number in range(count):
        yield finding(f"{number % 997:04d}-{number:06d}", str(number), number % 1000 + 2, value=f"{number}.5")


def peak_memory(count: int, spooled: bool = True) -> int:
    """Peak traced memory of taking `count` records made one at a time and reading them back in order."""
    tracemalloc.start()
    try:
        spool = RecordSpool(buffer=256, chunk=32, fan_in=8) if spooled else None
        if spool is not None:
            spool.extend(many_findings(count))
            records: Iterable[Finding] = spool
        else:
            records = sorted(many_findings(count), key=lambda record: record.sort_key)
        previous = ""
        for record in records:
            assert record.sort_key[0] >= previous
            previous = record.sort_key[0]
        if spool is not None:
            spool.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_when_the_records_grow_fourfold():
    small, large = peak_memory(3_000), peak_memory(12_000)
    held_small, held_large = peak_memory(3_000, spooled=False), peak_memory(12_000, spooled=False)
    assert held_large - held_small > 10 * 2**20  # held in a list, 9,000 more records take over 10 MiB
    # Spooled, what grows is a few numbers per run (the offsets of its chunks), not the records.
    assert large - small < (held_large - held_small) / 20, (small, large, held_small, held_large)
    assert large < held_small


def test_a_spool_that_cannot_write_raises_oserror_and_holds_nothing(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path):
    import crfmap.model.spool as spool_module

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool_module.tempfile, "TemporaryFile", full)
    spool = RecordSpool(buffer=2)
    with pytest.raises(OSError):
        spool.extend([finding("01-001", str(number), number + 2) for number in range(3)])


@settings(max_examples=60, deadline=None)
@given(records=records_strategy, buffer=st.integers(1, 70), chunk=st.integers(1, 4), fan_in=st.integers(2, 4))
def test_the_last_reader_gets_the_same_records_and_cannot_read_them_twice(records, buffer, chunk, fan_in):
    spool = RecordSpool(buffer=buffer, chunk=chunk, fan_in=fan_in)
    spool.extend(records)
    expected = as_written(list(spool))
    spool.hand_over()
    assert as_written(list(spool)) == expected
    assert len(spool) == len(records)
    with pytest.raises(RuntimeError, match="handed over"):
        iter(spool)  # never an empty second pass that would write nothing, silently


def test_the_last_reader_lets_each_record_in_memory_go_as_it_is_given():
    import gc

    def alive() -> int:
        gc.collect()
        return sum(isinstance(item, Finding) for item in gc.get_objects())

    spool = RecordSpool.of([finding("01-001", str(key), key + 2) for key in range(50)])
    before = alive()
    spool.hand_over()
    reading = iter(spool)
    for _ in range(10):
        next(reading)  # given and dropped, as a writer that keeps only its rows does
    assert alive() == before - 10
    rest = sum(1 for _ in reading)
    assert rest == 40
    assert alive() == before - 50


def by_subject(records: list[Finding], parts: int) -> list[list[Finding]]:
    """Records split by subject, as convert-many's partitions split them (each part in the order made)."""
    subjects = sorted({record.subject_id for record in records})
    return [[record for record in records if subjects.index(record.subject_id) % parts == part]
            for part in range(parts)]


@settings(max_examples=80, deadline=None)
@given(records=records_strategy, parts=st.integers(1, 3), buffer=st.integers(1, 9), chunk=st.integers(1, 4),
       fan_in=st.integers(2, 4), left_out=st.sets(st.sampled_from(["01-001", "02-001"])),
       own=st.sampled_from([0, 1, 100]))
def test_sealed_runs_adopted_by_another_spool_give_back_one_stable_sort(records, parts, buffer, chunk, fan_in,
                                                                          left_out, own, tmp_path_factory):
    # A convert-many partition's spool leaves its runs in a named file and seals it; the driver's spool adopts
    # every partition's runs (leaving out some subjects, R055's) with records of its own, and merges them all:
    # the same as one stable sort of the records kept, repeated sort keys included.
    folder = tmp_path_factory.mktemp("sealed")
    driver = RecordSpool(buffer=own or None, chunk=chunk, fan_in=fan_in)
    kept: list[Finding] = []
    for number, part in enumerate(by_subject(records, parts)):
        spool = RecordSpool(buffer=buffer, chunk=chunk, path=str(folder / f"part-{number}"))
        spool.extend(part)
        sealed = spool.seal()
        assert spool.runs == [] and spool.buffer == []  # closed: it holds nothing
        assert sealed.count == len(part) and len(sealed.runs) == (-(-len(part) // buffer) if part else 0)
        assert sum(sealed.subjects.values()) == len(part)
        if number == 0 and own:  # records of its own too, as from a cluster (a sorted list)
            driver.adopt(sorted(part, key=lambda record: record.sort_key), left_out)
        else:
            driver.adopt(pickle.loads(pickle.dumps(sealed)), left_out)  # it travels by pickle
        kept += [record for record in part if record.subject_id not in left_out]
    expected = as_written(sorted(kept, key=lambda record: record.sort_key))
    assert len(driver) == len(kept)
    assert as_written(list(driver)) == expected
    assert as_written(list(driver)) == expected  # as often as asked, merge passes included
    driver.close()


def test_only_a_named_spool_not_yet_read_can_be_sealed(tmp_path: Path):
    with pytest.raises(ValueError, match="path"):
        RecordSpool().seal()
    spool = RecordSpool(buffer=1, fan_in=2, path=str(tmp_path / "records"))
    spool.extend([finding("01-001", str(number), number + 2) for number in range(3)])
    assert len(list(spool)) == 3  # three runs merged into a file of its own: the named file no longer says it
    with pytest.raises(ValueError, match="before it is read"):
        spool.seal()
    spool.close()
    with pytest.raises(FileExistsError):  # never another's file
        RecordSpool(buffer=1, path=str(tmp_path / "records")).extend([finding("01-001", "1", 2)])
