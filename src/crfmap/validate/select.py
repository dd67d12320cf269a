"""Which rows of a shared sheet belong to which form: each form's `select:` condition, read from the row's cell.

Several forms may read one sheet (a REDCap export holds every instrument in one sheet, told apart by an
instrument column). Each such form declares `select:` on one of its columns; a row belongs to every form whose
condition it meets, and a row no form selects is reported (S116) and counted unmapped.
"""

from __future__ import annotations

from crfmap.sources import Row
from crfmap.study.models import Form
from crfmap.validate.header import HeaderMap
from crfmap.values.cells import ParseContext, parse_cell
from crfmap.values.row import condition_holds


def selects(form: Form, header: HeaderMap, row: Row, parsing: ParseContext) -> bool:
    """Whether `row` belongs to `form` (always, for a form without `select:`)."""
    condition = form.select
    if condition is None:
        return True
    position = header.positions.get(condition.column)
    column = form.column(condition.column)
    if position is None or column is None:
        return False
    value = parse_cell(row.cells.get(position), column, parsing).value
    return condition_holds(condition, {} if value is None else {condition.column: value})
