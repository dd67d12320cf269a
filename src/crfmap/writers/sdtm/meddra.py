"""The MedDRA hierarchy of AE, only from the dictionary the study supplies (never guessed).

MedDRA is licensed: crfmap ships no part of it. A study passes its MedDRA ASCII distribution (`--meddra DIR`, the
folder holding llt.asc and mdhier.asc, '$'-separated) and every AE whose preferred term code (AEPTCD, from the
mapping's code list) is in it gets AELLT/AELLTCD (the PT's own lowest level term), AEHLT/AEHLTCD, AEHLGT/AEHLGTCD
and AESOC/AESOCCD and AEBODSYS/AEBDSYCD (the primary SOC, primary_soc_fg Y). Without a dictionary the hierarchy
stays empty and is said so: W086 once, and a define.xml comment on each of those variables.

Field order (MedDRA ASCII distribution): mdhier.asc pt_code, hlt_code, hlgt_code, soc_code, pt_name, hlt_name,
hlgt_name, soc_name, soc_abbrev, null_field, pt_soc_code, primary_soc_fg; llt.asc llt_code, llt_name, pt_code, …
(as OHDSI's MedDRA loader and other public readers name them). meddra_release.asc starts with the version.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.preparation import locate_row

HIERARCHY_VARIABLES = ("AELLT", "AELLTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBODSYS", "AEBDSYCD",
                       "AESOC", "AESOCCD")
NOT_POPULATED = ("Not populated: the MedDRA hierarchy comes only from the MedDRA dictionary the study supplies "
                 "(crfmap convert --meddra DIR), and none was supplied; it is never guessed.")


@dataclass(frozen=True, slots=True)
class PrimaryPath:
    pt_name: str
    hlt: tuple[int, str]
    hlgt: tuple[int, str]
    soc: tuple[int, str]


@dataclass(frozen=True)
class MeddraDictionary:
    folder: str  # its name, for messages
    version: str | None
    lowest_level_terms: dict[int, str]  # LLT code → name
    primary: dict[int, PrimaryPath]  # PT code → its primary SOC path


def read_meddra(folder: Path) -> MeddraDictionary:
    """The hierarchy of a MedDRA ASCII distribution; FatalIssue W088 when it cannot be read."""
    if not folder.is_dir():
        raise FatalIssue(make_issue("W088", detail=f"--meddra {folder.name!r} is not a folder"))
    try:
        llt = {int(fields[0]): fields[1] for fields in _rows(folder / "llt.asc", 3)}
        primary = {}
        for fields in _rows(folder / "mdhier.asc", 12):
            if fields[11] == "Y":
                primary[int(fields[0])] = PrimaryPath(fields[4], (int(fields[1]), fields[5]),
                                                      (int(fields[2]), fields[6]), (int(fields[3]), fields[7]))
        release = folder / "meddra_release.asc"
        version = next(iter(_rows(release, 1)))[0] if release.is_file() else None
    except (OSError, ValueError, IndexError, StopIteration) as problem:
        raise FatalIssue(make_issue("W088", detail=f"MedDRA folder {folder.name!r}: {problem}")) from None
    return MeddraDictionary(folder.name, version, llt, primary)


def _rows(path: Path, width: int) -> list[list[str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("$")
        if len(fields) < width:
            raise ValueError(f"{path.name} line {number} has {len(fields)} fields, fewer than {width}")
        rows.append(fields)
    return rows


def apply_meddra(datasets: list[Dataset], dictionary: MeddraDictionary | None, declared_version: str | None,
                 place: dict[str, Any] | None = None) -> tuple[list[Dataset], list[Issue]]:
    """AE with its hierarchy from the dictionary; without one, the hierarchy variables carry the reason. `place`
    locates the study's MedDRA declaration (study.yaml standards.meddra) for W086."""
    issues: list[Issue] = []
    result = []
    for dataset in datasets:
        if dataset.name != "AE" or not any(row.get("AEPTCD") is not None for row in dataset.rows):
            result.append(dataset)
            continue
        if dictionary is None:
            issues.append(make_issue("W086", **(place or {}),
                                     detail="AELLT, AEHLT, AEHLGT, AESOC and AEBODSYS (and their codes) are empty: "
                                            "no MedDRA dictionary was supplied"))
            variables = [dataclasses.replace(variable, comment=NOT_POPULATED) if variable.name in HIERARCHY_VARIABLES
                         else variable for variable in dataset.variables]
            result.append(dataclasses.replace(dataset, variables=variables))
            continue
        if declared_version and dictionary.version and dictionary.version != declared_version:
            raise FatalIssue(make_issue("W088", detail=f"MedDRA folder {dictionary.folder!r} is version "
                                                       f"{dictionary.version}; study.yaml standards.meddra declares "
                                                       f"{declared_version}"))
        rows = []
        for index, row in enumerate(dataset.rows):
            code = row.get("AEPTCD")
            path = dictionary.primary.get(code) if isinstance(code, int) else None
            if isinstance(code, int) and path is None:
                issues.append(make_issue("W087", value=str(code), expected=f"MedDRA {dictionary.version or ''} "
                                         f"({dictionary.folder})".replace("  ", " "), **locate_row(dataset, index)))
            rows.append(row if path is None else {**row, **_hierarchy(code, path, dictionary)})  # type: ignore[arg-type]
        result.append(dataclasses.replace(dataset, rows=rows))
    return result, issues


def _hierarchy(code: int, path: PrimaryPath, dictionary: MeddraDictionary) -> dict[str, str | int | None]:
    lowest = dictionary.lowest_level_terms.get(code)
    return {"AELLT": lowest, "AELLTCD": code if lowest is not None else None,
            "AEHLT": path.hlt[1], "AEHLTCD": path.hlt[0], "AEHLGT": path.hlgt[1], "AEHLGTCD": path.hlgt[0],
            "AEBODSYS": path.soc[1], "AEBDSYCD": path.soc[0], "AESOC": path.soc[1], "AESOCCD": path.soc[0]}
