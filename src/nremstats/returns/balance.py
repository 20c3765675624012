"""Balance rules: every total against the sum of its parts, over each declared hierarchy.

Suppressed and ranged cells count by their bounds (an exact value v is [v, v]; ``<5`` is
[0, 4]; a value not available or confidential is [0, unbounded)), so a finding is made only
when no value inside the bounds can make the balance hold. Group ids are built once per
dimension from integer codes, so the checks stay vectorised on millions of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.core.findings import Finding, finding
from nremstats.core.model import DIMENSIONS, KEY_COLUMNS, TOTAL
from nremstats.returns.located import Located
from nremstats.returns.rules import RuleSet

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

OVER = "BALANCE_PARTS_EXCEED_TOTAL"
UNDER = "BALANCE_TOTAL_EXCEEDS_PARTS"


def bounds(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (low, high) of each observation: exact values, ranges, or 0..inf when unknown."""
    import numpy as np

    exact = frame["value"].notna()
    low = frame["value"].where(exact, frame["lower"]).fillna(0).astype("float64")
    high = frame["value"].where(exact, frame["upper"]).astype("float64").fillna(np.inf)
    return low.to_numpy(), high.to_numpy()


class GroupIds:
    """Integer group ids over the key columns except one dimension, computed once each."""

    def __init__(self, frame: pd.DataFrame) -> None:
        import pandas as pd

        self.low, self.high = bounds(frame)
        factorized = {c: pd.factorize(frame[c], use_na_sentinel=False) for c in KEY_COLUMNS}
        self.codes = {c: found[0] for c, found in factorized.items()}
        #: each key column's distinct values, in the order of its codes
        self.uniques = {c: found[1] for c, found in factorized.items()}
        self.sizes = {c: int(v.max()) + 1 if len(v) else 1 for c, v in self.codes.items()}
        self._cache: dict[str, np.ndarray] = {}
        self.frame = frame
        self._columns: dict[str, np.ndarray] = {}
        self._lists: dict[str, list[object]] = {}

    def equals(self, column: str, value: object) -> np.ndarray:
        """Which rows hold ``value`` in a key column (compared on the integer codes)."""
        import numpy as np

        where = np.flatnonzero(np.asarray(self.uniques[column], dtype=object) == value)
        if not len(where):
            return np.zeros(len(self.codes[column]), dtype=bool)
        return self.codes[column] == int(where[0])

    def values(self, column: str, positions: np.ndarray) -> list[object]:
        """A key column's values at some positions (without converting the whole column)."""
        if column not in self._lists:  # indexing a pandas Index item by item is slow
            self._lists[column] = self.uniques[column].tolist()
        uniques = self._lists[column]
        return [uniques[code] for code in self.codes[column][positions].tolist()]

    def column(self, name: str) -> np.ndarray:
        """A column as an object array (nulls as None), converted once."""
        if name not in self._columns:
            self._columns[name] = self.frame[name].to_numpy(dtype=object, na_value=None)
        return self._columns[name]

    def without(self, dim: str) -> np.ndarray:
        if dim not in self._cache:
            import numpy as np
            import pandas as pd

            key = np.zeros(len(self.codes[dim]), dtype="int64")
            for column in KEY_COLUMNS:
                if column != dim:
                    key = key * self.sizes[column] + self.codes[column]
            self._cache[dim] = pd.factorize(key)[0]
        return self._cache[dim]


def _members(frame: pd.DataFrame, dim: str, parts: Any) -> np.ndarray:
    if parts == "countries":  # single citizenships: any code that is not a special code
        return (~frame[dim].isin(codes.codes(dim))).to_numpy()
    return frame[dim].isin(parts).to_numpy()


