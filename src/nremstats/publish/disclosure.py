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

import functools
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
    #: how the intruder read each table's relations (internal: for the audit, which reads
    #: them so again): table (``()`` for one table) -> (the ranges read, :func:`compact`
    #: readings)
    readings: dict[Key, tuple[tuple, list[str]]] = field(default_factory=dict)

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
        # the relations are few (a table's): dense, one column per cell, and one of zeros
        self.dense = np.zeros((len(relations), len(self.index) + 1))
        np.add.at(self.dense, (rows, cols), signs)
        self._last: tuple[tuple[Key, ...], tuple[np.ndarray, ...]] | None = None

    def matrix(self, hidden: list[Key]) -> np.ndarray:
        """Each relation's coefficients on the hidden cells, the relations that name none of
        them left out."""
        zero = len(self.index)
        matrix = self.dense[:, [self.index.get(key, zero) for key in hidden]]
        return matrix[np.abs(matrix).sum(axis=1) > 0]

    def decomposed(self, hidden: list[Key]) -> tuple[np.ndarray, ...]:
        """The relations that name a hidden cell (a mask), and the singular value
        decomposition of their coefficients on the hidden cells, to its rank: ``u``,
        the singular values, ``vt`` (the last one asked is kept: the search asks it of
        one set of cells for several questions)."""
        asked = tuple(hidden)
        if self._last is not None and self._last[0] == asked:
            return self._last[1]
        zero = len(self.index)
        full = self.dense[:, [self.index.get(key, zero) for key in hidden]]
        named = np.abs(full).sum(axis=1) > 0
        if not named.any():
            found: tuple[np.ndarray, ...] = (
                named,
                np.zeros((len(named), 0)),
                np.zeros(0),
                np.zeros((0, len(hidden))),
            )
        else:
            u, singular, vt = np.linalg.svd(full[named], full_matrices=False)
            rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
            found = (named, u[:, :rank], singular[:rank], vt[:rank])
        self._last = (asked, found)
        return found

    def still_pinned(self, hidden: list[Key], target: Key, candidates: list[Key]) -> list[bool]:
        """For each candidate: whether the equations still pin ``target`` (one of the
        ``hidden``, see :func:`determined`) when the candidate is hidden too (one
        decomposition for all of them; False: they may not). Hiding ``c`` frees the target
        only when some solution moves ``c`` and the target together: when ``c``'s column
        lies in the span of the hidden ones (no relation names it alone) and the least
        solution of that column on them gives the target a share."""
        hidden = list(dict.fromkeys(hidden))
        if target not in hidden:
            return [False] * len(candidates)
        named, u, singular, vt = self.decomposed(hidden)
        along = vt[:, hidden.index(target)]
        if along @ along < 1 - 1e-9:  # not pinned now
            return [False] * len(candidates)
        columns = self.dense[:, [self.index.get(key, len(self.index)) for key in candidates]]
        alone = np.abs(columns[~named]).sum(axis=0) > 0
        inside = columns[named]
        coefficients = u.T @ inside
        rest = np.linalg.norm(inside - u @ coefficients, axis=0)
        spanned = rest < 1e-9 * np.maximum(1.0, np.linalg.norm(inside, axis=0))
        share = np.abs((along / singular) @ coefficients) > 1e-9
        return list(alone | ~spanned | ~share)


