"""The ``nremstats`` command line: parse options, call one library function, render, exit.

Exit codes (docs/cli-contract.md): 0 done, 1 error-level findings (or warnings under
``--strict``), 2 usage error, 3 internal failure (``--debug`` shows the traceback).
Heavy libraries are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from nremstats import __version__
from nremstats.errors import NremstatsError

app = typer.Typer(
    name="nremstats",
    help="Consolidate national statistics on trafficking in persons: template, validate, "
    "ingest, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


class Lang(StrEnum):
    en = "en"
    fr = "fr"
    es = "es"


StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Store folder [default: $NREMSTATS_STORE or ./nremstats-store]."),
]
FilesArgument = Annotated[list[Path], typer.Argument(help="Returns: .xlsx templates or .csv.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")]
FormatOption = Annotated[ReportFormat, typer.Option("--format", help="Report format.")]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="YAML file switching rules off or changing severities and "
                 "parameters (see docs/rules.md)."),
]  # fmt: skip
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No text report: the exit code says it all.")
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", min=1, help="Show at most N findings (with a notice).")
]
IgnoreOption = Annotated[
    bool,
    typer.Option(
        "--ignore-unknown-columns", help="CSV columns the format does not define: ignore them."
    ),
]


def _guarded(command: F) -> F:
    """Map library errors to the contract's exit codes; a bug exits 3 with one line."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nremstats import report

        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except NremstatsError as exc:
            report.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if _state["debug"]:
                import traceback

                traceback.print_exc()
            report.error(
                f"internal failure ({type(exc).__name__}: {exc}). This is a bug in nremstats; "
                "run again with --debug for the traceback and report it."
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nremstats {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
) -> None:
    """Consolidate national statistics on trafficking in persons."""
    _state["debug"] = debug


@app.command()
@_guarded
def template(
    country: Annotated[str, typer.Option("--country", help="ISO 3166 alpha-3 code, e.g. NLD.")],
    year: Annotated[int, typer.Option("--year", help="Reference year.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Workbook to write (.xlsx).")],
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the workbook.")] = Lang.en,
) -> None:
    """Write the return workbook a country fills.

    Example: nremstats template --country NLD --year 2024 --lang fr -o NLD_2024.xlsx
    """
    from nremstats import report
    from nremstats.template import write_template

    write_template(output, country, year, lang.value)
    report.message(f"Wrote {output} ({country.upper()} {year}, {lang.value}).")


@app.command()
@_guarded
def validate(
    files: FilesArgument,
    fmt: FormatOption = ReportFormat.text,
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback", help="Folder for feedback workbooks (one per xlsx return)."),
    ] = None,
    rules: RulesOption = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Store to compare with earlier years [default: "
            "$NREMSTATS_STORE, or ./nremstats-store if there].",
        ),
    ] = None,  # fmt: skip
    strict: StrictOption = False,
    quiet: QuietOption = False,
    limit: LimitOption = None,
    ignore_unknown_columns: IgnoreOption = False,
) -> None:
    """Check returns and report findings at the cell; write nothing to the store.

    Example: nremstats validate returns/*.xlsx --feedback feedback/ --format junit
    """
    from nremstats import report
    from nremstats.ingest import check_options, validate_files
    from nremstats.store import existing_store

    options = check_options(rules, existing_store(store), ignore_unknown_columns)
    with report.progress(len(files), "validating", quiet) as advance:
        run = validate_files(files, on_file=advance, options=options)
    if feedback is not None:
        from nremstats.feedback import write_feedback_all

        written = write_feedback_all(run.files, feedback)
        report.message(f"Wrote {len(written)} feedback workbook(s) in {feedback}.", quiet=quiet)
    report.print_run(run, "validate", fmt.value, limit=limit, quiet=quiet)
    raise typer.Exit(run.exit_code(strict))


@app.command()
@_guarded
def ingest(
    files: FilesArgument,
    store: StoreOption = None,
    fmt: FormatOption = ReportFormat.text,
    rules: RulesOption = None,
    strict: StrictOption = False,
    quiet: QuietOption = False,
    limit: LimitOption = None,
    ignore_unknown_columns: IgnoreOption = False,
) -> None:
    """Validate returns and store the valid ones; a return with errors is rejected whole.

    Example: nremstats ingest returns/*.xlsx --store ./nremstats-store
    """
    from nremstats import report
    from nremstats.ingest import ingest_files

    def waiting() -> None:
        report.message("Store busy (another nremstats is writing): waiting...")

    with report.progress(len(files), "ingesting", quiet) as advance:
        run = ingest_files(
            files,
            store,
            on_file=advance,
            on_wait=waiting,
            rules=rules,
            ignore_unknown_columns=ignore_unknown_columns,
        )
    report.print_run(run, "ingest", fmt.value, limit=limit, quiet=quiet)
    raise typer.Exit(run.exit_code(strict))


@app.command()
@_guarded
def export(
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Indicator code, e.g. VICTIMS_DETECTED.")
    ] = None,
    long: Annotated[bool, typer.Option("--long", help="All current observations, long.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Table: xlsx, csv, md [csv]. Long: csv, parquet [csv]."),
    ] = None,
    prefer: Annotated[
        str | None,
        typer.Option("--prefer", help="Provider priority, e.g. UNODC,NATIONAL [NATIONAL]."),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    store: StoreOption = None,
) -> None:
    """Write the comparison table of an indicator, or (--long) every current observation.

    Example: nremstats export --indicator VICTIMS_DETECTED --format md
    """
    from nremstats.errors import OptionError
    from nremstats.export import export_long, export_table
    from nremstats.query import comparison_table, observations
    from nremstats.store import open_store

    if long == bool(indicator):
        raise OptionError("Give either --indicator CODE (comparison table) or --long.")
    opened = open_store(store)
    if long:
        text = export_long(observations(opened), fmt or "csv", output)
    else:
        table = comparison_table(opened, indicator or "", prefer)
        text = export_table(table, fmt or "csv", output)
    if text is not None:
        sys.stdout.write(text)


@app.command()
@_guarded
def demo() -> None:
    """Run the whole pipeline on the bundled sample returns and print a comparison table.

    Example: nremstats demo
    """
    from nremstats import report
    from nremstats.demo import run_demo

    result = run_demo()
    console = report.stdout()
    console.print(report.files_table(result.ingested, "ingest (sample returns)"))
    console.print(report.files_table(result.rejected, "validate (sample error returns)"))
    for table in report.findings_tables(result.rejected):
        console.print(table)
    report.print_comparison(result.table, console)
    if result.as_designed:
        report.message("Demo ran as designed: good returns stored, error returns rejected.")
        raise typer.Exit(0)
    report.error("The demo did not run as designed (see the tables above).")
    raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()
