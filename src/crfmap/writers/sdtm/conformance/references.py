"""Cross-dataset references: subjects present in DM (FDA validator SD0064) and SUPP-- parents (SDTMIG 8.4.1)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from crfmap.issues import Issue
from crfmap.writers.sdtm.conformance.locate import is_null, key_text, row_issue
from crfmap.writers.sdtm.dataset import Dataset


def check_subjects_in_dm(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """Every USUBJID of every other dataset is in DM (FDA validator rule SD0064, 'Subject not in DM')."""
    dm = next((dataset for dataset in datasets if dataset.name == "DM"), None)
    if dm is None:
        return
    subjects = {str(row.get("USUBJID")) for row in dm.rows}
    for dataset in datasets:
        if dataset.name == "DM" or not any(variable.name == "USUBJID" for variable in dataset.variables):
            continue
        reported: set[str] = set()
        for index, row in enumerate(dataset.rows):
            subject = row.get("USUBJID")
            if is_null(subject) or str(subject) in subjects or str(subject) in reported:
                continue
            reported.add(str(subject))
            yield row_issue("W066", dataset, index, column="USUBJID", value=str(subject), detail=dataset.name)


def check_supp_parents(datasets: Sequence[Dataset]) -> Iterator[Issue]:
    """Each SUPP-- record identifies an existing parent record by RDOMAIN, USUBJID, IDVAR and IDVARVAL."""
    by_name = {dataset.name: dataset for dataset in datasets}
    for dataset in datasets:
        if not dataset.name.startswith("SUPP"):
            continue
        for index, row in enumerate(dataset.rows):
            problem = _find_parent_problem(row, by_name)
            if problem:
                yield row_issue("W072", dataset, index, column="IDVARVAL", value=row.get("IDVARVAL"), detail=problem)


def _find_parent_problem(row: dict, by_name: dict[str, Dataset]) -> str | None:
    domain = str(row.get("RDOMAIN") or "")
    parent = by_name.get(domain)
    if parent is None:
        return f"RDOMAIN {domain!r} is not a dataset of the submission"
    subject = str(row.get("USUBJID"))
    idvar = row.get("IDVAR")
    candidates = [record for record in parent.rows if str(record.get("USUBJID")) == subject]
    if is_null(idvar):
        return None if candidates else f"no {domain} record for USUBJID {subject!r}"
    if not any(variable.name == idvar for variable in parent.variables):
        return f"IDVAR {idvar!r} is not a variable of {domain}"
    wanted = key_text(row.get("IDVARVAL"))
    if any(key_text(record.get(str(idvar))) == wanted for record in candidates):
        return None
    return f"no {domain} record of {subject} has {idvar} = {wanted!r}"
