"""The crfmap command line: parse options, call `api`, print what it returns, exit with a status.

No logic of its own: reading, checking and writing happen in `crfmap.api`; `--to` and each target's options
come from the output registry. Exit statuses: 0 no errors (warnings allowed), 1 data errors, 2 cannot run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from crfmap import __version__, api
from crfmap.issues import ExitStatus, FatalIssue, PackedIssues, Report
from crfmap.issues.text import render_concise, render_coverage, render_issue, render_report
from crfmap.terminal import report_width, row_progress, use_colour

MIB = 1024 * 1024

study_option = click.option(
    "--study", "study_dir", required=True, type=click.Path(path_type=Path),
    help="The study's mapping folder, e.g. mappings/blinatumomab_ped_all (study.yaml, forms/, codelists/, "
         "concepts.yaml).")
data_study_option = click.option(
    "--study", "study_dir", default=None, type=click.Path(path_type=Path),
    help="The study's mapping folder, e.g. mappings/blinatumomab_ped_all. Not needed for a workbook made by "
         "`crfmap template`: it names its study (found in mappings/ here or beside the workbook).")
redact_option = click.option(
    "--redact", is_flag=True,
    help="Never print cell values (possible patient data) in messages; positions and codes stay.")
debug_option = click.option("--debug", is_flag=True, help="Show the Python traceback of an unexpected failure.")


def report_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """What validate and convert share about their reports."""
    formats = ", ".join(f"{entry.extensions[0]} ({entry.summary})" for entry in api.REPORT_FORMATS)
    options = [
        click.option("--format", "output_format", type=click.Choice(["text", "concise", "json"]), default="text",
                     show_default=True, help="What to print: text for people (counts first, then the issues by "
                     "sheet, wrapped), concise (one line per issue, for logs and grep), or json: "
                     "{\"run\": …, \"issues\": […], \"summary\": …}."),
        click.option("--report", "reports", type=click.Path(path_type=Path), multiple=True,
                     help=f"Also write the report to a file; repeat for several. The ending picks the format: "
                          f"{formats}."),
        click.option("--annotate", type=click.Path(path_type=Path), default=None,
                     help="Write a copy of the workbook with an index sheet first, each bad cell coloured and the "
                          "issue as a comment; the .xlsx report's cell links open it."),
        click.option("--waivers", type=click.Path(path_type=Path), default=None,
                     help="A reviewed waivers.yaml: issues it accepts become notes marked waived; a waiver that "
                          "matches nothing is reported (P062)."),
        click.option("--quiet", "-q", is_flag=True, help="Print only the counts (and errors that stop the run)."),
        click.option("--verbose", "-v", is_flag=True,
                     help="Also print the run header and the mapping's form and column names."),
        click.option("--timestamp", is_flag=True,
                     help="Put the time of the run in report headers (without it, reports are byte-identical "
                          "for the same input)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def read_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--encoding", default=None, help="Encoding of csv input (default: detected: a BOM, UTF-8, "
                                                      "else cp1251 or cp1252 with a warning; one for all files of a "
                                                      "folder)."),
        click.option("--delimiter", default=None, help="Delimiter of csv input (default: sniffed among , ; tab)."),
        click.option("--dictionary", type=click.Path(path_type=Path), default=None,
                     help="The data dictionary of a REDCap records export (default: the one beside the export)."),
        click.option("--max-unzipped-mb", type=click.IntRange(1), default=api.ReadLimits().max_unzipped_bytes // MIB,
                     show_default=True, help="Refuse workbooks whose parts expand beyond this (zip bombs)."),
        click.option("--max-rows", type=click.IntRange(1), default=api.ReadLimits().max_rows, show_default=True,
                     help="Refuse sheets with more data rows than this."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_read_options(encoding: str | None, delimiter: str | None, max_unzipped_mb: int,
                       max_rows: int, dictionary: Path | None = None) -> api.ReadOptions:
    limits = api.ReadLimits(max_unzipped_bytes=max_unzipped_mb * MIB, max_part_bytes=max_unzipped_mb * MIB,
                            max_rows=max_rows)
    return api.ReadOptions(limits=limits, encoding=encoding, delimiter=delimiter, dictionary=dictionary)


def click_option(spec: api.OptionSpec) -> Callable[..., Any]:
    """A writer's OptionSpec as a click option (the registry declares options; the CLI only spells them)."""
    if spec.kind == "flag":
        return click.option(spec.flag, spec.name, is_flag=True, help=spec.help)
    if spec.kind == "choice":
        return click.option(spec.flag, spec.name, type=click.Choice(spec.choices), multiple=spec.multiple,
                            default=spec.default, show_default=True, help=spec.help)
    if spec.kind == "file":
        return click.option(spec.flag, spec.name, type=click.Path(path_type=Path, exists=True, dir_okay=False),
                            default=spec.default, help=spec.help)
    return click.option(spec.flag, spec.name, default=spec.default, metavar=spec.metavar, help=spec.help)


