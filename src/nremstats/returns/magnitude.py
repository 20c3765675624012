"""Magnitude: a figure that cannot be a count of persons (``MAGNITUDE_IMPLAUSIBLE``).

A questionnaire code typed where a count goes (``6112019`` for question 6.1.1 of 2019) parses
as a count; the balance and year-on-year rules would only warn about it. Three tests refuse it,
each with the cell and the figures compared:

- above the country's population that year (``schemas/reference/population.csv``);
- a part more than ``factor`` times the total it belongs to (same country, year, indicator and
  other breakdowns; a total known only as a range counts by its upper bound): one of the two
  is wrong and which cannot be told, so neither is stored;
- more than ``factor`` times the median of the same country and indicator's totals in other
  years (in the return, and in the store where a return is checked against one).

The last two apply from ``min_value`` persons up, so that small counts never trip them. In a
national return the finding is an error; in an agency compilation the row is rejected. A row
it names is never stored, even where a rules file lowers its severity (as for the rules that
read values); ``off`` switches the rule off.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.findings import Finding
from nremstats.core.model import ALL_TOTALS, DIMENSIONS, TOTAL
from nremstats.returns.balance import GroupIds
from nremstats.returns.located import Located, place_finding
from nremstats.returns.rules import RuleSet

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

RULE = "MAGNITUDE_IMPLAUSIBLE"


def check_magnitude(
    frame: pd.DataFrame,
    located: Located,
    ruleset: RuleSet,
    history: pd.DataFrame | None = None,
    ids: GroupIds | None = None,
) -> tuple[list[Finding], list[object]]:
    """Findings for the figures that cannot be counts, and the index of the rows not to store
    (a part and its total both, when one of them is off by orders of magnitude: which one is
    wrong cannot be told). ``ids``: the frame's group ids, shared with the balance rules."""
    import numpy as np

    if not ruleset.enabled(RULE) or frame.empty:
        return [], []
    factor, least = ruleset.param(RULE, "factor"), ruleset.param(RULE, "min_value")
    ids = ids or GroupIds(frame)
    why: dict[int, tuple[str, list[int]]] = {}
    for test in (_above_population, _above_total, _above_other_years):
        for position, found in test(ids, factor, least, history).items():
            why.setdefault(position, found)
    if not why:
        return [], []
    positions = np.asarray(sorted(why))
    rows = frame.iloc[positions]
    columns = list(rows.columns)
    values = [rows[c].to_numpy(dtype=object, na_value=None) for c in columns]
    findings = []
    rejected: set[int] = set()
    for position, row in zip(positions.tolist(), zip(*values, strict=True), strict=True):
        record = dict(zip(columns, row, strict=True))
        reason, others = why[position]
        rejected |= {position, *others}
        message = (
            f"{record['country']} {record['indicator']} {record['year']}: '{record['text']}' "
            f"is not taken as a count: {reason}. Check the cell (a code, a typing mistake?); "
            + ("neither figure is stored." if others else "the figure is not stored.")
        )
        involved = (str(record["cell"]), *(_cell(frame, other) for other in others))
        findings.append(
            place_finding(located, record, "value", RULE, message, record["text"], involved)
        )
    return findings, frame.index[sorted(rejected)].tolist()


def _cell(frame: pd.DataFrame, position: int) -> str:
    return str(frame["cell"].iat[position])


