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
    "ingest, export, report, chart.",
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


class TableFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


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
LayoutOption = Annotated[
    str | None,
    typer.Option("--layout", help="Read the files with this layout: a name from "
                 "'nremstats layouts' or a layout file [default: detected per file]."),
]  # fmt: skip
PreferOption = Annotated[
    str | None,
    typer.Option("--prefer", help="Provider priority, e.g. UNODC,NATIONAL [NATIONAL]."),
]
SuppressOption = Annotated[
    int | None,
    typer.Option("--suppress-below", min=1, help="Publish counts under K only as ranges, and "
                 "hide what would give them away [schemas/publication.yaml: 5]."),
]  # fmt: skip
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


@app.command(rich_help_panel="Returns")
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


@app.command(rich_help_panel="Returns")
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
    layout: LayoutOption = None,
) -> None:
    """Check returns and report findings at the cell; write nothing to the store.

    Example: nremstats validate returns/*.xlsx --feedback feedback/ --format junit
    """
    from nremstats import report
    from nremstats.ingest import check_options, validate_files
    from nremstats.store import existing_store

    options = check_options(rules, existing_store(store), ignore_unknown_columns, layout)
    with report.progress(len(files), "validating", quiet) as advance:
        run = validate_files(files, on_file=advance, options=options)
    if feedback is not None:
        from nremstats.feedback import write_feedback_all

        written = write_feedback_all(run.files, feedback)
        report.message(f"Wrote {len(written)} feedback workbook(s) in {feedback}.", quiet=quiet)
    report.print_run(run, "validate", fmt.value, limit=limit, quiet=quiet)
    raise typer.Exit(run.exit_code(strict))