def writer_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for writer in reversed(list(api.WRITERS.values())):
        for spec in reversed(writer.options):
            function = click_option(spec)(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="crfmap")
def main() -> None:
    """Turn clinical study workbooks (CRFs in xlsx/csv) into HL7 FHIR R4 and CDISC SDTM.

    \b
    Typical week:
      crfmap check-mapping mappings/blinatumomab_ped_all
      crfmap validate site.xlsx --study mappings/blinatumomab_ped_all --annotate site.checked.xlsx
      crfmap convert site.xlsx --study mappings/blinatumomab_ped_all --to fhir --to sdtm --out out/
      crfmap convert-many exports/ --study mappings/blinatumomab_ped_all --executor dask --out out/

    Exit status: 0 no errors (warnings allowed), 1 the data has errors, 2 the command could not run.
    """


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@data_study_option
@report_options
@click.option("--coverage", is_flag=True, help="Also print where every non-empty cell went.")
@read_options
@redact_option
@debug_option
def validate(workbook: Path, study_dir: Path | None, output_format: str, reports: tuple[Path, ...], annotate: Path | None,
             waivers: Path | None, quiet: bool, verbose: bool, timestamp: bool, coverage: bool, redact: bool,
             debug: bool, **read: Any) -> None:
    """Check WORKBOOK against the study's forms and print every problem at its cell.

    \b
    The counts come first (per sheet in tab order, per issue code), then each issue under its sheet:
      Терапия!D35  error S108 impossible-date · Дата начала · subject 02-004
          '31.06.2022' is not a real calendar date.
          Hint: June 2022 has 30 days; check day and month.
    Issue codes: `crfmap codes`.
    """
    def body() -> ExitStatus:
        api.check_report_targets(reports)
        with row_progress(sys.stderr) as progress:
            result = api.validate_workbook(workbook, study_dir, read_options=build_read_options(**read),
                                           progress=progress, keep_cells=annotate is not None, waivers=waivers,
                                           report_time=timestamp, keep_records=False)
            said = _write_extras(result, workbook, annotate, reports, redact, progress)
        for line in said:
            click.echo(line, err=True)
        report = result.report
        if output_format == "json":
            click.echo(_json(report.as_dict(redact=redact, coverage=coverage)))
        else:
            _print_report(report, redact, quiet, verbose, concise=output_format == "concise")
            if coverage and not quiet:
                for line in render_coverage(report.coverage):
                    click.echo(line)
        return report.exit_status

    _run(body, debug, redact)


def _convert_options(values: dict[str, Any], targets: tuple[str, ...], out: Path, allow_errors: bool,
                     allow_unmapped: bool, waivers: Path | None, timestamp: bool) -> api.ConvertOptions:
    """What convert and convert-many share: each writer's own options taken out of `values` (the rest are
    read options), and the run's."""
    per_target = {name: {spec.name: values.pop(spec.name) for spec in writer.options}
                  for name, writer in api.WRITERS.items()}
    return api.ConvertOptions(targets=tuple(dict.fromkeys(targets)), out=out, writer_options=per_target,
                              allow_errors=allow_errors, allow_unmapped=allow_unmapped, waivers=waivers,
                              report_time=timestamp)


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@data_study_option
@click.option("--to", "targets", type=click.Choice(list(api.WRITERS)), multiple=True, default=tuple(api.WRITERS),
              show_default=True, help="Which target(s) to write; repeat for several: "
              + "; ".join(f"{name}: {writer.summary}" for name, writer in api.WRITERS.items()) + ".")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Output folder. Each target goes to OUT/<target> (OUT/fhir, OUT/sdtm), all switched together "
                   "in one step (a failed or killed run leaves the previous output).")
