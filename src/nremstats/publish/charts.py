"""Charts of published figures: trends per country and compositions (``nremstats chart`` and
the html report), drawn with matplotlib.

Charts show what the tables publish, after disclosure control, and never more:

- a **trend chart** draws one line per country through its exact figures; a count known only
  as a range (``<5``, ``3-7``) is a vertical bar from its lower to its upper bound, never a
  point; a count suppressed without bounds (``c``) is a cross on the axis; a line is not
  joined across a break in series (``b``), a change of victim definition or a missing year;
- a **composition chart** draws, for each country's latest year, a bar of 100% split into
  the exact shares of a breakdown (sex, age, citizenship, form); what is suppressed or not
  reported is one grey hatched segment (the sum of the hidden parts, which the table's total
  and published parts give away anyway).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.files import write_bytes
from nremstats.publish.release import audit_release, release_from_store
from nremstats.publish.shares import ShareTable, breakdown_shares, share_specs
from nremstats.publish.tables import ComparisonTable, TableCell, comparison_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from nremstats.store.store import Store

FORMATS = ("png", "svg")
#: Countries a chart shows at most unless told which (the largest latest figures).
TREND_LIMIT = 10
COMPOSITION_LIMIT = 30
GREY = "#9e9e9e"
_STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, selectable
    "svg.hashsalt": "nremstats",  # the same chart gives the same bytes
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass
class Chart:
    """A drawn chart and the sentence that says what it shows."""

    figure: Figure
    caption: str
    alt: str


def _largest(table: ComparisonTable, limit: int) -> list[str]:
    latest: dict[str, int] = {}
    for (country, _), cell in sorted(table.cells.items()):
        value = cell.value if cell.value is not None else (cell.upper or 0)
        latest[country] = value  # the last year wins (sorted by year within a country)
    return sorted(sorted(latest, key=lambda c: (-latest[c], c))[:limit])


def _breaks(previous: TableCell, cell: TableCell) -> bool:
    """Whether a line must not join the previous year's exact figure to this one's: a break
    in series, another victim definition, another provider (IND 2016 from its national
    return, 2017 from UNODC)."""
    return (
        cell.obs_status == "B"
        or previous.definition != cell.definition
        or previous.provider != cell.provider
    )


def trend_chart(table: ComparisonTable, countries: list[str] | None = None) -> Chart:
    """Lines per country over the years of a comparison table (see module docstring).

    Raises:
        OptionError: a country asked for has no figure in the table.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    shown = [c.upper() for c in countries] if countries else _largest(table, TREND_LIMIT)
    missing = [c for c in shown if c not in table.countries]
    if missing:
        raise OptionError(f"--countries: no {table.indicator} figure for {', '.join(missing)}.")
    figure = Figure(figsize=(9, 4.8))  # fixed margins: one drawing pass, not a layout search
    figure.subplots_adjust(left=0.08, right=0.64, top=0.92, bottom=0.08)
    axes = figure.add_subplot()
    colours = _colours(len(shown))
    marked = {"range": False, "c": False, "break": False}
    for country, colour in zip(shown, colours, strict=True):
        _draw_country(axes, table, country, colour, marked)
    handles = [
        Line2D(
            [],
            [],
            color=c,
            marker="o",
            label=f"{country} {codes.country_name(country) or ''}".strip(),
        )
        for country, c in zip(shown, colours, strict=True)
    ]
    handles += _key_handles(marked)
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes.set_title(f"{table.title}, {table.years[0]}-{table.years[-1]}", loc="left")
    axes.set_ylabel("persons" if table.indicator != "OFFENCES_RECORDED" else "offences")
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", linewidth=0.4, alpha=0.6)
    chosen = (
        "the countries asked for"
        if countries
        else (
            f"the {len(shown)} largest latest figures of {len(table.countries)} countries"
            if len(table.countries) > len(shown)
            else "every country"
        )
    )
    drawn = [
        text
        for key, text in (
            ("range", "bars are counts known only as a range (suppressed or sent as a range)"),
            ("c", "x on the axis: suppressed without bounds"),
            (
                "break",
                "a dotted step instead of a line: a break in series, another victim definition "
                "or another provider",
            ),
        )
        if marked[key]
    ]
    said = "; ".join(drawn)
    caption = f"{table.title}: {chosen}." + (f" {said[:1].upper()}{said[1:]}." if said else "")
    alt = f"Line chart of {table.title} by year for {', '.join(shown)}."
    return Chart(figure, caption, alt)


