"""A dataset's rows on disk: kept in blocks while the study is assembled, and read back a block at a time.

Holding every SDTM row until the files are written made the writer's memory grow with the input (about 1 KiB
per row, more than half of it the rows' input cells). A `RowStore` keeps a dataset's rows, each row's input
cells and cell lookup in blocks of `BLOCK_ROWS`; each full block is pickled to an anonymous temporary file
(`tempfile.TemporaryFile`: unlinked when made, private to the process, so what is unpickled is only what this
run wrote). A dataset with fewer rows than a block never touches the disk, and its rows stay a list.

`StoredRows` is the dataset's `rows` once it is made: a sequence that reads the blocks again on every pass, so a
pass holds one block. Iterating it makes each row's dict as it goes; `columns_of_rows` and `column_blocks` take
some variables' values as they are stored, without the dicts (what the writer's steps use). `StoredColumn` gives
a row's input cells and cell lookup by index (only a row an issue points at is asked). The bytes written do not depend on the block size:
`tests/e2e/test_stored_rows.py` converts with tiny blocks and compares.
"""

from __future__ import annotations

import io
import operator
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, overload

from crfmap.model.spool import TemporarySpaceError, pickle_dispatch
from crfmap.sources import SourceCell
from crfmap.writers.sdtm.domains.context import OwnCells

BLOCK_ROWS = 1_024  # rows per block: what a pass over a dataset holds (a few hundred KiB)

Row = tuple[tuple[str, ...], tuple[Any, ...]]  # (the variables a row fills, in its order; their values)
Cells = tuple[list[tuple[SourceCell, ...]], list[OwnCells]]  # a block's input cells and cell lookups
Columns = tuple[int, dict[str, list[Any]]]  # a block's rows as (how many, each variable's values): absent, all null

_NO_NAMES: frozenset[str] = frozenset()


def to_columns(rows: list[Row]) -> Columns:
    """Rows as columns: a pass that reads a few variables takes their lists, and a row's dict is made by zip."""
    made = [dict(zip(filled, values)) for filled, values in rows]
    names = dict.fromkeys(name for filled in {filled for filled, _ in rows} for name in filled)
    return len(rows), {name: [row.get(name) for row in made] for name in sorted(names)}


def _own_cells(explicit: Any, fields: Any, sources: Any, subject_cell: Any) -> OwnCells:
    return OwnCells(_NO_NAMES, explicit, fields, sources, subject_cell)


def _reduce_own_cells(cells: OwnCells) -> tuple[Any, ...]:
    # `names` is the dataset's set of variables, the same for every row: set again when a block is read
    return _own_cells, (cells.explicit, cells.fields, cells.sources, cells.subject_cell)


_DISPATCH = pickle_dispatch()
_DISPATCH[OwnCells] = _reduce_own_cells