@app.command(rich_help_panel="Returns")
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
    layout: LayoutOption = None,
) -> None:
    """Validate returns and store the valid ones.

    A return with errors is rejected whole; an agency compilation's unreadable rows are
    rejected one by one.

    Example: nremstats ingest returns/*.xlsx data_glotip.xlsx --store ./nremstats-store
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
            layout=layout,
        )
    report.print_run(run, "ingest", fmt.value, limit=limit, quiet=quiet)
    raise typer.Exit(run.exit_code(strict))


YearOption = Annotated[int | None, typer.Option("--year", help="One reference year.")]
TableFormatOption = Annotated[TableFormat, typer.Option("--format", help="Output format.")]


@app.command(rich_help_panel="Store")
@_guarded
def status(
    year: YearOption = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """Show coverage: countries x years, the current submission of each provider and its state.

    Example: nremstats status --year 2023 --format csv
    """
    from nremstats import report
    from nremstats.history import coverage
    from nremstats.store import open_store

    result = coverage(open_store(store), year)
    report.print_rows(result.rows(), "coverage (provider:status)", fmt.value, result.to_dict())


@app.command(rich_help_panel="Returns")
@_guarded
def layouts(fmt: TableFormatOption = TableFormat.text) -> None:
    """List the foreign layouts nremstats reads (for --layout), with their providers.

    Example: nremstats layouts --format json
    """
    from nremstats import report
    from nremstats.layout import describe_layouts

    records = describe_layouts()
    keys = ["layout", "provider", "kind", "formats", "title"]
    rows = [keys] + [[", ".join(r[k]) if k == "formats" else r[k] for k in keys] for r in records]
    report.print_rows(rows, "layouts", fmt.value, {"layouts": records})


@app.command(name="map", rich_help_panel="Returns")
@_guarded
def map_command(
    file: Annotated[Path, typer.Argument(help="A workbook or CSV of an unknown layout.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Layout file to write.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The layout's name.")] = None,
) -> None:
    """Draft a layout file for an unknown workbook and list what it could not decide.

    Example: nremstats map ministry_2023.xlsx -o schemas/layouts/ministry.yaml
    """
    from nremstats import report
    from nremstats.draft import draft_layout

    draft = draft_layout(str(file), name)
    for item in draft.undecided:
        report.message(f"undecided: {item}")
    if output is None:
        sys.stdout.write(draft.text)
    else:
        output.write_text(draft.text, encoding="utf-8")
        report.message(f"Wrote the draft layout {output}: check it, then --layout {output}.")


@app.command(rich_help_panel="Store")
@_guarded
def history(
    country: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code.")],
    year: YearOption = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """List a country's submissions, oldest first, and which are current.

    Example: nremstats history NLD --year 2023 --format json
    """
    from nremstats import report
    from nremstats.history import submission_history
    from nremstats.store import open_store

    subs = submission_history(open_store(store), country, year)
    columns = ["submission_id", "provider", "years", "file", "received_at", "status", "current"]
    rows = [columns] + [
        [";".join(map(str, s[c])) if c == "years" else s[c] for c in columns] for s in subs
    ]
    report.print_rows(rows, f"history of {country.upper()}", fmt.value, {"submissions": subs})


@app.command(rich_help_panel="Store")
@_guarded
def diff(
    country: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code.")],
    year: Annotated[int, typer.Argument(help="Reference year.")],
    from_id: Annotated[str | None, typer.Option("--from", help="Older submission id.")] = None,
    to_id: Annotated[str | None, typer.Option("--to", help="Newer submission id.")] = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """Show values added, removed and changed between two submissions (default: the latest two).

    Example: nremstats diff NLD 2023 --format json
    """
    from nremstats import report
    from nremstats.history import DIFF_KEYS
    from nremstats.history import diff as diff_submissions
    from nremstats.store import open_store

    result = diff_submissions(open_store(store), country, year, from_id, to_id)
    header = [*DIFF_KEYS, "change", "old value", "old status", "new value", "new status"]
    rows = [header]
    for c in result.changes:
        old, new = c["old"] or {}, c["new"] or {}
        rows.append([*(c[k] for k in DIFF_KEYS), c["change"], old.get("value"),
                     old.get("obs_status"), new.get("value"), new.get("obs_status")])  # fmt: skip
    title = f"{country.upper()} {year}: {result.from_id} -> {result.to_id}"
    report.print_rows(rows, title, fmt.value, result.to_dict())


@app.command(rich_help_panel="Store")
@_guarded
def verify(
    repair: Annotated[
        bool, typer.Option("--repair", help="Remove debris; quarantine broken submissions.")
    ] = False,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="text or json.")] = (
        ReportFormat.text
    ),
    store: StoreOption = None,
) -> None:
    """Check the store's integrity: every file readable, manifest consistent, hashes.

    Example: nremstats verify --store ./nremstats-store --repair
    """
    from nremstats import report
    from nremstats.store import Store, default_store_path
    from nremstats.verify import verify_store

    path = default_store_path(store)
    if not path.is_dir():
        from nremstats.errors import StoreError

        raise StoreError(f"No store folder at {path}.")
    result = verify_store(Store(path), repair)
    rows = [["severity", "path", "problem", "how to repair"]] + [
        [p.severity, p.path, p.message, p.fix] for p in result.problems
    ]
    if result.problems or fmt.value == "json":
        title = f"verify {path}: {'ok' if result.ok else 'PROBLEMS'}"
        report.print_rows(rows, title, fmt.value if fmt.value == "json" else "text",
                          result.to_dict())  # fmt: skip
    else:
        report.stdout().print(f"verify {path}: ok, {result.submissions} submission(s), no problem")
    for line in result.repaired:
        report.message(f"repaired: {line}")
    raise typer.Exit(0 if result.ok else 1)


@app.command(rich_help_panel="Store")
@_guarded
def compact(store: StoreOption = None) -> None:
    """Rewrite the current observations as one sorted Parquet file, for fast tables at scale.

    Example: nremstats compact --store ./nremstats-store
    """
    from nremstats import report
    from nremstats.store import open_store

    opened = open_store(store)
    with opened.lock(on_wait=lambda: report.message("Store busy: waiting...")):
        entry = opened.compact()
    if entry is None:
        report.message("Nothing to compact: the store is empty.")
    else:
        report.message(
            f"Compacted {len(entry['submissions'])} submission(s), "
            f"{entry['rows'] + entry['totals_rows']} rows, into {entry['file']} and "
            f"{entry['totals_file']} (totals)."
        )


@app.command(rich_help_panel="Returns")
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


# The commands that publish (export, report, chart) live in their own module.
from nremstats import cli_publish  # noqa: E402, F401  (registers its commands on app)


def main() -> None:
    """Console-script entry point."""
    app()
