"""The annotated copy of an input: built from the cells the reader read, beside the report."""

from __future__ import annotations

from pathlib import Path

from crfmap.api.validation import ValidationResult
from crfmap.issues import FatalIssue, Issue, make_issue


def write_annotation(result: ValidationResult, target: Path, issues: list[Issue], workbook: Path) -> int:
    """Write the annotated copy of `workbook` to `target` with `issues` (as the report shows them: sorted, and
    redacted when asked); returns how many cells were marked. `result` must come from
    `validate_workbook(..., keep_cells=True)`. Raises FatalIssue W001 when the copy cannot be written."""
    from crfmap.writers.report.annotate import write_annotated_copy

    if target.resolve() == Path(workbook).resolve():
        raise FatalIssue(make_issue("W001", file=target.name, detail="--annotate must not overwrite the input"))
    if target.is_dir():
        raise FatalIssue(make_issue("W001", file=target.name, detail=f"--annotate {str(target)!r} is a folder; "
                                                                    "name the copy's file"))
    for folder in target.parents:
        if folder.exists():
            if not folder.is_dir():
                raise FatalIssue(make_issue("W001", file=target.name, detail=f"--annotate {str(target)!r} lies "
                                            f"under {str(folder)!r}, which is a file, not a folder"))
            break
    if result.grid is None:
        raise ValueError("validate_workbook(keep_cells=True) keeps the cells an annotated copy is made from")
    try:
        return write_annotated_copy(result.grid.sheets, result.grid.cells, target, issues)
    except OSError as problem:
        raise FatalIssue(make_issue("W001", file=target.name, detail=f"the annotated copy cannot be written "
                                                                    f"({problem.strerror or problem})")) from problem