def _draw_country(
    axes, table: ComparisonTable, country: str, colour, marked: dict[str, bool]
) -> None:
    """One country's series, in a few artists: the joined lines (NaN where a line stops),
    the points, the breaks as dotted steps, the ranges as bars, c on the axis."""
    nan = float("nan")
    line: tuple[list[float], list[float]] = ([], [])
    steps: tuple[list[float], list[float]] = ([], [])
    points: dict[str, tuple[list[int], list[int]]] = {"o": ([], []), "D": ([], [])}
    ranges: tuple[list[int], list[float], list[float]] = ([], [], [])
    crosses: list[int] = []
    previous: TableCell | None = None
    for year in table.years:
        cell = table.cells.get((country, year))
        if cell is not None and cell.value is not None:
            joined = previous is not None and previous.value is not None
            if joined and _breaks(previous, cell):
                steps[0].extend((year - 0.5, year - 0.5, nan))
                steps[1].extend((previous.value, cell.value, nan))
                joined = False
            if not joined:
                line[0].append(nan)
                line[1].append(nan)
            line[0].append(year)
            line[1].append(cell.value)
            marker = points["D" if cell.obs_status == "B" else "o"]
            marker[0].append(year)
            marker[1].append(cell.value)
        elif cell is not None and cell.obs_status == "Q":
            if cell.lower is not None and cell.upper is not None:
                half = (cell.upper - cell.lower) / 2
                ranges[0].append(year)
                ranges[1].append(cell.lower + half)
                ranges[2].append(half)
            else:
                crosses.append(year)
        previous = cell
    axes.plot(*line, color=colour)
    axes.plot(*points["o"], marker="o", linestyle="", color=colour, markersize=5)
    if points["D"][0]:
        axes.plot(
            *points["D"],
            marker="D",
            linestyle="",
            color=colour,
            markeredgecolor="black",
            markersize=5,
        )
    if steps[0]:
        marked["break"] = True
        axes.plot(*steps, color=colour, linestyle=":", linewidth=1.5)
    if ranges[0]:
        marked["range"] = True
        axes.errorbar(
            ranges[0], ranges[1], yerr=ranges[2], color=colour, capsize=3, fmt="none", linewidth=2
        )
    if crosses:
        marked["c"] = True
        axes.plot(
            crosses,
            [0] * len(crosses),
            marker="x",
            linestyle="",
            color=colour,
            markersize=7,
            clip_on=False,
        )


def _key_handles(marked: dict[str, bool]) -> list:
    from matplotlib.lines import Line2D

    key = []
    if marked["range"]:
        key.append(
            Line2D(
                [],
                [],
                color=GREY,
                marker="_",
                markersize=8,
                linewidth=2,
                label="range (suppressed or sent as a range)",
            )
        )
    if marked["c"]:
        key.append(Line2D([], [], color=GREY, marker="x", linestyle="", label="c: no bounds"))
    if marked["break"]:
        key.append(
            Line2D(
                [],
                [],
                color=GREY,
                linestyle=":",
                marker="D",
                markeredgecolor="black",
                label="break in series (b) or other definition",
            )
        )
    return key


