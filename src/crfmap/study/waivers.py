"""Loading a reviewed waivers file (`--waivers waivers.yaml`), with the line of every entry:

    waivers:
      - code: S112
        cell: "Терапия!G13"          # the tab name as the site wrote it, then the cell
        reason: "BSA typed as text by the site; value confirmed against the source"
        by: A. Petrova
        date: 2024-05-02
      - code: S203
        subject: "03-001"             # every S203 of this subject (add `sheet:` to narrow it)
        reason: "Subject screened at site 03; demographics follow in the next export"
        by: A. Petrova
        date: 2024-05-02
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

from crfmap.issues import CATALOGUE, FatalIssue, Issue, make_issue
from crfmap.issues.waivers import WAIVABLE_STAGES, Waiver
from crfmap.study.yaml_lines import YamlError, load_yaml_with_lines

MAX_WAIVERS_BYTES = 5 * 1024 * 1024
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")
_KEYS = {"code", "cell", "sheet", "subject", "reason", "by", "date"}


def load_waivers(path: Path) -> tuple[list[Waiver], str]:
    """The waivers in `path` and the file's SHA-256. Raises FatalIssue (P060/P061) naming file and line."""
    path = Path(path)
    name = path.name
    try:
        if path.stat().st_size > MAX_WAIVERS_BYTES:
            raise FatalIssue(make_issue("P060", file=name, detail=f"it is larger than {MAX_WAIVERS_BYTES:,} bytes"))
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as problem:
        raise FatalIssue(make_issue("P060", file=name, detail=problem.strerror or str(problem))) from problem
    except UnicodeDecodeError as problem:
        raise FatalIssue(make_issue("P060", file=name, detail="it is not UTF-8 text")) from problem
    try:
        data, lines = load_yaml_with_lines(text)
    except YamlError as problem:
        raise FatalIssue(make_issue("P060", file=name, line=problem.line, detail=f"not valid YAML: {problem}")) \
            from problem
    if data is None:
        data = {"waivers": []}
    if not isinstance(data, dict) or not isinstance(data.get("waivers", None), list) or set(data) - {"waivers"}:
        raise FatalIssue(make_issue("P060", file=name, line=1, detail="the file must hold one key, `waivers:`, "
                                                                       "with a list of waivers"))
    waivers: list[Waiver] = []
    problems: list[Issue] = []
    for index, entry in enumerate(data["waivers"]):
        line = lines.get(("waivers", index))
        waiver = _read_entry(entry, name, line, problems)
        if waiver is None:
            continue
        if any((other.code, other.target) == (waiver.code, waiver.target) for other in waivers):
            problems.append(make_issue("P061", file=name, line=line,
                                       detail=f"the waiver of {waiver.code} for {waiver.target} is given twice"))
            continue
        waivers.append(waiver)
    if problems:
        raise FatalIssue(*problems)
    return waivers, hashlib.sha256(raw).hexdigest()


def _read_entry(entry: Any, file: str, line: int | None, problems: list[Issue]) -> Waiver | None:
    def refuse(detail: str) -> None:
        problems.append(make_issue("P061", file=file, line=line, detail=detail))

    if not isinstance(entry, dict):
        refuse("a waiver is a mapping with code, cell or subject, reason, by and date")
        return None
    unknown = sorted(str(key) for key in set(entry) - _KEYS)
    if unknown:
        refuse(f"unknown key(s) {', '.join(unknown)}; a waiver has {', '.join(sorted(_KEYS))}")
        return None
    text = {key: str(value).strip() for key, value in entry.items() if value is not None and str(value).strip()}
    missing = [key for key in ("code", "reason", "by", "date") if key not in text]
    if missing:
        refuse(f"the waiver lacks {', '.join(missing)}")
        return None
    code = text["code"].upper()
    if code not in CATALOGUE:
        refuse(f"{text['code']!r} is not an issue code (see `crfmap codes`)")
        return None
    if not code.startswith(WAIVABLE_STAGES):
        refuse(f"{code} cannot be waived: only issues found in the data (R, S and M codes) can")
        return None
    try:
        date.fromisoformat(text["date"])
    except ValueError:
        refuse(f"date {text['date']!r} is not a date; write yyyy-mm-dd")
        return None
    if ("cell" in text) == ("subject" in text):
        refuse("a waiver names either one cell (Sheet!D14) or one subject")
        return None
    sheet, cell = text.get("sheet"), None
    if "cell" in text:
        place = text["cell"]
        where, _, a1 = place.rpartition("!")
        where = where.strip("'") or (sheet or "")
        match = _CELL.match(a1)
        if match is None or not where:
            refuse(f"cell {place!r} is not a sheet and a cell, e.g. 'Терапия!G13'")
            return None
        sheet, cell = where, f"{match.group(1).upper()}{match.group(2)}"
    return Waiver(code=code, reason=text["reason"], by=text["by"], date=text["date"], sheet=sheet, cell=cell,
                  subject=text.get("subject"), file=file, line=line)