def _part_mask(frame: pd.DataFrame, gid: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Rows that count as parts: the direct parts, plus the members of a part not reported."""
    import numpy as np

    dim = spec["dim"]
    mask = _members(frame, dim, spec["parts"]).copy()
    size = int(gid.max()) + 1
    for part, members in (spec.get("roll_up") or {}).items():
        reported = np.bincount(gid[(frame[dim] == part).to_numpy()], minlength=size) > 0
        mask |= _members(frame, dim, members) & ~reported[gid]
    return mask


def check_hierarchy(
    frame: pd.DataFrame,
    located: Located,
    name: str,
    ruleset: RuleSet,
    ids: GroupIds,
    multiple_counting: bool | None = None,
) -> list[Finding]:
    """Check one hierarchy in both directions; return the findings (sorted by place)."""
    import numpy as np

    spec = codes.hierarchies()[name]
    dim = spec["dim"]
    gid = ids.without(dim)
    is_total = (frame[dim] == spec["total"]).to_numpy()
    if not is_total.any():
        return []
    is_part = _part_mask(frame, gid, spec)
    if not is_part.any():
        return []
    low, high = ids.low, ids.high
    size = int(gid.max()) + 1
    part_low = np.bincount(gid[is_part], weights=low[is_part], minlength=size)
    part_high = np.bincount(gid[is_part], weights=high[is_part], minlength=size)
    has_parts = np.bincount(gid[is_part], minlength=size) > 0
    rows = np.flatnonzero(is_total & has_parts[gid])
    g = gid[rows]
    findings: list[Finding] = []
    places = _Places(ids, gid, is_part)
    flagged: list[tuple[str, np.ndarray]] = []  # (rule, which total rows break it)
    if ruleset.enabled(OVER) and name in ruleset.param(OVER, "hierarchies"):
        excess = part_low[g] - high[rows]
        admitted = _admitted(ruleset, OVER, frame, rows)
        flagged.append((OVER, admitted & (excess > ruleset.param(OVER, "tolerance"))))
    if ruleset.enabled(UNDER) and name in ruleset.param(UNDER, "hierarchies"):
        short = low[rows] - part_high[g]
        allowed = np.maximum(
            ruleset.param(UNDER, "tolerance"), ruleset.param(UNDER, "tolerance_share") * low[rows]
        )
        admitted = _admitted(ruleset, UNDER, frame, rows)
        flagged.append((UNDER, admitted & (short > allowed)))
    for rule, hit in flagged:
        for i in np.flatnonzero(hit):
            sums = (part_low[g[i]], part_high[g[i]])
            findings.append(
                _finding(
                    rule, places, located, spec, rows[i], g[i], low, high, *sums, multiple_counting
                )
            )
    return findings


def _admitted(ruleset: RuleSet, rule: str, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Which total rows the rule's ``indicators`` parameter admits."""
    import numpy as np

    chosen = ruleset.param(rule, "indicators")
    if chosen == "all":
        return np.ones(len(rows), dtype=bool)
    return frame["indicator"].iloc[rows].isin(list(chosen)).to_numpy()


def _show(low: float, high: float) -> str:
    if low == high:
        return str(int(low))
    return f"{int(low)}-{'?' if high == float('inf') else int(high)}"


class _Places:
    """The columns a balance finding quotes, as arrays, and the parts of each group."""

    COLUMNS = (*DIMENSIONS, "country", "indicator", "year", "sheet", "cell", "row", "text")

    def __init__(self, ids: GroupIds, gid: np.ndarray, is_part: np.ndarray) -> None:
        import numpy as np

        self.columns = {name: ids.column(name) for name in self.COLUMNS}
        parts = np.flatnonzero(is_part)
        self.order = parts[np.argsort(gid[parts], kind="stable")]
        self.groups = gid[self.order]

    def record(self, row: int) -> dict[str, Any]:
        return {name: values[row] for name, values in self.columns.items()}

    def part_cells(self, group: int) -> list[str]:
        import numpy as np

        lo, hi = np.searchsorted(self.groups, [group, group + 1])
        return [str(c) for c in self.columns["cell"][self.order[lo:hi]]]


def _finding(
    rule: str,
    places: _Places,
    located: Located,
    spec: dict[str, Any],
    row: int,
    group: int,
    low: np.ndarray,
    high: np.ndarray,
    sum_low: float,
    sum_high: float,
    multiple_counting: bool | None,
) -> Finding:
    total = places.record(row)
    whole, summed = _show(low[row], high[row]), _show(sum_low, sum_high)
    severity = None  # the rule's own, unless the return says persons may count twice
    label = spec.get("label", f"by {spec['dim']}")
    if rule == OVER:
        what = f"the parts {label} add up to {summed}, more than the total {whole}"
        if multiple_counting:
            severity = "warning"
            fix = "The return says a person may be counted in several categories: confirm."
        else:
            fix = (
                "Correct the parts or the total; if a person may be counted in several "
                "categories, say so in the metadata."
            )
    else:
        what = f"the total {whole} is more than its parts {label}, which add up to {summed}"
        fix = "Report the rest as unknown (_U) if that is what it is."
    dim = spec["dim"]
    within = ", ".join(f"{d} {total[d]}" for d in DIMENSIONS if total[d] != TOTAL and d != dim)
    where = f"{total['country']} {total['indicator']} {total['year']}"
    if total[dim] != TOTAL:
        within = ", ".join(filter(None, [f"{dim} {total[dim]}", within]))
    where += f" ({within})" if within else ""
    cells = places.part_cells(group)
    return finding(
        rule,
        located.file,
        f"{where}: {what}. {fix}",
        severity=severity,
        sheet=total["sheet"] or None,
        cell=total["cell"],
        cells=(total["cell"], *cells),
        row=int(total["row"]),
        text=str(total["text"]),
    )


def check_balances(
    frame: pd.DataFrame,
    located: Located,
    ruleset: RuleSet,
    multiple_counting: bool | None = None,
    ids: GroupIds | None = None,
) -> list[Finding]:
    """Run the balance rules over every declared hierarchy (``ids``: the frame's group ids,
    when another check made them already)."""
    if frame.empty:
        return []
    ids = ids or GroupIds(frame)
    findings: list[Finding] = []
    for name in codes.hierarchies():
        findings += check_hierarchy(frame, located, name, ruleset, ids, multiple_counting)
    return sorted(findings, key=lambda f: (f.sheet or "", f.row or 0, f.cell or "", f.rule))