def _pairs(ids: GroupIds, columns: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Each row's group over some key columns (an integer), and each group's values."""
    import numpy as np
    import pandas as pd

    key = np.zeros(len(ids.low), dtype="int64")
    for column in columns:
        key = key * ids.sizes[column] + ids.codes[column]
    inverse, uniques = pd.factorize(key)
    first = np.zeros(len(uniques), dtype="int64")
    first[inverse[::-1]] = np.arange(len(key))[::-1]  # each group's first row
    found = [ids.values(column, first) for column in columns]
    return inverse, list(zip(*found, strict=True))


def _above_population(
    ids: GroupIds, factor: float, least: int, history: pd.DataFrame | None
) -> dict[int, tuple[str, list[int]]]:
    """Positions of figures above the country's population that year."""
    import numpy as np

    del factor, least, history
    group, pairs = _pairs(ids, ("country", "year"))
    people = [codes.population(country, int(year)) for country, year in pairs]
    limit = np.asarray([np.inf if n is None else n for n in people], dtype=float)[group]
    out = {}
    for position in np.flatnonzero(ids.low > limit).tolist():
        country, year = pairs[group[position]]
        reason = f"more than the {people[group[position]]:,} people of {country} in {year}"
        out[position] = (reason, [])
    return out


def _above_total(
    ids: GroupIds, factor: float, least: int, history: pd.DataFrame | None
) -> dict[int, tuple[str, list[int]]]:
    """Positions of parts more than ``factor`` times the total they belong to (with their
    total's position)."""
    import numpy as np

    del history
    out: dict[int, tuple[str, list[int]]] = {}
    large = ids.low >= least
    if not large.any():
        return out
    for dim in DIMENSIONS:
        gid = ids.without(dim)
        is_total = ids.equals(dim, TOTAL)
        total_high = np.full(int(gid.max()) + 1, np.nan)
        total_high[gid[is_total]] = ids.high[is_total]
        total_at = np.full(int(gid.max()) + 1, -1)
        total_at[gid[is_total]] = np.flatnonzero(is_total)
        bound = total_high[gid]
        hit = large & ~is_total & ~np.isnan(bound) & (ids.low > factor * np.maximum(bound, 1))
        for position in np.flatnonzero(hit).tolist():
            total = int(total_at[gid[position]])
            text = ids.frame["text"].iat[total]
            reason = (
                f"more than {factor:g} times its total '{text}' ({dim} {TOTAL}, cell "
                f"{ids.frame['cell'].iat[total]}): one of the two is not a count"
            )
            out.setdefault(position, (reason, [total]))
    return out


def _above_other_years(
    ids: GroupIds, factor: float, least: int, history: pd.DataFrame | None
) -> dict[int, tuple[str, list[int]]]:
    """Positions of figures more than ``factor`` times the median of the same country and
    indicator's exact totals in the other years (in the return and in ``history``)."""
    import numpy as np

    candidates = np.flatnonzero(ids.low >= least)
    if not len(candidates):
        return {}
    series: dict[tuple, dict[int, int]] = {}
    total = np.ones(len(ids.low), dtype=bool)
    for dim in DIMENSIONS:
        total &= ids.equals(dim, TOTAL)
    exact = total & (ids.low == ids.high)
    rows = np.flatnonzero(exact)
    for country, indicator, year, value in zip(
        ids.values("country", rows),
        ids.values("indicator", rows),
        ids.values("year", rows),
        ids.low[rows].tolist(),
        strict=True,
    ):
        series.setdefault((country, indicator), {}).setdefault(int(year), int(value))
    if history is not None and len(history):
        past = history[_is_total(history) & history["value"].notna()]
        for country, indicator, year, value in zip(
            past["country"], past["indicator"], past["year"], past["value"], strict=True
        ):
            series.setdefault((country, indicator), {}).setdefault(int(year), int(value))
    out: dict[int, tuple[str, list[int]]] = {}
    medians: dict[tuple, tuple[float, int] | None] = {}
    for position, country, indicator, year in zip(
        candidates.tolist(),
        ids.values("country", candidates),
        ids.values("indicator", candidates),
        ids.values("year", candidates),
        strict=True,
    ):
        key = (country, indicator, int(year))
        if key not in medians:
            others = [v for y, v in series.get(key[:2], {}).items() if y != key[2]]
            medians[key] = (float(statistics.median(others)), len(others)) if others else None
        found = medians[key]
        if found is not None and ids.low[position] > factor * max(found[0], 1.0):
            reason = (
                f"more than {factor:g} times the median ({found[0]:,.0f}) of its totals in "
                f"{found[1]} other year(s)"
            )
            out[position] = (reason, [])
    return out


def _is_total(frame: pd.DataFrame) -> pd.Series:
    mask = frame["indicator"].notna()
    for dim, code in ALL_TOTALS.items():
        mask &= frame[dim] == code
    return mask
