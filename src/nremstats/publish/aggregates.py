"""Regional aggregates (UN M49 regions and sub-regions) and rates per 100,000.

An aggregate adds the countries of a region that reported a figure, and says how many of the
region's countries that is. A member known only as a range (``<5``, ``3-7``) makes the aggregate
a range, lower to upper; a member suppressed without bounds makes its upper end unknown. Counts
on different definitions of victims are never added: there is one aggregate per definition.
A rate is computed from an exact count, or as a range from a ranged one, never from a
suppressed count as if it were exact; a country-year without a population has no rate.
The classification is data: ``schemas/m49.yaml`` (made by ``scripts/make_m49.py``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.publish.tables import ComparisonTable, TableCell

LEVELS = ("region", "subregion")


@functools.cache
def m49() -> dict[str, Any]:
    """The M49 declaration: ``regions`` {code: name}, ``countries`` {ISO3: {m49, region,
    subregion}}."""
    data = codes.load_declaration("m49.yaml")
    return {
        "regions": {str(k): str(v) for k, v in data["regions"].items()},
        "countries": {
            str(k): {n: str(v) for n, v in c.items()} for k, c in data["countries"].items()
        },
    }


def region_of(country: str, level: str = "region") -> str | None:
    """The M49 code of a country's region or sub-region, else None."""
    entry = m49()["countries"].get(country)
    return entry[level] if entry else None


def members(region: str, level: str = "region") -> list[str]:
    """The countries M49 puts in a region or sub-region."""
    return sorted(c for c, e in m49()["countries"].items() if e[level] == region)


@dataclass
class Aggregate:
    """The sum of a region's reported figures for one year (and victim definition)."""

    region: str
    name: str
    year: int
    definition: str | None
    lower: int
    upper: int | None  # None: a member is suppressed without bounds
    countries: list[str] = field(default_factory=list)
    members: int = 0

    @property
    def exact(self) -> bool:
        return self.upper == self.lower

    @property
    def text(self) -> str:
        """``123``, or a range ``120-140`` / ``120-?``, with the coverage ``(3 of 9)``."""
        if self.exact:
            figure = str(self.lower)
        else:
            figure = f"{self.lower}-{'?' if self.upper is None else self.upper}"
        return f"{figure} ({len(self.countries)} of {self.members})"


def _bounds(cell: TableCell) -> tuple[int, int | None] | None:
    """What a cell adds: exact value, a range, or (0, None) when suppressed without bounds;
    None when it adds nothing (not available, not applicable)."""
    if cell.value is not None:
        return cell.value, cell.value
    if cell.obs_status == "Q":
        return (cell.lower or 0, cell.upper)
    return None


def regional_aggregates(table: ComparisonTable, level: str = "region") -> list[Aggregate]:
    """Aggregates of a comparison table by M49 region or sub-region, year and definition.

    Raises:
        OptionError: an unknown level.
    """
    if level not in LEVELS:
        raise OptionError(f"level {level}: choose region or subregion.")
    names = m49()["regions"]
    groups: dict[tuple[str, int, str | None], Aggregate] = {}
    for (country, year), cell in sorted(table.cells.items()):
        region = region_of(country, level)
        adds = _bounds(cell)
        if region is None or adds is None:
            continue
        key = (region, year, cell.definition)
        if key not in groups:
            groups[key] = Aggregate(
                region,
                names[region],
                year,
                cell.definition,
                0,
                0,
                members=len(members(region, level)),
            )
        agg = groups[key]
        agg.countries.append(country)
        agg.lower += adds[0]
        agg.upper = None if agg.upper is None or adds[1] is None else agg.upper + adds[1]
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0], k[1], k[2] or ""))]


# --- rates ---------------------------------------------------------------------------------


def load_population(path: str | Path) -> dict[tuple[str, int], int]:
    """Read a population CSV (``country,year,population``).

    Raises:
        OptionError: the file is missing or a line is not ISO3, year, whole number (the
            message names the line).
    """
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    except OSError as exc:
        raise OptionError(f"--population {path}: cannot be read ({exc}).") from exc
    known = codes.country_codes()
    out: dict[tuple[str, int], int] = {}
    for line, row in enumerate(rows, start=2):
        country = (row.get("country") or "").strip().upper()
        year, population = (row.get("year") or "").strip(), (row.get("population") or "").strip()
        if country not in known or not year.isdigit() or not population.isdigit():
            raise OptionError(
                f"{path}, line {line}: expected country (ISO3), year and population (a whole "
                f"number), got {country or '?'}, {year or '?'}, {population or '?'}."
            )
        if int(population) == 0:
            raise OptionError(f"{path}, line {line}: a population of 0 cannot give a rate.")
        out[(country, int(year))] = int(population)
    return out


def rate(cell: TableCell, population: int | None) -> tuple[float, float | None] | None:
    """Per 100,000: ``(rate, rate)`` for an exact count, ``(low, high)`` for a range, None for
    a count without bounds, a missing figure or a missing population."""
    adds = _bounds(cell)
    if adds is None or population is None or (cell.value is None and cell.upper is None):
        return None
    low, high = adds
    per = 100_000 / population
    return low * per, None if high is None else high * per


def rate_text(low: float, high: float | None) -> str:
    """A rate per 100,000 as the html writes it: two decimals, four under 0.01 (a small
    count of a large population is not 0.00); a range ``low-high``."""

    def one(x: float) -> str:
        return f"{x:,.4f}" if 0 < x < 0.01 else f"{x:,.2f}"

    if high == low:
        return one(low)
    return f"{one(low)}-{'?' if high is None else one(high)}"
