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


def protect(
    cells: dict[Key, int | None],
    relations: list[Relation],
    k: int,
    sender: Iterable[Key] = (),
    fixed: Iterable[Key] = (),
) -> Protected:
    """Choose the cells to hide in a table (see module docstring).

    ``cells`` maps each published cell to its count (None: not a number, e.g. not
    available, which hides nothing); ``sender`` lists cells the country suppressed;
    ``fixed`` cells are published elsewhere as they are, so secondary suppression never
    chooses them. Secondary suppression hides, for a relation that gives a cell away, the
    smallest published count of that relation (the least information lost).
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
    unpublished = {key for t, parts in relations for key in (t, *parts) if key not in cells}
    while True:
        # cells the table does not show are unknowns to the attacker too
        exposed = determined(relations, [*result.hidden, *unpublished]) & set(result.hidden)
        if not exposed:
            return result
        target = next(iter(sorted(exposed, key=str)))
        candidates = [
            key
            for total, parts in relations
            if target == total or target in parts
            for key in (total, *parts)
            if key in cells
            and key not in result.hidden
            and cells[key] is not None
            and key not in fixed
        ]
        if not candidates:  # given away through a chain of relations: widen to the table
            shown = [key for t, parts in relations for key in (t, *parts) if key in cells]
            candidates = [
                c
                for c in shown
                if c not in result.hidden and c not in fixed and cells[c] is not None
            ]
        if not candidates:
            raise RuntimeError(f"cannot protect {target!r}: every cell is hidden already")
        choice = min(candidates, key=lambda key: (cells.get(key) or 0, str(key)))
        result.hidden[choice] = SECONDARY


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
    """The parts of one total: those published; for a part not published whose members are
    (a roll-up), its members; anything else not published as an unknown of its own."""
    if countries:
        return (*found.values(), ("unpublished", index, name, "(other countries)"))
    keys: list[Key] = []
    for code in spec["parts"]:
        if code in found:
            keys.append(found[code])
            continue
        members = roll_up.get(code)
        if members == "countries":
            listed = [k for c, k in found.items() if c not in spec["parts"]]
        else:
            listed = [found[m] for m in members or () if m in found]
        if listed:
            keys += [*listed, ("unpublished", index, name, code, "(rest)")]
        else:
            keys.append(("unpublished", index, name, code))
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
        found = protect(
            values,
            hierarchy_relations({d: columns[d][rows] for d in dims}, keys),
            k,
            hidden_by_sender,
            fixed & values.keys(),
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
