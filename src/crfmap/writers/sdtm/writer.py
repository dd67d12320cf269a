"""The SDTM writer's entry: records → datasets → conformance checks → XPT / Dataset-JSON / CSV + define.xml.

Every dataset is prepared once (lengths measured, limits enforced, optional transliteration) and the same
prepared dataset goes to every file format, so lengths and values agree across XPT, JSON and define.xml.
Nothing is written when any check fails with an error; the folder is replaced atomically.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.issues import FatalIssue, Issue, Severity, make_issue
from crfmap.model import Record
from crfmap.study.models import StudyMapping
from crfmap.writers.atomic import atomic_output_dir
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.dataset_json import EPOCH_DATETIME, DatasetJsonHeader, write_dataset_json, write_dataset_ndjson
from crfmap.writers.sdtm.define_metadata import STANDARD_METHODS, CodeListTerm, DefineCodeList, DefineMetadata
from crfmap.writers.sdtm.define_xml import write_define_xml
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import XptOptions, sas_datetime_text, write_xpt_stream

FORMATS = ("xpt", "json", "ndjson", "csv")


@dataclass(frozen=True, slots=True)
class SdtmOptions:
    formats: tuple[str, ...] = ("xpt", "json")
    transliterate: bool = False


@dataclass
class SdtmWriteResult:
    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # dataset name → rows
    issues: list[Issue] = field(default_factory=list)


def write_sdtm(records: Iterable[Record], study: StudyMapping, out_dir: Path, options: SdtmOptions,
               crfmap_version: str) -> SdtmWriteResult:
    """Write the study's SDTM datasets into `out_dir` (replaced as a whole on success). For direct use of the
    writer: `crfmap convert` stages all targets together instead.

    Raises FatalIssue with every error (invalid targets, conformance, XPT limits, define references) and
    writes nothing then.
    """
    from crfmap.writers.sdtm.domains.lint import lint_sdtm_targets

    problems = [issue for issue in lint_sdtm_targets(study) if issue.severity is Severity.ERROR]
    if problems:  # a study built in code has not been through the loader's lint
        raise FatalIssue(*problems)
    with atomic_output_dir(Path(out_dir)) as staging:
        return write_sdtm_into(records, study, staging, options, crfmap_version)


def write_sdtm_into(records: Iterable[Record], study: StudyMapping, folder: Path, options: SdtmOptions,
                    crfmap_version: str) -> SdtmWriteResult:
    """Write the study's SDTM datasets into the empty `folder` (the caller makes it appear atomically).

    Raises FatalIssue with every error (conformance, XPT limits, define references) before writing anything.
    """
    from crfmap.writers.sdtm.build import build_sdtm
    from crfmap.writers.sdtm.conformance import check_datasets

    built = build_sdtm(records, study)
    issues = list(built.issues) + list(check_datasets(built.datasets))
    prepared: list[Dataset] = []
    for dataset in built.datasets:
        ready, preparation_issues = prepare_dataset(dataset, transliterate=options.transliterate)
        prepared.append(ready)
        issues.extend(preparation_issues)
    errors = [issue for issue in issues if issue.severity is Severity.ERROR]
    if errors:
        raise FatalIssue(*errors)
    stamp = fixed_stamp(study)
    metadata = define_metadata(study, prepared, stamp, crfmap_version, built.methods)
    header = DatasetJsonHeader(creation_datetime=stamp.isoformat(), study_oid=metadata.study_oid,
                               metadata_version_oid=metadata.metadata_version_oid, originator="crfmap",
                               source_system=("crfmap", crfmap_version))
    xpt_options = XptOptions(created=sas_datetime_text(stamp), transliterate=False)  # already prepared
    result = SdtmWriteResult(issues=issues)
    for dataset in prepared:
        name = dataset.name.lower()
        result.rows[dataset.name] = len(dataset.rows)
        if "xpt" in options.formats:
            with open_output(folder / f"{name}.xpt") as stream:  # prepared and checked above, once
                write_xpt_stream(dataset, stream, xpt_options)
            result.files.append(f"{name}.xpt")
        if "json" in options.formats:
            write_dataset_json(dataset, folder / f"{name}.json", header)
            result.files.append(f"{name}.json")
        if "ndjson" in options.formats:
            write_dataset_ndjson(dataset, folder / f"{name}.ndjson", header)
            result.files.append(f"{name}.ndjson")
        if "csv" in options.formats:
            from crfmap.writers.sdtm.csv import write_sdtm_csv

            write_sdtm_csv(dataset, folder / f"{name}.csv")
            result.files.append(f"{name}.csv")
    _raise_errors(write_define_xml(prepared, folder / "define.xml", metadata))
    result.files.append("define.xml")
    result.files.sort()
    return result


def _raise_errors(issues: list[Issue]) -> None:
    errors = [issue for issue in issues if issue.severity is Severity.ERROR]
    if errors:
        raise FatalIssue(*errors)


def fixed_stamp(study: StudyMapping) -> datetime.datetime:
    """The creation stamp of every file: the study's data cut-off (never the wall clock)."""
    cutoff = study.study.data_cutoff
    if cutoff:
        try:
            return datetime.datetime.fromisoformat(cutoff[:10])
        except ValueError:
            raise FatalIssue(make_issue("P003", file="study.yaml", detail=f"data_cutoff {cutoff!r} is not a date")) from None
    return datetime.datetime.fromisoformat(EPOCH_DATETIME)


