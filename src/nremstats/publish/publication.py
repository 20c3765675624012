"""The annual comparison report the secretariat publishes (``nremstats report``).

:func:`build_report` gathers, for a range of years, one comparison table per indicator (one
provider per country-year by priority, status marks and footnotes kept), after disclosure
control (the one pattern of the release, :mod:`nremstats.publish.release`), the UN M49
regional aggregates of each (ranges where a member is ranged or suppressed, coverage "n of
N", never across victim definitions), the submissions every figure came from, and the audit
of what was suppressed.
:func:`nremstats.publish.report.write_report` writes it as a workbook, one html file or the
audit as JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.memory import gc_paused
from nremstats.publish.aggregates import Aggregate, rate, regional_aggregates
from nremstats.publish.disclosure import PRIMARY, SECONDARY
from nremstats.publish.release import Release, audit_release, release_from_store
from nremstats.publish.shares import ShareTable, breakdown_shares
from nremstats.publish.tables import ComparisonTable, comparison_table, parse_priority

if TYPE_CHECKING:
    from nremstats.store.store import Store


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
    #: the provider priority used (``NATIONAL`` for each country's own return)
    priority: list[str] = field(default_factory=list)
    #: (country, year) -> population, when rates are asked for
    population: dict[tuple[str, int], int] | None = None
    #: the past state used (the store's sequence number of its last submission), or None
    upto: int | None = None
    #: the release the report prints (its pattern), and the rows it prints
    release: Release | None = None
    covered: list[int] = field(default_factory=list)
    #: (country, year, indicator, published provider, other providers, figures that
    #: differ): where the provider of a published figure disagrees with another
    #: (:mod:`nremstats.store.reconcile`); no figure of the other is printed
    disagreements: list[tuple[str, int, str, str, str, int]] = field(default_factory=list)

    def record(self, store: Store) -> int | None:
        """Record the report as a release in the store (the rows it prints)."""
        if self.release is None:
            return None
        mask = self.release.rows.index.isin(self.covered)
        return self.release.record(store, "report", mask)

    @property
    def state(self) -> str:
        """The store state used, in words."""
        if self.upto is None:
            return "the store's current state"
        return f"the store as of submission no. {self.upto} (--as-of)"

    def rates(self) -> list[tuple[str, str, int, float, float | None]]:
        """(indicator, country, year, low, high) per 100,000, to 4 decimals: ``low == high``
        for an exact count, a range from a ranged count (``high`` None: no upper bound).
        Figures without a rate are left out (:meth:`rates_left_out` says which and why)."""
        out = []
        for table in self.tables:
            for (country, year), cell in sorted(table.cells.items()):
                found = rate(cell, (self.population or {}).get((country, year)))
                if found is not None:
                    high = None if found[1] is None else round(found[1], 4)
                    out.append((table.indicator, country, year, round(found[0], 4), high))
        return out

    def rates_left_out(self) -> dict[str, list[str]]:
        """Why figures have no rate -> their ``INDICATOR COUNTRY YEAR``: no population given
        for the country-year, or no count to divide (suppressed without bounds, not
        available)."""
        out: dict[str, list[str]] = {}
        for table in self.tables:
            for (country, year), cell in sorted(table.cells.items()):
                people = (self.population or {}).get((country, year))
                if rate(cell, people) is None:
                    why = "no population given" if people is None else "no count to divide"
                    out.setdefault(why, []).append(f"{table.indicator} {country} {year}")
        return out

    def coverage(self) -> dict[tuple[str, int], str]:
        """(country, year) -> the indicators reported, each with its status where it is not
        a normal value: ``Victims; Convicted (suppressed)``."""
        short = {i["code"]: i["short"]["en"] for i in codes.indicators()}
        reported: dict[tuple[str, int], list[str]] = {}
        for table in self.tables:
            for key, cell in table.cells.items():
                status = STATUS_WORDS.get(cell.obs_status)
                text = short[table.indicator] + (f" ({status})" if status else "")
                reported.setdefault(key, []).append(text)
        return {key: "; ".join(texts) for key, texts in sorted(reported.items())}

    def definitions(self) -> list[tuple[str, str]]:
        """(country, its definition of victims: ``Identified (formally identified victims)``,
        or ``not given``), one row per definition a country used in the years shown."""
        victims = next((t for t in self.tables if t.indicator == "VICTIMS_DETECTED"), None)
        found = {
            (country, cell.definition)
            for (country, _), cell in (victims.cells.items() if victims else [])
        }
        return sorted(
            (country, codes.label("definition", code) if code else "not given")
            for country, code in found
        )

    def without_population(self) -> list[str]:
        """``COUNTRY YEAR`` of the figures that get no rate for want of a population."""
        missing = self.rates_left_out().get("no population given", [])
        return sorted({text.split(" ", 1)[1] for text in missing})

    def providers(self) -> list[tuple[str, str]]:
        """(country, the providers its figures came from), e.g. ``NLD (national return)``."""
        found: dict[str, set[str]] = {}
        for table in self.tables:
            for (country, _), cell in table.cells.items():
                found.setdefault(country, set()).add(cell.provider)
        return [
            (
                country,
                ", ".join(f"{p} (national return)" if p == country else p for p in sorted(names)),
            )
            for country, names in sorted(found.items())
        ]

    def submissions(self) -> list[tuple[str, int, str, str, str]]:
        """(country, year, provider, submission, indicators) behind every figure shown: the
        store state the report was made from, one row per submission and year."""
        used: dict[tuple[str, int, str, str], list[str]] = {}
        for table in self.tables:
            for (country, year), cell in table.cells.items():
                key = (country, year, cell.provider, cell.submission_id)
                used.setdefault(key, []).append(table.indicator)
        return [(*key, ", ".join(used[key])) for key in sorted(used)]


#: How the coverage names a status other than a normal value (SDMX CL_OBS_STATUS).
STATUS_WORDS = {
    "P": "provisional",
    "E": "estimated",
    "B": "break",
    "L": "not available",
    "M": "not applicable",
    "Q": "suppressed",
}
#: The columns of :attr:`Publication.disagreements` (the Sources sheet and section).
DISAGREEMENT_KEYS = ("country", "year", "indicator", "published", "other providers", "differ")
#: The columns of :meth:`Publication.submissions` (cover sheet, html sources, json).
SUBMISSION_KEYS = ("country", "year", "provider", "submission_id", "indicators")
#: The columns of the suppression audit (:attr:`Publication.audit`); ``interval`` is the
#: intruder's interval of a count under k after suppression.
AUDIT_KEYS = ("indicator", "country", "year", "breakdown", "reason", "why", "interval")
#: What the published report says of each suppressed cell: which it is, never why (a small
#: count says 1 to k-1, a complement 0 or k and more: the reason narrows the cell). The
#: reasons stay in the audit (``report --format json``), for internal use.
PUBLISHED_AUDIT_KEYS = AUDIT_KEYS[:4]
#: What a share table's marks mean (under the share tables of the workbook and the html).
SHARE_NOTE = (
    "Percent of the total of the same submission shown in the indicator sheet (never across "
    "providers or definitions). A range (0.0-3.8): a count the country gave as a range; "
    "c: confidential (a small count, or a count hidden so that none can be worked out); "
    "..: not available."
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


@gc_paused()
def build_report(
    store: Store,
    years: list[int],
    prefer: str | None = None,
    k: int = 5,
    population: dict[tuple[str, int], int] | None = None,
    upto: int | None = None,
    countries: list[str] | None = None,
) -> Publication:
    """Gather the report of ``years`` (and ``countries``, default all) from the store's
    current state, or from a past one (``upto``: ``Store.resolve_as_of``), so a published
    report can be made again exactly. A country-year's suppression pattern never depends on
    other countries, so a report on some countries hides what the full report hides.

    Raises:
        OptionError: the store holds no figure for those years, or none for a country
            asked for.
    """
    made = dt.datetime.now(dt.UTC).date().isoformat()
    publication = Publication(
        years, made, k, population=population, priority=parse_priority(prefer), upto=upto
    )
    if countries is not None:
        countries = sorted({c.strip().upper() for c in countries if c.strip()})
    release = release_from_store(store, k, prefer, upto, years=years, countries=countries)
    for indicator in codes.ordered_codes("indicator"):
        table = comparison_table(store, indicator, prefer, upto).within(years, countries)
        if not table.cells:
            continue
        table, _ = release.table(table)
        publication.tables.append(table)
        publication.aggregates[indicator] = regional_aggregates(table, "region")
    if countries is not None:
        held = {c for table in publication.tables for c, _ in table.cells}
        missing = [c for c in countries if c not in held]
        if missing:
            raise OptionError(
                f"--countries: no figure for {', '.join(missing)} in {years[0]}-{years[-1]} "
                "(nremstats status shows what the store holds)."
            )
    if not publication.tables:
        raise OptionError(
            f"The store holds no figure for {years[0]}-{years[-1]}: ingest returns first, or "
            "choose other --years (nremstats status shows what it holds)."
        )
    publication.shares, printed, covered = breakdown_shares(release, publication.tables)
    audit_release(release, printed)
    publication.release = release
    publication.covered = [*np.flatnonzero(release.totals()).tolist(), *covered]
    publication.audit = _audit(release, publication.covered)
    publication.disagreements = _disagreements(store, publication, upto)
    return publication


def _disagreements(
    store: Store, publication: Publication, upto: int | None
) -> list[tuple[str, int, str, str, str, int]]:
    """The country-years and indicators whose published provider disagrees with another
    provider on some figure (how many), from :func:`nremstats.store.reconcile.reconcile`."""
    from nremstats.store.reconcile import reconcile

    shown = {
        (country, year, table.indicator): cell.provider
        for table in publication.tables
        for (country, year), cell in table.cells.items()
    }
    span = f"{publication.years[0]}-{publication.years[-1]}"
    found = reconcile(store, years=span, countries={c for c, _, _ in shown}, upto=upto)
    counts: dict[tuple[str, int, str], tuple[set[str], int]] = {}
    for entry in found.discrepancies:
        key = (entry["country"], entry["year"], entry["indicator"])
        providers = {value["provider"] for value in entry["values"]}
        if shown.get(key) in providers:
            others, n = counts.get(key, (set(), 0))
            counts[key] = (others | providers - {shown[key]}, n + 1)
    return [
        (*key, shown[key], ", ".join(sorted(others)), n)
        for key, (others, n) in sorted(counts.items())
    ]


def _audit(release: Release, covered: list[int]) -> list[dict[str, Any]]:
    """The audit records of the hidden cells the report prints (totals and share parts)."""
    from nremstats.core.model import DIMENSIONS, TOTAL

    out = []
    shown = set(covered)
    for entry, row in zip(release.audit(), sorted(release.protected.hidden), strict=True):
        if row not in shown or entry["reason"] not in (PRIMARY, SECONDARY):
            continue
        parts = [f"{d} {entry[d]}" for d in DIMENSIONS if entry[d] != TOTAL]
        out.append(
            {
                "indicator": entry["indicator"],
                "country": entry["country"],
                "year": int(entry["year"]),
                "breakdown": " ".join(parts) or "total",
                "reason": entry["reason"],
                "why": release.protected.why(entry["reason"]),
                "interval": entry["interval"],
                **({"settled": entry["settled"]} if "settled" in entry else {}),
            }
        )
    out.sort(key=lambda e: (e["indicator"], e["country"], e["year"], e["breakdown"]))
    return out