def determined(relations: Iterable[Relation] | Incidence, hidden: Iterable[Key]) -> set[Key]:
    """The hidden cells an attacker works out exactly from the relations and the published
    cells: those the relations leave no freedom to (every solution of the relations restricted
    to the hidden cells gives them the same value, i.e. the null space of the relations has
    no component along them). ``relations`` may be given as an :class:`Incidence`, for speed
    when asked many times."""
    hidden = list(dict.fromkeys(hidden))
    incidence = relations if isinstance(relations, Incidence) else Incidence(list(relations))
    named, _, singular, vt = incidence.decomposed(hidden)
    if not named.any():
        return set()
    # pinned: a cell whose direction lies in the span of the relations (all of it: none
    # is left free)
    pinned = np.einsum("ij,ij->j", vt, vt) > 1 - 1e-9
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
    # pinned by the equations: every solution gives them one value, the least-squares one
    unknown = [*margins, *empty]
    a, b, _, _, index = system(cells, [r for r in relations if is_equation(r)], unknown, {})
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    if not np.allclose(a @ solution, b, atol=1e-6):  # no solution: the programs say
        found = intervals(cells, relations, [], pinned, bounds)
        values = {key: low for key, (low, high) in found.items() if abs(high - low) < 1e-6}
    else:
        values = {key: solution[index[key]] for key in pinned}
    return {key: round(value) for key, value in values.items() if 1 <= round(value) < k}


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
    points: Points | None = None,
) -> dict[Key, tuple[float, float]]:
    """The intruder's interval for each target cell: its smallest and largest value over
    every table consistent with what is published (the published counts, the relations,
    every count 0 or more, the bounds of ranges such as ``<5``), by linear programming
    (HiGHS, :mod:`nremstats.publish.lp`). Unknowns: the hidden cells, cells published without
    a number (``..``), and cells the relations name but the table does not show.

    With ``needs`` (an interval per target, within its bounds): a target whose interval
    covers its need gets its need as it is (a table where it is as small, and one where it
    is as large, prove it: a few programs for many targets, or none when ``points`` has
    them); else its interval is computed."""
    bounds = bounds or {}
    unknown = _unknowns(cells, relations, hidden)
    part_of = components(relations, set(unknown))
    points = points or Points(cells)
    dark = set(unknown)
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
        program = _Part(cells, relations, unknown, part_of, part, bounds)
        reached = [_covered(program, keys, needs, end, points, dark) for end in (0, 1)]
        for key in keys:
            if key in reached[0] and key in reached[1]:  # covers its need
                out[key] = needs[key]  # type: ignore[index]
            else:  # narrowed: its interval, both ends
                out[key] = (program.extreme(key, False), program.extreme(key, True))
    return out


class Points:
    """Tables the intruder's programs found consistent with what was published then (the
    values of the unknowns of one connected part), for one reading of a table's relations:
    each proves, without a program, that a cell can be as small or as large as it is
    there, for as long as the table is still consistent with what is published. It is
    when every cell it gives another value than the true count is still hidden: hiding
    more cells only adds tables, and the cells of other parts take their true counts (or,
    for cells without a count, values that the reading was found consistent with)."""

    def __init__(self, cells: dict[Key, int | None]) -> None:
        self.cells = cells
        #: per cell: (its value, the cells the table moves from their counts) of each table
        self.by_key: dict[Key, list[tuple[float, frozenset[Key]]]] = {}

    def add(self, values: dict[Key, float]) -> None:
        moved = frozenset(
            key
            for key, value in values.items()
            if (count := self.cells.get(key)) is None or abs(value - count) > 1e-7
        )
        for key, value in values.items():
            self.by_key.setdefault(key, []).append((value, moved))

    def reaches(self, key: Key, end: int, value: float, hidden: set[Key]) -> bool:
        """Whether a table consistent with what is published while ``hidden`` are the
        unknowns gives ``key`` ``value`` or less (``end`` 0), or ``value`` or more (1)."""
        for found, moved in self.by_key.get(key, ()):
            if (found >= value - 1e-7 if end else found <= value + 1e-7) and moved <= hidden:
                return True
        return False


