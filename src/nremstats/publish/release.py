"""One release, one suppression pattern: what a store state publishes, for every output.

A release is the observations a store state publishes, one provider per country, year and
indicator (chosen by priority, as the comparison tables choose), and the one suppression
pattern that SDMX-CSV, the comparison tables, the report (indicator sheets, shares, regions,
rates, charts, html) and the charts all derive from: :func:`build_release`. The pattern is
chosen per country-year-indicator on the full cross-classified table
(:func:`nremstats.publish.suppression.protect_observations`), so the same figures always get
the same pattern, whichever output shows them and whatever else the store holds.

What earlier releases did is part of it (:mod:`nremstats.store.releases`): a cell published
before with the same value is known to the intruder (never a complement, and no protection
of it can help), a cell hidden before is hidden again. Before anything is written,
:func:`audit_release` attacks what the release prints, from the printed forms (the counts,
``<k`` totals, the country's ranges, the shares with their rounding, what earlier releases
printed), and refuses the release when a suppressed count is narrower than its protection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nremstats.core.errors import DisclosureRefused
from nremstats.core.model import ALL_TOTALS, DIMENSIONS
from nremstats.publish.disclosure import (
    EARLIER,
    PRIMARY,
    SECONDARY,
    SENDER,
    Key,
    Protected,
    intervals,
    protection,
    small_margins,
    worked_out,
)
from nremstats.publish.lp import map_tables
from nremstats.publish.reading import (
    expand,
    hierarchy_relations,
    readings,
)
from nremstats.publish.reading import ranges as read_ranges
from nremstats.publish.suppression import past_relations, protect_observations
from nremstats.publish.tables import ComparisonTable, parse_priority, provider_rank

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.store.store import Store

#: The key of a published cell: indicator, country, year and a code per breakdown.
CELL = ("indicator", "country", "year", *DIMENSIONS)
GROUP = ["country", "year", "indicator"]


def choose_providers(observations: pd.DataFrame, prefer: str | None = None) -> pd.DataFrame:
    """The observations of one provider per country, year and indicator, by priority (the
    national return first): among the providers that give the indicator's total, as the
    comparison tables choose, else among all. Rows sorted by key, numbered from 0."""
    priority = parse_priority(prefer)
    if observations.empty:
        return observations.reset_index(drop=True)
    is_total = _all_totals(observations)
    found = observations.assign(_total=is_total)
    providers = found.groupby([*GROUP, "provider"], sort=False, observed=True)["_total"].any()
    providers = providers.reset_index()
    providers["rank"] = [
        (not total, *provider_rank(p, c, priority))
        for p, c, total in zip(
            providers["provider"], providers["country"], providers["_total"], strict=True
        )
    ]
    best = providers.sort_values("rank").drop_duplicates(GROUP)
    keep = observations.merge(best[[*GROUP, "provider"]], how="inner")
    return keep.sort_values(["country", "year", "indicator", *DIMENSIONS]).reset_index(drop=True)


def _all_totals(rows: pd.DataFrame) -> np.ndarray:
    """Which rows are a country-year's total of an indicator (every breakdown _T)."""
    mask = np.ones(len(rows), dtype=bool)
    for dim, code in ALL_TOTALS.items():
        mask &= (rows[dim] == code).to_numpy(dtype=bool)
    return mask


