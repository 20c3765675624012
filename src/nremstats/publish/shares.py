"""Breakdown shares for publication: share female, children, foreign nationals, forms.

A share is a part's count as a percentage of the total *of the same submission* that the
comparison table shows for that country and year (one provider per country-year, chosen by
priority), so a share never mixes providers or victim definitions. The shares to publish are
declared in ``schemas/publication.yaml`` (``shares``).

Shares print what the release prints, nothing more (:mod:`nremstats.publish.release`: one
suppression pattern for every output): a part the release hides is ``c`` whatever the reason
(a range for a small count would say why it is hidden, and narrow it), a part the country
gave as a range the range of its shares, and a share only of a total printed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nremstats.core import codes
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.publish.disclosure import SENDER
from nremstats.publish.release import Release
from nremstats.publish.tables import ComparisonTable

if TYPE_CHECKING:
    import pandas as pd


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


def _share(bounds: tuple[Any, Any], total: int, reason: str) -> Share:
    """The share of a hidden part: the range of the country's own bounds, else ``c`` (one
    mark for every reason: a range for a small count would say why it is hidden)."""
    if reason == SENDER and bounds[0] is not None and bounds[1] is not None:
        return Share(100.0 * bounds[0] / total, 100.0 * bounds[1] / total)
    return Share(mark="c")


def _parts(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dimension and the code of the one breakdown of each row (``""`` and ``_T`` for a
    total), and which rows have at most one breakdown."""
    dim = np.full(len(rows), "", dtype=object)
    code = np.full(len(rows), TOTAL, dtype=object)
    broken_count = np.zeros(len(rows), dtype=int)
    for name in reversed(DIMENSIONS):
        values = rows[name].to_numpy(dtype=object)
        broken = values != TOTAL
        broken_count += broken
        dim[broken], code[broken] = name, values[broken]
    return dim, code, broken_count <= 1


def breakdown_shares(
    release: Release, tables: list[ComparisonTable]
) -> tuple[list[ShareTable], dict[int, tuple[float, float]], list[int]]:
    """The declared shares of every table, from the release's rows and pattern (a share only
    of a total the table prints exactly; a hidden part ``c``, a part the country gave as a
    range the range of its shares). Returns the share tables, what their printed shares say
    of each row's count (for the release's audit: a share rounded to one decimal times its
    total is an interval of the count) and the rows the shares print."""
    specs = share_specs()
    tables = [t for t in tables if t.cells and any(t.indicator in s.indicators for s in specs)]
    if not tables or release.rows.empty:
        return [], {}, []
    rows = release.rows
    dims, parts, single = _parts(rows)
    key = list(zip(rows["indicator"], rows["country"], rows["year"], strict=True))
    exact = {
        (t.indicator, *k): cell.value
        for t in tables
        for k, cell in t.cells.items()
        if cell.value is not None
    }
    hidden = release.protected.hidden
    totals = {key[i]: exact[key[i]] for i in np.flatnonzero(dims == "") if key[i] in exact}
    spec_of = {(i, s.dim, p): s for s in specs for i in s.indicators for p in s.parts}
    shown = {(t.indicator, *k) for t in tables for k in t.cells}
    value, status = (
        rows["value"].to_numpy(dtype=object, na_value=None),
        rows["obs_status"].to_numpy(dtype=object),
    )
    lower = rows["lower"].to_numpy(dtype=object, na_value=None)
    upper = rows["upper"].to_numpy(dtype=object, na_value=None)
    found: dict[tuple[str, str], ShareTable] = {}
    printed: dict[int, tuple[float, float]] = {}
    covered: list[int] = []
    for n in np.flatnonzero(single & (dims != "")).tolist():
        spec = spec_of.get((key[n][0], dims[n], parts[n]))
        if spec is None or key[n] not in shown:
            continue
        share = found.get((spec.name, key[n][0]))
        if share is None:
            share = found[(spec.name, key[n][0])] = ShareTable(spec, key[n][0])
        whole = totals.get(key[n])
        count = None if value[n] is None or value[n] != value[n] else int(value[n])
        if not whole:  # nothing exact to divide by
            found_share = NOT_AVAILABLE
        elif n in hidden:
            found_share = _share((_number(lower[n]), _number(upper[n])), whole, hidden[n])
        elif count is None:
            found_share = Share(mark="z") if status[n] == "M" else NOT_AVAILABLE
        else:
            found_share = Share(100.0 * count / whole, 100.0 * count / whole)
        if found_share is not NOT_AVAILABLE:
            share.totals[key[n][1:]] = whole
            covered.append(n)
        share.cells.setdefault(key[n][1:], {})[parts[n]] = found_share
        if found_share.low is not None and found_share.high is not None:
            low, high = round(found_share.low, 1), round(found_share.high, 1)
            printed[n] = ((low - 0.05) * whole / 100, (high + 0.05) * whole / 100)
    order = {
        (s.name, t.indicator): n for n, (t, s) in enumerate((t, s) for t in tables for s in specs)
    }
    return [found[k] for k in sorted(found, key=order.__getitem__)], printed, covered


def _number(value: Any) -> int | None:
    return None if value is None or value != value else int(value)