class _Program:
    """What :func:`_covered` asks of a program (``model``, ``index`` and ``unknown``)."""

    model: Model
    index: dict[Key, int]
    unknown: list[Key]
    relations: list[Relation]

    @functools.cached_property
    def members(self) -> dict[Key, set[int]]:
        return _members(self.relations)

    def extreme(self, key: Key, largest: bool) -> float:
        return self.model.extreme(self.index[key], largest)

    def reach(
        self, keys: list[Key], end: int, values: list[float], others: Iterable[Key] = ()
    ) -> dict[Key, float] | None:
        """A table where every key is at most (``end`` 0) or at least (1) its value, as
        the values of the unknowns; None when there is none. The ``others`` are pushed
        toward the same end as far as they go (those without a bound there: not), so that
        the table found may show them there too."""
        model = self.model
        where = [self.index[key] for key in keys]
        low, high = model.low[where], model.high[where]
        wanted = np.asarray(values, dtype=float)
        if (wanted < low - 1e-9).any() if end == 0 else (wanted > high + 1e-9).any():
            return None
        ends = model.high if end else model.low
        pushed = [at for key in others if np.isfinite(ends[at := self.index[key]])]
        toward = (pushed, 1 if end else -1)
        if end == 0:  # within the cells' own bounds
            found = model.reach(where, low, np.minimum(wanted, high), toward)
        else:
            found = model.reach(where, np.maximum(wanted, low), high, toward)
        return None if found is None else dict(zip(self.unknown, found, strict=True))


class _Part(_Program):
    """The program of one connected part of the unknowns, built when first needed."""

    def __init__(
        self,
        cells: dict[Key, int | None],
        relations: list[Relation],
        unknown: list[Key],
        part_of: dict[Key, int],
        part: int,
        bounds: dict[Key, tuple[float, float | None]],
    ) -> None:
        self.cells, self.bounds = cells, bounds
        self.unknown = [k for k in unknown if part_of.get(k) == part]
        self.relations = [r for r in relations if part_of.get(_first_unknown(r, part_of)) == part]
        self._model: Model | None = None
        self.index = {}

    @property  # type: ignore[override]
    def model(self) -> Model:
        if self._model is None:
            a, low, high, box, self.index = system(
                self.cells, self.relations, self.unknown, self.bounds
            )
            self._model = Model(a, low, high, box)
        return self._model

    def extreme(self, key: Key, largest: bool) -> float:
        model = self.model  # builds the index
        return model.extreme(self.index[key], largest)

    def reach(
        self, keys: list[Key], end: int, values: list[float], others: Iterable[Key] = ()
    ) -> dict[Key, float] | None:
        self.model  # noqa: B018 (builds the index)
        return super().reach(keys, end, values, others)


class Program(_Program):
    """The intruder's program of a whole table under one reading, kept from one question
    to the next (a search asks hundreds): every cell the relations name is an unknown, held
    at its count while it is published and free within its bounds while hidden (a cell
    without a count is always free), asked by :func:`ask`."""

    def __init__(
        self,
        cells: dict[Key, int | None],
        relations: list[Relation],
        bounds: dict[Key, tuple[float, float | None]],
    ) -> None:
        self.cells, self.relations, self.bounds = cells, relations, bounds
        self.unknown = list(dict.fromkeys(k for t, ps in relations for k in (t, *ps)))
        a, low, high, box, self.index = system(cells, relations, self.unknown, bounds)
        self.free = box
        self.model = Model(a, low, high, box, slot=1)
        self.dark = set(self.unknown)

    def hide(self, dark: set[Key]) -> None:
        """Hold every cell not in ``dark`` (nor without a count) at its count."""
        dark = {k for k in self.unknown if k in dark or self.cells.get(k) is None}
        change = [k for k in self.unknown if (k in dark) != (k in self.dark)]
        if change:
            ends = [self.free[self.index[k]] if k in dark else (self.cells[k],) * 2 for k in change]
            self.model.set_bounds(
                [self.index[k] for k in change],
                [low for low, _ in ends],
                [np.inf if high is None else high for _, high in ends],
            )
        self.dark = dark

    def reach(
        self, keys: list[Key], end: int, values: list[float], others: Iterable[Key] = ()
    ) -> dict[Key, float] | None:
        """As :meth:`_Program.reach`: the values of the unknowns that are not held."""
        found = super().reach(keys, end, values, others)
        return None if found is None else {k: v for k, v in found.items() if k in self.dark}


