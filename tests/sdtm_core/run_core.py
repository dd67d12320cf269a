"""crfmap's driver for the CDISC CORE rules engine (PyPI `cdisc-rules-engine`, which needs Python 3.12).

The engine's wheel has no command-line entry, so this script drives its Python API. It runs in the harness's
Python 3.12 venv (see tests/sdtm_core/harness.py), never inside crfmap's own interpreter:

    python run_core.py --data DIR [--format xpt|json] [--define DIR/define.xml] --cache CACHE --out findings.json

It validates every dataset of one format in DIR against one standard (default SDTMIG 3.4) with the rules of the
offline cache, using the CDISC CT packages that define.xml declares (Define-XML 2.1 def:Standard Type="CT"), and
writes one JSON file: every finding (rule ids, dataset, variables, row, USUBJID, values, message), every rule
that was skipped or failed to execute, and why. Exit status 0 when the run completed (whatever it found), 2 when
it could not run (missing cache file, CT package absent from the cache, unreadable dataset).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import multiprocessing
import os
import pickle
import re
import sys
import time
from contextlib import ExitStack
from functools import partial
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

# The engine reads its Dataset-JSON schema from the relative path resources/schema/, which the wheel installs
# beside the package; so the working directory must be site-packages while it runs (paths are made absolute).
ENGINE_NAME = "cdisc-rules-engine"
EXIT_OK, EXIT_CANNOT_RUN = 0, 2
FORMATS = {"json": ".json", "xpt": ".xpt"}


class CannotRun(Exception):
    """The run cannot start; the message says what to fix."""


class EngineCacheManager(SyncManager):
    """Shares one in-memory engine cache between the worker processes, as the engine's own runner does."""


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="folder holding the datasets")
    parser.add_argument("--format", choices=sorted(FORMATS), default="json",
                        help="which dataset files to read (json: the engine reads XPT numbers through pandas, "
                             "which turns e.g. 8.55 into 8.549999999999999 and makes false findings)")
    parser.add_argument("--define", type=Path, help="define.xml (default: DATA/define.xml when present)")
    parser.add_argument("--cache", required=True, type=Path, help="the engine's offline rules/metadata cache")
    parser.add_argument("--standard", default="sdtmig")
    parser.add_argument("--version", default="3.4")
    parser.add_argument("--rule", action="append", default=[], help="run only this CORE id (repeatable)")
    parser.add_argument("--exclude-rule", action="append", default=[], help="leave out this CORE id (repeatable)")
    parser.add_argument("--pool-size", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--cache-sharing", choices=["process", "manager"], default="process",
                        help="process: each worker keeps its own dataset cache; manager: one cache shared through a "
                             "multiprocessing manager, as the engine's own runner does (slower here: every read "
                             "crosses processes)")
    parser.add_argument("--no-validate-xml", action="store_true", help="do not check define.xml against its XSD")
    parser.add_argument("--log-level", default="disabled", choices=["disabled", "error", "warn", "info", "debug"],
                        help="the engine's own log on stderr (off by default: it logs every dataset of every rule)")
    parser.add_argument("--out", required=True, type=Path, help="where to write the findings JSON")
    return parser.parse_args(argv)


def load_pickle(path: Path) -> Any:
    if not path.is_file():
        raise CannotRun(f"the CORE cache has no {path.name} (looked in {path.parent})")
    with path.open("rb") as stream:
        return pickle.load(stream)


def dataset_files(folder: Path, suffix: str) -> list[Path]:
    files = sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() == suffix)
    if not files:
        raise CannotRun(f"no {suffix} datasets in {folder}")
    return files


def rule_ids(rule: dict[str, Any], organization: str, standard: str, version: str) -> list[str]:
    """The rule's identifiers from one organization (CDISC, FDA) for the standard and version validated."""
    found: set[str] = set()
    for authority in rule.get("authorities") or []:
        if authority.get("Organization") != organization:
            continue
        for entry in authority.get("Standards") or []:
            if entry.get("Name", "").lower() != standard or entry.get("Version") != version:
                continue
            for reference in entry.get("References") or []:
                identifier = (reference.get("Rule_Identifier") or {}).get("Id")
                if identifier:
                    found.add(identifier)
    return sorted(found)