@dataclass
class Release:
    """The published observations (``rows``, numbered from 0) and their one pattern."""

    rows: pd.DataFrame
    k: int
    protected: Protected
    upto: int | None = None
    #: cells of earlier releases taken into account
    earlier: int = 0
    #: the earlier tables of revised groups (see :func:`_versions`), for the audit
    versions: dict[tuple, list[dict]] = field(default_factory=dict)

    def reasons(self) -> dict[tuple, str]:
        """(indicator, country, year, codes...) -> why the cell is hidden."""
        keys = self.rows[list(CELL)].to_numpy(dtype=object)
        return {tuple(keys[i]): why for i, why in self.protected.hidden.items()}

    def printed(self) -> pd.DataFrame:
        """The rows as SDMX-CSV prints them: a cell hidden here written as confidential
        (empty value, OBS_STATUS Q, CONF_STATUS C, the same flag for every reason, since the
        reason narrows the cell); a country's own marks kept."""
        ours = [i for i, why in self.protected.hidden.items() if why in (PRIMARY, SECONDARY)]
        rows = self.rows.copy()
        if ours:
            rows.loc[ours, "value"] = None
            rows.loc[ours, ["lower", "upper"]] = None
            rows.loc[ours, "obs_status"] = "Q"
            rows.loc[ours, "conf_status"] = "C"
        return rows

    def table(self, table: ComparisonTable) -> tuple[ComparisonTable, int]:
        """A comparison table as the release prints it: each total hidden for a count under
        k shown as ``<k`` (status Q, bounds 0 to k-1) with a footnote, and a total hidden for
        another cell (a complement of last resort) as suppressed, with no bounds. Returns
        the table and how many totals it shows so."""
        reasons = self.reasons()
        base = (table.indicator,)
        tail = tuple(ALL_TOTALS[d] for d in DIMENSIONS)
        small = f"suppressed for confidentiality: a count under {self.k}"
        footnotes, cells, hidden = list(table.footnotes), {}, 0
        for key, cell in table.cells.items():
            why = reasons.get((*base, *key, *tail))
            if why in (PRIMARY, SECONDARY) and cell.value is not None:
                text = small if why == PRIMARY else "suppressed for confidentiality"
                if text not in footnotes:
                    footnotes.append(text)
                notes = sorted({*cell.notes, footnotes.index(text) + 1})
                low, high = (0, self.k - 1) if why == PRIMARY else (None, None)
                cell = replace(cell, value=None, obs_status="Q", lower=low, upper=high, notes=notes)
                hidden += 1
            cells[key] = cell
        return replace(table, cells=cells, footnotes=footnotes), hidden

    def totals(self) -> Any:
        """Which rows are a country-year's total of an indicator (a mask)."""
        return _all_totals(self.rows)

    def record(self, store: Store, kind: str, mask: Any = None) -> int:
        """Record the rows this output covered (all, or those of ``mask``) in the store."""
        from nremstats.store.releases import record_release

        rows = self.rows if mask is None else self.rows[mask]
        cells = rows[[*CELL, "submission_id", "value"]].copy()
        hidden = self.protected.hidden
        cells["published"] = [i not in hidden for i in rows.index]
        return record_release(store, cells, kind, self.upto)

    def audit(self) -> list[dict[str, Any]]:
        """One record per cell hidden here (internal: the intervals narrow the cells)."""
        keys = self.rows[list(CELL)].to_numpy(dtype=object)
        out = []
        for i, why in sorted(self.protected.hidden.items()):
            low, high = self.protected.intervals.get(i, (None, None))
            entry = dict(zip(CELL, keys[i], strict=True))
            entry |= {"reason": why, "interval": [low, high] if low is not None else None}
            if i in self.protected.settled:
                entry["settled"] = self.protected.settled[i]
            out.append(entry)
        return out


def build_release(
    observations: pd.DataFrame,
    k: int,
    prefer: str | None = None,
    earlier: pd.DataFrame | None = None,
    upto: int | None = None,
) -> Release:
    """The release of ``observations`` (one provider per country-year-indicator, see
    :func:`choose_providers`) with its suppression pattern for threshold ``k``, given what
    ``earlier`` releases did (:func:`nremstats.store.releases.earlier_releases`)."""
    rows = choose_providers(observations, prefer)
    if "conf_status" not in rows:
        rows["conf_status"] = None
    if rows.empty:  # (k = 1 still protects the cells a country suppressed itself)
        return Release(rows, k, Protected(k), upto)
    totals = rows.index[_all_totals(rows)]
    before = _earlier(rows, earlier)
    versions = _versions(rows, earlier)
    protected = protect_observations(rows, k, fixed=totals, earlier=before, versions=versions)
    return Release(rows, k, protected, upto, 0 if earlier is None else len(earlier), versions)


def release_from_store(
    store: Store,
    k: int,
    prefer: str | None = None,
    upto: int | None = None,
    indicators: list[str] | None = None,
    years: list[int] | None = None,
    countries: list[str] | None = None,
) -> Release:
    """The release of a store state (``upto``: ``Store.resolve_as_of``), for some
    indicators, years or countries only (the pattern of a country-year-indicator never
    depends on the others)."""
    from nremstats.store.releases import earlier_releases

    frame = store.observations(upto=upto)
    if indicators is not None:
        frame = frame[frame["indicator"].isin(indicators)]
    if years is not None:
        frame = frame[frame["year"].isin(years)]
    if countries is not None:
        frame = frame[frame["country"].isin(countries)]
    return build_release(frame, k, prefer, earlier_releases(store), upto)