class RowStore:
    """One dataset's rows, input cells and cell lookups, in blocks; full blocks go to disk. `names` is the set
    of the dataset's variables (filled when the dataset is made) that every row's cell lookup answers for."""

    def __init__(self, names: set[str], block_rows: int | None = None) -> None:
        self.block_rows = block_rows or BLOCK_ROWS  # read when made, so that a test may set it small
        self.names = names
        self.rows: list[Row] = []  # the rows after the last block written
        self.sources: list[tuple[SourceCell, ...]] = []
        self.cells: list[OwnCells] = []
        self.offsets: list[tuple[int, int]] = []  # where each block's rows and its cells start in the file
        self.file: IO[bytes] | None = None
        self._read: tuple[int, Cells] | None = None  # the cells of the block read last, for lookups by index
        self._tail: Columns | None = None  # the rows after the last block written, as columns

    def extend(self, rows: list[Row], sources: list[tuple[SourceCell, ...]], cells: list[OwnCells]) -> None:
        self.rows.extend(rows)
        self.sources.extend(sources)
        self.cells.extend(cells)
        size = self.block_rows
        while len(self.rows) >= size:
            self._write(self.rows[:size], (self.sources[:size], self.cells[:size]))
            del self.rows[:size], self.sources[:size], self.cells[:size]

    @property
    def spilled(self) -> bool:
        """Whether some rows are on disk (else every row is in `rows`)."""
        return bool(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) * self.block_rows + len(self.rows)

    @property
    def block_count(self) -> int:
        return len(self.offsets) + (1 if self.rows else 0)

    def block(self, number: int) -> Columns:
        """Block `number` (0-based) as columns: from the file, or made of the rows held after the last block
        written."""
        if number == len(self.offsets):
            tail = self._tail
            if tail is None or tail[0] != len(self.rows):  # made once for the passes after the last rows came
                tail = self._tail = to_columns(self.rows)
            return tail
        columns: Columns = self._load(self.offsets[number][0])
        return columns

    def cells_block(self, number: int) -> Cells:
        """The input cells and cell lookups of block `number`'s rows; the block read last is kept (an issue's
        row is looked up more than once)."""
        if number == len(self.offsets):
            return self.sources, self.cells
        read = self._read
        if read is not None and read[0] == number:
            return read[1]
        cells: Cells = self._load(self.offsets[number][1])
        names = self.names
        for lookup in cells[1]:
            lookup.names = names
        self._read = (number, cells)
        return cells

    def _load(self, offset: int) -> Any:
        assert self.file is not None
        self.file.seek(offset)
        return pickle.load(self.file)

    def _write(self, rows: list[Row], cells: Cells) -> None:
        """The rows (as columns) and their cells as two pickles: a pass over the rows never reads the cells."""
        offsets = []
        for written in (to_columns(rows), cells):
            buffer = io.BytesIO()
            pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _DISPATCH
            pickler.dump(written)
            offsets.append(_append(self, buffer.getbuffer()))
        self.offsets.append((offsets[0], offsets[1]))


