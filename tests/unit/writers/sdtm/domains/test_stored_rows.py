"""A dataset's rows on disk (writers/sdtm/domains/stored_rows.py) read back as the list of dicts they stand for:
by iteration, index, slice and column, after changes, with their input cells; and memory holds one block."""

from __future__ import annotations

import pytest

from crfmap.sources import SourceCell
from crfmap.writers.sdtm.domains.context import OwnCells
from crfmap.writers.sdtm.domains.stored_rows import RowStore, StoredColumn, StoredRows, columns_of_rows
from crfmap.writers.sdtm.preparation import prepare_dataset

NAMES = ("STUDYID", "USUBJID", "LBSEQ", "LBTESTCD", "LBORRES", "LBDTC")


def cell(row: int, column: str = "B") -> SourceCell:
    return SourceCell(file="export.csv", sheet="labs", row=row, column=ord(column) - ord("A") + 1)


def make_rows(count: int) -> tuple[list, list, list, list[dict]]:
    """`count` rows that fill different variables (a result left empty on every third), their cells and lookups,
    and the dicts they stand for."""
    rows, sources, cells, expected = [], [], [], []
    for number in range(count):
        values = {"STUDYID": "S1", "USUBJID": f"S1-{number // 4:03d}", "LBSEQ": number % 4 + 1,
                  "LBTESTCD": "BLAST", "LBORRES": None if number % 3 == 0 else f"{number}.5",
                  "LBDTC": "2024-01-0" + str(number % 9 + 1)}
        filled = tuple(name for name, value in values.items() if value is not None)
        rows.append((filled, tuple(values[name] for name in filled)))
        sources.append((cell(number + 2),))
        cells.append(OwnCells(set(), {}, {"LBORRES": "result"}, {"result": (cell(number + 2, "E"),)}, None))
        expected.append(dict(values))
    return rows, sources, cells, expected


def stored(count: int, block: int = 4) -> tuple[RowStore, list[dict]]:
    names: set[str] = set()
    store = RowStore(names, block_rows=block)
    rows, sources, cells, expected = make_rows(count)
    for lookup in cells:  # as DomainAssembly.take links them: they answer for the dataset's variables
        lookup.names = names
    for start in range(0, count, 5):  # pieces of 5 rows, as blocks of subjects give them
        store.extend(rows[start:start + 5], sources[start:start + 5], cells[start:start + 5])
    names.update(NAMES)
    return store, expected


def test_memory_holds_less_than_one_block_and_the_rest_is_on_disk():
    store, _ = stored(23, block=4)
    assert store.spilled and len(store.offsets) == 5 and len(store.rows) == 3 and len(store) == 23


