"""The commands of the "Store" panel: ``status``, ``history``, ``diff``, ``reconcile``,
``verify`` and ``compact``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nremstats.cli import store_views
from nremstats.cli.app import (
    ResultFormat,
    StoreOption,
    TableFormat,
    TableFormatOption,
    YearOption,
    guarded,
)

PANEL = "Store"
#: The commands of this panel, added to the app by :mod:`nremstats.cli.main`.
commands = typer.Typer()


@commands.command(rich_help_panel=PANEL)
@guarded
def status(
    year: YearOption = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """Show coverage: countries x years, the current submission of each provider and its state.

    Example: nremstats status --year 2023 --format csv
    """
    from nremstats.cli import render
    from nremstats.store.history import coverage
    from nremstats.store.store import open_store

    result = coverage(open_store(store), year)
    if fmt == TableFormat.text:
        render.print_lines(store_views.coverage_lines(result.to_dict(), render.width()))
        return
    render.print_rows(result.rows(), "coverage (provider:status)", fmt.value, result.to_dict())


@commands.command(rich_help_panel=PANEL)
@guarded
def history(
    country: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code.")],
    year: YearOption = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """List a country's submissions, oldest first, and which are current.

    Example: nremstats history NLD --year 2023 --format json
    """
    from nremstats.cli import render
    from nremstats.store.history import submission_history
    from nremstats.store.store import open_store

    subs = submission_history(open_store(store), country, year)
    if fmt == TableFormat.text:
        render.print_lines(store_views.history_lines(country.upper(), subs, render.width()))
        return
    columns = ["submission_id", "provider", "years", "file", "vintage", "received_at", "status"]
    columns += ["current", "state"]
    rows = [columns] + [
        [
            ";".join(map(str, s[c])) if c == "years" else "" if s[c] is None else s[c]
            for c in columns
        ]
        for s in subs
    ]
    render.print_rows(rows, f"history of {country.upper()}", fmt.value, {"submissions": subs})


@commands.command(rich_help_panel=PANEL)
@guarded
def diff(
    country: Annotated[
        str | None, typer.Argument(help="ISO 3166 alpha-3 code (with --provider: optional).")
    ] = None,
    year: Annotated[int | None, typer.Argument(help="Reference year.")] = None,
    from_id: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Older submission id (with --provider: or a vintage date) "
            "\\[default: the one before --to].",
        ),
    ] = None,
    to_id: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Newer submission id (with --provider: or a vintage date) "
            "\\[default: the current one].",
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="Compare two vintages of this provider's compilation (--from and --to: "
            "YYYY-MM-DD or a submission id), for COUNTRY (and YEAR) or every country "
            "\\[default: none: two submissions].",
            show_default=False,
        ),
    ] = None,
    fmt: TableFormatOption = TableFormat.text,
    store: StoreOption = None,
) -> None:
    """Show values added, removed and changed between two submissions (default: the latest
    two), or between two vintages of a provider's compilation.

    Example: nremstats diff NLD 2023 --format json
    Example: nremstats diff --provider UNODC --from 2023-05-30 --to 2025-04-14 AUS
    """
    from nremstats.cli import render
    from nremstats.core.errors import OptionError
    from nremstats.store.history import DIFF_KEYS, vintage_diff
    from nremstats.store.history import diff as diff_submissions
    from nremstats.store.store import open_store

    if provider is not None:
        if from_id is None or to_id is None:
            raise OptionError("diff --provider needs --from and --to (a date or an id each).")
        result = vintage_diff(open_store(store), provider, from_id, to_id, country, year)
    elif country is None or year is None:
        raise OptionError("diff needs COUNTRY and YEAR (or --provider to compare vintages).")
    else:
        result = diff_submissions(open_store(store), country, year, from_id, to_id)
    if fmt == TableFormat.text:
        from nremstats.publish.tables import status_mark

        render.print_lines(store_views.diff_lines(result.to_dict(), DIFF_KEYS, status_mark))
        return
    header = ["country", "year", *DIFF_KEYS, "change"]
    header += ["old value", "old status", "new value", "new status"]
    rows = [header]
    for c in result.changes:
        old, new = c["old"] or {}, c["new"] or {}
        rows.append(
            [
                c["country"],
                c["year"],
                *(c[k] for k in DIFF_KEYS),
                c["change"],
                old.get("value"),
                old.get("obs_status"),
                new.get("value"),
                new.get("obs_status"),
            ]
        )
    where = " ".join(str(x) for x in (provider, country and country.upper(), year) if x)
    title = f"{where}: {result.from_id} -> {result.to_id}"
    render.print_rows(rows, title, fmt.value, result.to_dict())


@commands.command(rich_help_panel=PANEL)
@guarded
def verify(
    repair: Annotated[
        bool, typer.Option("--repair", help="Remove debris; quarantine broken submissions.")
    ] = False,
    fmt: Annotated[ResultFormat, typer.Option("--format", help="text or json.")] = (
        ResultFormat.text
    ),
    store: StoreOption = None,
) -> None:
    """Check the store's integrity: every file readable, manifest consistent, hashes.

    Example: nremstats verify --store ./nremstats-store --repair
    """
    from nremstats.cli import render
    from nremstats.core.errors import StoreError
    from nremstats.store.manifest import default_store_path
    from nremstats.store.store import Store
    from nremstats.store.verify import verify_store

    path = default_store_path(store)
    if not path.is_dir():
        raise StoreError(f"No store folder at {path}.")
    result = verify_store(Store(path), repair)
    rows = [["severity", "path", "problem", "how to repair"]] + [
        [p.severity, p.path, p.message, p.fix] for p in result.problems
    ]
    if result.problems or fmt.value == "json":
        title = f"verify {path}: {'ok' if result.ok else 'PROBLEMS'}"
        render.print_rows(
            rows, title, fmt.value if fmt.value == "json" else "text", result.to_dict()
        )
    else:
        render.stdout().print(f"verify {path}: ok, {result.submissions} submission(s), no problem")
    for line in result.repaired:
        render.message(f"repaired: {line}")
    raise typer.Exit(0 if result.ok else 1)


@commands.command(rich_help_panel=PANEL)
@guarded
def compact(store: StoreOption = None) -> None:
    """Rewrite the current observations as one sorted Parquet file, for fast tables at scale.

    Example: nremstats compact --store ./nremstats-store
    """
    from nremstats.cli import render
    from nremstats.store.store import open_store

    opened = open_store(store)
    with opened.lock(on_wait=lambda: render.message("Store busy: waiting...")):
        entry = opened.compact()
    if entry is None:
        render.message("Nothing to compact: the store is empty.")
    else:
        render.message(
            f"Compacted {len(entry['submissions'])} submission(s), "
            f"{entry['rows'] + entry['totals_rows']} rows, into {entry['file']} and "
            f"{entry['totals_file']} (totals)."
        )


class ReconcileFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@commands.command(rich_help_panel=PANEL)
@guarded
def reconcile(
    country: Annotated[
        str | None, typer.Option("--country", help="ISO3 code \\[default: every country].")
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="A year or A-B \\[default: every year].")
    ] = None,
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Indicator code \\[default: every indicator].")
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Differences of at most PCT % agree.")
    ] = 0.0,
    fmt: Annotated[ReconcileFormat, typer.Option("--format", "-f")] = ReconcileFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The workbook (--format xlsx) \\[default: none]."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Compare the figures two or more providers report for the same country, year and
    breakdown; list those that disagree, with both provenances.

    Example: nremstats reconcile --country GBR --years 2019-2022 --tolerance 1 --format json
    """
    from nremstats.cli import render
    from nremstats.core.errors import OptionError
    from nremstats.store.reconcile import reconcile as compare
    from nremstats.store.store import open_store

    if (fmt == ReconcileFormat.xlsx) != (output is not None):
        raise OptionError("reconcile writes a workbook with --format xlsx and -o FILE.xlsx.")
    result = compare(open_store(store), country, years, indicator, tolerance)
    if output is not None:
        from nremstats.publish.xlsx import write_rows

        write_rows(output, "Discrepancies", result.rows())
        render.message(f"Wrote {output}: {len(result.discrepancies)} discrepancies.")
        return
    title = (
        f"{result.compared} figure(s) reported by several providers: {result.agreements} "
        f"agree, {len(result.discrepancies)} do not"
    )
    render.print_rows(result.rows(), title, fmt.value, result.to_dict())
