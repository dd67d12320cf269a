"""The crfmap command line: parse options, call `api`, render the report, return an exit status.

No logic of its own. Exit statuses: 0 no errors (warnings allowed), 1 data errors, 2 cannot run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click

from crfmap import __version__
from crfmap.issues import ExitStatus, FatalIssue, Report, redact_issue
from crfmap.readers.base import ReadLimits, ReadOptions
from crfmap.terminal import row_progress
from crfmap.writers.report.text import render_coverage, render_issue, render_report

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
        click.option("--max-unzipped-mb", type=click.IntRange(1), default=ReadLimits().max_unzipped_bytes // MIB,
                     show_default=True, help="Refuse workbooks whose parts expand beyond this (zip bombs)."),
        click.option("--max-rows", type=click.IntRange(1), default=ReadLimits().max_rows, show_default=True,
                     help="Refuse sheets with more data rows than this."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_read_options(encoding: str | None, delimiter: str | None, max_unzipped_mb: int,
                       max_rows: int) -> ReadOptions:
    limits = ReadLimits(max_unzipped_bytes=max_unzipped_mb * MIB, max_part_bytes=max_unzipped_mb * MIB,
                        max_rows=max_rows)
    return ReadOptions(limits=limits, encoding=encoding, delimiter=delimiter)


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
        from crfmap import api

        with row_progress(sys.stderr) as progress:
            result = api.validate_workbook(workbook, study_dir, read_options=build_read_options(**read),
                                           progress=progress)
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
            _annotate(workbook, annotate, report, redact)
        return report.exit_status

    _run(body, debug, redact)


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@study_option
@click.option("--to", "targets", type=click.Choice(["fhir", "sdtm"]), multiple=True, default=("fhir", "sdtm"),
              show_default=True, help="Which standard(s) to write; repeat for both.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Output folder. Each standard goes to OUT/fhir and OUT/sdtm, replaced atomically (a failed "
                   "run leaves the previous output).")
@click.option("--bundle", type=click.Choice(["transaction", "collection"]), default="transaction",
              show_default=True, help="FHIR: Bundle type.")
@click.option("--single", is_flag=True, help="FHIR: one bundle for all subjects instead of one per subject.")
@click.option("--ndjson", is_flag=True, help="FHIR: also write Bulk Data NDJSON, one file per resource type.")
@click.option("--request", "request_mode", type=click.Choice(["conditional", "put"]), default="conditional",
              show_default=True, help="FHIR transaction requests: conditional create (ifNoneExist on the "
                                      "business identifier) or PUT with deterministic ids. Both reload idempotently.")
@click.option("--pretty", is_flag=True, help="FHIR/JSON: indented output (default compact).")
@click.option("--strict", is_flag=True, help="FHIR: check every resource with fhir.resources and the R4 JSON "
                                             "Schema while writing (slower; needs the 'strict' extra).")
@click.option("--fhir-schema", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="FHIR with --strict: also validate against this copy of HL7's R4 JSON Schema (fhir.schema.json).")
@click.option("--recorded", default=None, metavar="ISO-INSTANT",
              help="FHIR Provenance.recorded (default: the study's data cut-off at 00:00Z; never the clock).")
@click.option("--sdtm-format", "sdtm_formats", type=click.Choice(["xpt", "json", "ndjson", "csv"]), multiple=True,
              default=("xpt", "json"), show_default=True, help="SDTM: file formats (define.xml is always written).")
@click.option("--transliterate", is_flag=True,
              help="SDTM XPT: transliterate Cyrillic to Latin instead of refusing non-ASCII values.")
@click.option("--allow-errors", is_flag=True,
              help="Write the valid records even when some rows have errors; the left-out rows are listed.")
@click.option("--allow-unmapped", is_flag=True,
              help="Convert even when some non-empty cells are read by no form (they are still reported).")
@read_options
@redact_option
@debug_option
def convert(workbook: Path, study_dir: Path, targets: tuple[str, ...], out: Path,
            bundle: Literal["transaction", "collection"], single: bool, ndjson: bool,
            request_mode: Literal["conditional", "put"], pretty: bool, strict: bool, fhir_schema: Path | None, recorded: str | None,
            sdtm_formats: tuple[str, ...],
            transliterate: bool, allow_errors: bool, allow_unmapped: bool, redact: bool, debug: bool,
            **read: Any) -> None:
    """Validate WORKBOOK, then write FHIR R4 and/or SDTM to OUT.

    Refuses to write when validation finds errors, unless --allow-errors.
    """
    def body() -> ExitStatus:
        from crfmap.convert import ConvertOptions, convert_workbook

        options = ConvertOptions(
            targets=tuple(dict.fromkeys(targets)), out=out, bundle=bundle, single=single, ndjson=ndjson,
            request=request_mode, pretty=pretty, strict=strict, fhir_schema=fhir_schema, recorded=recorded,
            sdtm_formats=tuple(dict.fromkeys(sdtm_formats)),
            transliterate=transliterate, allow_errors=allow_errors, allow_unmapped=allow_unmapped,
        )
        with row_progress(sys.stderr) as progress:
            outcome = convert_workbook(workbook, study_dir, options, read_options=build_read_options(**read),
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
        from crfmap.api import load_mapping

        mapping, issues = load_mapping(study_dir)
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
              help="Only the schema of one kind of mapping file (default: all, under $defs).")
def schema(part: str | None) -> None:
    """Print the JSON Schema of the mapping format (for editor autocompletion of the YAML files)."""
    from crfmap.study.schema import mapping_json_schema

    click.echo(_json(mapping_json_schema(part), pretty=True))


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
        for issue in fatal.issues:
            click.echo(render_issue(redact_issue(issue) if redact else issue), err=True)
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


def _annotate(workbook: Path, target: Path, report: Report, redact: bool) -> None:
    from crfmap.writers.report.annotate import write_annotated_copy

    if target.resolve() == workbook.resolve():
        from crfmap.issues import make_issue

        raise FatalIssue(make_issue("W001", file=target.name, detail="--annotate must not overwrite the input"))
    rows = None
    if workbook.suffix.lower() in (".csv", ".txt", ".tsv") or workbook.is_dir():
        rows = _rows_for_annotation(workbook)
    count = write_annotated_copy(workbook, target, report, redact=redact, rows=rows)
    click.echo(f"annotated copy: {target} ({count} cell(s) marked)", err=True)


def _rows_for_annotation(workbook: Path) -> dict[str, list[list[object]]]:
    from crfmap.readers import open_workbook

    rows: dict[str, list[list[object]]] = {}
    with open_workbook(workbook, ReadOptions(), lambda issue: None) as book:
        for info in book.sheets():
            grid: list[list[object]] = []
            for row in book.iter_rows(info.name):
                while len(grid) < row.number - 1:
                    grid.append([])
                width = max(row.cells) if row.cells else 0
                grid.append([row.cells.get(column) for column in range(1, width + 1)])
            rows[info.name] = grid
    return rows


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
