"""The annual comparison report as one self-contained html file.

The html holds the same tables as the workbook (:mod:`nremstats.publish.publication`) and
the charts of :mod:`nremstats.publish.charts` inline (SVG as ``data:`` URIs): no network, no
JavaScript, no file beside it. It reads on a laptop and on a phone (tables scroll sideways
within the page).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from nremstats.core import codes
from nremstats.core.files import write_bytes
from nremstats.publish.aggregates import rate_text
from nremstats.publish.charts import chart_bytes, composition_chart, trend_chart
from nremstats.publish.publication import (
    DISAGREEMENT_KEYS,
    PUBLISHED_AUDIT_KEYS,
    SHARE_NOTE,
    SUBMISSION_KEYS,
    Publication,
)
from nremstats.publish.shares import ShareTable
from nremstats.publish.tables import LEGEND, ComparisonTable, refs

CSS = """
:root { color-scheme: light; --line: #d0d4da; --muted: #5b6470; --head: #eef1f5; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d232b; background: #fff; }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
nav ol { columns: 2 16rem; padding-left: 1.2rem; }
.meta, figcaption, .note { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; margin: .6rem 0; border: 1px solid var(--line); }
table { border-collapse: collapse; font-size: .88rem; min-width: 100%; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--head); text-align: left; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; min-width: 16rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
details { margin: .8rem 0; }
@media (max-width: 40rem) { body { font-size: 14px; } th, td { padding: .2rem .35rem; } }
@media print { .scroll { overflow: visible; border: 0; } h2 { break-before: page; } }
"""


def _anchor(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def table_html(
    header: list[Any], rows: list[list[Any]], numeric_from: int = 0, wrap: int | None = None
) -> str:
    """An html table; cells from ``numeric_from`` on are right-aligned figures, the column
    ``wrap`` (a long text) wraps."""
    kind = [' class="n"' if numeric_from and i >= numeric_from else "" for i in range(len(header))]
    if wrap is not None:
        kind[wrap] = ' class="wrap"'
    head = "".join(f"<th{kind[i]}>{escape(str(h))}</th>" for i, h in enumerate(header))
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = "" if value is None else escape(str(value))
            cells.append(f"<td{kind[i]}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(chart: Any) -> str:
    data = base64.b64encode(chart_bytes(chart, "svg")).decode("ascii")
    chart.figure.clear()
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{escape(chart.alt)}">'
        f"<figcaption>{escape(chart.caption)}</figcaption></figure>"
    )


def indicator_html(table: ComparisonTable) -> str:
    whole, by_year = table.shared_notes()
    rows = [
        [
            c,
            codes.country_name(c) or c,
            *(
                _figure_text(table.cells.get((c, y)), [*whole, *by_year.get(y, [])])
                for y in table.years
            ),
        ]
        for c in table.countries
    ]
    notes = "".join(f"<li>{escape(text)}</li>" for text in table.footnotes)
    return (
        f'<section id="{_anchor(table.indicator)}"><h2>{escape(table.title)}{refs(whole)}</h2>'
        + _figure(trend_chart(table))
        + table_html(table.rows(people=True)[0], rows, numeric_from=2)
        + (f'<ol class="note">{notes}</ol>' if notes else "")
        + "</section>"
    )


def _figure_text(cell: Any, stated: list[int]) -> str:
    """A table cell's text with thousands separated (``1,042 [2]``), without the notes
    ``stated`` in its heading or the table's."""
    if cell is None:
        return ""
    text = cell.text_without(stated)
    return text.replace(str(cell.value), f"{cell.value:,}", 1) if cell.value else text


def share_html(share: ShareTable) -> str:
    spec = share.spec
    title = f"{codes.label('indicator', share.indicator)}: {spec.title.lower()}"
    note = ""
    if spec.headline is not None:
        years = share.years
        header = ["country", "name", *years]
        rows = [
            [
                c,
                codes.country_name(c) or c,
                *(_text(share.cells.get((c, y), {}).get(spec.headline)) for y in years),
            ]
            for c in share.countries
        ]
        full = [row for row in rows if any(row[2:])]
        left = len(rows) - len(full)
        rows = full
        said = f"{left:,} countr{'y' if left == 1 else 'ies'} left out: no share to show"
        note = f'<p class="note">{said} (the breakdown not reported).</p>' if left else ""
    else:
        header = ["country", "year", "total", *map(spec.label, spec.parts)]
        rows = [
            [
                c,
                y,
                f"{share.totals[(c, y)]:,}" if (c, y) in share.totals else "..",
                *(_text(cells.get(p)) for p in spec.parts),
            ]
            for (c, y), cells in sorted(share.cells.items())
        ]
    charted = codes.load_declaration("publication.yaml").get("composition_charts") or []
    drawn = share.totals and share.indicator in charted
    figure = _figure(composition_chart(share)) if drawn else ""
    table = table_html(header, rows, numeric_from=2)
    return f"<h3>{escape(title)} (%)</h3>" + figure + table + note


def _text(share: Any) -> str:
    return "" if share is None else share.text


def render_html(publication: Publication) -> str:
    """The whole report as one html document (see module docstring)."""
    span = f"{publication.years[0]}-{publication.years[-1]}"
    title = f"Trafficking in persons: national figures compared, {span}"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Made {escape(publication.made)} from {escape(publication.state)}. '
        f"Counts from 1 to {publication.k - 1} are shown as a range (disclosure control); "
        "one provider per country and year, counts on different victim definitions never "
        "added together.</p>",
    ]
    sections = [(t.title, _anchor(t.indicator)) for t in publication.tables]
    sections += [("Breakdown shares", "shares"), ("Regions", "regions")]
    if publication.population is not None:
        sections.append(("Rates per 100,000", "rates"))
    sections += [
        ("Coverage", "coverage"),
        ("Notes", "notes"),
        ("Suppression", "suppression"),
        ("Sources", "sources"),
    ]
    toc = "".join(f'<li><a href="#{a}">{escape(name)}</a></li>' for name, a in sections)
    body = [f"<nav><ol>{toc}</ol></nav>"]
    body += [indicator_html(table) for table in publication.tables]
    body.append(
        '<section id="shares"><h2>Breakdown shares</h2>'
        f'<p class="note">{escape(SHARE_NOTE)}</p>'
        + "".join(share_html(s) for s in publication.shares)
        + "</section>"
    )
    body.append(_regions(publication))
    if publication.population is not None:
        rows = [
            [codes.label("indicator", i), c, y, rate_text(low, high)]
            for i, c, y, low, high in publication.rates()
        ]
        body.append(
            '<section id="rates"><h2>Rates per 100,000</h2>'
            + table_html(["indicator", "country", "year", "per 100,000"], rows, 3)
            + _left_out(publication)
            + "</section>"
        )
    body += [
        _coverage(publication),
        _notes(publication),
        _audit(publication),
        _sources(publication),
    ]
    return page_html(title, "".join(parts[1:]), body)