def _earlier(rows: pd.DataFrame, earlier: pd.DataFrame | None) -> dict[Key, str]:
    """Row -> ``published`` (an earlier release printed the same value) or ``hidden`` (one
    hid it, with the same value); a revised value is a new cell."""
    if earlier is None or earlier.empty:
        return {}
    import pandas as pd

    seen = earlier.dropna(subset=["value"]).groupby([*CELL, "value"], observed=True)["published"]
    seen = seen.any().reset_index()
    left = rows[[*CELL, "value"]].reset_index(names="row").dropna(subset=["value"])
    left["value"] = left["value"].astype("int64")
    seen["value"] = seen["value"].astype("int64")
    for column in ("year",):
        seen[column] = seen[column].astype(left[column].dtype)
    found = left.merge(pd.DataFrame(seen), on=[*CELL, "value"], how="inner")
    return {
        row: "published" if printed else "hidden"
        for row, printed in zip(found["row"], found["published"], strict=True)
    }


def _versions(rows: pd.DataFrame, earlier: pd.DataFrame | None) -> dict[tuple, list[dict]]:
    """(country, year, indicator) -> the tables earlier releases printed of it that differ
    from its table now (a revised return): each cell's codes -> (value or None, printed).
    An intruder differences them against the table now (a cell with the same value is
    one unknown in both), so the pattern is chosen against them all."""
    if earlier is None or earlier.empty or "release" not in earlier:
        return {}
    codes = [*GROUP, *DIMENSIONS]

    def tables(frame: pd.DataFrame, *more: str) -> dict[tuple, dict]:
        out: dict[tuple, dict] = {}
        columns = [frame[c].to_numpy(dtype=object) for c in (*GROUP, *more, *DIMENSIONS)]
        value = frame["value"].to_numpy(dtype=object, na_value=None)
        shown = frame["published"].to_numpy(dtype=bool) if "published" in frame else None
        for i, names in enumerate(zip(*columns, strict=True)):
            cut = len(GROUP) + len(more)
            number = None if value[i] is None or value[i] != value[i] else int(value[i])
            entry = (number, bool(shown[i])) if shown is not None else number
            out.setdefault(tuple(names[:cut]), {})[tuple(names[cut:])] = entry
        return out

    now = tables(rows[codes + ["value"]])
    found: dict[tuple, list[dict]] = {}
    outputs = tables(earlier, "release").items()  # outputs print parts of a table: joined
    for (*group, _), printed in sorted(outputs, key=lambda item: -len(item[1])):
        group = (group[0], int(group[1]), group[2])
        current = now.get(group)
        if current is None:
            continue
        mine = found.setdefault(group, [])
        for version in mine:
            if all(version[key][0] == v[0] for key, v in printed.items() if key in version):
                for key, v in printed.items():
                    was = version.get(key, (v[0], False))
                    version[key] = (v[0], was[1] or v[1])
                break
        else:
            mine.append(dict(printed))
    return {
        group: changed
        for group, versions in found.items()
        if (
            changed := [
                v
                for v in versions
                if any(now[group].get(key, -1) != value for key, (value, _) in v.items())
            ]
        )
    }


# --- the audit: the intruder's attack on what the release prints --------------------------