def ask(
    program: Program,
    needs: dict[Key, tuple[float, float]],
    hidden: Iterable[Key],
    first: bool = False,
    points: Points | None = None,
) -> list[Key]:
    """The keys of ``needs`` whose interval (as :func:`intervals` finds it) does not cover
    their need while ``hidden`` are hidden, without computing the intervals (``first``:
    the first such key only); ``points`` (of the program's reading) answer what they can
    without a program, and keep the tables the programs find."""
    cells, bounds, hidden = program.cells, program.bounds, set(hidden)
    program.hide(hidden)
    dark = program.dark | hidden
    points = points or Points(cells)
    out, keys = [], []
    for key in needs:
        if key in program.index and key in dark:
            keys.append(key)
            continue
        low, high = bounds.get(key, (0.0, None)) if key in dark else _known(cells, key)
        top = np.inf if high is None else high
        if low > needs[key][0] + 1e-6 or top < needs[key][1] - 1e-6:
            out.append(key)
    for end in (0, 1):
        if first and out:
            return out[:1]
        reached = _covered(program, keys, needs, end, points, dark, first)
        out += [k for k in keys if k not in reached and k not in out]
    return out[:1] if first else out


def _covered(
    program: _Program,
    keys: list[Key],
    needs: dict[Key, tuple[float, float]] | None,
    end: int,
    points: Points,
    hidden: set[Key],
    first: bool = False,
) -> set[Key]:
    """The keys that reach the ``end`` of their need (0: as small, 1: as large; an
    infinite end: unbounded), proven by ``points`` or by programs (many keys at once, no
    two in one relation: cells that share a total seldom reach their ends together; else
    one by one), whose tables are added to ``points``. ``first``: stop at the first key
    that does not (the others may not have been asked: to answer whether one does not)."""
    if not needs:
        return set()
    done = {k for k in keys if points.reaches(k, end, needs[k][end], hidden)}
    endless = [k for k in keys if k not in done and not np.isfinite(needs[k][end])]
    # an infinite end: reached when the program has no bound there
    failed = {k for k in endless if abs(program.extreme(k, end == 1)) < np.inf}
    done |= set(endless) - failed
    todo = [k for k in keys if k not in done | failed]

    def reached(key: Key) -> bool:
        return key in done or points.reaches(key, end, needs[key][end], hidden)

    def attempt(group: list[Key]) -> bool:
        others = [k for k in todo if k not in done and k not in failed and k not in group]
        found = program.reach(group, end, [needs[k][end] for k in group], others)
        if found is not None:
            points.add(found)
            done.update(group)
        elif len(group) == 1:
            failed.update(group)
        return found is not None

    for batch in _apart(todo, program.members):
        if first and failed:
            return set(keys) - failed  # one key that does not reach it is the answer
        batch = [key for key in batch if not reached(key)]
        if not batch or attempt(batch):
            continue
        for key in batch if len(batch) > 1 else ():
            if not reached(key) and not attempt([key]) and first:
                break
    if first and failed:
        return set(keys) - failed
    return done | {key for key in todo if reached(key)}


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


def _known(cells: dict[Key, int | None], key: Key) -> tuple[float, float]:
    value = float(cells[key] or 0)
    return value, value


def _apart(keys: list[Key], member: dict[Key, set[int]]) -> list[list[Key]]:
    """The keys in batches, no two of a batch in the same relation (``member``: the
    relations of each key, :func:`_members`; cells that share a total seldom reach their
    ends at once)."""
    batches: list[tuple[list[Key], set[int]]] = []
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


def _members(relations: list[Relation]) -> dict[Key, set[int]]:
    """The relations (their positions) each key is in."""
    member: dict[Key, set[int]] = {}
    for n, (total, parts) in enumerate(relations):
        for key in (total, *parts):
            member.setdefault(key, set()).add(n)
    return member