@writer_options
@click.option("--allow-errors", is_flag=True,
              help="Write every valid record even when some rows have errors; rows with errors, and subjects "
                   "whose demographics row has errors, are left out and listed (W007 names a subject's rows).")
@click.option("--allow-unmapped", is_flag=True,
              help="Convert even when some non-empty cells are read by no form (they are still reported).")
@report_options
@read_options
@redact_option
@debug_option
def convert(workbook: Path, study_dir: Path | None, targets: tuple[str, ...], out: Path, allow_errors: bool,
            allow_unmapped: bool, output_format: str, reports: tuple[Path, ...], annotate: Path | None,
            waivers: Path | None, quiet: bool, verbose: bool, timestamp: bool, redact: bool, debug: bool,
            **values: Any) -> None:
    """Validate WORKBOOK, then write FHIR R4 and/or SDTM to OUT.

    Refuses to write when validation finds errors, unless --allow-errors.
    """
    def body() -> ExitStatus:
        api.check_report_targets(reports)
        options = _convert_options(values, targets, out, allow_errors, allow_unmapped, waivers, timestamp)
        with row_progress(sys.stderr) as progress:
            outcome = api.convert_workbook(workbook, study_dir, options, read_options=build_read_options(**values),
                                           progress=progress, keep_cells=annotate is not None)
            said = [] if outcome.validation is None else _write_extras(outcome.validation, workbook, annotate,
                                                                       reports, redact, progress)
        for line in said:
            click.echo(line, err=True)
        if output_format == "json":
            data = outcome.report.as_dict(redact=redact)
            data["outputs"] = {target: {"files": files, "counts": outcome.counts.get(target, {})}
                               for target, files in outcome.written.items()}
            click.echo(_json(data))
        else:
            _print_report(outcome.report, redact, quiet, verbose, concise=output_format == "concise")
            for line in outcome.summary_lines():
                click.echo(line)
        for issue in Report(PackedIssues(outcome.failure)).presented(redact=redact):  # why nothing could be written
            click.echo(render_issue(issue), err=True)
        return outcome.exit_status

    _run(body, debug, redact, out=out)


@main.command("convert-many")
@click.argument("site_exports", type=click.Path(path_type=Path))
@study_option
@click.option("--to", "targets", type=click.Choice(list(api.WRITERS)), multiple=True, default=tuple(api.WRITERS),
              show_default=True, help="Which target(s) to write; repeat for several (as convert).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Output folder: one set for all exports, OUT/fhir and OUT/sdtm switched together in one step "
                   "(a failed or killed run leaves the previous output). Not inside SITE_EXPORTS.")
@click.option("--executor", type=click.Choice(list(api.EXECUTORS)), default="local", show_default=True,
              help="Where partitions run: " + "; ".join(f"{name}: {executor.summary}"
                                                         for name, executor in api.EXECUTORS.items()) + ".")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --executor dask: a running cluster's scheduler, e.g. tcp://host:8786 (every worker must "
                   "have crfmap installed and see SITE_EXPORTS at the same path). Default: a local cluster for "
                   "this run.")
@click.option("--partitions", type=click.IntRange(1, 10_000), default=1, show_default=True,
              help="Partitions per export, by a stable hash of the subject id: each reads the whole export and "
                   "validates and maps its subjects' rows (for exports too large for one worker's time).")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
              help="With --executor processes, or dask without --scheduler: how many worker processes run "
                   "partitions at once.")
@writer_options
@click.option("--allow-errors", is_flag=True,
              help="Write every valid record even when some rows have errors (as convert); a subject already in an "
                   "earlier export (R055) is written from that export only.")
@click.option("--allow-unmapped", is_flag=True,
              help="Convert even when some non-empty cells are read by no form (they are still reported).")
@click.option("--format", "output_format", type=click.Choice(["text", "concise", "json"]), default="text",
              show_default=True, help="What to print (as convert); json adds \"exports\": one entry per export.")
