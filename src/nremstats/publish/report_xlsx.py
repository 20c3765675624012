"""The annual comparison report as a workbook readable without editing.

Sheets: Cover (title, date, threshold, the store state used: the submission behind every
figure), one per indicator (countries x years, marks, note numbers and texts), one per
declared breakdown share, Regions (UN M49 aggregates), Rates (with a population file),
Coverage, Notes (footnotes, marks, each country's definition of victims) and Suppression
(the audit). Frozen headers, number formats and widths are set.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.publish.export import data_sheet, table_sheet
from nremstats.publish.publication import (
    DISAGREEMENT_KEYS,
    PUBLISHED_AUDIT_KEYS,
    SHARE_NOTE,
    SUBMISSION_KEYS,
    Publication,
)
from nremstats.publish.tables import LEGEND
from nremstats.publish.xlsx import Book

if TYPE_CHECKING:
    from nremstats.publish.shares import ShareTable


def write_report_xlsx(publication: Publication, path: Path) -> None:
    """Write the report workbook (see module docstring)."""
    with Book(path) as book:
        cover = book.sheet("Cover", widths=dict(enumerate((10, 8, 12, 44, 90))), freeze=(6, 0))
        span = f"{publication.years[0]}-{publication.years[-1]}"
        cover.append([f"Trafficking in persons: national figures compared, {span}"], "title")
        cover.append(["Made", publication.made, f"from {publication.state}"])
        cover.append(["Counts under", publication.k, "shown as a range (disclosure control)"])
        cover.append()
        cover.append(["Store state used: the submission each figure comes from"])
        cover.append(SUBMISSION_KEYS, "bold")
        for row in publication.submissions():
            cover.append(row)
        for table in publication.tables:
            table_sheet(book, table, notes=True)
        data_sheet(book, publication.tables)
        for name in dict.fromkeys(share.spec.name for share in publication.shares):
            _share_sheet(book, [share for share in publication.shares if share.spec.name == name])
        _regions_sheet(book, publication)
        if publication.population is not None:
            _rates_sheet(book, publication)
        _coverage_sheet(book, publication)
        _sources_sheet(book, publication)
        _notes_sheet(book, publication)
        audit = book.sheet("Suppression", widths={0: 22, 3: 24, 5: 70}, freeze=(1, 0))
        audit.append(PUBLISHED_AUDIT_KEYS, "bold")
        for entry in publication.audit:
            audit.append([entry[key] for key in PUBLISHED_AUDIT_KEYS])


def _rates_sheet(book: Book, publication: Publication) -> None:
    """Rates per 100,000 as numbers: the rate of an exact count, or the bounds of a ranged
    one in two columns; the population divided by. Figures without a rate are left out,
    with a line saying how many and why."""
    sheet = book.sheet("Rates", widths={0: 22, 3: 12, 6: 14}, freeze=(1, 0))
    sheet.append(
        ["indicator", "country", "year", "per 100,000", "lower", "upper", "population"], "bold"
    )
    people = publication.population or {}
    for indicator, country, year, low, high in publication.rates():
        rates = [(low, ""), None, None] if low == high else [None, (low, ""), _number(high)]
        sheet.counts([indicator, country, year], rates, "#,##0.00##")
        sheet.row -= 1
        sheet.counts([None] * 6, [(people[(country, year)], "")])
    left = publication.rates_left_out()
    if left:
        sheet.append()
        said = "; ".join(f"{len(which):,} with {why}" for why, which in left.items())
        sheet.append([f"Figures left out (no rate): {said}. The Notes sheet names them."])


def _number(value: float | None) -> tuple[float, str] | None:
    return None if value is None else (value, "")


def _share_sheet(book: Book, group: list[ShareTable]) -> None:
    """One declared share for every indicator that has it: countries x years of its headline
    part, or (country, year) x parts when it has none."""
    spec = group[0].spec
    single = spec.headline is not None
    first = 3 if single else 5
    sheet = book.sheet(spec.title, widths={0: 22, 2: 24}, freeze=(1, first))
    years = sorted({y for share in group for y in share.years})
    if single:
        sheet.append(["indicator", "country", "name", *years], "bold")
    else:
        sheet.append(
            ["indicator", "country", "name", "year", "total", *map(spec.label, spec.parts)], "bold"
        )
    left = 0
    for share in group:
        title = codes.label("indicator", share.indicator)
        share_years = share.years
        for country in share.countries:
            name = codes.country_name(country) or country
            if single:
                found = [share.cells.get((country, y), {}).get(spec.headline) for y in years]
                if all(f is None for f in found):
                    left += 1
                    continue
                sheet.figures([title, country, name, *map(_share_value, found)], first)
                continue
            for year in (y for y in share_years if (country, y) in share.cells):
                cells = share.cells[(country, year)]
                sheet.figures(
                    [
                        title,
                        country,
                        name,
                        year,
                        share.totals.get((country, year)),
                        *(_share_value(cells.get(p)) for p in spec.parts),
                    ],
                    first - 1,
                )
    sheet.append()
    if left:
        sheet.append([f"{left:,} row(s) left out: no share to show (the breakdown not reported)."])
    sheet.append([SHARE_NOTE])


def _share_value(share: Any) -> object:
    if share is None:
        return None
    return round(share.low, 1) if share.exact else share.text


def _regions_sheet(book: Book, publication: Publication) -> None:
    sheet = book.sheet("Regions", widths={0: 22, 1: 16, 5: 18}, freeze=(1, 0))
    sheet.append(
        ["indicator", "region", "year", "definition", "total", "countries covered"], "bold"
    )
    for indicator, aggregates in publication.aggregates.items():
        for agg in aggregates:
            figure: object = agg.lower if agg.exact else agg.text.split(" (")[0]
            sheet.figures(
                [
                    indicator,
                    agg.name,
                    agg.year,
                    agg.definition or "",
                    figure,
                    f"{len(agg.countries)} of {agg.members}",
                ],
                4,
            )


def _coverage_sheet(book: Book, publication: Publication) -> None:
    sheet = book.sheet(
        "Coverage",
        widths={1: 24, **{2 + n: 28 for n in range(len(publication.years))}},
        freeze=(1, 2),
    )
    sheet.append(["country", "name", *publication.years], "bold")
    reported = publication.coverage()
    for country in sorted({c for c, _ in reported}):
        shown = [reported.get((country, y), "") for y in publication.years]
        sheet.append([country, codes.country_name(country) or country, *shown])
    sheet.append()
    sheet.append(
        [
            "The indicators each country reported for each year, with their status "
            "where it is not a normal value."
        ]
    )


def _sources_sheet(book: Book, publication: Publication) -> None:
    sheet = book.sheet("Sources", widths={0: 10, 2: 22, 3: 14, 4: 24}, freeze=(1, 0))
    sheet.append(DISAGREEMENT_KEYS, "bold")
    for row in publication.disagreements:
        sheet.append(row)
    sheet.append()
    sheet.append(
        [
            f"{len(publication.disagreements)} indicator(s) of a country-year whose published "
            "figures' provider disagrees with another provider on some figures (how many: "
            "differ). nremstats reconcile lists them side by side (internal)."
        ]
    )


def _notes_sheet(book: Book, publication: Publication) -> None:
    sheet = book.sheet("Notes", widths={0: 22, 2: 90})
    sheet.append(["indicator", "note", "text"], "bold")
    for table in publication.tables:
        for n, text in enumerate(table.footnotes, start=1):
            sheet.append([table.indicator, n, text])
    sheet.append()
    sheet.append(["mark", "", "meaning"], "bold")
    for mark, meaning in LEGEND:
        sheet.append([mark, "", meaning])
    sheet.append()
    sheet.append(["country", "", "definition of victims (VICTIMS_DETECTED)"], "bold")
    for country, definition in publication.definitions():
        sheet.append([country, "", definition])
    sheet.append()
    sheet.append(
        [
            "country",
            "",
            "providers of the figures shown (priority: "
            f"{', '.join(publication.priority)}; each figure's submission on the Cover)",
        ],
        "bold",
    )
    for country, providers in publication.providers():
        sheet.append([country, "", providers])
    if publication.population is not None:
        missing = publication.without_population()
        sheet.append()
        sheet.append(
            [
                "rates",
                "",
                "per 100,000 from the population file; a ranged count gives "
                "a ranged rate, a count suppressed without bounds none",
            ]
        )
        if missing:
            sheet.append(["", "", "no population given, so no rate: " + ", ".join(missing)])