class StoredRows(Sequence[dict[str, Any]]):
    """A stored dataset's rows as dicts over its variables (`names`, in order), made a block at a time on every
    pass; `columns` reads some variables without making the dicts. `rewritten` gives the rows changed once
    (transliterated): the blocks it changed are written again."""

    def __init__(self, store: RowStore, names: Sequence[str], patches: _Patches | None = None) -> None:
        self.store, self.names, self.patches = store, tuple(names), patches
        self._made: tuple[int, list[dict[str, Any]]] | None = None  # the block made last, for lookups by index

    def rewritten(self, change: Callable[[int, dict[str, list[Any]]], dict[str, list[Any]] | None]) -> StoredRows:
        """These rows after `change`, which is given each block's row count and columns (variable → values, read
        only; a variable no row of the block fills may be absent) and gives the block's changed columns, or None.
        One pass now; later passes read the changed blocks as written again, the others as they were."""
        patches = _Patches(self.patches)
        for number in range(self.store.block_count):
            count, columns = self._columns(number)
            changed = change(count, columns)
            if changed is not None:
                patches.write(number, (count, changed))
        return StoredRows(self.store, self.names, patches if patches.offsets else self.patches)

    def column_blocks(self, names: Sequence[str]) -> Iterator[tuple[int, int, dict[str, list[Any]]]]:
        """(index of its first row, its row count, the values of `names`) of every block: None where a row has
        no value, or the dataset no such variable. The lists are the block's own: read them, never change them."""
        known = set(self.names)
        size = self.store.block_rows
        for number in range(self.store.block_count):
            count, columns = self._columns(number)
            nulls: list[Any] | None = None
            taken: dict[str, list[Any]] = {}
            for name in names:
                found = columns.get(name) if name in known else None
                if found is None:
                    found = nulls = nulls if nulls is not None else [None] * count
                taken[name] = found
            yield number * size, count, taken

    def __len__(self) -> int:
        return len(self.store)

    def blocks(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """(index of its first row, its rows) of every block, in order."""
        for number in range(self.store.block_count):
            yield number * self.store.block_rows, self._make(number)

    def columns(self, names: Iterable[str]) -> dict[str, list[Any]]:
        """The values of `names` (None where a row has none, or the dataset has no such variable), in row order."""
        wanted = list(dict.fromkeys(names))
        taken: dict[str, list[Any]] = {name: [] for name in wanted}
        for _, _, columns in self.column_blocks(wanted):
            for name, column in taken.items():
                column.extend(columns[name])
        return taken

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for _, rows in self.blocks():
            yield from rows

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        size = self.store.block_rows
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[position] for position in range(start, stop, step)]
            if stop <= start:
                return []
            taken: list[dict[str, Any]] = []
            for number in range(start // size, (stop - 1) // size + 1):
                rows = self._made_block(number)
                first = number * size
                taken.extend(rows[max(start - first, 0):stop - first])
            return taken
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._made_block(index // size)[index % size]

    def _made_block(self, number: int) -> list[dict[str, Any]]:
        made = self._made
        if made is None or made[0] != number:
            made = self._made = (number, self._make(number))
        return made[1]

    def _columns(self, number: int) -> Columns:
        patches = self.patches
        while patches is not None:
            if number in patches.offsets:
                return patches.read(number)
            patches = patches.earlier
        return self.store.block(number)

    def _make(self, number: int) -> list[dict[str, Any]]:
        names = self.names
        count, columns = self._columns(number)
        nulls = [None] * count
        return [dict(zip(names, values)) for values in zip(*[columns.get(name, nulls) for name in names])]


class _Patches:
    """Blocks of a dataset written again after a change (as columns), in a file of their own; the blocks an
    earlier change wrote are read from it unless this one writes them again."""

    def __init__(self, earlier: _Patches | None = None) -> None:
        self.earlier = earlier
        self.offsets: dict[int, int] = {}
        self.file: IO[bytes] | None = None

    def write(self, number: int, columns: Columns) -> None:
        self.offsets[number] = _append(self, pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL))

    def read(self, number: int) -> Columns:
        assert self.file is not None
        self.file.seek(self.offsets[number])
        columns: Columns = pickle.load(self.file)
        return columns


class StoredColumn(Sequence[Any]):
    """A stored dataset's input cells (`part` 0) or cell lookups (`part` 1), by row index."""

    def __init__(self, store: RowStore, part: int) -> None:
        self.store, self.part = store, part

    def __len__(self) -> int:
        return len(self.store)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        size = self.store.block_rows
        return self.store.cells_block(index // size)[self.part][index % size]


def _append(owner: RowStore | _Patches, data: bytes | memoryview) -> int:
    """Write `data` at the end of the owner's file (made on first use); where it starts. A temporary folder that
    refuses it (full, read-only) is TemporarySpaceError: W147, with the fix, never taken for the output's disk."""
    try:
        if owner.file is None:
            owner.file = tempfile.TemporaryFile(prefix="crfmap-sdtm-rows-")  # noqa: SIM115 — closed with its owner
        file = owner.file
        file.seek(0, 2)
        offset = file.tell()
        file.write(data)
    except OSError as problem:
        raise TemporarySpaceError.of(problem, "the SDTM rows could not be set aside") from problem
    return offset


def columns_of_rows(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> dict[str, Sequence[Any]]:
    """The values of `names` (None where a row has none) in row order, in one pass over the rows: for a step that
    reads a few variables of every row, where a pass per variable would read stored rows again each time. Rows
    in a list that hold every name (as `DomainAssembly.finish` makes them) are transposed by one C-level call; a
    row without one of them (a dataset built in code, or read back from a file) falls back to `.get`."""
    wanted = list(dict.fromkeys(names))
    if isinstance(rows, StoredRows):
        return dict(rows.columns(wanted))
    if not wanted:
        return {}
    try:
        if len(wanted) == 1:
            return {wanted[0]: [row[wanted[0]] for row in rows]}
        transposed = list(zip(*map(operator.itemgetter(*wanted), rows), strict=True)) or [() for _ in wanted]
        return dict(zip(wanted, transposed, strict=True))
    except KeyError:
        return {name: [row.get(name) for row in rows] for name in wanted}


def column_chunks(rows: Sequence[dict[str, Any]], names: Sequence[str], size: int) -> Iterator[list[Sequence[Any]]]:
    """The values of `names`, in their order, a chunk of rows at a time: a stored dataset's blocks as they are
    stored, a list's rows `size` at a time (for the file writers, which encode a column at a time)."""
    if isinstance(rows, StoredRows):
        for _, _, block in rows.column_blocks(names):
            yield [block[name] for name in names]
        return
    for start in range(0, len(rows), size):
        columns = columns_of_rows(rows[start:start + size], names)
        yield [columns[name] for name in names]


__all__ = ["BLOCK_ROWS", "Row", "RowStore", "StoredColumn", "StoredRows", "column_chunks", "columns_of_rows"]
