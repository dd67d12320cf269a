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
from crfmap.issues import ExitStatus, FatalIssue, Report
from crfmap.issues.text import render_coverage, render_issue, render_report
from crfmap.terminal import row_progress

MIB = 1024 * 1024

study_option = click.option(
    "--study", "study_dir", required=True, type=click.Path(path_type=Path),
    help="The study's mapping folder, e.g. mappings/blinatumomab_ped_all (study.yaml, forms/, codelists/, "
         "concepts.yaml).")
redact_option = click.option(
    "--redact", is_flag=True,
    help="Never print cell values (possible patient data) in messages; positions and codes stay.")
debug_option = click.option("--debug", is_flag=True, help="Show the Python traceback of an unexpected failure.")


def read_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--encoding", default=None, help="Encoding of csv input (default: detected; UTF-8, "
                                                      "UTF-16 with BOM, else cp1251 with a warning)."),
        click.option("--delimiter", default=None, help="Delimiter of csv input (default: sniffed among , ; tab)."),
        click.option("--max-unzipped-mb", type=click.IntRange(1), default=api.ReadLimits().max_unzipped_bytes // MIB,
                     show_default=True, help="Refuse workbooks whose parts expand beyond this (zip bombs)."),
        click.option("--max-rows", type=click.IntRange(1), default=api.ReadLimits().max_rows, show_default=True,
                     help="Refuse sheets with more data rows than this."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_read_options(encoding: str | None, delimiter: str | None, max_unzipped_mb: int,
                       max_rows: int) -> api.ReadOptions:
    limits = api.ReadLimits(max_unzipped_bytes=max_unzipped_mb * MIB, max_part_bytes=max_unzipped_mb * MIB,
                            max_rows=max_rows)
    return api.ReadOptions(limits=limits, encoding=encoding, delimiter=delimiter)


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

    Exit status: 0 no errors (warnings allowed), 1 the data has errors, 2 the command could not run.
    """


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@study_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per issue, then counts. json: {\"issues\": [...], \"summary\": {...}}.")
@click.option("--annotate", type=click.Path(path_type=Path), default=None,
              help="Write a copy of the workbook with each bad cell coloured and the issue as a comment.")
@click.option("--coverage", is_flag=True, help="Also print where every non-empty cell went.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the counts (and errors that stop the run).")
@read_options
@redact_option
@debug_option
def validate(workbook: Path, study_dir: Path, output_format: str, annotate: Path | None, coverage: bool,
             quiet: bool, redact: bool, debug: bool, **read: Any) -> None:
    """Check WORKBOOK against the study's forms and print every problem at its cell.

    \b
    Each issue names file, sheet and cell, the value, what was expected and what to do, e.g.
      site.xlsx › AE!D14: error S104 value-not-in-codelist: 'Фебрильная лихорадка ' is not in
      code list ae_term; closest: 'Фебрильная лихорадка'. Hint: …
    Issue codes: `crfmap codes`.
    """
    def body() -> ExitStatus:
        with row_progress(sys.stderr) as progress:
            result = api.validate_workbook(workbook, study_dir, read_options=build_read_options(**read),
                                           progress=progress, keep_cells=annotate is not None)
        report = result.report
        if output_format == "json":
            data = report.as_dict(redact=redact)
            if coverage:
                data["coverage"] = [_account_dict(account) for account in result.coverage]
            click.echo(_json(data))
        else:
            lines = render_report(report, redact=redact, colour=_colour(sys.stdout))
            for line in lines:
                if not quiet or not line.startswith(tuple("./\\") + (workbook.name,)):
                    click.echo(line)
            if coverage:
                for line in render_coverage(result.coverage):
                    click.echo(line)
        if annotate is not None:
            marked = api.write_annotation(result, annotate, report.presented(redact=redact), workbook)
            click.echo(f"annotated copy: {annotate} ({marked} cell(s) marked)", err=True)
        return report.exit_status

    _run(body, debug, redact)


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@study_option
@click.option("--to", "targets", type=click.Choice(list(api.WRITERS)), multiple=True, default=tuple(api.WRITERS),
              show_default=True, help="Which target(s) to write; repeat for several: "
              + "; ".join(f"{name}: {writer.summary}" for name, writer in api.WRITERS.items()) + ".")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Output folder. Each target goes to OUT/<target> (OUT/fhir, OUT/sdtm), all replaced together "
                   "and atomically (a failed run leaves the previous output).")
@writer_options
@click.option("--allow-errors", is_flag=True,
              help="Write the valid records even when some rows have errors; the left-out rows are listed.")
@click.option("--allow-unmapped", is_flag=True,
              help="Convert even when some non-empty cells are read by no form (they are still reported).")
@read_options
@redact_option
@debug_option
def convert(workbook: Path, study_dir: Path, targets: tuple[str, ...], out: Path, allow_errors: bool,
            allow_unmapped: bool, redact: bool, debug: bool, **values: Any) -> None:
    """Validate WORKBOOK, then write FHIR R4 and/or SDTM to OUT.

    Refuses to write when validation finds errors, unless --allow-errors.
    """
    def body() -> ExitStatus:
        per_target = {name: {spec.name: values.pop(spec.name) for spec in writer.options}
                      for name, writer in api.WRITERS.items()}
        options = api.ConvertOptions(targets=tuple(dict.fromkeys(targets)), out=out, writer_options=per_target,
                                     allow_errors=allow_errors, allow_unmapped=allow_unmapped)
        with row_progress(sys.stderr) as progress:
            outcome = api.convert_workbook(workbook, study_dir, options, read_options=build_read_options(**values),
                                           progress=progress)
        for line in render_report(outcome.report, redact=redact, colour=_colour(sys.stdout)):
            click.echo(line)
        for line in outcome.summary_lines():
            click.echo(line)
        return outcome.exit_status

    _run(body, debug, redact)


@main.command("check-mapping")
@click.argument("study_dir", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@debug_option
def check_mapping(study_dir: Path, output_format: str, debug: bool) -> None:
    """Lint a mapping folder: YAML, the mapping format, and every cross-reference, with file and line."""
    def body() -> ExitStatus:
        mapping, issues = api.load_mapping(study_dir)
        report = Report(list(issues))
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


# ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────

def _run(body: Callable[[], ExitStatus], debug: bool, redact: bool) -> None:
    try:
        status = body()
    except FatalIssue as fatal:
        for issue in Report(list(fatal.issues)).presented(redact=redact):
            click.echo(render_issue(issue), err=True)
        sys.exit(ExitStatus.CANNOT_RUN)
    except KeyboardInterrupt:
        click.echo("crfmap: interrupted; no output was changed.", err=True)
        sys.exit(130)
    except Exception as problem:  # the last-resort handler: a bug, never the user's fault
        if debug:
            raise
        click.echo(f"crfmap: internal error ({type(problem).__name__}); nothing was written. "
                   "Run again with --debug and report the traceback.", err=True)
        sys.exit(ExitStatus.CANNOT_RUN)
    sys.exit(int(status))


def _account_dict(account: Any) -> dict[str, Any]:
    return {"sheet": account.sheet, "form": account.form, "non_empty": account.non_empty,
            "header": account.header, "mapped": account.mapped, "ignored": account.ignored,
            "unmapped": account.unmapped, "unaccounted": account.unaccounted}


def _json(data: Any, pretty: bool = True) -> str:
    import orjson

    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(data, option=option | orjson.OPT_NON_STR_KEYS).decode()


def _colour(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


DEFAULT_MEMORY_LIMIT_MB = 4096


def run() -> None:
    """The console entry point: `main` under a memory ceiling, so that a hostile file that would need
    gigabytes fails as a clear R007 refusal instead of exhausting the machine. CRFMAP_MAX_MEMORY_MB changes
    the ceiling (0 = none). Tests call `main` in-process and are not limited."""
    import os

    limit_mb = int(os.environ.get("CRFMAP_MAX_MEMORY_MB", DEFAULT_MEMORY_LIMIT_MB) or 0)
    if limit_mb > 0:
        _limit_memory(limit_mb * MIB)
    main()


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