def _colours(n: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab10" if n <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(n)]


def composition_chart(share: ShareTable, limit: int = COMPOSITION_LIMIT) -> Chart:
    """100% bars of a share's parts for each country's latest year with a total."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    spec = share.spec
    latest = dict(sorted(share.totals))  # each country's last year
    chosen = sorted(latest, key=lambda c: (-share.totals[(c, latest[c])], c))[:limit]
    chosen.sort(reverse=True)  # alphabetical from the top
    height = 1.5 + 0.28 * max(len(chosen), 1)  # inches: legend and title above, axis below
    figure = Figure(figsize=(9, height))
    figure.subplots_adjust(left=1.75 / 9, right=0.97, top=1 - 1.0 / height, bottom=0.5 / height)
    axes = figure.add_subplot()
    colours = _colours(len(spec.parts))
    left = [0.0] * len(chosen)  # one bar call per part: few artists, fast to draw
    for part, colour in zip(spec.parts, colours, strict=True):
        rows, widths, starts = [], [], []
        for row, country in enumerate(chosen):
            found = share.cells[(country, latest[country])].get(part)
            if found is not None and found.exact and found.low:
                rows.append(row)
                widths.append(found.low)
                starts.append(left[row])
                left[row] += found.low
        if rows:
            axes.barh(rows, widths, left=starts, color=colour, height=0.7)
    hidden = [row for row, start in enumerate(left) if start < 99.95]
    if hidden:  # the hidden or unreported parts of each bar, together
        starts = [left[row] for row in hidden]
        axes.barh(
            hidden,
            [100 - start for start in starts],
            left=starts,
            color="white",
            edgecolor=GREY,
            hatch="///",
            height=0.7,
            linewidth=0.5,
        )
    labels = [f"{c} {latest[c]} (n={share.totals[(c, latest[c])]:,})" for c in chosen]
    axes.set_yticks(range(len(chosen)), labels)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of the total")
    handles = [
        Patch(color=c, label=spec.label(p)) for p, c in zip(spec.parts, colours, strict=True)
    ]
    handles.append(
        Patch(facecolor="white", edgecolor=GREY, hatch="///", label="suppressed or not reported")
    )
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False)
    title = f"{codes.label('indicator', share.indicator)}: {spec.chart.lower()}"
    axes.set_title(title, loc="left", pad=28 + 12 * ((len(handles) - 1) // 3))
    more = len(latest) - len(chosen)
    caption = (
        f"{title}, each country's latest year"
        + (
            f"; the {len(chosen)} largest totals shown, {more} more in the tables"
            if more > 0
            else ""
        )
        + "."
    )
    alt = f"Bar chart of {title} for {len(chosen)} countries."
    return Chart(figure, caption, alt)


def chart_from_store(
    store: Store,
    indicator: str,
    countries: list[str] | None = None,
    years: list[int] | None = None,
    prefer: str | None = None,
    k: int = 5,
    by: str | None = None,
) -> Chart:
    """The chart of one indicator as the report publishes it (one provider per country-year,
    after disclosure control): trend lines, or with ``by`` (a share's name or dimension:
    ``sex``, ``age``, ``citizenship``, ``forms`` ...) the composition of each country's latest
    year.

    Raises:
        OptionError: an unknown indicator or breakdown, or no figure to draw.
    """
    table = comparison_table(store, indicator, prefer)
    if years:
        table = table.within(years)
    if not table.cells:
        span = f" in {years[0]}-{years[-1]}" if years else ""
        raise OptionError(f"The store holds no {indicator} figure{span}: nothing to draw.")
    release = release_from_store(store, k, prefer, indicators=[indicator], years=table.years)
    table, _ = release.table(table)
    if by is None:
        audit_release(release)
        return trend_chart(table, countries)
    specs = [s for s in share_specs() if by.lower() in (s.name, s.dim)]
    if not specs or indicator not in specs[0].indicators:
        known = ", ".join(f"{s.dim} ({s.name})" for s in share_specs() if indicator in s.indicators)
        raise OptionError(f"--by {by}: {indicator} has no such breakdown; choose one of {known}.")
    shares, printed, _ = breakdown_shares(release, [table])
    audit_release(release, printed)
    found = next((s for s in shares if s.spec == specs[0]), None)
    if countries and found is not None:
        wanted = {c.upper() for c in countries}
        found.totals = {key: n for key, n in found.totals.items() if key[0] in wanted}
        missing = sorted(wanted - {c for c, _ in found.totals})
        if missing:
            raise OptionError(
                f"--countries: no {indicator} figure broken down "
                f"{specs[0].chart.lower()} for {', '.join(missing)}."
            )
    if found is None or not found.totals:
        raise OptionError(
            f"No {indicator} figure broken down {specs[0].chart.lower()}: nothing to draw."
        )
    return composition_chart(found, limit=len(countries) if countries else COMPOSITION_LIMIT)


def check_output(path: Path) -> str:
    """The chart format asked for by a file name (``.png`` or ``.svg``).

    Raises:
        OptionError: another suffix.
    """
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise OptionError(f"-o {path}: write a .png or .svg file.")
    return fmt


def chart_bytes(chart: Chart, fmt: str) -> bytes:
    """The chart as PNG or SVG bytes (the same chart gives the same bytes)."""
    import matplotlib

    if fmt not in FORMATS:
        raise OptionError(f"chart format {fmt!r}: choose png or svg.")
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(_STYLE):
        chart.figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def write_chart(chart: Chart, path: Path) -> None:
    """Write a chart to ``path``, PNG or SVG by its suffix.

    Raises:
        OptionError: another suffix.
    """
    write_bytes(path, chart_bytes(chart, check_output(path)))
