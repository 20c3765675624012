"""The annual comparison report the secretariat publishes (``nremstats report``).

:func:`build_report` gathers, for a range of years, one comparison table per indicator (one
provider per country-year by priority, status marks and footnotes kept), after disclosure
control (:func:`nremstats.disclosure.protect_table`), the UN M49 regional aggregates of each
(ranges where a member is ranged or suppressed, coverage "n of N", never across victim
definitions), the submissions every figure came from, and the audit of what was suppressed.
:func:`write_report_xlsx` writes it as a workbook readable without editing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats import codes
from nremstats.aggregates import Aggregate, rate, regional_aggregates
from nremstats.disclosure import protect_table
from nremstats.errors import OptionError
from nremstats.query import LEGEND, ComparisonTable, comparison_table
from nremstats.shares import ShareTable, breakdown_shares

if TYPE_CHECKING:
    from nremstats.store import Store


@dataclass
class Publication:
    """Everything the report shows, as data."""

    years: list[int]
    made: str
    k: int
    tables: list[ComparisonTable] = field(default_factory=list)
    aggregates: dict[str, list[Aggregate]] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    shares: list[ShareTable] = field(default_factory=list)
    #: (country, year) -> population, when rates are asked for
    population: dict[tuple[str, int], int] | None = None

    def rates(self) -> list[tuple[str, str, int, str]]:
        """(indicator, country, year, rate per 100,000 as text): a range from a ranged count,
        blank with the reason where no rate can be given."""
        out = []
        for table in self.tables:
            for (country, year), cell in sorted(table.cells.items()):
                people = (self.population or {}).get((country, year))
                found = rate(cell, people)
                if found is None:
                    why = "no population" if people is None else "no count to divide"
                    out.append((table.indicator, country, year, f"({why})"))
                elif found[0] == found[1]:
                    out.append((table.indicator, country, year, f"{found[0]:.2f}"))
                else:
                    high = "?" if found[1] is None else f"{found[1]:.2f}"
                    out.append((table.indicator, country, year, f"{found[0]:.2f}-{high}"))
        return out

    def submissions(self) -> list[tuple[str, int, str, str, str]]:
        """(country, year, indicator, provider, submission) of every figure shown."""
        return sorted(
            (country, year, table.indicator, cell.provider, cell.submission_id)
            for table in self.tables
            for (country, year), cell in table.cells.items()
        )


def parse_years(text: str) -> list[int]:
    """``2019-2023`` or ``2023`` as a list of years.

    Raises:
        OptionError: not a year or a range of years.
    """
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text or "")
    if not match:
        raise OptionError(f"--years {text!r}: write a year (2023) or a range (2019-2023).")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if last < first:
        raise OptionError(f"--years {text}: the range ends before it starts.")
    return list(range(first, last + 1))


def build_report(store: Store, years: list[int], prefer: str | None = None, k: int = 5,
                 population: dict[tuple[str, int], int] | None = None) -> Publication:  # fmt: skip
    """Gather the report of ``years`` from the store's current state.

    Raises:
        OptionError: the store holds no figure for those years.
    """
    made = dt.datetime.now(dt.UTC).date().isoformat()
    publication = Publication(years, made, k, population=population)
    for indicator in codes.ordered_codes("indicator"):
        table = comparison_table(store, indicator, prefer).within(years)
        if not table.cells:
            continue
        table, hidden = protect_table(table, k)
        publication.tables.append(table)
        publication.aggregates[indicator] = regional_aggregates(table, "region")
        publication.audit += [
            {"indicator": indicator, "country": key[0], "year": key[1], "breakdown": "total",
             "reason": entry["reason"], "why": entry["why"]}
            for key, entry in zip(hidden.hidden, hidden.audit(), strict=True)
        ]  # fmt: skip
    if not publication.tables:
        raise OptionError(
            f"The store holds no figure for {years[0]}-{years[-1]}: ingest returns first, or "
            "choose other --years (nremstats status shows what it holds)."
        )
    publication.shares, audit = breakdown_shares(store, publication.tables, k)
    publication.audit += audit
    publication.audit.sort(key=lambda e: (e["indicator"], e["country"], e["year"]))
    return publication


def write_report_xlsx(publication: Publication, path: Path) -> None:
    """The report as a workbook: cover, one sheet per indicator, regions, coverage, notes,
    suppression audit; frozen headers, number formats and widths set."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    span = f"{publication.years[0]}-{publication.years[-1]}"
    cover.append([f"Trafficking in persons: national figures compared, {span}"])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(["Made", publication.made])
    cover.append(["Counts under", publication.k, "shown as a range (disclosure control)"])
    cover.append([])
    cover.append(["Store state used: the submission each figure comes from"])
    cover.append(["country", "year", "indicator", "provider", "submission"])
    for cell in cover[6]:
        cell.font = bold
    for row in publication.submissions():
        cover.append(list(row))
    cover.freeze_panes = "A7"
    for letter, width in zip("ABCDE", (10, 8, 22, 12, 44), strict=True):
        cover.column_dimensions[letter].width = width
    for table in publication.tables:
        _table_sheet(wb.create_sheet(table.indicator[:31]), table)
    for spec_name in dict.fromkeys(share.spec.name for share in publication.shares):
        group = [share for share in publication.shares if share.spec.name == spec_name]
        _share_sheet(wb.create_sheet(group[0].spec.title[:31]), group)
    _regions_sheet(wb.create_sheet("Regions"), publication)
    if publication.population is not None:
        rates = wb.create_sheet("Rates")
        rates.append(["indicator", "country", "year", "per 100,000"])
        for cell in rates[1]:
            cell.font = bold
        for row in publication.rates():
            rates.append(list(row))
        rates.freeze_panes = "A2"
        rates.column_dimensions["A"].width = 22
    _coverage_sheet(wb.create_sheet("Coverage"), publication)
    _notes_sheet(wb.create_sheet("Notes"), publication)
    audit = wb.create_sheet("Suppression")
    keys = ["indicator", "country", "year", "breakdown", "reason", "why"]
    audit.append(keys)
    for cell in audit[1]:
        cell.font = bold
    for entry in publication.audit:
        audit.append([entry[key] for key in keys])
    audit.freeze_panes = "A2"
    audit.column_dimensions["A"].width = 22
    audit.column_dimensions["D"].width = 24
    audit.column_dimensions["F"].width = 70
    wb.save(path)