def page_html(title: str, meta: str, body: list[str]) -> str:
    """A whole html document: the title, ``meta`` (html) under it, the sections."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{meta}</header><main>{''.join(body)}</main>"
        '<footer class="note"><p>Made with nremstats.</p></footer></body></html>\n'
    )


def _regions(publication: Publication) -> str:
    rows = [
        [
            codes.label("indicator", indicator),
            agg.name,
            agg.year,
            agg.definition or "",
            agg.text.split(" (")[0],
            f"{len(agg.countries)} of {agg.members}",
        ]
        for indicator, aggregates in publication.aggregates.items()
        for agg in aggregates
    ]
    header = ["indicator", "region (UN M49)", "year", "definition", "total", "countries"]
    return (
        '<section id="regions"><h2>Regions</h2><p class="note">Sums of the countries '
        "that reported; a range where a member is suppressed or ranged (? where one has no "
        "bounds).</p>" + table_html(header, rows, 4) + "</section>"
    )


def _coverage(publication: Publication) -> str:
    reported = publication.coverage()
    rows = [
        [c, codes.country_name(c) or c, *(reported.get((c, y), "") for y in publication.years)]
        for c in sorted({c for c, _ in reported})
    ]
    return (
        '<section id="coverage"><h2>Coverage</h2><p class="note">The indicators each '
        "country reported for each year, with their status where it is not a normal "
        "value.</p>" + table_html(["country", "name", *publication.years], rows) + "</section>"
    )


def _left_out(publication: Publication) -> str:
    """The line saying how many figures have no rate, and why."""
    said = [f"{len(which):,} with {why}" for why, which in publication.rates_left_out().items()]
    if not said:
        return ""
    return f'<p class="note">Figures left out (no rate): {escape("; ".join(said))}.</p>'


def _notes(publication: Publication) -> str:
    legend = table_html(["mark", "meaning"], [list(item) for item in LEGEND])
    out = (
        '<section id="notes"><h2>Notes</h2><h3>Marks</h3>'
        + legend
        + "<h3>Each country's definition of victims</h3>"
        + table_html(["country", "definition"], [list(d) for d in publication.definitions()])
        + '<h3>Providers</h3><p class="note">One provider per country and year, by the '
        f"priority {escape(', '.join(publication.priority))}; the submission behind each "
        'figure is under <a href="#sources">Sources</a>.</p>'
        + table_html(
            ["country", "providers of the figures shown"],
            [list(p) for p in publication.providers()],
        )
    )
    if publication.population is not None:
        missing = publication.without_population()
        out += (
            '<p class="note">Rates per 100,000 from the population file; a ranged count '
            "gives a ranged rate, a count suppressed without bounds none."
            + (
                f" No population given, so no rate: {escape(', '.join(missing))}."
                if missing
                else ""
            )
            + "</p>"
        )
    return out + "</section>"


def _audit(publication: Publication) -> str:
    rows = [[entry[key] for key in PUBLISHED_AUDIT_KEYS] for entry in publication.audit]
    text = f"{len(rows)} cell(s) suppressed." if rows else "No cell needed suppressing."
    return (
        f'<section id="suppression"><h2>Suppression</h2><p class="note">{text}</p>'
        + (table_html(list(PUBLISHED_AUDIT_KEYS), rows) if rows else "")
        + "</section>"
    )


def _sources(publication: Publication) -> str:
    rows = [list(row) for row in publication.submissions()]
    differ = [list(row) for row in publication.disagreements]
    return (
        '<section id="sources"><h2>Sources</h2><details><summary>The submission each '
        f"figure comes from ({len(rows):,})</summary>"
        + table_html(list(SUBMISSION_KEYS), rows)
        + '</details><h3>Where providers disagree</h3><p class="note">'
        + f"{len(differ)} indicator(s) of a country-year whose published figures' provider "
        + "disagrees with another provider on some figures (differ: how many).</p>"
        + (table_html(list(DISAGREEMENT_KEYS), differ, 5) if differ else "")
        + "</section>"
    )


def write_report_html(publication: Publication, path: Path) -> None:
    """Write the html report durably."""
    write_bytes(path, render_html(publication).encode("utf-8"))