@click.option("--report", "reports", type=click.Path(path_type=Path), multiple=True,
              help="Also write the report (every export's issues, each with its file name) to a file; the ending "
                   "picks the format, as convert.")
@click.option("--waivers", type=click.Path(path_type=Path), default=None,
              help="A reviewed waivers.yaml, applied to the issues of all exports.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the counts (and errors that stop the run).")
@click.option("--verbose", "-v", is_flag=True, help="Also print the run header.")
@click.option("--timestamp", is_flag=True, help="Put the time of the run in report headers.")
@read_options
@redact_option
@debug_option
def convert_many(site_exports: Path, study_dir: Path, targets: tuple[str, ...], out: Path, executor: str,
                 scheduler: str | None, partitions: int, workers: int, allow_errors: bool, allow_unmapped: bool,
                 output_format: str, reports: tuple[Path, ...], waivers: Path | None, quiet: bool, verbose: bool,
                 timestamp: bool, redact: bool, debug: bool, **values: Any) -> None:
    """Validate every site export in SITE_EXPORTS (one per file, or per folder of csv files) and write one set of
    FHIR R4 and/or SDTM to OUT, byte for byte what one process would write.

    \b
    Each export, or with --partitions K each K-th of an export's subjects, is a partition converted on its own
    (--executor local: here, in turn; processes: in --workers processes on this machine; dask: on a
    dask.distributed cluster); the partitions are merged in file-name order. Each partition also makes its
    subjects' output (FHIR bundles and NDJSON lines; SDTM rows with --SEQ, --DY, EPOCH, SE and visits), put
    together in subject order; SDTM variables, TS and define.xml are then made from all of them at once.
      crfmap convert-many exports/ --study mappings/blinatumomab_ped_all --out out/
      crfmap convert-many exports/ --study mappings/blinatumomab_ped_all --out out/ --to fhir --ndjson \\
          --executor processes --partitions 2
      crfmap convert-many exports/ --study mappings/blinatumomab_ped_all --out out/ \\
          --executor dask --scheduler tcp://scheduler.example.org:8786 --partitions 8
    Refuses to write when an export has errors, unless --allow-errors. Exit status as convert.
    The dask executor needs: pip install 'crfmap[dask]'.
    """
    if scheduler is not None and executor != "dask":
        raise click.UsageError("--scheduler goes with --executor dask")

    def body() -> ExitStatus:
        api.check_report_targets(reports)
        options = _convert_options(values, targets, out, allow_errors, allow_unmapped, waivers, timestamp)
        many = api.ManyOptions(executor=executor, scheduler=scheduler, partitions=partitions, workers=workers)
        with row_progress(sys.stderr) as progress:
            outcome = api.convert_many(site_exports, study_dir, options, many, read_options=build_read_options(**values),
                                       progress=progress)
            said = [f"report: {written}" for written in api.write_reports(outcome.report, reports, redact=redact,
                                                                           progress=progress)]
        for line in said:
            click.echo(line, err=True)
        if output_format == "json":
            data = outcome.report.as_dict(redact=redact)
            data["outputs"] = {target: {"files": files, "counts": outcome.counts.get(target, {})}
                               for target, files in outcome.written.items()}
            data["exports"] = [export.as_dict() for export in outcome.exports]
            click.echo(_json(data))
        else:
            _print_report(outcome.report, redact, quiet, verbose, concise=output_format == "concise")
            for export in outcome.exports:
                click.echo(f"{export.name}: {export.partitions} partition(s), {export.rows_read:,} row(s), "
                           f"{export.records:,} record(s), {export.errors} error(s), {export.warnings} warning(s)")
            for line in outcome.summary_lines():
                click.echo(line)
        for issue in Report(PackedIssues(outcome.failure)).presented(redact=redact):
            click.echo(render_issue(issue), err=True)
        return outcome.exit_status

    _run(body, debug, redact, out=out)