def define_metadata(study: StudyMapping, datasets: list[Dataset], stamp: datetime.datetime,
                    crfmap_version: str, methods: tuple = STANDARD_METHODS) -> DefineMetadata:
    """Study identity and standards from study.yaml; the code lists the variables use, with the terms that
    actually occur in the data (Define-XML lists values used, not whole CT code lists)."""
    meta = study.study
    used: dict[str, set[str]] = {}
    for dataset in datasets:
        for variable in dataset.variables:
            if variable.codelist:
                values = used.setdefault(variable.codelist, set())
                values.update(str(row[variable.name]) for row in dataset.rows
                              if row.get(variable.name) not in (None, ""))
    codelists = []
    for codelist_id in sorted(used):
        codelists.append(_define_codelist(study, codelist_id, used[codelist_id]))
    standards = meta.standards
    return DefineMetadata(
        study_oid=meta.id, study_name=meta.id, study_description=meta.title, protocol_name=meta.protocol or meta.id,
        metadata_version_oid=f"MDV.{meta.id}.SDTMIG.{standards.sdtmig}.v{meta.version}",
        metadata_version_name=f"{meta.id} SDTM metadata, mapping version {meta.version}",
        creation_datetime=stamp.isoformat(), ct_version=standards.ct, sdtmig_version=standards.sdtmig,
        originator="crfmap", source_system=("crfmap", crfmap_version), codelists=tuple(codelists),
        methods=tuple(methods),
    )


def _define_codelist(study: StudyMapping, codelist_id: str, values: set[str]) -> DefineCodeList:
    source = study.codelists.get(codelist_id)
    if source is None:  # a code list the SDTM builder declares in code (e.g. AGEU, DOMAIN)
        return DefineCodeList(id=codelist_id, name=codelist_id.upper(),
                              terms=tuple(CodeListTerm(value) for value in sorted(values)), sponsor_defined=True)
    by_submission = {item.value: item for item in source.values}
    terms = []
    for value in sorted(values):
        item = by_submission.get(value) or next((i for i in source.values if i.display == value), None)
        terms.append(CodeListTerm(value, c_code=item.nci_code if item else None,
                                  decode=item.display if item and item.display != value else None,
                                  extended=bool(source.cdisc and source.cdisc.extensible and item and not item.nci_code)))
    return DefineCodeList(id=codelist_id, name=source.cdisc.name if source.cdisc else source.name,
                          terms=tuple(terms), c_code=source.cdisc.nci_code if source.cdisc else None,
                          sponsor_defined=source.cdisc is None)