def audit_release(release: Release, printed: dict[int, tuple[float, float]] | None = None) -> None:
    """Attack what the release prints and refuse it if the attack narrows a suppressed
    count below its protection or pins a hidden cell.

    The intruder's knowledge is read from the printed forms: each count printed, the ``<k``
    of a total hidden for a small count (1 to k-1), a country's own range, what earlier
    releases printed of the same figures, and ``printed``: more that other outputs print of a
    row (a share with its rounding, as an interval of the count). Every relation of the
    hierarchies that the true figures satisfy is read, as :mod:`nremstats.publish.disclosure`
    reads them; cells the pattern settled (nothing left to hide) may be as narrow as the
    pattern left them, not narrower.

    Raises:
        DisclosureRefused: a cell is narrower than its protection (nothing is written).
    """
    protected = release.protected
    if not protected.hidden:
        return
    rows, k = release.rows, release.k
    value = rows["value"].to_numpy(dtype=object, na_value=None)
    status = rows["obs_status"].to_numpy(dtype=object)
    lower, upper = (rows[c].to_numpy(dtype=object, na_value=None) for c in ("lower", "upper"))
    totals = _all_totals(rows)
    knowledge: dict[int, tuple[float, float]] = {}
    for i, why in protected.hidden.items():
        if why == SENDER and lower[i] is not None and lower[i] == lower[i]:
            high = upper[i] if upper[i] is not None and upper[i] == upper[i] else np.inf
            knowledge[i] = (float(lower[i]), float(high))
        elif why == PRIMARY and totals[i]:
            knowledge[i] = (1.0, float(k - 1))  # the tables print <k
    for i, (low, high) in (printed or {}).items():
        was = knowledge.get(i, (0.0, np.inf))
        knowledge[i] = (max(was[0], low), min(was[1], high))
    for i, why in protected.settled.items():
        if why == EARLIER:
            knowledge[i] = (float(value[i]), float(value[i]))
    groups = rows.groupby(GROUP, sort=False).indices
    codes_of = list(zip(*(rows[d].to_numpy(dtype=object) for d in DIMENSIONS), strict=True))
    names = rows[GROUP].to_numpy(dtype=object)
    tasks, named = [], []
    for members in groups.values():
        if not any(i in protected.hidden for i in members):
            continue
        cells = [
            _Cell(
                codes_of[i],
                _number(value[i]),
                status[i],
                knowledge.get(i),
                protected.hidden.get(i),
                protected.settled.get(i),
                protected.intervals.get(i),
            )
            for i in members
        ]
        group = tuple(names[members[0]])
        margins = {key[3:]: v for key, v in protected.margins.items() if key[:3] == group}
        read_as = protected.readings.get(group)
        tasks.append((cells, k, margins, release.versions.get(group, []), read_as))
        named.append(" ".join(map(str, group)))
    found = map_tables(_attack_table, tasks)  # the group is not in a task: equal tables once
    failures = [
        f"{group} {text}" for group, texts in zip(named, found, strict=True) for text in texts
    ]
    if failures:
        shown = "; ".join(failures[:5])
        raise DisclosureRefused(
            f"Release refused, nothing written: {len(failures)} suppressed cell(s) can be "
            f"narrowed by an intruder from what it would print ({shown}). This is a defect "
            "of nremstats's disclosure control: report it with the store."
        )


class _Cell(NamedTuple):
    """One cell of a table under audit: what is true, what is printed, what was decided."""

    key: tuple[str, ...]
    truth: int | None
    status: str
    printed: tuple[float, float] | None  # what the outputs say of it, when not a count
    hidden: str | None
    settled: str | None
    interval: tuple[float, float] | None  # the pattern's interval of it


def _attack_table(task: tuple[list[_Cell], int, dict, list[dict], Any]) -> list[str]:
    """The failures of one country-year-indicator's table under the intruder's attack, each
    naming its cell (``margins``: the pattern's interval and settled reason of each small
    margin the table leaves out and each cell of an earlier table, :attr:`Protected.margins`;
    ``versions``: the earlier tables of a revised return, read with the table now;
    ``read_as``: the pattern's readings of the relations, :attr:`Protected.readings`)."""
    cells, k, margins, versions, read_as = task
    truth = {c.key: c.truth for c in cells}
    past: dict[Key, bool] = {}
    earlier = dict(truth)
    relations = hierarchy_relations(truth)
    for n, version in enumerate(versions):
        relations += past_relations(n, version, truth, past, earlier)
    for key, shown in past.items():  # hidden then: kept as then (a small count: primary)
        value, (span, settled) = earlier[key], margins.get(key, (None, None))
        why = None if shown else PRIMARY if value and 0 < value < k else SECONDARY
        cells = [*cells, _Cell(key, value, "A", None, why, settled, span)]
    truth = {c.key: c.truth for c in cells}
    seen: dict[Key, int | None] = {}
    bounds: dict[Key, tuple[float, float | None]] = {}
    for c in cells:
        low, high = c.printed or (0.0, np.inf)
        if c.hidden is None and c.truth is not None:
            seen[c.key] = c.truth
        elif low == high:
            seen[c.key] = int(low)
        else:
            seen[c.key] = None
            bounds[c.key] = (low, None if high == np.inf else high)
    ranges = {c.key: c.printed for c in cells if c.printed and c.status == "Q"}
    failures: list[str] = []
    # every way an intruder can read the relations (as the pattern was chosen against,
    # unless the outputs print more of a range)
    if read_as and read_as[0] == read_ranges(truth, ranges):  # type: ignore[arg-type]
        every = [expand(relations, code) for code in read_as[1]]
    else:
        every = readings(truth, relations, ranges)  # type: ignore[arg-type]
    for read in every:
        found = _attack_reading(cells, k, margins, (seen, bounds, ranges), read)
        failures += [text for text in found if text not in failures]
    return failures


