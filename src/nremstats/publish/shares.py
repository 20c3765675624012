"""Breakdown shares for publication: share female, children, foreign nationals, forms.

A share is a part's count as a percentage of the total *of the same submission* that the
comparison table shows for that country and year (one provider per country-year, chosen by
priority), so a share never mixes providers or victim definitions. The shares to publish are
declared in ``schemas/publication.yaml`` (``shares``).

The parts and totals a report publishes through its shares go through disclosure control
together (:func:`nremstats.publish.disclosure.protect_observations`), the totals fixed as the
indicator sheets publish them: a part under the threshold is shown as a range of shares
(``0.0-3.8``, what ``<5`` means), a part hidden so that no other can be worked out as ``c``,
a part the country suppressed as the range of its bounds (``c`` without bounds).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nremstats.core import codes
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.publish.disclosure import PRIMARY, SECONDARY, SENDER, protect_observations
from nremstats.publish.tables import ComparisonTable

if TYPE_CHECKING:
    import pyarrow as pa

    from nremstats.store.store import Store


@dataclass(frozen=True)
class ShareSpec:
    """One declared share (``shares`` in ``schemas/publication.yaml``)."""

    name: str
    title: str
    chart: str
    dim: str
    parts: tuple[str, ...]
    headline: str | None
    labels: dict[str, str]
    indicators: tuple[str, ...]

    def label(self, part: str) -> str:
        return self.labels.get(part) or codes.label(self.dim, part)


def share_specs() -> list[ShareSpec]:
    """The shares declared for publication, in declaration order."""
    specs = []
    for entry in codes.load_declaration("publication.yaml").get("shares") or []:
        wanted = entry.get("indicators", "all")
        indicators = codes.ordered_codes("indicator") if wanted == "all" else wanted
        specs.append(
            ShareSpec(
                entry["name"],
                entry["title"],
                entry.get("chart", entry["title"]),
                entry["dim"],
                tuple(entry["parts"]),
                entry.get("headline"),
                dict(entry.get("labels") or {}),
                tuple(indicators),
            )
        )
    return specs


class Share(NamedTuple):
    """A share in percent: exact (``low == high``), a range, or a mark (``c``, ``..``, ``z``)."""

    low: float | None = None
    high: float | None = None
    mark: str = ""

    @property
    def exact(self) -> bool:
        return not self.mark and self.low == self.high

    @property
    def text(self) -> str:
        if self.mark:
            return self.mark
        if self.exact:
            return f"{self.low:.1f}"
        return f"{self.low:.1f}-{self.high:.1f}"


NOT_AVAILABLE = Share(mark="..")


@dataclass
class ShareTable:
    """One share of one indicator: (country, year) -> part -> share, with the total each
    share is a percentage of."""

    spec: ShareSpec
    indicator: str
    cells: dict[tuple[str, int], dict[str, Share]] = field(default_factory=dict)
    totals: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def countries(self) -> list[str]:
        return sorted({c for c, _ in self.cells})

    @property
    def years(self) -> list[int]:
        return sorted({y for _, y in self.cells})


def _share(
    value: Any, status: Any, bounds: tuple[Any, Any], total: int, reason: str | None, k: int
) -> Share:
    """The share of one part (its count, status and bounds) in a total."""
    if reason == PRIMARY:
        return Share(0.0, 100.0 * min(k - 1, total) / total)
    if reason == SENDER and bounds[0] is not None and bounds[1] is not None:
        return Share(100.0 * bounds[0] / total, 100.0 * bounds[1] / total)
    if reason in (SENDER, SECONDARY):
        return Share(mark="c")
    if value is None:
        return Share(mark="z") if status == "M" else NOT_AVAILABLE
    return Share(100.0 * value / total, 100.0 * value / total)


_COLUMNS = [
    "indicator",
    "country",
    "year",
    "submission_id",
    *DIMENSIONS,
    "value",
    "obs_status",
    "lower",
    "upper",
]


def _published_rows(
    store: Store, tables: list[ComparisonTable], specs: list[ShareSpec], upto: int | None = None
) -> Any:
    """The totals and declared parts of the submissions the tables show (one provider per
    country-year), one breakdown at a time: one read of the store, as an Arrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    total = [ds.field(d) == TOTAL for d in DIMENSIONS]
    at_most_one = functools.reduce(operator.or_, (a & b & c for a, b, c in combinations(total, 3)))
    wanted = sorted({t.indicator for t in tables})
    condition = ds.field("indicator").isin(wanted) & at_most_one
    rows = store.observation_table(upto=upto, columns=_COLUMNS, condition=condition)
    chosen = [
        (t.indicator, c, y, cell.submission_id) for t in tables for (c, y), cell in t.cells.items()
    ]
    keys = pa.table(dict(zip(_COLUMNS[:4], map(list, zip(*chosen, strict=True)), strict=True)))
    keys = keys.cast(rows.select(_COLUMNS[:4]).schema)
    rows = rows.join(keys, _COLUMNS[:4], join_type="inner")
    keep = pc.and_(*(pc.equal(rows.column(d), TOTAL) for d in DIMENSIONS[:2]))
    keep = pc.and_(keep, pc.and_(*(pc.equal(rows.column(d), TOTAL) for d in DIMENSIONS[2:])))
    for spec in specs:
        declared = pc.and_(
            pc.is_in(rows.column("indicator"), pa.array(spec.indicators)),
            pc.is_in(rows.column(spec.dim), pa.array(spec.parts)),
        )
        keep = pc.or_(keep, declared)
    # a join's rows come in no set order: sort, so that the same store gives the same rows,
    # the same suppression choices and the same report
    return rows.filter(keep).select(_COLUMNS).sort_by([(c, "ascending") for c in _COLUMNS[:8]])


