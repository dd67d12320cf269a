"""Which input cells each SDTM value came from, so that an issue about a value (W002 non-ASCII, W003 too long,
W030, W066 …) names the cell the value was read from, not merely the first cell of its record.

A variable is made from one record field (or, for a result, the first of a few that is set); the table says
which, by the variable's name without its domain prefix. USUBJID and SUBJID come from the subject id's cell;
QVAL from its qualifier's cells (set by the SUPP-- builder). A variable not listed (derived: --SEQ, --DY,
RF dates) has no cell of its own, and issues about it point at the record's first cell as before.
"""

from __future__ import annotations

from crfmap.model import Record
from crfmap.sources import SourceCell

SUBJECT_VARIABLES = frozenset({"USUBJID", "SUBJID"})
DM_FIELDS = {
    "SITEID": ("site",), "SEX": ("sex",), "BRTHDTC": ("birth_date",), "AGE": ("age",), "AGEU": ("age",),
    "RFICDTC": ("consent_date",), "COUNTRY": ("country",), "RACE": ("race",), "ETHNIC": ("ethnicity",),
    "ARMCD": ("arm",), "ARM": ("arm",), "ACTARMCD": ("actual_arm",), "ACTARM": ("actual_arm",),
}
RESULT = ("value_quantity", "value_coded", "value_text", "verbatim")
FIELDS_BY_SUFFIX = {  # --TRT, --TERM …: the variable without its two-letter domain prefix
    "TRT": ("verbatim", "treatment"), "DOSE": ("dose",), "DOSU": ("dose",), "DOSFRQ": ("frequency",),
    "ROUTE": ("route",), "LOC": ("body_site",), "STDTC": ("start",), "ENDTC": ("end",), "OCCUR": ("occurred",),
    "REASOC": ("reason",), "TERM": ("term", "decoded"), "DECOD": ("decoded",), "PTCD": ("decoded",),
    "SER": ("serious",), "REL": ("relation",), "ACN": ("action",), "OUT": ("outcome",), "TOXGR": ("grade",),
    "ENRTPT": ("ongoing",), "ENTPT": ("ongoing",), "TESTCD": ("test",), "TEST": ("test",), "ORRES": RESULT,
    "ORRESU": RESULT, "STRESC": RESULT, "STRESN": RESULT, "STRESU": RESULT, "SPEC": ("specimen",),
    "METHOD": ("method",), "EVAL": ("evaluator",), "DTC": ("date",), "STAT": ("performed",),
    "REASND": ("reason",), "LLOQ": ("threshold",), "NRIND": ("interpretation",),
}


def variable_sources(record: Record | None, domain: str, variables: list[str]) -> dict[str, tuple[SourceCell, ...]]:
    """Variable name → the cells its value was read from, for the variables of one row made from `record`."""
    if record is None:
        return {}
    found: dict[str, tuple[SourceCell, ...]] = {}
    for name in variables:
        if name in SUBJECT_VARIABLES:
            cells: tuple[SourceCell, ...] = (record.subject_cell,) if record.subject_cell is not None else ()
        else:
            fields = DM_FIELDS.get(name, ()) if domain == "DM" else FIELDS_BY_SUFFIX.get(name[2:], ())
            cells = next((record.sources[field] for field in fields if record.sources.get(field)), ())
        if cells:
            found[name] = cells
    return found