@main.command("check-mapping")
@click.argument("study_dir", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@debug_option
def check_mapping(study_dir: Path, output_format: str, debug: bool) -> None:
    """Lint a mapping folder: YAML, the mapping format, and every cross-reference, with file and line."""
    def body() -> ExitStatus:
        mapping, issues = api.load_mapping(study_dir)
        report = Report(PackedIssues(issues))
        if output_format == "json":
            click.echo(_json(report.as_dict()))
        else:
            for issue in report.sorted():
                click.echo(render_issue(issue))
            click.echo(f"{mapping.folder}: {len(mapping.forms)} forms, {len(mapping.codelists)} code lists, "
                       f"{len(mapping.concepts)} concepts; {len(report.errors)} error(s), "
                       f"{len(report) - len(report.errors)} warning(s)/note(s)")
        return report.exit_status

    _run(body, debug, False)


@main.command()
@click.option("--mappings", type=click.Path(path_type=Path, file_okay=False), default=Path("mappings"),
              show_default=True, help="The folder whose subfolders are the studies to offer (each with study.yaml).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback requires the access token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--token", envvar="CRFMAP_TOKEN", default=None,
              help="Access token (also $CRFMAP_TOKEN); made up and printed when the host is not loopback.")
@click.option("--max-upload-mb", type=click.IntRange(1), default=50, show_default=True,
              help="Refuse uploads larger than this (HTTP 413).")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True,
              help="Workbooks checked at once; more wait their turn.")
@read_options
@debug_option
def serve(mappings: Path, host: str, port: int, token: str | None, max_upload_mb: int, workers: int, debug: bool,
          **read: Any) -> None:
    """A local page to drop a workbook on: pick the study, see the HTML report, download the annotated copy, the
    reports and the outputs. The same endpoints answer JSON (POST /runs with Accept: application/json).

    Needs the serve extra: pip install 'crfmap[serve]'.
    """
    def body() -> ExitStatus:
        try:
            from crfmap.web import ServeSettings
            from crfmap.web import serve as run_server
        except ImportError as missing:
            click.echo(f"crfmap serve needs {missing.name}: pip install 'crfmap[serve]'", err=True)
            return ExitStatus.CANNOT_RUN
        settings = ServeSettings(mappings=mappings, host=host, port=port, token=token, max_upload_mb=max_upload_mb,
                                 workers=workers, read_limits=build_read_options(**read).limits)
        run_server(settings, announce=lambda line: click.echo(line, err=True))
        return ExitStatus.OK

    _run(body, debug, False)


@main.command()
@study_option
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The workbook to write (.xlsx).")
@click.option("--language", default=None,
              help="Language of titles and drop-downs, e.g. ru or en (default: the study's country's, else en); "
                   "each spelling shown is one the mapping accepts.")
@click.option("--rows", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Rows prepared with drop-downs and checks on each sheet.")
@debug_option
def template(study_dir: Path, out: Path, language: str | None, rows: int, debug: bool) -> None:
    """Write the blank workbook sites fill in: a sheet per form, drop-downs, date and number checks, required
    cells marked; it records the study, so `crfmap validate FILE` needs no --study."""
    def body() -> ExitStatus:
        mapping, _issues = api.load_mapping(study_dir)
        outcome = api.write_template(mapping, out, language=language, rows=rows)
        click.echo(f"{outcome.path}: {outcome.sheets} form sheet(s) for study {outcome.stamp.study}, mapping "
                   f"version {outcome.stamp.version} ({outcome.stamp.language})")
        return ExitStatus.OK

    _run(body, debug, False)


@main.command("init")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--from-redcap-dictionary", "redcap_dictionary", type=click.Path(path_type=Path), default=None,
              help="A REDCap data dictionary (csv from Project Setup, or the API's metadata export).")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="With --from-redcap-dictionary: a records export, to draft events and repeating instruments.")
@click.option("--from-odm", "odm", type=click.Path(path_type=Path), default=None,
              help="A CDISC ODM file with a MetaDataVersion (REDCap's ODM export, an EDC's study export).")
@click.option("--from-workbook", "workbook", type=click.Path(path_type=Path), default=None,
              help="A site workbook (xlsx or csv): headers become columns, types come from the values.")