def _all_totals(rows: pa.Table) -> np.ndarray:
    import pyarrow.compute as pc

    found = [pc.equal(rows.column(d), TOTAL) for d in DIMENSIONS]
    both = pc.and_(pc.and_(found[0], found[1]), pc.and_(found[2], found[3]))
    return both.to_numpy(zero_copy_only=False)


def _protect(rows: pa.Table, is_total: np.ndarray, k: int) -> dict[int, str]:
    """Disclosure control of the published rows (keys: row numbers), totals fixed. Only the
    country-years with a count under ``k`` or a cell the country suppressed can hide
    anything, so only their rows go to :func:`protect_observations`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value = rows.column("value")
    small = pc.and_(pc.greater(value, 0), pc.less(value, k))
    flagged = pc.or_kleene(small, pc.equal(rows.column("obs_status"), "Q")).fill_null(False)
    key = ["indicator", "country", "year"]
    groups = rows.filter(flagged).select(key).group_by(key).aggregate([])
    if not groups.num_rows:
        return {}
    numbered = rows.append_column("row", pa.array(np.arange(rows.num_rows)))
    frame = numbered.join(groups, key, join_type="inner").to_pandas().set_index("row")
    frame = frame.sort_index()  # a join gives rows in no set order
    fixed = frame.index[frame.index.isin(np.flatnonzero(is_total))]
    return protect_observations(frame, k, fixed=fixed).hidden


def _parts(rows: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The dimension and the code of the one breakdown of each row (``""`` and ``_T`` for a
    total)."""
    dim = np.full(rows.num_rows, "", dtype=object)
    code = np.full(rows.num_rows, TOTAL, dtype=object)
    for name in reversed(DIMENSIONS):  # at most one is not a total
        values = rows.column(name).to_numpy(zero_copy_only=False).astype(object)
        broken = values != TOTAL
        dim[broken], code[broken] = name, values[broken]
    return dim, code


def breakdown_shares(
    store: Store, tables: list[ComparisonTable], k: int, upto: int | None = None
) -> tuple[list[ShareTable], list[dict[str, Any]]]:
    """The declared shares of every table (already through disclosure control), and the audit
    records of the parts suppressed for them; ``upto`` a past state of the store, as the
    tables were made from."""
    specs = share_specs()
    tables = [t for t in tables if t.cells and any(t.indicator in s.indicators for s in specs)]
    if not tables:
        return [], []
    rows = _published_rows(store, tables, specs, upto)
    is_total = _all_totals(rows)
    hidden = _protect(rows, is_total, k)
    names = ("indicator", "country", "year", "value", "obs_status", "lower", "upper")
    lists = {name: rows.column(name).to_pylist() for name in names}
    totals = {
        (i, c, y): v
        for i, c, y, v, t in zip(
            lists["indicator"],
            lists["country"],
            lists["year"],
            lists["value"],
            is_total,
            strict=True,
        )
        if t
    }
    # a share only of a total the table publishes exactly (same indicator, country, year)
    exact = {
        (t.indicator, *key)
        for t in tables
        for key, cell in t.cells.items()
        if cell.value is not None
    }
    spec_of = {(i, s.dim): s for s in specs for i in s.indicators}
    found: dict[tuple[str, str], ShareTable] = {}
    audit: list[dict[str, Any]] = []
    wanted = np.flatnonzero(~is_total)
    columns = [np.asarray(lists[name], dtype=object)[wanted].tolist() for name in names]
    dims, parts = (found[wanted].tolist() for found in _parts(rows))
    for n, dim, part, indicator, country, year, value, status, lower, upper in zip(
        wanted.tolist(), dims, parts, *columns, strict=True
    ):
        spec = spec_of[(indicator, dim)]
        share = found.get((spec.name, indicator))
        if share is None:
            share = found[(spec.name, indicator)] = ShareTable(spec, indicator)
        key = (country, year)
        whole = totals.get((indicator, country, year))
        reason = hidden.get(n)
        if not whole or (indicator, country, year) not in exact:  # nothing exact to divide by
            found_share = NOT_AVAILABLE
        elif reason is None and value is not None:
            percent = 100.0 * value / whole
            found_share = Share(percent, percent)
        else:
            found_share = _share(value, status, (lower, upper), whole, reason, k)
        if found_share is not NOT_AVAILABLE:
            share.totals[key] = whole
        cells = share.cells.get(key)
        if cells is None:
            cells = share.cells[key] = {}
        cells[part] = found_share
        if reason in (PRIMARY, SECONDARY):
            audit.append(_audit(indicator, country, year, f"{dim} {part}", reason, k))
    order = {
        (s.name, t.indicator): n for n, (t, s) in enumerate((t, s) for t in tables for s in specs)
    }
    return [found[key] for key in sorted(found, key=order.__getitem__)], audit


def _audit(
    indicator: str, country: str, year: int, part: str, reason: str, k: int
) -> dict[str, Any]:
    why = (
        f"a count under {k} (primary suppression)"
        if reason == PRIMARY
        else "would let a suppressed part be worked out from its total and the other parts "
        "(secondary suppression)"
    )
    return {
        "indicator": indicator,
        "country": country,
        "year": year,
        "breakdown": part,
        "reason": reason,
        "why": why,
    }
