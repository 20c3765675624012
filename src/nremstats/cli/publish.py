"""The commands of the "Publish" panel: ``export``, ``report`` and ``chart``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nremstats.cli.app import PreferOption, StoreOption, SuppressOption, guarded

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="A past state: a submission id, or an ISO 8601 date/time \\[default: now]."
    ),
]

DraftOption = Annotated[
    bool,
    typer.Option(
        "--draft",
        help="A preview: not recorded in the store as a release (what is published must be).",
    ),
]

PANEL = "Publish"
#: The commands of this panel, added to the app by :mod:`nremstats.cli.main`.
commands = typer.Typer()


@commands.command(rich_help_panel=PANEL)
@guarded
def export(
    indicator: Annotated[
        str | None,
        typer.Option(
            "--indicator",
            help="Indicator code, e.g. VICTIMS_DETECTED \\[default: none: --long or --layout].",
        ),
    ] = None,
    long: Annotated[bool, typer.Option("--long", help="All current observations, long.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Table: xlsx, csv, md. Long: csv, parquet. "
            "Or sdmx-csv (SDMX-CSV 2.0 of the published observations) \\[default: csv].",
        ),
    ] = None,
    prefer: PreferOption = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write \\[default: standard output]."),
    ] = None,
    as_of: AsOfOption = None,
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            help="The national returns in an agency's layout: glotip or "
            "eurostat-tsv (read back by ingest --layout) \\[default: none].",
        ),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option(
            "--country",
            help="With --layout: only this country (repeatable) \\[default: every country].",
        ),
    ] = None,
    sdmx_agency: Annotated[
        str | None,
        typer.Option(
            "--sdmx-agency", help="SDMX-CSV: the dataflow's agency \\[default: NREMSTATS]."
        ),
    ] = None,
    sdmx_id: Annotated[
        str | None, typer.Option("--sdmx-id", help="SDMX-CSV: the dataflow id \\[default: DF_TIP].")
    ] = None,
    sdmx_version: Annotated[
        str | None, typer.Option("--sdmx-version", help="SDMX-CSV: the version \\[default: 1.0].")
    ] = None,
    suppress_below: SuppressOption = None,
    draft: DraftOption = False,
    store: StoreOption = None,
) -> None:
    """Write a comparison table, the long observations, SDMX-CSV or an agency's layout.

    The comparison table of an indicator (--indicator), every current observation (--long),
    the published observations as SDMX-CSV 2.0 (--format sdmx-csv), or the national returns
    in an agency's layout (--layout).

    Example: nremstats export --indicator VICTIMS_DETECTED --format md
    """
    from nremstats.cli import render
    from nremstats.publish.export import run_export
    from nremstats.publish.sdmx import Structure
    from nremstats.store.store import open_store

    done = run_export(
        open_store(store),
        indicator=indicator,
        long=long,
        fmt=fmt,
        prefer=prefer,
        output=output,
        as_of=as_of,
        layout=layout,
        countries=country,
        structure=Structure(sdmx_agency, sdmx_id, sdmx_version),
        suppress_below=suppress_below,
        record=not draft,
    )
    for text in done.messages:
        render.message(text)
    if done.text is not None:
        sys.stdout.write(done.text)


class PublicationFormat(StrEnum):
    xlsx = "xlsx"
    html = "html"
    json = "json"


@commands.command(name="report", rich_help_panel=PANEL)
@guarded
def report_command(
    years: Annotated[str, typer.Option("--years", help="A year or a range: 2019-2023.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="The report (.xlsx or .html) \\[default: json: standard output]."
        ),
    ] = None,
    fmt: Annotated[
        PublicationFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="xlsx, html, or json (the suppression audit and "
            "the submissions used, for scripts) \\[default: from the -o suffix].",
        ),
    ] = None,
    prefer: PreferOption = None,
    suppress_below: SuppressOption = None,
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            help="CSV country,year,population: adds rates per 100,000 \\[default: no rates].",
        ),
    ] = None,
    as_of: AsOfOption = None,
    countries: Annotated[
        str | None,
        typer.Option(
            "--countries",
            help="Comma-separated ISO3 codes: a report on these countries only "
            "\\[default: every country].",
        ),
    ] = None,
    draft: DraftOption = False,
    store: StoreOption = None,
) -> None:
    """Write the annual comparison report (xlsx, html) or its suppression audit (json).

    One table per indicator, breakdown shares, regions, rates, coverage, notes and the
    suppression audit, after disclosure control; the html has the charts inline.

    Example: nremstats report --years 2019-2023 -o tip_report_2019-2023.html
    Example: nremstats report --years 2022-2023 --countries NLD,BEL -o benelux.xlsx
    """
    from nremstats.cli import render
    from nremstats.core.errors import OptionError
    from nremstats.publish.aggregates import load_population
    from nremstats.publish.disclosure import threshold
    from nremstats.publish.publication import build_report, parse_years
    from nremstats.publish.report import FORMATS, write_report
    from nremstats.store.store import open_store

    chosen = fmt.value if fmt else (output.suffix.lstrip(".").lower() if output else "")
    if chosen not in FORMATS or (chosen != "json" and output is None):
        raise OptionError("report: give -o FILE.xlsx or -o FILE.html (or --format json).")
    k = threshold(suppress_below)
    people = load_population(population) if population is not None else None
    opened = open_store(store)
    upto = opened.resolve_as_of(as_of) if as_of else None
    wanted = countries.split(",") if countries else None
    publication = build_report(opened, parse_years(years), prefer, k, people, upto, wanted)
    text = write_report(publication, chosen, output)
    if chosen != "json" and not draft:  # the json audit is internal, not a release
        publication.record(opened)
    if text is not None:
        sys.stdout.write(text)
        return
    render.message(
        f"Wrote {output}: {len(publication.tables)} indicator(s), "
        f"{len(publication.shares)} share table(s), "
        f"{len(publication.audit)} cell(s) suppressed under {k}."
    )


@commands.command(rich_help_panel=PANEL)
@guarded
def profile(
    country: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.html or FILE.xlsx.")],
    years: Annotated[
        str | None,
        typer.Option("--years", help="A year or A-B \\[default: every year of the country]."),
    ] = None,
    prefer: PreferOption = None,
    suppress_below: SuppressOption = None,
    as_of: AsOfOption = None,
    draft: DraftOption = False,
    store: StoreOption = None,
) -> None:
    """Write a country's profile: every indicator over time, shares, sources, revisions.

    The one page an NREM and the secretariat exchange: each indicator with its marks and a
    trend chart, the breakdown shares of the latest year, the submission behind each
    figure and every revision, the victim definition and its changes, and the open
    findings of the latest return; after disclosure control.

    Example: nremstats profile NLD -o NLD_profile.html --years 2019-2023
    """
    from nremstats.cli import render
    from nremstats.core.errors import OptionError
    from nremstats.publish.disclosure import threshold
    from nremstats.publish.profile import build_profile, write_profile
    from nremstats.publish.publication import parse_years
    from nremstats.store.store import open_store

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in ("html", "xlsx"):
        raise OptionError(f"profile: -o FILE.html or FILE.xlsx, not {output.name}.")
    opened = open_store(store)
    upto = opened.resolve_as_of(as_of) if as_of else None
    chosen = parse_years(years) if years else None
    found = build_profile(opened, country, chosen, prefer, threshold(suppress_below), upto)
    write_profile(found, fmt, output)
    if not draft:
        found.publication.record(opened)
    render.message(
        f"Wrote {output}: {found.name}, {len(found.publication.tables)} indicator(s), "
        f"{len(found.history)} submission(s)."
    )


@commands.command(name="chart", rich_help_panel=PANEL)
@guarded
def chart_command(
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator code to draw.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The chart: FILE.png or .svg.")],
    countries: Annotated[
        str | None,
        typer.Option("--countries", help="Comma-separated ISO3 codes \\[default: the 10 largest]."),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="A year or a range \\[default: every year].")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="A composition instead of trends: sex, age, citizenship, forms "
            "\\[default: trends].",
        ),
    ] = None,
    prefer: PreferOption = None,
    suppress_below: SuppressOption = None,
    store: StoreOption = None,
) -> None:
    """Draw an indicator's trends per country, or (--by) its composition, as PNG or SVG.

    Trend lines show ranges for suppressed counts and do not join across breaks in series or
    changes of victim definition; --by draws each country's latest year as a 100% bar.

    Example: nremstats chart --indicator VICTIMS_DETECTED --countries NLD,BEL -o victims.png
    """
    from nremstats.cli import render
    from nremstats.publish.charts import chart_from_store, check_output, write_chart
    from nremstats.publish.disclosure import threshold
    from nremstats.publish.publication import parse_years
    from nremstats.store.store import open_store

    check_output(output)
    wanted = [c.strip() for c in countries.split(",") if c.strip()] if countries else None
    chart = chart_from_store(
        open_store(store),
        indicator.upper(),
        wanted,
        parse_years(years) if years else None,
        prefer,
        threshold(suppress_below),
        by,
    )
    write_chart(chart, output)
    render.message(f"Wrote {output}: {chart.caption}")