@debug_option
def init(out: Path, redcap_dictionary: Path | None, data: Path | None, odm: Path | None, workbook: Path | None,
         debug: bool) -> None:
    """Draft a mapping folder OUT from what the site already has; every guess is marked `draft: true`.

    \b
      crfmap init --from-redcap-dictionary Project_DataDictionary.csv --data Project_DATA.csv mappings/project
      crfmap init --from-odm study.xml mappings/study
      crfmap init --from-workbook site.xlsx mappings/study
    The draft passes `crfmap check-mapping`; it lists the entries to review.
    """
    given = [(kind, path) for kind, path in (("redcap-dictionary", redcap_dictionary), ("odm", odm),
                                              ("workbook", workbook)) if path is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --from-redcap-dictionary, --from-odm, --from-workbook")
    if data is not None and redcap_dictionary is None:
        raise click.UsageError("--data goes with --from-redcap-dictionary")
    kind, source = given[0]

    def body() -> ExitStatus:
        outcome = api.init_mapping(source, kind, out, data=data)  # type: ignore[arg-type]
        drafts = sum(1 for issue in outcome.issues if issue.code == "P050")
        click.echo(f"{outcome.folder}: draft mapping with {outcome.forms} form(s), {outcome.codelists} code list(s); "
                   f"{drafts} draft entr(y/ies) to review (crfmap check-mapping {outcome.folder})")
        return ExitStatus.OK

    _run(body, debug, False)


@main.command()
@click.option("--part", type=click.Choice(["study", "form", "codelist", "concepts"]), default=None,
              help="Only the schema of one kind of file (default: all four under $defs).")
@click.option("--format", "output_format", type=click.Choice(["json", "markdown"]), default="json", show_default=True,
              help="json: the JSON Schema; markdown: the reference of record fields, operations and target keys.")
def schema(part: str | None, output_format: str) -> None:
    """Print the JSON Schema of the mapping format (for editor autocompletion of the YAML files), or its reference."""
    if output_format == "markdown":
        click.echo(api.mapping_reference(), nl=False)
        return
    click.echo(_json(api.mapping_json_schema(part), pretty=True))


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
def codes(output_format: str) -> None:
    """List every issue code crfmap can report, with its severity, title and hint."""
    from crfmap.issues.reference import render_codes

    click.echo(render_codes(output_format))


@main.command("fhir-definitions")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--study", "study_dir", type=click.Path(path_type=Path), default=None,
              help="Publish under this study's fhir.canonical_base (study.yaml) instead of crfmap's own.")
@click.option("--canonical-base", default=None, metavar="URL",
              help="Publish under this canonical base URL (overrides --study's).")
@click.option("--package-name", default=None, help="FHIR package name (default: crfmap.fhir.extensions, with the "
                                                   "study's id appended for another base).")
@debug_option
def fhir_definitions(out: Path, study_dir: Path | None, canonical_base: str | None, package_name: str | None,
                     debug: bool) -> None:
    """Write the FHIR package of crfmap's extensions to OUT: package/ (package.json and StructureDefinitions with
    snapshots) and a .tgz that a FHIR server or validator can load."""
    def body() -> ExitStatus:
        from crfmap.api import write_fhir_definitions

        result = write_fhir_definitions(out, study_dir, canonical_base, package_name)
        click.echo(f"fhir-definitions: {len(result.files)} file(s) in {result.folder} ({result.package}; "
                   f"canonical base {result.canonical_base})")
        return ExitStatus.OK

    _run(body, debug, False)


