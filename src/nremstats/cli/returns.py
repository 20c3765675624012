"""The commands of the "Returns" panel: ``template``, ``validate``, ``ingest``, ``layouts``,
``map`` and ``demo``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nremstats.cli.app import (
    AllOption,
    AllowEmptyOption,
    CountryOption,
    FailOn,
    FailOnOption,
    FilesArgument,
    ForceOption,
    FormatOption,
    IgnoreOption,
    LayoutOption,
    LimitOption,
    MaxCellsOption,
    MaxFileOption,
    MaxInflatedOption,
    PartialOption,
    QuietOption,
    ResultFormat,
    RulesOption,
    StoreOption,
    StrictOption,
    TableFormat,
    TableFormatOption,
    VintageOption,
    guarded,
)

PANEL = "Returns"
#: The commands of this panel, added to the app by :mod:`nremstats.cli.main`.
commands = typer.Typer()


class Lang(StrEnum):
    en = "en"
    fr = "fr"
    es = "es"


@commands.command(rich_help_panel=PANEL)
@guarded
def template(
    country: Annotated[str, typer.Option("--country", help="ISO 3166 alpha-3 code, e.g. NLD.")],
    year: Annotated[int, typer.Option("--year", help="Reference year.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Workbook to write (.xlsx).")],
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the workbook.")] = Lang.en,
) -> None:
    """Write the return workbook a country fills.

    Example: nremstats template --country NLD --year 2024 --lang fr -o NLD_2024.xlsx
    """
    from nremstats.cli import render
    from nremstats.template.workbook import write_template

    write_template(output, country, year, lang.value)
    render.message(f"Wrote {output} ({country.upper()} {year}, {lang.value}).")


@commands.command(rich_help_panel=PANEL)
@guarded
def validate(
    files: FilesArgument,
    fmt: FormatOption = ResultFormat.text,
    feedback: Annotated[
        Path | None,
        typer.Option(
            "--feedback",
            help="Folder for feedback workbooks (one per xlsx return) \\[default: none].",
        ),
    ] = None,
    rules: RulesOption = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Store to compare with earlier years \\[default: "
            "$NREMSTATS_STORE, or ./nremstats-store if there].",
        ),
    ] = None,
    strict: StrictOption = False,
    fail_on: FailOnOption = FailOn.error,
    allow_empty: AllowEmptyOption = False,
    quiet: QuietOption = False,
    limit: LimitOption = None,
    everything: AllOption = False,
    ignore_unknown_columns: IgnoreOption = False,
    layout: LayoutOption = None,
    country: CountryOption = None,
    max_file_mb: MaxFileOption = None,
    max_inflated_mb: MaxInflatedOption = None,
    max_cells: MaxCellsOption = None,
) -> None:
    """Check returns and report findings at the cell; write nothing to the store.

    Example: nremstats validate returns/*.xlsx --feedback feedback/ --format junit
    """
    from nremstats.cli import render
    from nremstats.returns.package import limits
    from nremstats.returns.pipeline import check_options, validate_files
    from nremstats.store.store import existing_store

    bounds = limits(file_mb=max_file_mb, inflated_mb=max_inflated_mb, cells_per_sheet=max_cells)
    options = check_options(
        rules,
        existing_store(store),
        ignore_unknown_columns,
        layout,
        country=country,
        limits=bounds,
    )
    with render.progress(len(files), "validating", quiet) as advance:
        run = validate_files(files, on_file=advance, options=options)
    if feedback is not None:
        from nremstats.returns.feedback import write_feedback_all

        written = write_feedback_all(run.files, feedback)
        render.message(f"Wrote {len(written)} feedback workbook(s) in {feedback}.", quiet=quiet)
    render.print_run(run, "validate", fmt.value, limit=limit, quiet=quiet, everything=everything)
    raise typer.Exit(run.exit_code(strict, allow_empty, fail_on.value))


@commands.command(rich_help_panel=PANEL)
@guarded
def ingest(
    files: FilesArgument,
    store: StoreOption = None,
    fmt: FormatOption = ResultFormat.text,
    rules: RulesOption = None,
    strict: StrictOption = False,
    fail_on: FailOnOption = FailOn.error,
    allow_empty: AllowEmptyOption = False,
    quiet: QuietOption = False,
    limit: LimitOption = None,
    everything: AllOption = False,
    ignore_unknown_columns: IgnoreOption = False,
    layout: LayoutOption = None,
    vintage: VintageOption = None,
    force: ForceOption = False,
    partial: PartialOption = False,
    country: CountryOption = None,
    max_file_mb: MaxFileOption = None,
    max_inflated_mb: MaxInflatedOption = None,
    max_cells: MaxCellsOption = None,
) -> None:
    """Validate returns and store the valid ones.

    A return with errors is rejected whole; an agency compilation's unreadable rows are
    rejected one by one.

    Example: nremstats ingest returns/*.xlsx data_glotip.xlsx --store ./nremstats-store
    """
    from nremstats.cli import render
    from nremstats.ingest import ingest_files
    from nremstats.returns.package import limits

    bounds = limits(file_mb=max_file_mb, inflated_mb=max_inflated_mb, cells_per_sheet=max_cells)

    def waiting() -> None:
        render.message("Store busy (another nremstats is writing): waiting...")

    with render.progress(len(files), "ingesting", quiet) as advance:
        run = ingest_files(
            files,
            store,
            on_file=advance,
            on_wait=waiting,
            rules=rules,
            ignore_unknown_columns=ignore_unknown_columns,
            layout=layout,
            vintage=vintage,
            force=force,
            partial=partial,
            country=country,
            limits=bounds,
        )
    render.print_run(run, "ingest", fmt.value, limit=limit, quiet=quiet, everything=everything)
    raise typer.Exit(run.exit_code(strict, allow_empty, fail_on.value))


@commands.command(rich_help_panel=PANEL)
@guarded
def layouts(fmt: TableFormatOption = TableFormat.text) -> None:
    """List the foreign layouts nremstats reads (for --layout), with their providers.

    Example: nremstats layouts --format json
    """
    from nremstats.cli import render
    from nremstats.returns.layouts.detect import describe_layouts

    records = describe_layouts()
    keys = ["layout", "provider", "kind", "formats", "title"]
    rows = [keys] + [[", ".join(r[k]) if k == "formats" else r[k] for k in keys] for r in records]
    render.print_rows(rows, "layouts", fmt.value, {"layouts": records})


@commands.command(name="map", rich_help_panel=PANEL)
@guarded
def map_command(
    file: Annotated[Path, typer.Argument(help="A workbook or CSV of an unknown layout.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Layout file to write \\[default: standard output]."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The layout's name \\[default: from the file name]."),
    ] = None,
) -> None:
    """Draft a layout file for an unknown workbook and list what it could not decide.

    Example: nremstats map ministry_2023.xlsx -o ministry.yaml
    """
    from nremstats.cli import render
    from nremstats.returns.layouts.draft import draft_layout

    draft = draft_layout(str(file), name)
    for item in draft.undecided:
        render.message(f"undecided: {item}")
    if output is None:
        sys.stdout.write(draft.text)
    else:
        output.write_text(draft.text, encoding="utf-8")
        render.message(f"Wrote the draft layout {output}: check it, then --layout {output}.")


@commands.command(rich_help_panel=PANEL)
@guarded
def demo() -> None:
    """Run the whole pipeline on the bundled sample returns and print a comparison table.

    Example: nremstats demo
    """
    from nremstats.cli import render
    from nremstats.demo import run_demo

    result = run_demo()
    console = render.stdout()
    render.print_run(result.ingested, "ingest (sample returns)", "summary", console=console)
    render.print_run(result.rejected, "validate (sample error returns)", "summary", console=console)
    render.print_comparison(result.table, console)
    if result.as_designed:
        render.message("Demo ran as designed: good returns stored, error returns rejected.")
        raise typer.Exit(0)
    render.error("The demo did not run as designed (see the tables above).")
    raise typer.Exit(1)
