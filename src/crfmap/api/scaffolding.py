"""`crfmap init`: open what the site has, draft a mapping folder from it, write it (all or nothing) and check it
with the same loader and linter as any mapping, so the draft is known to pass `check-mapping`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crfmap.api.mapping import load_mapping
from crfmap.issues import FatalIssue, Issue, make_issue
from crfmap.readers import ReadOptions, open_workbook
from crfmap.readers.odm_file import check_odm_file
from crfmap.readers.odm_metadata import read_odm_metadata
from crfmap.readers.redcap_dictionary import read_redcap_dictionary
from crfmap.scaffold import (
    DraftStudy,
    dictionary_from_odm,
    draft_from_odm,
    draft_from_redcap,
    draft_from_workbook,
    read_export_facts,
    write_draft,
)

Source = Literal["redcap-dictionary", "odm", "workbook"]


@dataclass
class InitOutcome:
    folder: Path
    files: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # check-mapping's findings on the draft (P050 notes …)
    forms: int = 0
    codelists: int = 0


def init_mapping(source: Path, kind: Source, out: Path, *, data: Path | None = None,
                 read_options: ReadOptions | None = None) -> InitOutcome:
    """Draft a mapping folder in `out` (which must not exist or be empty) from `source`."""
    source, out = Path(source), Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FatalIssue(make_issue("W001", file=out.name, detail=f"{out.name} already exists and is not an empty "
                                                                  "folder; choose a new folder for the draft"))
    options = read_options or ReadOptions()
    draft = build_draft(source, kind, study_id(out), data, options)
    if not draft.forms:
        raise FatalIssue(make_issue("R015", file=source.name, detail=f"nothing in {source.name} can be drafted as a "
                                                                     "form (no instruments, item groups or sheets)"))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        files = write_draft(draft, staging)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    mapping, issues = load_mapping(out)
    return InitOutcome(folder=out, files=files, issues=issues, forms=len(mapping.forms),
                       codelists=len(mapping.codelists))


def build_draft(source: Path, kind: Source, identifier: str, data: Path | None, options: ReadOptions) -> DraftStudy:
    described = f"{source.name} ({kind.replace('-', ' ')})"
    if kind == "redcap-dictionary":
        dictionary = read_redcap_dictionary(source)
        facts = None
        if data is not None:
            export_options = ReadOptions(limits=options.limits, encoding=options.encoding,
                                         delimiter=options.delimiter, dictionary=source)
            with open_workbook(data, export_options, lambda issue: None) as workbook:
                facts = read_export_facts(workbook, dictionary.record_id.name)
            described += f" and the export {data.name}"
        return draft_from_redcap(dictionary, facts, described, identifier)
    if kind == "odm":
        check_odm_file(source, options.limits)
        metadata = read_odm_metadata(source)
        with open_workbook(source, options, lambda issue: None, format="odm") as workbook:
            if metadata.is_redcap:
                dictionary = dictionary_from_odm(metadata, source.name)
                facts = read_export_facts(workbook, dictionary.record_id.name)
                return draft_from_redcap(dictionary, facts, described + ", REDCap project", identifier)
            return draft_from_odm(metadata, workbook, described, identifier)
    with open_workbook(source, options, lambda issue: None) as workbook:
        return draft_from_workbook(workbook, described, identifier)


def study_id(out: Path) -> str:
    return out.name.upper().replace("_", "-") or "STUDY"