def push_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--server", required=True, metavar="URL", help="FHIR base URL, e.g. https://host/fhir."),
        click.option("--ndjson", is_flag=True, help="Send the Bulk NDJSON files (as batches of PUTs) instead of "
                                                    "the bundles."),
        click.option("--max-entries", type=click.IntRange(1), default=100, show_default=True,
                     help="Most entries in one request (servers commonly allow 100-500)."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
                     help="Requests in flight at once."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
                     help="Seconds to wait for one answer."),
        click.option("--max-attempts", type=click.IntRange(1), default=6, show_default=True,
                     help="Attempts per request on 5xx, 429, 408 and connection failures."),
        click.option("--retry-max-wait", type=click.FloatRange(min=0.0), default=30.0, show_default=True,
                     help="Longest back-off between attempts, in seconds (Retry-After is honoured)."),
        click.option("--ca-bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                     help="PEM file of the CA certificates to trust (TLS is always verified)."),
        click.option("--token-env", default=None, metavar="NAME", help="Bearer token: from this environment "
                                                                        "variable."),
        click.option("--token-file", type=click.Path(path_type=Path), default=None, help="Bearer token: from "
                                                                                         "this file."),
        click.option("--basic-user", default=None, help="HTTP basic user (password from --password-env or "
                                                        "--password-file)."),
        click.option("--password-env", default=None, metavar="NAME"),
        click.option("--password-file", type=click.Path(path_type=Path), default=None),
        click.option("--smart-client-id", default=None, help="SMART Backend Services: the registered client id."),
        click.option("--smart-key", type=click.Path(path_type=Path), default=None,
                     help="SMART: the client's private key (PEM; RSA signs RS384, EC P-384 signs ES384)."),
        click.option("--smart-token-url", default=None, metavar="URL",
                     help="SMART token endpoint (default: from the server's .well-known/smart-configuration)."),
        click.option("--smart-scope", default="system/*.write", show_default=True),
        click.option("--smart-kid", default=None, help="SMART: key id (kid) of the signing key."),
        click.option("--smart-alg", type=click.Choice(["RS384", "ES384"]), default=None),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@push_options
@click.option("--dry-run", is_flag=True, help="List what would be sent (and what the push log skips); send nothing.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@redact_option
@debug_option
def push(out: Path, dry_run: bool, output_format: str, redact: bool, debug: bool, **settings: Any) -> None:
    """Send the FHIR output in OUT (convert's --out folder, or its fhir/) to a FHIR server.

    \b
    Study-level resources first, then the bundles in parallel; retries 5xx/429/timeouts with back-off;
    a push log in OUT lets a rerun send only what was not accepted. Every refusal is reported at the
    cells the resource came from. Exit status: 0 all accepted, 1 something refused, 2 the server could
    not be reached (or bad options/credentials). Needs: pip install 'crfmap[push]'.
    """
    def body() -> ExitStatus:
        from crfmap.api import PushSettings, make_push_options, push_fhir

        options = make_push_options(PushSettings(dry_run=dry_run, **settings))
        result = push_fhir(out, options)
        summary = result.summary()
        if output_format == "json":
            data = result.report.as_dict(redact=redact)
            data["push"] = {"server": options.server, "folder": result.folder.name, **summary,
                            "units": [{"unit": item.unit.name, "file": item.unit.origin, "status": item.status,
                                       "http": item.http_status, "attempts": item.attempts}
                                      for item in sorted(result.outcomes, key=lambda item: item.unit.name)]}
            if dry_run:
                data["push"]["plan"] = result.plan_lines
            click.echo(_json(data))
        else:
            for line in result.plan_lines:
                click.echo(line)
            for issue in result.report.presented(redact=redact):
                click.echo(render_issue(issue))
            counts = ", ".join(f"{count} {status}" for status, count in summary.items() if count)
            verb = "would push" if dry_run else "push"
            click.echo(f"{verb}: {options.server}: {counts or 'nothing to send'}")
        return ExitStatus.OK if dry_run else result.exit_status

    _run(body, debug, redact)


# ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────

def _forget_unhandled_interrupt() -> None:
    """CPython 3.11 notes a KeyboardInterrupt that escapes code run through its `PyRun_*` API (an extension
    module's import-time code, when Ctrl-C lands during a lazy import) and, under `python -m`, then ends the
    process by SIGINT whatever status it exits with: the caller would see a kill, not 130, though crfmap handled
    the interrupt and said so. Clear that note; where the interpreter keeps it elsewhere (3.12+), nothing to do."""
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, ValueError, AttributeError):
        pass


def _run(body: Callable[[], ExitStatus], debug: bool, redact: bool, out: Path | None = None) -> None:
    """`body` with its failures said in one line each; `out`: the output folder the command switches, so that an
    interruption or a bug after the switch does not claim that nothing changed."""
    before = api.published_version(out) if out is not None else None

    def switched() -> bool:
        return out is not None and api.published_version(out) not in (None, before)

    try:
        status = body()
    except FatalIssue as fatal:
        for issue in Report(PackedIssues(fatal.issues)).presented(redact=redact):
            click.echo(render_issue(issue), err=True)
        sys.exit(ExitStatus.CANNOT_RUN)
    except KeyboardInterrupt:
        if switched():
            click.echo(f"crfmap: interrupted after the new output was switched in at {out}; the reports and the "
                       "summary may be incomplete.", err=True)
        else:
            click.echo("crfmap: interrupted; no output was changed.", err=True)
        _forget_unhandled_interrupt()
        sys.exit(130)
    except Exception as problem:  # the last-resort handler: a bug, never the user's fault
        if debug:
            raise
        done = f"the new output was switched in at {out}" if switched() else "nothing was written"
        click.echo(f"crfmap: internal error ({type(problem).__name__}); {done}. "
                   "Run again with --debug and report the traceback.", err=True)
        sys.exit(ExitStatus.CANNOT_RUN)
    sys.exit(int(status))


def _write_extras(result: api.ValidationResult, workbook: Path, annotate: Path | None, reports: tuple[Path, ...],
                  redact: bool, progress: api.Progress | None) -> list[str]:
    """The annotated copy first (the reports link to it), then the reports; returns where each went, to be said
    on stderr once the progress display is gone."""
    said = []
    linked: Path | None = workbook if workbook.suffix.lower() in (".xlsx", ".xlsm") else None
    if annotate is not None:
        linked, marked = api.annotate_workbook(result, annotate, workbook, redact=redact, progress=progress)
        said.append(f"annotated copy: {linked} ({marked} cell(s) marked)")
    for written in api.write_reports(result.report, reports, redact=redact, linked_workbook=linked,
                                     progress=progress):
        said.append(f"report: {written}")
    return said


def _print_report(report: Report, redact: bool, quiet: bool, verbose: bool, concise: bool = False) -> None:
    colour = use_colour(sys.stdout)
    if concise and not quiet:
        lines = render_concise(report, redact=redact, colour=colour)
    else:
        lines = render_report(report, redact=redact, colour=colour, width=report_width(sys.stdout), quiet=quiet,
                              verbose=verbose)
    batch: list[str] = []  # echoed a few hundred lines at a time: one call per line was a tenth of a large run
    for line in lines:
        batch.append(line)
        if len(batch) == ECHO_BATCH:
            click.echo("\n".join(batch), color=colour)  # click would strip the colour FORCE_COLOR asked for on a pipe
            batch.clear()
    if batch:
        click.echo("\n".join(batch), color=colour)


ECHO_BATCH = 512


def _json(data: Any, pretty: bool = True) -> str:
    import orjson

    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(data, option=option | orjson.OPT_NON_STR_KEYS).decode()


DEFAULT_MEMORY_LIMIT_MB = 4096


YOUNG_COLLECTION_EVERY = 10_000  # allocations; Python's default is 700


def run() -> None:
    """The console entry point: `main` under a memory ceiling, so that a hostile file that would need
    gigabytes fails as a clear R007 refusal instead of exhausting the machine. CRFMAP_MAX_MEMORY_MB changes
    the ceiling (0 = none). Tests call `main` in-process and are not limited."""
    import os

    limit_mb = int(os.environ.get("CRFMAP_MAX_MEMORY_MB", DEFAULT_MEMORY_LIMIT_MB) or 0)
    if limit_mb > 0:
        _limit_memory(limit_mb * MIB)
    sys.unraisablehook = _unraisable_but_memory
    _tune_collector()
    main()


def _tune_collector() -> None:
    """A run allocates millions of small objects that live to its end (rows, records, issues); with the default
    young-generation threshold (700 allocations) the cyclic collector traverses them over and over, a quarter of a
    validate's CPU on a 19,000-row export. Collect less often (cycles are still collected), and leave the objects of
    start-up (modules, classes) out of collection for good. Process-wide, so the console entry point decides it,
    not the api a Python caller uses."""
    import gc

    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 10, 10)


def _unraisable_but_memory(unraisable: Any) -> None:
    """Python's own report of an exception it cannot raise (in a finaliser), except MemoryError: a run that
    runs out of memory says so once (R007, or the last-resort handler), and the generators it closes on the way
    would echo the same MemoryError as "Exception ignored" tracebacks."""
    if isinstance(unraisable.exc_value, MemoryError):
        return
    sys.__unraisablehook__(unraisable)


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft > limit:
        ceiling = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


if __name__ == "__main__":
    run()
