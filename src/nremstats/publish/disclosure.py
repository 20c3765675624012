"""Disclosure control for published tables: primary and secondary cell suppression.

A published table is cells (keys with counts) and the linear relations between them that
the table shows or implies: a total is the sum of its parts (sex, age, form, citizenship;
a regional aggregate of its countries). Primary suppression hides every count from 1 to
``k - 1``. Secondary suppression then hides more cells until no hidden cell can be worked out
from the relations and the cells still published: a relation with one hidden cell gives it
away, and so can several relations together. :func:`determined` is the attacker: it solves
the published relations (linear algebra on the hidden cells) and names every hidden cell
whose value follows exactly; :func:`protect` suppresses until it names none.

Cells a country already suppressed (``<5``, ``c``) stay as they are and count as hidden.
Every suppression is recorded with its reason, for the audit listing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.model import DIMENSIONS
from nremstats.publish.tables import ComparisonTable

if TYPE_CHECKING:
    import pandas as pd

Key = Hashable
#: A relation: (total, parts) meaning total = sum(parts).
Relation = tuple[Key, tuple[Key, ...]]
PRIMARY, SECONDARY, SENDER = "primary", "secondary", "sender"


@dataclass
class Protected:
    """The result: what is hidden and why (``primary``: under k; ``secondary``: would give
    a hidden cell away; ``sender``: suppressed by the country)."""

    k: int
    hidden: dict[Key, str] = field(default_factory=dict)

    def audit(self) -> list[dict[str, object]]:
        """One record per hidden cell, for the audit listing (sheet, html, json)."""
        why = {
            PRIMARY: f"a count under {self.k} (primary suppression)",
            SECONDARY: "would let a suppressed cell be worked out from the table's totals "
            "(secondary suppression)",
            SENDER: "suppressed by the country that sent it",
        }
        return [
            {"cell": key, "reason": reason, "why": why[reason]}
            for key, reason in self.hidden.items()
        ]


def threshold(k: int | None = None) -> int:
    """The suppression threshold: ``k``, else ``suppress_below`` of ``schemas/publication.yaml``.

    Raises:
        OptionError: a threshold below 1.
    """
    if k is None:
        k = int(codes.load_declaration("publication.yaml")["suppress_below"])
    if k < 1:
        raise OptionError(f"--suppress-below {k}: write a whole number of 1 or more.")
    return k


def _matrix(relations: list[Relation], hidden: list[Key]) -> np.ndarray:
    """Each relation's coefficients on the hidden cells (total +1, parts -1)."""
    index = {key: i for i, key in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row = np.zeros(len(hidden))
        for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if key in index:
                row[index[key]] += sign
        if row.any():
            rows.append(row)
    return np.array(rows) if rows else np.zeros((0, len(hidden)))


def determined(relations: Iterable[Relation], hidden: Iterable[Key]) -> set[Key]:
    """The hidden cells an attacker works out exactly from the relations and the published
    cells: those the relations leave no freedom to (every solution of the relations restricted
    to the hidden cells gives them the same value, i.e. the null space of the relations has
    no component along them)."""
    hidden = list(dict.fromkeys(hidden))
    matrix = _matrix(list(relations), hidden)
    if not len(matrix):
        return set()
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
    free = vt[rank:]  # a basis of the directions the relations leave free
    return {key for i, key in enumerate(hidden) if not np.any(np.abs(free[:, i]) > 1e-9)}


def intervals(
    cells: dict[Key, int | None],
    relations: list[Relation],
    hidden: Iterable[Key],
    targets: Iterable[Key],
    bounds: dict[Key, tuple[float, float | None]] | None = None,
) -> dict[Key, tuple[float, float]]:
    """The intruder's interval for each target cell: its smallest and largest value over
    every table consistent with what is published (the published counts, the relations,
    every count 0 or more, the bounds of ranges such as ``<5``), by linear programming
    (HiGHS through scipy). Unknowns: the hidden cells, cells published without a number
    (``..``), and cells the relations name but the table does not show."""
    from scipy.optimize import linprog

    bounds = bounds or {}
    unknown = list(
        dict.fromkeys(
            [
                *hidden,
                *(k for t, ps in relations for k in (t, *ps) if cells.get(k) is None),
            ]
        )
    )
    hidden_set = set(unknown)
    index = {key: i for i, key in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in relations:
        row, known = np.zeros(len(unknown)), 0.0
        for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if key in hidden_set:
                row[index[key]] += sign
            else:
                known += sign * float(cells[key])  # type: ignore[arg-type]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    box = [bounds.get(key, (0.0, None)) for key in unknown]
    out: dict[Key, tuple[float, float]] = {}
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    for key in targets:
        if key not in index:
            value = float(cells[key] or 0)
            out[key] = (value, value)
            continue
        c = np.zeros(len(unknown))
        c[index[key]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            found = linprog(sign * c, A_eq=a_eq, b_eq=b_eq, bounds=box, method="highs")
            if found.status == 3:  # unbounded: no largest value
                ends.append(-np.inf if sign > 0 else np.inf)
            elif found.status != 0:
                raise RuntimeError(f"the intruder's model has no solution ({found.message})")
            else:
                ends.append(sign * found.fun)
        out[key] = (ends[0], ends[1])
    return out


def protection(k: int, value: int) -> tuple[float, float]:
    """The interval an intruder must not narrow for a count under ``k``: it may be as small
    as 1 and as large as ``k - 1``, and ``upper_protection`` more than the count (see
    ``schemas/publication.yaml``)."""
    upper = float(codes.load_declaration("publication.yaml").get("upper_protection", 1))
    return 1.0, max(float(k - 1), value + upper)


def holds(
    cells: dict[Key, int | None],
    relation: Relation,
    bounds: dict[Key, tuple[float, float | None]] | None = None,
) -> bool:
    """True unless the relation is contradicted by what is known of its cells (a total that
    cannot be the sum of its parts, ranges such as ``<5`` by their bounds: the intruder then
    sees that the breakdown is not complete, and does not read it so)."""
    bounds = bounds or {}
    total, parts = relation
    low = high = 0.0
    for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
        value = cells.get(key)
        if value is not None:
            low, high = low + sign * value, high + sign * value
            continue
        lo, hi = bounds.get(key, (0.0, None))
        if hi is None:  # an unknown without a bound: the relation can always hold
            return True
        low, high = (low + lo, high + hi) if sign > 0 else (low - hi, high - lo)
    return low <= 0 <= high


def protect(
    cells: dict[Key, int | None],
    relations: list[Relation],
    k: int,
    sender: Iterable[Key] = (),
    fixed: Iterable[Key] = (),
    bounds: dict[Key, tuple[float, float | None]] | None = None,
) -> Protected:
    """Choose the cells to hide in a table (see module docstring).

    ``cells`` maps each published cell to its count (None: not a number, e.g. not
    available, which hides nothing); ``sender`` lists cells the country suppressed (their
    ``bounds`` as published, e.g. 0-4 for ``<5``); ``fixed`` cells are published elsewhere as
    they are, so secondary suppression never chooses them. A count under ``k`` is hidden;
    then, while the intruder's interval (:func:`intervals`) of a hidden count is narrower
    than its :func:`protection`, the smallest published count greater than 0 of a relation
    it is in is hidden too (a hidden 0 is pinned by non-negativity and protects nothing), the
    whole table's when its relations have none.
    """
    fixed = set(fixed)
    if k < 1:
        raise ValueError("k must be 1 or more")
    result = Protected(k)
    for key in sender:
        result.hidden[key] = SENDER
    for key, value in cells.items():
        if value is not None and 0 < value < k and key not in result.hidden:
            result.hidden[key] = PRIMARY
    relations = [(t, tuple(p)) for t, p in relations if t in cells or any(q in cells for q in p)]
    relations = [r for r in relations if holds(cells, r, bounds)]
    unknown = {key for t, ps in relations for key in (t, *ps) if cells.get(key) is None}
    sensitive = [key for key, why in result.hidden.items() if why == PRIMARY]
    settled: set[Key] = set()  # as protected as what the country published allows
    while result.hidden:
        # first: no hidden cell worked out exactly (linear algebra, fast)
        hidden = [*result.hidden, *unknown]
        exact = sorted(determined(relations, hidden) & set(result.hidden) - settled, key=str)
        if not exact and sensitive:  # then: no count under k narrowed (linear programs)
            found = intervals(cells, relations, result.hidden, sensitive, bounds)
            exact = [
                key
                for key in sensitive
                if key not in settled and _narrowed(found[key], k, cells[key])
            ]
        if not exact:
            return result
        choice = _complement(cells, relations, result, fixed, exact[0])
        if choice is None:  # every cell is hidden: a bound the country wrote (<5) is the limit
            settled.add(exact[0])
            continue
        result.hidden[choice] = SECONDARY
    return result


def _narrowed(interval: tuple[float, float], k: int, value: int | None) -> bool:
    low, high = protection(k, value or 0)
    return interval[0] > low + 1e-6 or interval[1] < high - 1e-6


def _complement(
    cells: dict[Key, int | None],
    relations: list[Relation],
    result: Protected,
    fixed: set[Key],
    target: Key,
) -> Key | None:
    """The next cell to hide for ``target``: the smallest count over 0 of a relation it is
    in, else of the whole table (a zero only when no other count is left); None when every
    cell is hidden already."""

    def usable(key: Key) -> bool:
        return (
            key in cells
            and key not in result.hidden
            and cells[key] is not None
            and key not in fixed
        )

    near = [k for t, ps in relations if target == t or target in ps for k in (t, *ps) if usable(k)]
    table = [k for t, ps in relations for k in (t, *ps) if usable(k)]
    pools = (
        [key for key in near if cells[key]],
        [key for key in table if cells[key]],
        near,  # zeros last: a hidden 0 is pinned by non-negativity
        table,
    )
    for pool in pools:
        if pool:
            return min(pool, key=lambda key: (cells.get(key) or 0, str(key)))
    return None


# --- observations: the relations of the breakdown hierarchies ----------------------------


def hierarchy_relations(columns: dict[str, Any], index: list[Key]) -> list[Relation]:
    """Total = sum of parts, for every hierarchy of ``schemas/rules.yaml`` and every
    combination of the other breakdowns, among the rows of one country, year and indicator
    (``columns`` holds each breakdown's codes in the order of the keys ``index``). A declared
    part that is not published is an unknown of its own (blank is not zero), and so are the
    citizenships not listed."""
    dims = list(DIMENSIONS)
    relations: list[Relation] = []
    special = {d: codes.codes(d) for d in dims}
    for name, spec in codes.hierarchies().items():
        dim, others = spec["dim"], [d for d in dims if d != spec["dim"]]
        countries = spec["parts"] == "countries"
        roll_up = spec.get("roll_up") or {}
        wanted = (
            set()
            if countries
            else {*spec["parts"], *(m for ms in roll_up.values() if ms != "countries" for m in ms)}
        )
        any_country = countries or any(ms == "countries" for ms in roll_up.values())
        by_other: dict[tuple, dict[str, Key]] = {}
        totals = []
        for i, key in enumerate(index):
            code = columns[dim][i]
            other = tuple(columns[d][i] for d in others)
            if code == spec["total"]:
                totals.append((key, other))
            elif code in wanted or (any_country and code not in special[dim]):
                by_other.setdefault(other, {})[code] = key
        for key, other in totals:
            found = by_other.get(other)
            if found:
                relations.append((key, _parts(found, spec, key, name, countries, roll_up)))
    return relations


def _parts(
    found: dict[str, Key], spec: dict, index: Key, name: str, countries: bool, roll_up: dict
) -> tuple[Key, ...]:
    """The parts of one total, as an intruder reads a breakdown: complete. The parts
    published; for a part not published whose members are (a roll-up), its members; a part
    the country did not report is zero (relations contradicted by the counts are dropped by
    :func:`holds`, as an intruder would)."""
    del index, name
    if countries:
        return tuple(found.values())
    keys: list[Key] = []
    for code in spec["parts"]:
        if code in found:
            keys.append(found[code])
            continue
        members = roll_up.get(code)
        if members == "countries":
            keys += [k for c, k in found.items() if c not in spec["parts"]]
        else:
            keys += [found[m] for m in members or () if m in found]
    return tuple(keys)


def protect_observations(frame: pd.DataFrame, k: int, fixed: Iterable[Key] = ()) -> Protected:
    """Suppression for published observations, one country, year and indicator at a time
    (no relation crosses them); keys of the result are the frame's index; ``fixed`` rows are
    published elsewhere as they are (see :func:`protect`). Groups with no count under ``k``
    and nothing the country suppressed have nothing to hide and are passed over."""
    import pandas as pd

    result = Protected(k)
    if frame.empty:
        return result
    fixed = set(fixed)
    numbers = pd.to_numeric(frame["value"]).to_numpy(dtype=float, na_value=np.nan)
    sender = (frame["obs_status"] == "Q").to_numpy()
    lower = pd.to_numeric(frame["lower"]).to_numpy(dtype=float, na_value=np.nan)
    upper = pd.to_numeric(frame["upper"]).to_numpy(dtype=float, na_value=np.nan)
    flagged = ((numbers > 0) & (numbers < k)) | sender
    if not flagged.any():
        return result
    groups = frame.groupby(["country", "year", "indicator"], sort=False).indices
    dims = list(DIMENSIONS)
    columns = {d: frame[d].to_numpy(dtype=object) for d in dims}
    index = frame.index.to_numpy(dtype=object)
    for rows in groups.values():
        if not flagged[rows].any():
            continue  # nothing to hide in this group
        keys = list(index[rows])
        values = {
            key: (None if v != v else int(v)) for key, v in zip(keys, numbers[rows], strict=True)
        }
        hidden_by_sender = [key for key, q in zip(keys, sender[rows], strict=True) if q]
        ranges = {
            key: (float(low), float(high) if high == high else np.inf)
            for key, low, high in zip(keys, lower[rows], upper[rows], strict=True)
            if key in hidden_by_sender and low == low
        }
        found = protect(
            values,
            hierarchy_relations({d: columns[d][rows] for d in dims}, keys),
            k,
            hidden_by_sender,
            fixed & values.keys(),
            {key: (lo, None if hi == np.inf else hi) for key, (lo, hi) in ranges.items()},
        )
        result.hidden.update(found.hidden)
    return result


def protect_table(table: ComparisonTable, k: int) -> tuple[ComparisonTable, Protected]:
    """A comparison table for publication: each total from 1 to ``k - 1`` shown as ``<k``
    (status Q, bounds 0 to k-1) with a footnote. The table publishes no sums of its cells,
    so no other cell can give one away; a country's own marks stay as sent."""
    result = Protected(k)
    if k <= 1:
        return table, result
    footnotes = list(table.footnotes)
    text = f"suppressed for confidentiality: a count under {k}"
    cells = {}
    for key, cell in table.cells.items():
        if cell.value is not None and 0 < cell.value < k:
            if text not in footnotes:
                footnotes.append(text)
            notes = sorted({*cell.notes, footnotes.index(text) + 1})
            cell = replace(cell, value=None, obs_status="Q", lower=0, upper=k - 1, notes=notes)
            result.hidden[key] = PRIMARY
        cells[key] = cell
    return replace(table, cells=cells, footnotes=footnotes), result
