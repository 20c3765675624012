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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.publish.lp import Model
from nremstats.publish.reading import Key, Relation, is_equation, system

if TYPE_CHECKING:
    pass

PRIMARY, SECONDARY, SENDER = "primary", "secondary", "sender"
#: Why a cell is settled when an earlier release printed it: the intruder knows it.
EARLIER = "published by an earlier release"


@dataclass
class Protected:
    """The result: what is hidden and why (``primary``: under k; ``secondary``: would give
    a hidden cell away; ``sender``: suppressed by the country)."""

    k: int
    hidden: dict[Key, str] = field(default_factory=dict)
    #: the intruder's interval of each count under k and each cell the country suppressed
    #: with bounds, after suppression (internal: it narrows the cell)
    intervals: dict[Key, tuple[float, float]] = field(default_factory=dict)
    #: cells that no further suppression can protect more, with the reason
    settled: dict[Key, str] = field(default_factory=dict)
    #: margins no output prints whose count, under k, follows from the counts sent (a sex
    #: total of a cross table sent without it), and cells of earlier tables of a revised
    #: return (codes + ``("release", n)``): (interval or None, settled reason or None),
    #: keyed by (country, year, indicator, codes) in a release
    margins: dict[Key, tuple[tuple[float, float] | None, str | None]] = field(default_factory=dict)

    def why(self, reason: str) -> str:
        """The reason of a suppression in words, for the internal audit."""
        return {
            PRIMARY: f"a count under {self.k} (primary suppression)",
            SECONDARY: "would let a suppressed cell be worked out or narrowed (secondary "
            "suppression)",
            SENDER: "suppressed by the country that sent it",
        }[reason]

    def audit(self) -> list[dict[str, object]]:
        """One record per hidden cell, for the audit listing (sheet, html, json)."""
        return [
            {"cell": key, "reason": reason, "why": self.why(reason)}
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


class Incidence:
    """The equations as a sparse matrix over every cell they name (total +1, parts -1), to
    take the columns of the hidden cells from quickly, many times (an :class:`AtMost` pins
    nothing by itself: left out)."""

    def __init__(self, relations: list[Relation]) -> None:
        self.relations = relations = [r for r in relations if is_equation(r)]
        self.index: dict[Key, int] = {}
        rows, cols, signs = [], [], []
        for n, (total, parts) in enumerate(relations):
            for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                rows.append(n)
                cols.append(self.index.setdefault(key, len(self.index)))
                signs.append(sign)
        self.rows, self.cols = np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)
        self.signs = np.array(signs)

    def matrix(self, hidden: list[Key]) -> np.ndarray:
        """Each relation's coefficients on the hidden cells, the relations that name none of
        them left out."""
        where = np.full(len(self.index), -1, dtype=np.intp)
        for i, key in enumerate(hidden):
            at = self.index.get(key)
            if at is not None:
                where[at] = i
        column = where[self.cols]
        keep = column >= 0
        matrix = np.zeros((len(self.relations), len(hidden)))
        np.add.at(matrix, (self.rows[keep], column[keep]), self.signs[keep])
        return matrix[np.abs(matrix).sum(axis=1) > 0]


def determined(relations: Iterable[Relation] | Incidence, hidden: Iterable[Key]) -> set[Key]:
    """The hidden cells an attacker works out exactly from the relations and the published
    cells: those the relations leave no freedom to (every solution of the relations restricted
    to the hidden cells gives them the same value, i.e. the null space of the relations has
    no component along them). ``relations`` may be given as an :class:`Incidence`, for speed
    when asked many times."""
    hidden = list(dict.fromkeys(hidden))
    incidence = relations if isinstance(relations, Incidence) else Incidence(list(relations))
    matrix = incidence.matrix(hidden)
    if not len(matrix):
        return set()
    # the full V only when it is wider than tall (else U would be large and unused)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=matrix.shape[0] < matrix.shape[1])
    rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
    free = np.abs(vt[rank:]) > 1e-9  # a basis of the directions the relations leave free
    pinned = ~free.any(axis=0)
    return {hidden[i] for i in np.flatnonzero(pinned)}


def worked_out(
    cells: dict[Key, int | None],
    relations: list[Relation],
    hidden: Iterable[Key],
    incidence: Incidence | None = None,
) -> set[Key]:
    """The hidden cells worked out exactly: by the equations (:func:`determined`), and
    those a total leaves nothing to (its parts known to the intruder add up to it, so
    every hidden part is 0: an :class:`AtMost` too), repeatedly. ``cells`` are the counts,
    read for the cells not hidden."""
    hidden = list(dict.fromkeys(hidden))
    incidence = incidence or Incidence(relations)
    zero: set[Key] = set()
    while True:
        found = determined(incidence, [key for key in hidden if key not in zero]) | zero
        dark = set(hidden) - found
        more = set()
        for total, parts in relations:
            if total in dark or cells.get(total) is None or not dark.intersection(parts):
                continue
            known = [cells.get(p) for p in parts if p not in dark]
            if None not in known and cells[total] == sum(known):  # type: ignore[arg-type]
                more |= dark.intersection(parts)
        if not more:
            return found
        zero |= more


