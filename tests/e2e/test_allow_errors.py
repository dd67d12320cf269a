"""What `convert --allow-errors` promises (issue #15), on the project's own messy fixture: every valid record is
written, and the report gives a complete account of what was left out and why — each row with errors once
(M004, beside its errors), each subject whose demographics row has errors once (W007) with every row of its
records listed. Before, one demographics row left out made all of that subject's records fail at the SDTM
writer (22 × W066) and nothing at all was written.

The account is checked against the workbook read independently with openpyxl: every data row (a row holding
a subject id) is either traced from a written FHIR resource (its source-cells extension), or named by an M004
or a W007, and no row is both written and left out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pyreadstat
from click.testing import CliRunner

from crfmap.cli import main
from tests.e2e.reference import MESSY, STUDY

SUBJECT_ID = re.compile(r"\d{2}-\d{3}")
LEFT_OUT_SUBJECTS = {"01-006", "02-003"}  # their demographics rows have errors (J9, D14)


def data_rows(path: Path) -> set[tuple[str, int]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            if any(isinstance(cell.value, str) and SUBJECT_ID.fullmatch(cell.value.strip()) for cell in row
                   if cell.value is not None):
                rows.add((sheet.title, row[0].row))
    workbook.close()
    return rows


def traced_rows(fhir: Path) -> dict[str, set[tuple[str, int]]]:
    """Subject → the (sheet, row) of every cell FHIR resources name as their sources."""
    traced: dict[str, set[tuple[str, int]]] = {}
    for bundle in sorted(fhir.glob("bundle-*.json")):
        subject = bundle.stem.removeprefix("bundle-")
        for entry in json.loads(bundle.read_bytes())["entry"]:
            for extension in entry["resource"].get("meta", {}).get("extension", []):
                for part in extension.get("extension", []):
                    if part["url"] == "cell":
                        sheet, _, cell = part["valueString"].rpartition("!")
                        if sheet.startswith("'"):  # Excel quotes a sheet name with spaces: 'Костный мозг'!C19
                            sheet = sheet[1:-1].replace("''", "'")
                        traced.setdefault(subject, set()).add((sheet, int(re.sub(r"^[A-Z]+", "", cell))))
    return traced


def test_allow_errors_writes_every_valid_record_and_accounts_for_the_rest(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(MESSY), "--study", str(STUDY), "--out", str(out),
                                       "--allow-errors", "--allow-unmapped", "--transliterate", "--format", "json"])
    assert result.exit_code == 1, result.output[-3000:]  # written; the data still has errors, the status says so
    issues = json.loads(result.stdout)["issues"]
    assert not [issue for issue in issues if issue["code"] == "W066"]  # before: 22 × W066, nothing written
    assert sorted(json.loads(result.stdout)["outputs"]) == ["fhir", "sdtm"]

    left_out_rows = {(issue["sheet"], issue["row"]) for issue in issues if issue["code"] == "M004"}
    subjects_left_out = {}
    for issue in (issue for issue in issues if issue["code"] == "W007"):
        assert issue["subject"] not in subjects_left_out  # each subject once
        listing = issue["message"].split("were not written either: ", 1)[1]
        listed = set()
        for part in listing.split("; "):
            sheet, numbers = re.fullmatch(r"'(.+)' rows? ([\d, ]+)", part).groups()
            listed |= {(sheet, int(number)) for number in numbers.split(", ")}
        subjects_left_out[issue["subject"]] = listed
    assert set(subjects_left_out) == LEFT_OUT_SUBJECTS

    traced = traced_rows(out / "fhir")
    assert not LEFT_OUT_SUBJECTS & set(traced)
    written_rows = set().union(*traced.values())
    listed_rows = set().union(*subjects_left_out.values())
    assert not written_rows & (left_out_rows | listed_rows)
    assert data_rows(MESSY) == written_rows | left_out_rows | listed_rows  # every data row accounted for

    dm, _meta = pyreadstat.read_xport(str(out / "sdtm" / "dm.xpt"))
    usubjids = set(dm["USUBJID"])
    assert len(usubjids) == 12 and not {f"BLINA-PED-ALL-{subject}" for subject in LEFT_OUT_SUBJECTS} & usubjids
    for name in ("ae", "ex", "lb"):  # the other subjects' records are written
        frame, _meta = pyreadstat.read_xport(str(out / "sdtm" / f"{name}.xpt"))
        assert set(frame["USUBJID"]) <= usubjids and len(frame) > 0
