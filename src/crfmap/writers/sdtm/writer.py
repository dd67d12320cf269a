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
from typing import TYPE_CHECKING

from crfmap.issues import FatalIssue, Issue, Severity, make_issue
from crfmap.model import Record
from crfmap.study.models import StudyMapping
from crfmap.writers.atomic import atomic_output_dir
from crfmap.writers.sdtm.controlled_terms.check import check_terminology
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology
from crfmap.writers.sdtm.dataset import Dataset
from crfmap.writers.sdtm.dataset_json import EPOCH_DATETIME, DatasetJsonHeader, write_dataset_json, write_dataset_ndjson
from crfmap.writers.sdtm.define.codelists import bind_ct_codelists, define_codelists
from crfmap.writers.sdtm.define.origins import assign_origins
from crfmap.writers.sdtm.define.stylesheet import STYLESHEET, write_stylesheet
from crfmap.writers.sdtm.define.value_level import build_value_lists, value_level_terms
from crfmap.writers.sdtm.define_metadata import STANDARD_METHODS, DefineMetadata
from crfmap.writers.sdtm.define_xml import write_define_xml
from crfmap.writers.sdtm.domains.targets import read_study_sdtm
from crfmap.writers.sdtm.meddra import apply_meddra, read_meddra
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import prepare_dataset
from crfmap.writers.sdtm.xpt import XptOptions, sas_datetime_text, write_xpt_stream

if TYPE_CHECKING:
    from crfmap.writers.sdtm.build import SdtmBuild

FORMATS = ("xpt", "json", "ndjson", "csv")


@dataclass(frozen=True, slots=True)
class SdtmOptions:
    formats: tuple[str, ...] = ("xpt", "json")
    transliterate: bool = False
    meddra: Path | None = None  # the study's MedDRA ASCII distribution (meddra.py)


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
    from crfmap.writers.sdtm.entry import lint_sdtm_study

    problems = [issue for issue in lint_sdtm_study(study) if issue.severity is Severity.ERROR]
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

    return write_built_into(build_sdtm(records, study), study, folder, options, crfmap_version)


def write_built_into(built: SdtmBuild, study: StudyMapping, folder: Path, options: SdtmOptions,
                     crfmap_version: str) -> SdtmWriteResult:
    """`write_sdtm_into` of datasets already built: by `build_sdtm`, or assembled from convert-many partitions'
    parts (`assemble_sdtm`). Takes the datasets out of `built` as it writes them."""
    from crfmap.writers.sdtm.conformance import check_datasets

    dictionary = read_meddra(options.meddra) if options.meddra is not None else None
    datasets, meddra_issues = apply_meddra(built.datasets, dictionary, study.study.standards.meddra,
                                           study.locations.at_study(("standards", "meddra")))
    built.datasets.clear()  # so that each dataset goes once its prepared copy is made (a copy where values were transliterated)
    methods, issues = built.methods, list(built.issues) + meddra_issues + list(check_datasets(datasets))
    prepared: list[Dataset] = []
    while datasets:
        ready, preparation_issues = prepare_dataset(datasets.pop(0), transliterate=options.transliterate)
        prepared.append(ready)
        issues.extend(preparation_issues)
    terms = study_terminology(study)
    if terms is not None:  # None: standards.ct is no shipped release, said at load (P040)
        issues.extend(check_terminology(prepared, terms, study))
    errors = [issue for issue in issues if issue.severity is Severity.ERROR]
    if errors:
        raise FatalIssue(*errors)
    stamp = fixed_stamp(study)
    prepared = assign_origins(prepared, study)
    if terms is not None:
        prepared = bind_ct_codelists(prepared, study, terms)
    metadata = define_metadata(study, prepared, stamp, crfmap_version, methods, terms)
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
    result.files.append(write_stylesheet(folder))
    result.files.sort()
    return result


def study_terminology(study: StudyMapping) -> StudyTerminology | None:
    """The study's CT release and declared sponsor terms; None when standards.ct is not a shipped release."""
    return StudyTerminology.of(study, read_study_sdtm(study).ct_extensions)


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
                    crfmap_version: str, methods: tuple = STANDARD_METHODS,
                    terms: StudyTerminology | None = None) -> DefineMetadata:
    """Study identity and standards from study.yaml; the code lists the variables and value-level items use, with
    the terms that actually occur in the data (Define-XML lists values used, not whole CT code lists) and their
    NCI C-codes; value-level metadata; the stylesheet."""
    meta = study.study
    value_lists = build_value_lists(datasets, study, terms)
    codelists = define_codelists(study, datasets, terms, value_level_terms(datasets, value_lists))
    standards = meta.standards
    return DefineMetadata(
        study_oid=meta.id, study_name=meta.id, study_description=meta.title, protocol_name=meta.protocol or meta.id,
        metadata_version_oid=f"MDV.{meta.id}.SDTMIG.{standards.sdtmig}.v{meta.version}",
        metadata_version_name=f"{meta.id} SDTM metadata, mapping version {meta.version}",
        creation_datetime=stamp.isoformat(), ct_version=standards.ct, sdtmig_version=standards.sdtmig,
        originator="crfmap", source_system=("crfmap", crfmap_version), codelists=codelists,
        methods=tuple(methods), annotated_crf=read_study_sdtm(study).annotated_crf, value_lists=value_lists,
        stylesheet=STYLESHEET,
    )