def small_margins(
    cells: dict[Key, int | None],
    relations: list[Relation],
    k: int,
    bounds: dict[Key, tuple[float, float | None]] | None = None,
    withheld: Iterable[Key] = (),
) -> dict[Key, int]:
    """The margins the relations name but the table does not hold (no output prints them),
    and the ``withheld`` cells (a country's ``c``: no number sent), whose count follows from
    the counts sent and is from 1 to ``k - 1``: an intruder who works one out learns a
    small count as surely as from a cell (each is protected like a count under ``k``)."""
    margins = list(dict.fromkeys(k for t, ps in relations for k in (t, *ps) if k not in cells))
    margins += [key for key in withheld if key in cells and cells[key] is None]
    if not margins:
        return {}
    empty = [key for key, value in cells.items() if value is None and key not in margins]
    pinned = determined(relations, [*margins, *empty]) & set(margins)
    if not pinned:
        return {}
    found = intervals(cells, relations, [], pinned, bounds)
    return {
        key: round(low)
        for key, (low, high) in found.items()
        if abs(high - low) < 1e-6 and 1 <= round(low) < k
    }


def protection(k: int, value: int, cap: float | None = None) -> tuple[float, float]:
    """The interval an intruder must not narrow for a count under ``k``: it may be as small
    as 1 and as large as ``k - 1``, and ``upper_protection`` more than the count (see
    ``schemas/publication.yaml``), but never more than ``cap``, what the release publishes
    of the cell itself (a total printed as ``<5`` says 4 at most)."""
    upper = float(codes.load_declaration("publication.yaml").get("upper_protection", 1))
    high = max(float(k - 1), value + upper)
    return 1.0, high if cap is None else min(high, cap)


def intervals(
    cells: dict[Key, int | None],
    relations: list[Relation],
    hidden: Iterable[Key],
    targets: Iterable[Key],
    bounds: dict[Key, tuple[float, float | None]] | None = None,
    needs: dict[Key, tuple[float, float]] | None = None,
) -> dict[Key, tuple[float, float]]:
    """The intruder's interval for each target cell: its smallest and largest value over
    every table consistent with what is published (the published counts, the relations,
    every count 0 or more, the bounds of ranges such as ``<5``), by linear programming
    (HiGHS, :mod:`nremstats.publish.lp`). Unknowns: the hidden cells, cells published without
    a number (``..``), and cells the relations name but the table does not show.

    With ``needs`` (an interval per target, within its bounds): when every target can take
    the low end of its need at once, and the high end at once, each target's interval
    covers its need, and the needs are returned as they are (two programs for all the
    targets); else each target's interval is computed."""
    bounds = bounds or {}
    unknown = _unknowns(cells, relations, hidden)
    part_of = components(relations, set(unknown))
    out: dict[Key, tuple[float, float]] = {}
    by_part: dict[int, list[Key]] = {}
    for key in targets:
        if key not in part_of and key in unknown:  # in no relation: its own bounds
            low, high = bounds.get(key, (0.0, None))
            out[key] = (low, np.inf if high is None else high)
        elif key not in part_of:
            out[key] = _known(cells, key)
        else:
            by_part.setdefault(part_of[key], []).append(key)
    for part, keys in by_part.items():  # one program per connected part of the unknowns
        mine = [k for k in unknown if part_of.get(k) == part]
        linked = [r for r in relations if part_of.get(_first_unknown(r, part_of)) == part]
        out |= _part_intervals(cells, linked, mine, keys, bounds, needs)
    return out