def _attack_reading(
    cells: list[_Cell],
    k: int,
    margins: dict,
    known: tuple[dict, dict, dict],
    relations: list,
) -> list[str]:
    """The failures of a table under one reading of its relations (``known``: what the
    outputs print of each cell, the bounds of the hidden ones, the countries' ranges)."""
    seen, bounds, ranges = known
    truth = {c.key: c.truth for c in cells}
    failed: list[str] = []
    hidden = [key for key, v in seen.items() if v is None]
    exact = worked_out(seen, relations, [*hidden, *_margins(relations, seen)]) & set(hidden)
    needs = {c.key: need for c in cells if (need := _need(c, bounds, k)) is not None}
    withheld = [c.key for c in cells if c.truth is None and c.key not in ranges]
    small = small_margins(truth, relations, k, ranges, withheld)  # type: ignore[arg-type]
    needs |= {key: protection(k, value) for key, value in small.items()}
    wanted = {key: need for key, need in needs.items() if seen.get(key) is None}
    found = intervals(seen, relations, hidden, wanted, bounds, wanted) if wanted else {}
    by_key = {c.key: c for c in cells}
    for c in cells:
        if c.hidden is None or c.settled == EARLIER:
            continue
        label = "/".join(map(str, c.key))
        if c.key in exact and c.settled is None:
            failed.append(f"{label}: worked out exactly")
        elif c.key in found and _narrowed(found[c.key], needs[c.key], c.interval, c.settled):
            failed.append(f"{label}: {found[c.key][0]:g} to {found[c.key][1]:g}")
    for key in small:  # margins no output prints, cells printed with no count (``..``)
        cell = by_key.get(key)
        if cell is not None and cell.hidden is not None:
            continue  # above
        pattern = (cell.interval, cell.settled) if cell else margins.get(key, (None, None))
        if _narrowed(found[key], needs[key], *pattern):
            low, high = found[key]
            name = "/".join(map(str, key))
            failed.append(f"{name} (a count not printed): {low:g} to {high:g}")
    return failed


def _narrowed(
    found: tuple[float, float],
    need: tuple[float, float],
    before: tuple[float, float] | None,
    settled: str | None,
) -> bool:
    """Narrower than its need, and (for a settled cell) than the pattern left it."""
    low, high = found
    if low <= need[0] + 1e-6 and high >= need[1] - 1e-6:
        return False
    return not (settled and before and low <= before[0] + 1e-6 and high >= before[1] - 1e-6)


def _need(
    cell: _Cell, bounds: dict[Key, tuple[float, float | None]], k: int
) -> tuple[float, float] | None:
    """The interval the intruder must not narrow: a count under k's protection, the bounds
    of a cell the country suppressed (None: no interval to keep)."""
    if cell.hidden == PRIMARY:
        return protection(k, cell.truth or 0, bounds.get(cell.key, (0, None))[1])
    low, high = bounds.get(cell.key, (0, None))
    if cell.hidden == SENDER and high is not None:
        return float(low), float(high)
    return None


def _margins(relations: list, seen: dict[Key, int | None]) -> list[Key]:
    return [key for t, ps in relations for key in (t, *ps) if key not in seen]


def _number(value: Any) -> int | None:
    if value is None or value != value:
        return None
    return int(value)