def select_rules(cache: Path, standard: str, version_key: str, only: list[str], leave_out: list[str]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The rules the cache lists for the standard, filtered; plus the requested ids that it does not list."""
    catalogue = load_pickle(cache / "rules.pkl")
    listed = load_pickle(cache / "rules_dictionary.pkl").get(f"{standard}/{version_key}")
    if not listed:
        raise CannotRun(f"the CORE cache lists no rules for {standard} {version_key.replace('-', '.')}")
    chosen = [core_id for core_id in listed
              if (not only or core_id in only) and core_id not in leave_out]
    unknown = [{"core_id": core_id, "reason": "not a rule of this standard in the cache"}
               for core_id in only if core_id not in listed]
    return [catalogue[core_id] for core_id in sorted(chosen)], unknown


def declared_ct_packages(define: Path | None) -> list[str]:
    """Cache names (e.g. sdtmct-2024-03-29) of the CT packages a Define-XML 2.1 declares."""
    if define is None:
        return []
    from cdisc_rules_engine.services.define_xml.define_xml_reader_factory import (
        DefineXMLReaderFactory,
    )

    reader = DefineXMLReaderFactory.from_filename(str(define))
    if reader.class_define_xml_version().model_package != "define_2_1":
        return []
    standards = reader.get_ct_standards_metadata()[0]
    return sorted({f"{entry.publishing_set.lower()}ct-{entry.version}" for entry in standards})


def load_library_metadata(cache: Path, standard: str, version_key: str, define: Path | None
                          ) -> tuple[Any, list[str]]:
    """The engine's library metadata for the standard from the offline cache, with the CT that define.xml declares."""
    from cdisc_rules_engine.models.library_metadata_container import (
        LibraryMetadataContainer,
    )
    from cdisc_rules_engine.utilities import utils

    details = load_pickle(cache / "standards_details.pkl").get(
        utils.get_standard_details_cache_key(standard, version_key, None))
    if not details:
        raise CannotRun(f"the CORE cache has no metadata for {standard} {version_key.replace('-', '.')}")
    model = load_pickle(cache / "standards_models.pkl").get(utils.get_model_details_cache_key_from_ig(details), {})
    codelist_map = load_pickle(cache / "variable_codelist_maps.pkl").get(
        utils.get_standard_codelist_cache_key(standard, version_key))
    variables = load_pickle(cache / "variables_metadata.pkl").get(
        utils.get_library_variables_metadata_cache_key(standard, version_key, None))
    published = sorted(path.stem for path in cache.glob("*ct-*.pkl"))
    declared = declared_ct_packages(define)
    missing = [name for name in declared if name not in published]
    if missing:
        raise CannotRun(f"define.xml declares CT {', '.join(missing)}, which the CORE cache does not hold "
                        f"(it holds {', '.join(published)})")
    ct_metadata: dict[str, Any] = {name: load_pickle(cache / f"{name}.pkl") for name in declared}
    if define is not None:
        from cdisc_rules_engine.services.define_xml.define_xml_reader_factory import (
            DefineXMLReaderFactory,
        )

        # Sponsor terms that define.xml marks ExtendedValue="Yes", per codelist.
        ct_metadata["extensible"] = DefineXMLReaderFactory.from_filename(str(define)).get_extensible_codelist_mappings()
    container = LibraryMetadataContainer(
        standard_metadata=details, model_metadata=model, variable_codelist_map=codelist_map,
        variables_metadata=variables, ct_package_metadata=ct_metadata, published_ct_packages=set(published),
        cache_path=str(cache))
    return container, declared


def run_one_rule(shared_cache: Any, settings: dict[str, Any], library_metadata: Any, rule: dict[str, Any]
                 ) -> tuple[str, list[dict[str, Any]]]:
    """One rule over every dataset, in a worker process: the engine's raw result containers.

    shared_cache is the manager's cache proxy, or None for the worker's own cache (see --cache-sharing).
    """
    if shared_cache is None:
        shared_cache = WORKER_CACHE[0]
    from cdisc_rules_engine.models.external_dictionaries_container import (
        ExternalDictionariesContainer,
    )
    from cdisc_rules_engine.rules_engine import RulesEngine

    engine = RulesEngine(
        cache=shared_cache, standard=settings["standard"], standard_version=settings["version_key"],
        standard_substandard=None, use_case=None, external_dictionaries=ExternalDictionariesContainer({}),
        ct_packages=settings["ct_packages"], define_xml_path=settings["define"], library_metadata=library_metadata,
        max_dataset_size=settings["max_dataset_size"], dataset_paths=settings["dataset_paths"],
        validate_xml=settings["validate_xml"], jsonata_custom_functions=(), max_errors_per_rule=0,
        errors_per_dataset_flag=False, encoding="utf-8")
    by_dataset = engine.validate_single_rule(rule)
    return rule["core_id"], [container for containers in by_dataset.values() for container in containers]


def describe_rule(rule: dict[str, Any], standard: str, version: str) -> dict[str, Any]:
    actions = rule.get("actions") or []
    message = (actions[0].get("params") or {}).get("message") if len(actions) == 1 else None
    return {"core_id": rule["core_id"], "cdisc_ids": rule_ids(rule, "CDISC", standard, version),
            "fda_ids": rule_ids(rule, "FDA", standard, version), "message": message,
            "executability": rule.get("executability"), "sensitivity": rule.get("sensitivity")}


def json_value(value: Any) -> Any:
    """A value the engine reported, as JSON: numpy/pandas scalars and arrays as Python ones, NaN and NaT as null."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_value(item) for item in value), key=repr)
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays and scalars, pandas Index and Series
        return json_value(value.tolist())
    text = str(value)
    return None if text in ("NaT", "nan", "<NA>") else text


OUTSIDE_SCOPE = "Outside scope"  # the engine's skip reason for a dataset the rule is not about
COLUMN_NOT_FOUND = "Column not found in data"
VARIABLE_LIST = re.compile(r"[A-Za-z0-9_.$-]+(, [A-Za-z0-9_.$-]+)*")


def record_containers(rule: dict[str, Any], containers: list[dict[str, Any]], report: dict[str, Any]) -> str:
    """Sorts the engine's result containers of one rule into findings, skips and execution errors; the rule's status.

    Status: 'execution error' if the engine failed on any dataset, else 'issue reported' if it found anything,
    else 'success' if it checked a dataset, else 'skipped' (with the reasons in report['skipped']), else
    'not applicable' when every dataset was outside the rule's scope (those skips are not listed).
    """
    statuses = set()
    for container in containers:
        status = container.get("executionStatus") or "unknown status"
        base = {"core_id": rule["core_id"], "dataset": json_value(container.get("dataset")),
                "domain": json_value(container.get("domain"))}
        errors = container.get("errors") or []
        if status in ("issue reported", "success"):
            statuses.add("issue reported" if errors else "success")
        elif status == "skipped":
            reasons = {error.get("error") for error in errors}
            statuses.add("not applicable" if reasons <= {OUTSIDE_SCOPE} else "skipped")
        else:
            statuses.add("execution error")
        for error in errors:
            if status in ("issue reported", "success"):
                # A define.xml schema failure comes back as status "success" with an error entity, not a row.
                detail = " - ".join(str(part) for part in (error.get("error"), error.get("message")) if part)
                report["findings"].append({
                    **base, "dataset": json_value(error.get("dataset")) or base["dataset"],
                    "variables": json_value(list(container.get("variables") or [])),
                    "row": json_value(error.get("row")), "usubjid": json_value(error.get("USUBJID")),
                    "seq": json_value(error.get("SEQ")), "values": json_value(error.get("value") or {}),
                    "message": json_value(container.get("message")) or detail, "detail": detail or None})
            elif status == "skipped":
                if error.get("error") != OUTSIDE_SCOPE:
                    detail = json_value(error.get("message"))
                    if error.get("error") == COLUMN_NOT_FOUND and isinstance(detail, str) \
                            and VARIABLE_LIST.fullmatch(detail):
                        detail = ", ".join(sorted(detail.split(", ")))  # the engine lists a set, in any order
                    report["skipped"].append({**base, "reason": json_value(error.get("error")), "detail": detail})
            else:
                report["errors"].append({**base, "error": json_value(error.get("error")),
                                         "detail": json_value(error.get("message")),
                                         "message": json_value(container.get("message"))})
    for status in ("execution error", "issue reported", "success", "skipped", "not applicable"):
        if status in statuses:
            return status
    return "not applicable"


def check_dataset_json(files: list[Path]) -> None:
    """Refuses Dataset-JSON files that break the engine's schema: the engine would read them as empty, silently."""
    import jsonschema

    schema = json.loads(Path("resources", "schema", "dataset.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for path in files:
        problem = jsonschema.exceptions.best_match(
            validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "(top)"
            raise CannotRun(f"{path.name} is not valid Dataset-JSON 1.1 at {where}: {problem.message}; "
                            "the engine would read it as an empty dataset")


def set_engine_log_level(level: str) -> None:
    from cdisc_rules_engine.services import logger as engine_logger

    engine_logger.disabled = level == "disabled"
    if level != "disabled":
        engine_logger.setLevel(level)


WORKER_CACHE: list[Any] = []  # the worker process's own engine cache, when the cache is not shared


def start_worker(level: str, own_cache: bool) -> None:
    from cdisc_rules_engine.services.cache import InMemoryCacheService

    set_engine_log_level(level)
    if own_cache:
        WORKER_CACHE[:] = [InMemoryCacheService()]


def validate(arguments: argparse.Namespace) -> dict[str, Any]:
    from cdisc_rules_engine.config import config
    from cdisc_rules_engine.services.cache import InMemoryCacheService
    from cdisc_rules_engine.services.data_services import DataServiceFactory

    standard, version = arguments.standard.lower(), arguments.version
    version_key = version.replace(".", "-")
    data = arguments.data.resolve()
    cache = arguments.cache.resolve()
    define = (arguments.define or (data / "define.xml"))
    define = define.resolve() if define.is_file() else None
    if arguments.define is not None and define is None:
        raise CannotRun(f"no define.xml at {arguments.define}")
    files = dataset_files(data, FORMATS[arguments.format])
    if arguments.format == "json":
        check_dataset_json(files)
    rules, unknown = select_rules(cache, standard, version_key, arguments.rule, arguments.exclude_rule)
    library_metadata, ct_packages = load_library_metadata(cache, standard, version_key, define)
    settings = {"standard": standard, "version_key": version_key, "ct_packages": ct_packages,
                "define": str(define) if define else None, "dataset_paths": [str(path) for path in files],
                "max_dataset_size": max(path.stat().st_size for path in files),
                "validate_xml": not arguments.no_validate_xml}

    started = time.monotonic()
    with ExitStack() as stack:
        if arguments.cache_sharing == "manager":
            EngineCacheManager.register("InMemoryCacheService", InMemoryCacheService)
            shared_cache = stack.enter_context(EngineCacheManager()).InMemoryCacheService()
        else:
            shared_cache = None
        data_service = DataServiceFactory(
            config, shared_cache or InMemoryCacheService(), standard=standard, standard_version=version_key,
            library_metadata=library_metadata, max_dataset_size=settings["max_dataset_size"],
            encoding="utf-8").get_data_service(settings["dataset_paths"])
        datasets = sorted(data_service.get_datasets(), key=lambda dataset: dataset.name)
        results: dict[str, list[dict[str, Any]]] = {}
        work = partial(run_one_rule, shared_cache, settings, library_metadata)
        pool = stack.enter_context(multiprocessing.Pool(
            max(1, arguments.pool_size), initializer=start_worker,
            initargs=(arguments.log_level, shared_cache is None)))
        for done, (core_id, containers) in enumerate(pool.imap_unordered(work, rules), start=1):
            results[core_id] = containers
            print(f"\r{done}/{len(rules)} rules", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    elapsed = time.monotonic() - started

    report: dict[str, Any] = {
        "engine": {"name": ENGINE_NAME, "version": importlib.metadata.version(ENGINE_NAME),
                   "python": sys.version.split()[0]},
        "standard": standard, "version": version, "ct_packages": ct_packages,
        "define": define.name if define else None, "format": arguments.format,
        "datasets": [{"name": dataset.name, "file": Path(dataset.full_path).name, "records": dataset.record_count,
                      "label": dataset.label} for dataset in datasets],
        "pool_size": arguments.pool_size, "cache_sharing": arguments.cache_sharing, "elapsed_seconds": round(elapsed, 1),
        "rules": [], "findings": [], "skipped": [], "errors": [], "not_run": unknown}
    for rule in rules:
        described = describe_rule(rule, standard, version)
        first = len(report["findings"])
        status = record_containers(rule, results[rule["core_id"]], report)
        for finding in report["findings"][first:]:
            finding.update(cdisc_ids=described["cdisc_ids"], fda_ids=described["fda_ids"])
        report["rules"].append({**described, "status": status})
    # Workers finish in any order; sort so that the same input gives the same report.
    for kind in ("findings", "skipped", "errors"):
        report[kind].sort(key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    report["findings"].sort(key=lambda item: (item["core_id"], item["dataset"] or "", str(item["row"]).zfill(9)))
    return report


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    out = arguments.out.resolve()
    for name in ("data", "cache", "define"):
        if getattr(arguments, name) is not None:
            setattr(arguments, name, getattr(arguments, name).resolve())
    import cdisc_rules_engine

    os.chdir(Path(cdisc_rules_engine.__file__).resolve().parents[1])
    set_engine_log_level(arguments.log_level)
    try:
        report = validate(arguments)
    except CannotRun as problem:
        print(f"run_core: cannot run: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".part")
    temporary.write_text(json.dumps(report, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