def uncovered(
    cells: dict[Key, int | None],
    relations: list[Relation],
    hidden: Iterable[Key],
    needs: dict[Key, tuple[float, float]],
    bounds: dict[Key, tuple[float, float | None]] | None = None,
    first: bool = False,
) -> list[Key]:
    """The keys of ``needs`` whose interval (as :func:`intervals`) does not cover their
    need, without computing the intervals (``first``: the first such key only). Cheaper
    than :func:`intervals` when only the answer matters."""
    bounds = bounds or {}
    unknown = _unknowns(cells, relations, hidden)
    part_of = components(relations, set(unknown))
    out: list[Key] = []
    by_part: dict[int, list[Key]] = {}
    for key in needs:
        if key in part_of:
            by_part.setdefault(part_of[key], []).append(key)
            continue
        low, high = bounds.get(key, (0.0, None)) if key in unknown else _known(cells, key)
        top = np.inf if high is None else high
        if low > needs[key][0] + 1e-6 or top < needs[key][1] - 1e-6:
            out.append(key)
    for part, keys in by_part.items():
        if first and out:
            break
        mine = [k for k in unknown if part_of.get(k) == part]
        linked = [r for r in relations if part_of.get(_first_unknown(r, part_of)) == part]
        a, low_rows, high_rows, box, index = system(cells, linked, mine, bounds)
        model = Model(a, low_rows, high_rows, box)
        for batch in _apart(keys, linked):
            for end in (0, 1):
                finite = [k for k in batch if np.isfinite(needs[k][end])]
                reached = _reach(model, [(index[k], needs[k][end]) for k in finite])
                out += [k for k in finite if index[k] not in reached and k not in out]
                out += [
                    k
                    for k in batch
                    if k not in finite
                    and k not in out
                    and model.extreme(index[k], end == 1) < np.inf
                ]
                if first and out:
                    return out[:1]
    return out[:1] if first else out


def _unknowns(
    cells: dict[Key, int | None], relations: list[Relation], hidden: Iterable[Key]
) -> list[Key]:
    """The intruder's unknowns: the hidden cells, and the cells the relations name that
    have no count (not available, or margins no output prints)."""
    named = (k for t, ps in relations for k in (t, *ps) if cells.get(k) is None)
    return list(dict.fromkeys([*hidden, *named]))


def components(relations: list[Relation], unknown: set[Key]) -> dict[Key, int]:
    """The connected parts of the unknowns: two unknowns are in one part when a relation
    names both, or a chain of relations joins them (a program over one part never needs
    the others). Unknowns in no relation are left out."""
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for total, parts in relations:
        named = [k for k in (total, *parts) if k in unknown]
        for key in named:
            parent.setdefault(key, key)
        for key in named[1:]:
            parent[root(key)] = root(named[0])
    roots: dict[Key, int] = {}
    return {key: roots.setdefault(root(key), len(roots)) for key in parent}


def _first_unknown(relation: Relation, part_of: dict[Key, int]) -> Key | None:
    return next((k for k in (relation[0], *relation[1]) if k in part_of), None)


def _part_intervals(
    cells: dict[Key, int | None],
    relations: list[Relation],
    unknown: list[Key],
    targets: list[Key],
    bounds: dict[Key, tuple[float, float | None]],
    needs: dict[Key, tuple[float, float]] | None,
) -> dict[Key, tuple[float, float]]:
    a, low_rows, high_rows, box, index = system(cells, relations, unknown, bounds)
    model = Model(a, low_rows, high_rows, box)
    out: dict[Key, tuple[float, float]] = {}
    if not needs:
        for key in targets:
            out[key] = (model.extreme(index[key], False), model.extreme(index[key], True))
        return out
    low: set[int] = set()  # which targets reach each end of their need, many at a time
    high: set[int] = set()
    for batch in _apart(targets, relations):
        low |= _reach(model, [(index[key], needs[key][0]) for key in batch])
        high |= _reach(model, [(index[key], needs[key][1]) for key in batch])
    for key in targets:
        i = index[key]
        out[key] = (
            needs[key][0] if i in low else model.extreme(i, False),
            needs[key][1] if i in high else model.extreme(i, True),
        )
    return out


def _known(cells: dict[Key, int | None], key: Key) -> tuple[float, float]:
    value = float(cells[key] or 0)
    return value, value


def _apart(keys: list[Key], relations: list[Relation]) -> list[list[Key]]:
    """The keys in batches, no two of a batch in the same relation (cells that share a total
    seldom reach their ends at once)."""
    batches: list[tuple[list[Key], set[int]]] = []
    member: dict[Key, set[int]] = {}
    for n, (total, parts) in enumerate(relations):
        for key in (total, *parts):
            member.setdefault(key, set()).add(n)
    for key in keys:
        mine = member.get(key, set())
        for batch, used in batches:
            if not used & mine:
                batch.append(key)
                used |= mine
                break
        else:
            batches.append(([key], set(mine)))
    return [batch for batch, _ in batches]


def _reach(model: Model, ends: list[tuple[int, float]]) -> set[int]:
    """The unknowns that can take their value (all at once, else each alone)."""
    if not ends:
        return set()
    if model.reach([i for i, _ in ends], [v for _, v in ends]):
        return {i for i, _ in ends}
    if len(ends) == 1:
        return set()
    return {i for i, value in ends if model.reach([i], [value])}