@pytest.mark.parametrize("count", [4, 9, 23])
def test_rows_read_back_as_the_dicts_they_stand_for(count):
    store, expected = stored(count)
    rows = StoredRows(store, NAMES)
    assert len(rows) == count and list(rows) == expected
    assert [list(row) for row in rows] == [list(NAMES)] * count  # keys in the variables' order, as finish makes
    assert rows[0] == expected[0] and rows[-1] == expected[-1] and rows[count // 2] == expected[count // 2]
    for start, stop in [(0, count), (3, 9), (4, 8), (7, 7), (9, 3), (-5, None), (2, 100)]:
        assert rows[start:stop] == expected[start:stop]
    assert rows[1:9:3] == expected[1:9:3]
    with pytest.raises(IndexError):
        rows[count]
    assert [first for first, _ in rows.blocks()] == list(range(0, count, 4))


def test_columns_read_only_what_is_asked_and_null_where_a_row_or_the_dataset_has_none():
    store, expected = stored(10)
    rows = StoredRows(store, NAMES[:-1])  # LBDTC is not a variable of this dataset
    columns = columns_of_rows(rows, ["LBORRES", "LBDTC", "VISIT"])
    assert columns["LBORRES"] == [row["LBORRES"] for row in expected]
    assert columns["LBDTC"] == [None] * 10 and columns["VISIT"] == [None] * 10
    assert columns_of_rows(expected, ["LBORRES"]) == {"LBORRES": columns["LBORRES"]}  # a list: the same


def test_a_change_is_made_once_and_later_changes_build_on_it():
    store, expected = stored(13)
    rows = StoredRows(store, NAMES)

    def upper_results(count: int, columns: dict[str, list]) -> dict[str, list] | None:
        results = [f"<{value}" if isinstance(value, str) and sequence == 2 else value
                   for value, sequence in zip(columns.get("LBORRES", [None] * count), columns["LBSEQ"], strict=True)]
        return {**columns, "LBORRES": results} if results != columns.get("LBORRES") else None

    def mark_day_one(count: int, columns: dict[str, list]) -> dict[str, list] | None:
        codes = ["DAY1" if day == "2024-01-01" else code for code, day in zip(columns["LBTESTCD"], columns["LBDTC"],
                                                                               strict=True)]
        return {**columns, "LBTESTCD": codes} if codes != columns["LBTESTCD"] else None

    once = rows.rewritten(upper_results)
    twice = once.rewritten(mark_day_one)
    for row in expected:
        if isinstance(row["LBORRES"], str) and row["LBSEQ"] == 2:
            row["LBORRES"] = f"<{row['LBORRES']}"
    assert list(once) == expected
    for row in expected:
        if row["LBDTC"] == "2024-01-01":
            row["LBTESTCD"] = "DAY1"
    assert list(twice) == expected and columns_of_rows(twice, ["LBTESTCD"])["LBTESTCD"].count("DAY1") == 2
    assert list(rows) != expected  # the rows themselves are not changed
    assert rows.rewritten(lambda count, columns: None).patches is None  # nothing changed: nothing written again


def test_each_rows_input_cells_and_lookups_come_back_by_index():
    store, _ = stored(11)
    sources, lookups = StoredColumn(store, 0), StoredColumn(store, 1)
    assert len(sources) == 11 and [sources[index][0].a1 for index in range(11)] == [f"B{n + 2}" for n in range(11)]
    assert lookups[6].get("LBORRES") == (cell(8, "E"),)  # read back from disk, answering for the variables
    assert lookups[10].get("LBORRES") == (cell(12, "E"),)  # held in memory
    assert lookups[6].get("NOTAVAR") is None
    assert [found[0].a1 for found in sources[8:11]] == ["B10", "B11", "B12"]


def test_preparing_a_stored_dataset_checks_and_measures_it_as_a_list():
    from crfmap.writers.sdtm.dataset import Dataset, Variable

    store, expected = stored(14)
    expected[9]["LBORRES"] = "Бласты"  # Cyrillic on disk: W002 without transliteration, at its row
    patched = StoredRows(store, NAMES).rewritten(_set_cyrillic)
    variables = [Variable(name=name, label=name, data_type="integer" if name == "LBSEQ" else "text")
                 for name in NAMES]

    def dataset(rows, sources, cells):
        return Dataset(name="LB", label="Laboratory Test Results", structure="", klass="FINDINGS",
                       variables=variables, rows=rows, sources=sources, cells=cells)

    on_disk, disk_issues = prepare_dataset(dataset(patched, StoredColumn(store, 0), StoredColumn(store, 1)))
    in_memory, memory_issues = prepare_dataset(dataset(expected, list(StoredColumn(store, 0)),
                                                       list(StoredColumn(store, 1))))
    assert [variable.length for variable in on_disk.variables] == [variable.length for variable in in_memory.variables]
    assert [(issue.code, issue.cell) for issue in disk_issues] == [(issue.code, issue.cell) for issue in memory_issues]
    assert [issue.code for issue in disk_issues] == ["W002"] and disk_issues[0].cell == "E11"  # the value's own
    transliterated, _ = prepare_dataset(dataset(patched, StoredColumn(store, 0), StoredColumn(store, 1)),
                                        transliterate=True)
    assert transliterated.rows[9]["LBORRES"] == "Blasty" and list(patched)[9]["LBORRES"] == "Бласты"


def _set_cyrillic(count: int, columns: dict[str, list]) -> dict[str, list] | None:
    hit = [index for index, (subject, sequence) in enumerate(zip(columns["USUBJID"], columns["LBSEQ"], strict=True))
           if subject == "S1-002" and sequence == 2]
    if not hit:
        return None
    results = list(columns.get("LBORRES", [None] * count))
    for index in hit:
        results[index] = "Бласты"
    return {**columns, "LBORRES": results}