def write_report(publication: Publication, fmt: str, output: Path | None) -> str | None:
    """Write the report as ``xlsx`` or ``html`` to ``output``; ``json`` (the audit) to
    ``output`` or, without one, returned as text."""
    from nremstats import publish_html

    if fmt == "xlsx":
        write_report_xlsx(publication, output)
    elif fmt == "html":
        publish_html.write_report_html(publication, output)
    elif output is None:
        return publish_html.audit_json(publication)
    else:
        from nremstats.files import write_bytes

        write_bytes(output, publish_html.audit_json(publication).encode("utf-8"))
    return None


def _table_sheet(ws: Any, table: ComparisonTable) -> None:
    from nremstats.export import table_sheet

    table_sheet(ws, table)
    ws.append([])
    for n, text in enumerate(table.footnotes, start=1):
        ws.append([f"[{n}]", text])


SHARE_NOTE = (
    "Percent of the total of the same submission shown in the indicator sheet (never across "
    "providers or definitions). A range (0.0-3.8): a count under the threshold or a count the "
    "country gave as a range; c: hidden so that no suppressed count can be worked out; "
    "..: not available."
)


def _share_sheet(ws: Any, group: list[ShareTable]) -> None:
    """One declared share for every indicator that has it: countries x years of its headline
    part, or (country, year) x parts when it has none."""
    from openpyxl.styles import Font

    spec = group[0].spec
    single = spec.headline is not None
    years = sorted({y for share in group for y in share.years})
    if single:
        header = ["indicator", "country", "name", *years]
    else:
        header = ["indicator", "country", "name", "year", "total", *map(spec.label, spec.parts)]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for share in group:
        title = codes.label("indicator", share.indicator)
        for country in share.countries:
            name = codes.country_name(country) or country
            if single:
                found = [share.cells.get((country, y), {}).get(spec.headline) for y in years]
                ws.append([title, country, name, *(_share_value(s) for s in found)])
                continue
            for year in (y for y in share.years if (country, y) in share.cells):
                cells = share.cells[(country, year)]
                ws.append([title, country, name, year, share.totals.get((country, year)),
                           *(_share_value(cells.get(p)) for p in spec.parts)])  # fmt: skip
    first = 4 if single else 6
    for row in ws.iter_rows(min_row=2, min_col=first):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0"
    ws.append([])
    ws.append([SHARE_NOTE])
    ws.freeze_panes = ws.cell(row=2, column=first)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["C"].width = 24


def _share_value(share: Any) -> object:
    if share is None:
        return None
    return round(share.low, 1) if share.exact else share.text


def _regions_sheet(ws: Any, publication: Publication) -> None:
    from openpyxl.styles import Font

    ws.append(["indicator", "region", "year", "definition", "total", "countries covered"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for indicator, aggregates in publication.aggregates.items():
        for agg in aggregates:
            figure: object = agg.lower if agg.exact else agg.text.split(" (")[0]
            ws.append([indicator, agg.name, agg.year, agg.definition or "", figure,
                       f"{len(agg.countries)} of {agg.members}"])  # fmt: skip
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 16


def _coverage_sheet(ws: Any, publication: Publication) -> None:
    from openpyxl.styles import Font

    ws.append(["country", "name", *publication.years])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    reported: dict[tuple[str, int], list[str]] = {}
    for table in publication.tables:
        short = codes.label("indicator", table.indicator)
        for (country, year), _ in table.cells.items():
            reported.setdefault((country, year), []).append(short)
    for country in sorted({c for c, _ in reported}):
        shown = ["; ".join(reported.get((country, y), [])) for y in publication.years]
        ws.append([country, codes.country_name(country) or country, *shown])
    ws.freeze_panes = "C2"
    ws.column_dimensions["B"].width = 32


def _notes_sheet(ws: Any, publication: Publication) -> None:
    from openpyxl.styles import Font

    ws.append(["indicator", "note", "text"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for table in publication.tables:
        for n, text in enumerate(table.footnotes, start=1):
            ws.append([table.indicator, n, text])
    ws.append([])
    ws.append(["mark", "", "meaning"])
    for mark, meaning in LEGEND:
        ws.append([mark, "", meaning])
    ws.append([])
    ws.append(["country", "", "definition of victims (VICTIMS_DETECTED)"])
    victims = next((t for t in publication.tables if t.indicator == "VICTIMS_DETECTED"), None)
    cells = victims.cells.items() if victims else []
    definitions = sorted({(c, cell.definition or "not given") for (c, _), cell in cells})
    for country, definition in definitions:
        ws.append([country, "", definition])
    if publication.population is not None:
        missing = sorted({f"{c} {y}" for _, c, y, text in publication.rates()
                          if text == "(no population)"})  # fmt: skip
        ws.append([])
        ws.append(["rates", "", "per 100,000 from the population file; a ranged count gives a "
                   "ranged rate, a count suppressed without bounds none"])  # fmt: skip
        if missing:
            ws.append(["", "", "no population given, so no rate: " + ", ".join(missing)])
    ws.column_dimensions["C"].width = 90
