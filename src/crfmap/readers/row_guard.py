"""Rows too wide to build, refused from the sheet's bytes before the parser makes an element of every cell.

The reader streams rows, but lxml builds a whole <row> before handing it over: one row of 2.5 million empty
`<c/>` cells in a 4.5 MB file took 1.5 GB. Excel holds at most 16,384 cells in a row (columns A to XFD), so a
row with more <c> elements than that is not a sheet Excel wrote. The bytes are counted as they are inflated,
before the parser sees them: a chunk of at most 64 KiB cannot hold more than 16,384 cells (`<c/>` is four
bytes), so only cells of a row that spans chunks need adding up, with C-speed `bytes.count` per chunk.
Cell tags start with "<", which text cannot (it is escaped as &lt;), so no text is ever counted as a cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crfmap.issues import FatalIssue

PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*):(?:worksheet|sheetData)\b")


class CellsPerRow:
    """A watcher for `open_part`: raises what `refuse(row_count_so_far)` makes once a row holds more than `limit`
    <c> elements. Rows are told apart by their tags (<row …>, </row>); cells by <c …>, <c>, <c/>."""

    def __init__(self, limit: int, refuse: Callable[[int], FatalIssue]) -> None:
        self.limit = limit
        self.refuse = refuse
        self.open_row = 0  # cells since the last row tag
        self.rows = 0  # row tags seen, to say roughly where
        self.cell_tags: tuple[bytes, ...] = (b"<c ", b"<c>", b"<c/")
        self.row_tags: tuple[bytes, ...] = (b"<row", b"</row")
        self.prefix_known = False

    def __call__(self, chunk: bytes) -> None:
        if not self.prefix_known:  # a sheet written with a namespace prefix (<x:row>, <x:c>) counts those
            found = PREFIX.search(chunk)
            if found is not None:
                prefix = found[1]
                self.cell_tags += (b"<" + prefix + b":c ", b"<" + prefix + b":c>", b"<" + prefix + b":c/")
                self.row_tags += (b"<" + prefix + b":row", b"</" + prefix + b":row")
            self.prefix_known = True
        first = min((position for position in map(chunk.find, self.row_tags) if position >= 0), default=-1)
        if first < 0:
            self.open_row += self.count_cells(chunk)
        else:
            self.open_row += self.count_cells(chunk[:first])
            self.check()
            self.rows += sum(map(chunk.count, self.row_tags)) // 2 or 1
            last = max(map(chunk.rfind, self.row_tags))
            self.open_row = self.count_cells(chunk[last:])
        self.check()

    def count_cells(self, data: bytes) -> int:
        return sum(map(data.count, self.cell_tags))

    def check(self) -> None:
        if self.open_row > self.limit:
            raise self.refuse(self.rows)
