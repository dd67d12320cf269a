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
