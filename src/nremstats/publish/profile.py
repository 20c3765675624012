"""The country profile: the one page an NREM and the secretariat exchange about a country.

Every indicator over the years with its marks (the report's tables for one country, after
disclosure control), the breakdown shares of the latest year, a trend chart, the sources
behind each figure and the revisions of each return, the victim definition and its
changes, and the open findings of the latest return. Written as self-contained html
(:func:`profile_html`) or a workbook (:func:`write_profile_xlsx`), from
:func:`build_profile`. A profile is a release like the report: what it prints is what the
report would print of the country.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.publish.publication import Publication, build_report

if TYPE_CHECKING:
    from nremstats.core.findings import Finding
    from nremstats.store.store import Store

#: The columns of a profile's sources (each figure's submission) and revisions.
SOURCE_KEYS = ("year", "indicators", "provider", "submission_id", "file", "received")
REVISION_KEYS = ("submission_id", "provider", "years", "received", "status", "state")


@dataclass
class CountryProfile:
    """What a country profile shows (see module docstring)."""

    country: str
    publication: Publication
    #: Every submission of the country, oldest first (current, superseded, withdrawn).
    history: list[dict[str, Any]] = field(default_factory=list)
    #: The latest national return's findings, and its submission id.
    findings: list[Finding] = field(default_factory=list)
    latest_return: str | None = None

    @property
    def name(self) -> str:
        return codes.country_name(self.country) or self.country

    @property
    def latest(self) -> int:
        """The latest year with a figure."""
        return max(y for table in self.publication.tables for _, y in table.cells)

    def shares(self) -> list[Any]:
        """The breakdown shares of the latest year that has one (that year only)."""
        years = [y for share in self.publication.shares for y in share.years]
        if not years:
            return []
        last = max(years)
        return [
            replace(
                share,
                cells={k: v for k, v in share.cells.items() if k[1] == last},
                totals={k: v for k, v in share.totals.items() if k[1] == last},
            )
            for share in self.publication.shares
            if last in share.years
        ]

    def definitions(self) -> list[tuple[int, str, bool]]:
        """(year, the definition of victims, whether it changed from the year before)."""
        victims = next(
            (t for t in self.publication.tables if t.indicator == "VICTIMS_DETECTED"), None
        )
        out: list[tuple[int, str, bool]] = []
        if victims is None:
            return out
        before = None
        for (_, year), cell in sorted(victims.cells.items()):
            code = cell.definition
            text = codes.label("definition", code) if code else "not given"
            out.append((year, text, before is not None and code != before))
            before = code
        return out

    def sources(self) -> list[tuple[int, str, str, str, str, str]]:
        """Each year's submissions behind the figures shown: (year, indicators, provider,
        submission, file, received)."""
        by_id = {s["submission_id"]: s for s in self.history}
        found: dict[tuple[int, str], list[str]] = {}
        for table in self.publication.tables:
            for (_, year), cell in table.cells.items():
                found.setdefault((year, cell.submission_id), []).append(table.indicator)
        out = []
        for (year, sub_id), indicators in sorted(found.items()):
            sub = by_id.get(sub_id, {})
            out.append(
                (
                    year,
                    ", ".join(indicators),
                    str(sub.get("provider", "")),
                    sub_id,
                    Path(str(sub.get("file", ""))).name,
                    str(sub.get("received_at", ""))[:10],
                )
            )
        return out

    def revisions(self) -> list[tuple[str, str, str, str, str, str]]:
        """Every submission of the country: (id, provider, years, received, status, state)."""
        return [
            (
                s["submission_id"],
                s["provider"],
                _span(s["years"]),
                str(s["received_at"])[:10],
                s["status"],
                s["state"],
            )
            for s in self.history
        ]


def _span(years: list[int]) -> str:
    years = sorted(years)
    if len(years) > 1 and years[-1] - years[0] == len(years) - 1:
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def build_profile(
    store: Store,
    country: str,
    years: list[int] | None = None,
    prefer: str | None = None,
    k: int = 5,
    upto: int | None = None,
) -> CountryProfile:
    """The profile of ``country`` over ``years`` (default: every year it has a figure).

    Raises:
        OptionError: the store holds no figure of the country (for those years).
    """
    from nremstats.store.history import submission_history

    country = country.strip().upper()
    subs = [s for s in store.current_submissions() if s.country == country]
    if upto is not None:
        subs = [s for s in store.submissions(upto=upto) if s.country == country]
    held = sorted({y for s in subs for y in s.years})
    if not held:
        raise OptionError(
            f"No figure of {country} in the store: ingest its returns first "
            "(nremstats status shows what the store holds)."
        )
    years = years or list(range(held[0], held[-1] + 1))
    publication = build_report(store, years, prefer, k, None, upto, [country])
    profile = CountryProfile(country, publication, submission_history(store, country))
    national = [s for s in subs if s.provider == country]
    if national:
        last = max(national, key=lambda s: (max(s.years), s.received_at))
        profile.latest_return = last.submission_id
        profile.findings = store.findings(last.submission_id)
    return profile


def findings_rows(findings: list[Finding]) -> list[list[str]]:
    """The open findings as rows: severity, rule, sheet!cell, message."""
    return [
        [
            f.severity,
            f.rule,
            "!".join(filter(None, [f.sheet, f.cell])),
            f.message,
        ]
        for f in findings
    ]


def profile_html(profile: CountryProfile) -> str:
    """The profile as one self-contained html page (charts inline, no script)."""
    from nremstats.publish.report_html import (
        indicator_html,
        page_html,
        share_html,
        table_html,
    )

    pub = profile.publication
    span = f"{pub.years[0]}-{pub.years[-1]}"
    title = f"{profile.name} ({profile.country}): trafficking in persons, {span}"
    meta = (
        f'<p class="meta">Country profile made {escape(pub.made)} from {escape(pub.state)}. '
        f"Counts from 1 to {pub.k - 1} are shown as a range (disclosure control); one "
        "provider per year, by priority "
        f"{escape(', '.join(pub.priority))}.</p>"
    )
    body = [indicator_html(table) for table in pub.tables]
    shares = profile.shares()
    if shares:
        body.append(
            f'<section id="shares"><h2>Breakdown shares, {max(shares[0].years)}</h2>'
            + "".join(share_html(s) for s in shares)
            + "</section>"
        )
    definitions = [
        [year, text + (" (changed)" if changed else "")]
        for year, text, changed in profile.definitions()
    ]
    if definitions:
        body.append(
            '<section id="definition"><h2>Definition of victims</h2>'
            + table_html(["year", "victims counted as"], definitions)
            + "</section>"
        )
    body.append(
        '<section id="sources"><h2>Sources and revisions</h2>'
        "<h3>The submission behind each year's figures</h3>"
        + table_html(list(SOURCE_KEYS), [list(r) for r in profile.sources()])
        + "<h3>Every submission received (revisions)</h3>"
        + table_html(list(REVISION_KEYS), [list(r) for r in profile.revisions()])
        + "</section>"
    )
    if profile.latest_return is None:
        said = '<p class="note">No national return received.</p>'
    elif not profile.findings:
        said = f'<p class="note">{escape(profile.latest_return)}: no open finding.</p>'
    else:
        said = (
            f'<p class="note">{escape(profile.latest_return)}: {len(profile.findings)} '
            "finding(s) to answer (warnings and notes: errors are never stored).</p>"
            + table_html(
                ["severity", "rule", "cell", "message"], findings_rows(profile.findings), wrap=3
            )
        )
    body.append(
        '<section id="findings"><h2>Open findings of the latest return</h2>' + said + "</section>"
    )
    return page_html(title, meta, body)


def write_profile_xlsx(profile: CountryProfile, path: Path) -> None:
    """The profile as a workbook: the indicators (numbers, marks in their number format),
    the Data sheet, shares of the latest year, definitions, sources, revisions, findings."""
    from nremstats.publish.export import data_sheet, table_sheet
    from nremstats.publish.xlsx import Book

    pub = profile.publication
    with Book(path) as book:
        for table in pub.tables:
            table_sheet(book, table, notes=True)
        data_sheet(book, pub.tables)
        shares = book.sheet("Shares", widths={0: 30, 1: 28}, freeze=(1, 0))
        shares.append(["indicator", "share", "year", "part", "per cent"], "bold")
        for share in profile.shares():
            year = max(share.years)
            cells = share.cells.get((profile.country, year), {})
            for part in share.spec.parts:
                value = cells.get(part)
                figure = (
                    None if value is None else round(value.low, 1) if value.exact else value.text
                )
                shares.figures(
                    [
                        codes.label("indicator", share.indicator),
                        share.spec.title,
                        year,
                        share.spec.label(part),
                        figure,
                    ],
                    4,
                )
        definitions = book.sheet("Definition", widths={1: 50})
        definitions.append(["year", "victims counted as", "changed"], "bold")
        for year, text, changed in profile.definitions():
            definitions.append([year, text, "yes" if changed else ""])
        sources = book.sheet("Sources", widths={1: 40, 3: 30, 4: 30}, freeze=(1, 0))
        sources.append(SOURCE_KEYS, "bold")
        for row in profile.sources():
            sources.append(row)
        revisions = book.sheet("Revisions", widths={0: 30}, freeze=(1, 0))
        revisions.append(REVISION_KEYS, "bold")
        for row in profile.revisions():
            revisions.append(row)
        found = book.sheet("Findings", widths={1: 30, 3: 100}, freeze=(1, 0))
        found.append(["severity", "rule", "cell", "message"], "bold")
        for row in findings_rows(profile.findings):
            found.append(row)


def write_profile(profile: CountryProfile, fmt: str, path: Path) -> None:
    """Write the profile as ``html`` or ``xlsx`` to ``path``."""
    if fmt == "xlsx":
        write_profile_xlsx(profile, path)
    elif fmt == "html":
        from nremstats.core.files import write_bytes

        write_bytes(path, profile_html(profile).encode("utf-8"))
    else:
        raise OptionError(f"profile: -o FILE.html or FILE.xlsx, not .{fmt}.")
