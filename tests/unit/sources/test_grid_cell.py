"""A grid cell's position is made by setting SourceCell's slots directly (Row.source, per cell read): it must be
the very value SourceCell(...) makes — equal, hashed, ordered, printed, frozen and pickled alike."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from crfmap.sources import Row, SourceCell
from crfmap.sources.positions import grid_cell


@pytest.mark.parametrize("line", [None, 7])
def test_a_grid_cell_is_the_sourcecell_its_fields_make(line: int | None) -> None:
    made = grid_cell("site.xlsx", "НЯ", 12, 28, line)
    expected = SourceCell("site.xlsx", "НЯ", 12, 28, (), line)
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert type(made) is SourceCell and dataclasses.astuple(made) == ("site.xlsx", "НЯ", 12, 28, (), line)
    assert str(made) == "НЯ!AB12" and made.item_path is None
    assert sorted([SourceCell("site.xlsx", "НЯ", 12, 29), made]) == [made, SourceCell("site.xlsx", "НЯ", 12, 29)]
    assert pickle.loads(pickle.dumps(made)) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.row = 13  # type: ignore[misc]


def test_row_source_uses_items_and_lines_when_the_row_has_them() -> None:
    grid = Row(3, {1: "a"}, line=9)
    assert grid.source("f.csv", "f", 1) == SourceCell("f.csv", "f", 3, 1, (), 9)
    odm = Row(3, {1: "a"}, items={1: ("SubjectKey 01",)}, line=9, lines={1: 11})
    assert odm.source("f.xml", "AE", 1) == SourceCell("f.xml", "AE", 3, 1, ("SubjectKey 01",), 11)
    assert odm.source("f.xml", "AE", 2) == SourceCell("f.xml", "AE", 3, 2, (), 9)


def test_a_kept_rows_cells_are_made_from_its_position_and_equal_the_cells_read():
    from crfmap.sources import RowCells, SourceCell

    read = {name: SourceCell("export.csv", "Демография", 7, column, (), None)
            for name, column in (("subject", 1), ("sex", 3), ("birth_date", 4))}
    shared: dict = {}
    kept = RowCells.of(dict(read), shared)
    assert isinstance(kept, RowCells) and dict(kept) == read and len(kept) == 3
    assert kept.get("sex") == read["sex"] and kept.get("weight") is None and "birth_date" in kept
    other = RowCells.of({name: SourceCell("export.csv", "Демография", 8, cell.column, (), None)
                         for name, cell in read.items()}, shared)
    assert isinstance(other, RowCells) and other.columns is kept.columns  # one map of columns per sheet layout
    with pytest.raises(TypeError):
        kept["sex"] = read["sex"]


def test_cells_of_more_than_one_row_or_with_item_paths_are_kept_as_they_are():
    from crfmap.sources import RowCells, SourceCell

    wide = {"term": SourceCell("ae.xlsx", "AE", 5, 2), "group": SourceCell("ae.xlsx", "AE", 4, 2)}  # named above
    odm = {"term": SourceCell("study.xml", "F.AE", 1, 1, ("ItemOID I.AETERM",), 40)}
    assert RowCells.of(wide, {}) is wide and RowCells.of(odm, {}) is odm and RowCells.of({}, {}) == {}
