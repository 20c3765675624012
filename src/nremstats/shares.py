"""Breakdown shares for publication: share female, children, foreign nationals, forms.

A share is a part's count as a percentage of the total *of the same submission* that the
comparison table shows for that country and year (one provider per country-year, chosen by
priority), so a share never mixes providers or victim definitions. The shares to publish are
declared in ``schemas/publication.yaml`` (``shares``).

The parts and totals a report publishes through its shares go through disclosure control
together (:func:`nremstats.disclosure.protect_observations`), the totals fixed as the
indicator sheets publish them: a part under the threshold is shown as a range of shares
(``0.0-3.8``, what ``<5`` means), a part hidden so that no other can be worked out as ``c``,
a part the country suppressed as the range of its bounds (``c`` without bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nremstats import codes
from nremstats.disclosure import PRIMARY, SECONDARY, SENDER, protect_observations

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.query import ComparisonTable
    from nremstats.store import Store

DIMENSIONS = ("sex", "age", "exploitation", "citizenship")


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
        specs.append(ShareSpec(entry["name"], entry["title"], entry.get("chart", entry["title"]),
                               entry["dim"], tuple(entry["parts"]), entry.get("headline"),
                               dict(entry.get("labels") or {}), tuple(indicators)))  # fmt: skip
    return specs


@dataclass(frozen=True, slots=True)
class Share:
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


def _share(row: Any, total: int, reason: str | None, k: int) -> Share:
    """The share of one part row (``value``, ``obs_status``, ``lower``, ``upper``)."""
    if reason == PRIMARY:
        return Share(0.0, 100.0 * min(k - 1, total) / total)
    if reason == SENDER and row.lower is not None and row.upper is not None:
        return Share(100.0 * row.lower / total, 100.0 * row.upper / total)
    if reason in (SENDER, SECONDARY):
        return Share(mark="c")
    if row.value is None:
        return Share(mark="z" if row.obs_status == "M" else "..")
    return Share(100.0 * row.value / total, 100.0 * row.value / total)


def _published_rows(store: Store, table: ComparisonTable, specs: list[ShareSpec]) -> pd.DataFrame:
    """The totals and declared parts of the submissions the table shows (one provider per
    country-year), one breakdown at a time, as a frame."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chosen = [(c, y, cell.submission_id) for (c, y), cell in table.cells.items()]
    columns = ["country", "year", "submission_id", *DIMENSIONS, "value", "obs_status",
               "lower", "upper"]  # fmt: skip
    rows = store.observation_table(where={"indicator": table.indicator}, columns=columns)
    keys = pa.table({"country": [c for c, _, _ in chosen], "year": [y for _, y, _ in chosen],
                     "submission_id": [s for _, _, s in chosen]})  # fmt: skip
    keys = keys.cast(rows.select(["country", "year", "submission_id"]).schema)
    rows = rows.join(keys, ["country", "year", "submission_id"], join_type="inner")
    broken = [pc.not_equal(rows.column(d), "_T") for d in DIMENSIONS]
    count = pc.add(pc.add(broken[0].cast("int8"), broken[1].cast("int8")),
                   pc.add(broken[2].cast("int8"), broken[3].cast("int8")))  # fmt: skip
    keep = pc.equal(count, 0)
    for spec in specs:
        keep = pc.or_(
            keep, pc.and_(pc.equal(count, 1), pc.is_in(rows.column(spec.dim), pa.array(spec.parts)))
        )
    import pandas as pd

    rows = rows.filter(keep)  # counts stay Python ints, a missing one None (never NaN)
    frame = pd.DataFrame({name: rows.column(name).to_pylist() for name in columns}, dtype=object)
    frame["indicator"] = table.indicator
    return frame


def breakdown_shares(
    store: Store, tables: list[ComparisonTable], k: int
) -> tuple[list[ShareTable], list[dict[str, Any]]]:
    """The declared shares of every table (already through disclosure control), and the audit
    records of the parts suppressed for them."""
    out: list[ShareTable] = []
    audit: list[dict[str, Any]] = []
    specs = share_specs()
    for table in tables:
        wanted = [s for s in specs if table.indicator in s.indicators]
        if not wanted or not table.cells:
            continue
        frame = _published_rows(store, table, wanted)
        if frame.empty:
            continue
        totals_mask = (frame[list(DIMENSIONS)] == "_T").all(axis=1)
        hidden = protect_observations(frame, k, fixed=frame.index[totals_mask]).hidden
        totals = {(r.country, r.year): r.value for r in frame[totals_mask].itertuples()}
        found = {spec.name: ShareTable(spec, table.indicator) for spec in wanted}
        for i, row in zip(frame.index, frame.itertuples(), strict=True):
            if totals_mask[i]:
                continue
            key = (row.country, row.year)
            total = totals.get(key)
            table_cell = table.cells[key]
            for spec in wanted:
                part = getattr(row, spec.dim)
                if part not in spec.parts:
                    continue
                shares = found[spec.name]
                if table_cell.value is None or not total:  # no exact total to divide by
                    shares.cells.setdefault(key, {})[part] = Share(mark="..")
                    continue
                shares.totals[key] = total
                shares.cells.setdefault(key, {})[part] = _share(row, total, hidden.get(i), k)
            reason = hidden.get(i)
            if reason in (PRIMARY, SECONDARY):
                audit.append(_audit(table.indicator, row, reason, k))
        out += [shares for shares in found.values() if shares.cells]
    return out, audit


def _audit(indicator: str, row: Any, reason: str, k: int) -> dict[str, Any]:
    part = next(f"{d} {getattr(row, d)}" for d in DIMENSIONS if getattr(row, d) != "_T")
    why = (
        f"a count under {k} (primary suppression)"
        if reason == PRIMARY
        else "would let a suppressed part be worked out from its total and the other parts "
        "(secondary suppression)"
    )
    return {"indicator": indicator, "country": row.country, "year": int(row.year),
            "breakdown": part, "reason": reason, "why": why}  # fmt: skip
