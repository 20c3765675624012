"""Choosing the cells to hide: primary and secondary cell suppression.

A count from 1 to ``k - 1`` is hidden (primary); a cell the country suppressed stays hidden.
Then, while the intruder of :mod:`nremstats.publish.disclosure` works a hidden cell out
exactly, or narrows a count under ``k`` below its protection (or a country's suppressed cell
below the range the country gave), more cells are hidden (secondary): for each such target,
the smallest count over 0 that protects it, among the cells of its relations and of the
relations of cells already hidden (a complement often needs its own: the corners of a
rectangle). A zero is never chosen: non-negativity pins it, so it protects nothing. At the
end each complement that the others make needless is published again, largest first,
with the complements that then become worked out exactly (hiding those protects nothing).
This is a heuristic (the least suppression is a mixed-integer program): what it chooses is
checked by the audit of :mod:`nremstats.publish.release`, which attacks the printed
outputs and refuses a release it can narrow.

Cells a country already suppressed (``<5``, ``c``) count as hidden. A cell that nothing left
to hide can protect more is *settled*, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from nremstats.core.model import DIMENSIONS
from nremstats.publish.disclosure import (
    EARLIER,
    PRIMARY,
    SECONDARY,
    SENDER,
    Incidence,
    Key,
    Points,
    Program,
    Protected,
    Relation,
    ask,
    components,
    intervals,
    protection,
    small_margins,
    worked_out,
)
from nremstats.publish.lp import map_tables
from nremstats.publish.reading import (
    compact,
    hierarchy_relations,
    ranges,
    readings,
)

if TYPE_CHECKING:
    import pandas as pd

Bounds = dict[Key, tuple[float, float | None]]
#: How many candidate complements are tried for a target before the smallest is taken.
CANDIDATES = 3


def protect(
    cells: dict[Key, int | None],
    relations: list[Relation],
    k: int,
    sender: Iterable[Key] = (),
    fixed: Iterable[Key] = (),
    bounds: Bounds | None = None,
    earlier: dict[Key, str] | None = None,
    past: dict[Key, bool] | None = None,
) -> Protected:
    """Choose the cells to hide in a table (see module docstring).

    ``cells`` maps each cell to its count (None: not a number, e.g. not available, which
    hides nothing); ``relations`` are the table's (:func:`hierarchy_relations`); ``sender``
    lists cells the country suppressed (their ``bounds`` as published, e.g. 0-4 for
    ``<5``); ``fixed`` cells are printed elsewhere as they are, so never chosen as
    complements (one under ``k`` is printed as ``<k``: the intruder knows it is 1 to
    k-1); ``earlier`` says of cells an earlier release printed (``published``: known to the
    intruder) or hid (``hidden``: hidden again). ``past`` cells are those of earlier tables
    of a revised return that differ from the table now (their counts in ``cells``, their
    relations in ``relations``): printed (True, known) or hidden (False, and protected as
    then), never chosen now.
    """
    if k < 1:
        raise ValueError("k must be 1 or more")
    search = _Search(
        cells, relations, k, set(sender), set(fixed), dict(bounds or {}), earlier, past or {}
    )
    search.run()
    search.prune()
    return search.result


class _Search:
    """The state of one table's search for a pattern."""

    def __init__(
        self,
        cells: dict[Key, int | None],
        relations: list[Relation],
        k: int,
        sender: set[Key],
        fixed: set[Key],
        bounds: Bounds,
        earlier: dict[Key, str] | None,
        past: dict[Key, bool],
    ) -> None:
        earlier = earlier or {}
        self.cells, self.k, self.bounds = cells, k, bounds
        result = self.result = Protected(k)
        for key in sorted(sender, key=str):  # in one order: the same choices every time
            result.hidden[key] = SENDER
        for key, value in cells.items():
            if value is not None and 0 < value < k and key not in result.hidden | past.keys():
                result.hidden[key] = PRIMARY
                if key in fixed:  # printed as <k elsewhere
                    bounds[key] = (1.0, float(k - 1))
        #: hidden by an earlier release: hidden again, never published again
        self.again = {
            key
            for key, was in earlier.items()
            if was == "hidden" and key in cells and key not in result.hidden and cells[key]
        }
        for key in sorted(self.again, key=str):
            result.hidden[key] = SECONDARY
        self.known = {key for key, was in earlier.items() if was == "published"}
        for key in self.known & result.hidden.keys():
            result.settled[key] = EARLIER
        self.fixed = fixed | self.known | past.keys()
        #: the totals the tables print, not printed by an earlier release: a last resort
        self.totals = fixed - self.known - past.keys()
        #: cells an earlier table of a revised return hid: hidden for good
        self.past = [key for key, printed in past.items() if not printed]
        #: the ways an intruder can read the relations (the first: the pattern's own)
        relations = [(t, tuple(p)) for t, p in relations]
        self.readings = readings(cells, relations, bounds)
        result.readings[()] = (
            ranges(cells, bounds),
            [compact(relations, read) for read in self.readings],
        )
        self.incidences = [Incidence(read) for read in self.readings]
        #: the tables the programs found, per reading (see :class:`Points`)
        self.points = [Points(cells) for _ in self.readings]
        self.programs = [Program(cells, read, bounds) for read in self.readings]
        self.answers: dict[frozenset[Key], frozenset[Key]] = {}
        self.relations = self.readings[0]
        self.everything = [r for read in self.readings for r in read]
        self.unknown = {k for t, ps in self.everything for k in (t, *ps) if cells.get(k) is None}
        #: margins the table leaves out whose small count follows from the counts sent,
        #: and the cells sent with no count (``c``, ``..``) whose small count follows
        withheld = [
            key
            for key, value in cells.items()
            if value is None and bounds.get(key, (0, None))[1] is None
        ]
        self.margins: dict[Key, int] = {}
        for read in reversed(self.readings):
            self.margins |= small_margins(cells, read, k, bounds, withheld)
        self.sensitive = [
            key
            for key, why in result.hidden.items()
            if (why == PRIMARY or (why == SENDER and bounds.get(key, (0, None))[1] is not None))
            and key not in self.known
        ]
        self.sensitive += [key for key in self.past if 0 < (cells[key] or 0) < k]
        self.sensitive += sorted(self.margins, key=str)

    def need(self, key: Key) -> tuple[float, float]:
        """The interval the intruder must not narrow for a sensitive cell."""
        if key in self.margins:
            return protection(self.k, self.margins[key])
        if self.result.hidden.get(key) == SENDER:
            low, high = self.bounds[key]
            return float(low), float(high)  # type: ignore[arg-type]
        return protection(self.k, self.cells[key] or 0, self.bounds.get(key, (0, None))[1])

    def secret(self) -> list[Key]:
        return [key for key in self.result.hidden if key not in self.known] + self.past

    def exact(self) -> set[Key]:
        """The hidden cells and small margins the intruder works out exactly (not the
        settled ones)."""
        secret = self.secret()
        found = self.worked_out([*secret, *self.unknown])
        return found & {*secret, *self.margins} - self.result.settled.keys()

    def worked_out(self, dark: list[Key]) -> set[Key]:
        """The cells of ``dark`` worked out exactly in some reading (asked again and
        again of the same cells: remembered)."""
        known = self.answers.get(asked := frozenset(dark))
        if known is None:
            pairs = zip(self.readings, self.incidences, strict=True)
            found = (worked_out(self.cells, read, dark, inc) for read, inc in pairs)
            known = self.answers[asked] = frozenset().union(*found)
        return set(known)

    def uncovered(self, needs: dict[Key, tuple[float, float]], first: bool) -> list[Key]:
        """The keys of ``needs`` narrower than their need in some reading."""
        found: list[Key] = []
        for program, points in zip(self.programs, self.points, strict=True):
            more = ask(program, needs, self.secret(), first, points)
            found += [key for key in more if key not in found]
            if first and found:
                return found
        return found

    def release_given_away(self) -> set[Key]:
        """Publish again the complements the intruder works out exactly (repeatedly: one
        published may give another away); returns the cells still worked out exactly."""
        while True:
            exact = self.exact()
            free = {
                key
                for key in exact
                if self.result.hidden.get(key) == SECONDARY and key not in self.again
            }
            if not free:
                return exact
            for key in free:
                del self.result.hidden[key]

    def narrowed(
        self, keys: list[Key], needs: dict[Key, tuple[float, float]] | None = None
    ) -> list[Key]:
        """The keys whose interval is narrower than their need (or than ``needs``); the
        first one only (an answer to whether there is one)."""
        return self.uncovered(needs or {key: self.need(key) for key in keys}, True)

    def run(self) -> None:
        # hiding a cell never narrows an interval: a cell protected once stays protected,
        # so only those still narrowed are checked again
        pending = list(self.sensitive)
        while True:
            exact = sorted(self.exact(), key=str)
            if not exact and pending:  # then: no sensitive cell narrowed (linear programs)
                pending = [key for key in pending if key not in self.result.settled]
                exact = pending = self.uncovered({k: self.need(k) for k in pending}, False)
            if not exact:
                self.result.intervals = self.intervals()
                return
            self.complements(exact)

    def intervals(self) -> dict[Key, tuple[float, float]]:
        """Each sensitive cell's interval: its need when every reading covers it, else the
        narrowest the readings give."""
        needs = {key: self.need(key) for key in self.sensitive}
        out: dict[Key, tuple[float, float]] = {}
        for read, points in zip(self.readings, self.points, strict=True):
            secret = self.secret()
            found = intervals(self.cells, read, secret, needs, self.bounds, needs, points)
            for key, (low, high) in found.items():
                was = out.get(key, (low, high))
                out[key] = (max(low, was[0]), min(high, was[1]))
        return out

    def complements(self, targets: list[Key]) -> None:
        """One round: a complement for each target, in order, unless one chosen in this
        round shares a relation with it already (it may be enough); a target with nothing
        left to hide is settled."""
        touched: set[Key] = set()
        for target in targets:
            if self.neighbours(target) & touched:
                continue
            choice = self.complement(target)
            if choice is None:  # nothing left to hide: what must be printed is the limit,
                if self.exposed(target):  # unless this round's choices already did
                    self.result.settled[target] = "no cell left to hide with it"
                continue
            self.result.hidden[choice] = SECONDARY
            touched |= self.neighbours(choice)

    def exposed(self, target: Key) -> bool:
        """Whether the target is still worked out exactly, or narrowed."""
        if target in self.exact():
            return True
        return target in self.sensitive and bool(self.narrowed([target]))

    def neighbours(self, key: Key) -> set[Key]:
        return {k for t, ps in self.relations if key == t or key in ps for k in (t, *ps)}

    def complement(self, target: Key) -> Key | None:
        """The next cell to hide for ``target`` (see module docstring); None when none is
        left. A total the tables print is taken only when no other cell is left (the
        tables then print it as suppressed)."""
        for last_resort in (False, True):
            choice = self._complement(target, last_resort)
            if choice is not None:
                return choice
        return None

    def _complement(self, target: Key, last_resort: bool) -> Key | None:
        cells, hidden = self.cells, self.result.hidden

        def usable(key: Key) -> bool:
            if not cells.get(key) or key in hidden:
                return False
            return key not in self.fixed or (last_resort and key in self.totals)

        def size(key: Key) -> tuple[int, str]:
            return cells.get(key) or 0, str(key)

        dark = set(hidden) | self.unknown
        near = [k for k in self.neighbours(target) if usable(k)]
        around = [
            k
            for t, ps in self.relations
            if t in dark or dark.intersection(ps)
            for k in (t, *ps)
            if usable(k)
        ]
        candidates = sorted(set(near) | set(around), key=size)[:CANDIDATES]
        dark = [*self.secret(), *self.unknown]
        pinned = [False] * len(candidates)
        for incidence in self.incidences:  # those the equations still pin: not asked
            found = incidence.still_pinned(dark, target, candidates)
            pinned = [a or b for a, b in zip(pinned, found, strict=True)]
        for key, hopeless in zip(candidates, pinned, strict=True):
            if not hopeless and self.fixes(target, key):
                return key
        table = [k for t, ps in self.relations for k in (t, *ps) if usable(k)]
        for pool in (near, table):
            if pool:
                return min(pool, key=size)
        return None

    def fixes(self, target: Key, candidate: Key) -> bool:
        """Would hiding ``candidate`` too protect ``target``?"""
        self.result.hidden[candidate] = SECONDARY
        try:
            if target in self.worked_out([*self.secret(), *self.unknown]):
                return False
            return target not in self.sensitive or not self.narrowed([target])
        finally:
            del self.result.hidden[candidate]

    def prune(self) -> None:
        """Publish again each complement the others make needless, largest first, with the
        complements that it alone kept from being worked out."""
        cells, hidden = self.cells, self.result.hidden
        extra = sorted(
            (key for key, why in hidden.items() if why == SECONDARY and key not in self.again),
            key=lambda key: (-(cells[key] or 0), str(key)),
        )
        for key in extra:
            if hidden.get(key) != SECONDARY:
                continue  # published again with another
            saved = dict(hidden)
            part_of = components(self.everything, {*self.secret(), *self.unknown})
            near = {k for k, part in part_of.items() if part == part_of.get(key)}
            del hidden[key]
            if self.release_given_away() or not self.protected(near, self.neighbours(key)):
                hidden.clear()
                hidden.update(saved)

    def protected(self, near: set[Key], close: set[Key]) -> bool:
        """Every sensitive cell among ``near`` keeps its need (a settled one: the interval
        it had). Publishing a cell changes the intervals of its connected part of the
        unknowns only (:func:`components`): ``near`` is that part; those ``close`` to it
        (in one of its relations) are asked first (the likeliest to be narrowed)."""
        result = self.result
        keys = [key for key in result.intervals if key in near]
        keys.sort(key=lambda k: k not in close)
        # a settled cell: not narrower than the pattern left it
        needs = {
            key: result.intervals[key] if key in result.settled else self.need(key) for key in keys
        }
        return not (keys and self.narrowed(keys, needs))


# --- observations: one table per country, year and indicator ------------------------------


def protect_observations(
    frame: pd.DataFrame,
    k: int,
    fixed: Iterable[Key] = (),
    earlier: dict[Key, str] | None = None,
    versions: dict[tuple, list[dict]] | None = None,
) -> Protected:
    """Suppression for published observations, one country, year and indicator at a time
    (no relation crosses them); keys of the result are the frame's index; ``fixed`` rows are
    printed elsewhere as they are and ``earlier`` says what earlier releases did with rows
    (see :func:`protect`); ``versions`` are the earlier tables of revised groups (each
    cell's codes -> (count, printed)). Groups with no count under ``k``, nothing the
    country suppressed or left without a count, nothing hidden before and no earlier
    table hiding a cell have nothing to hide and are passed over. Within a group the
    cells are named by their codes, so the choices do not depend on the frame's order."""
    import pandas as pd

    result = Protected(k)
    if frame.empty:
        return result
    fixed, earlier, versions = set(fixed), earlier or {}, versions or {}
    numbers = pd.to_numeric(frame["value"]).to_numpy(dtype=float, na_value=np.nan)
    sender = (frame["obs_status"] == "Q").to_numpy()
    lower = pd.to_numeric(frame["lower"]).to_numpy(dtype=float, na_value=np.nan)
    upper = pd.to_numeric(frame["upper"]).to_numpy(dtype=float, na_value=np.nan)
    # a count under k, one the country suppressed, or none (``..``: its own may follow)
    flagged = ((numbers > 0) & (numbers < k)) | sender | np.isnan(numbers)
    flagged |= frame.index.isin([key for key, was in earlier.items() if was == "hidden"])
    if not flagged.any():
        return result
    groups = frame.groupby(["country", "year", "indicator"], sort=False).indices
    codes_of = list(zip(*(frame[d].to_numpy(dtype=object) for d in DIMENSIONS), strict=True))
    index = frame.index.to_numpy(dtype=object)
    tasks, rows_of, named = [], [], []
    for group, rows in groups.items():
        mine = versions.get(group, [])
        if not flagged[rows].any() and not any(
            0 < (v[0] or 0) < k or v[0] is None for t in mine for v in t.values() if not v[1]
        ):
            continue  # nothing to hide in this group
        row_of = {codes_of[i]: index[i] for i in rows}
        values = {
            codes_of[i]: (None if numbers[i] != numbers[i] else int(numbers[i])) for i in rows
        }
        ranges = {
            codes_of[i]: (float(lower[i]), None if upper[i] != upper[i] else float(upper[i]))
            for i in rows
            if sender[i] and lower[i] == lower[i]
        }
        sent = [codes_of[i] for i in rows if sender[i]]
        printed = [key for key, row in row_of.items() if row in fixed]
        before = {key: earlier[row] for key, row in row_of.items() if row in earlier}
        tasks.append((values, k, sent, printed, ranges, before, mine))
        rows_of.append(row_of)
        named.append(group)
    for group, row_of, found in zip(named, rows_of, map_tables(_protect_table, tasks), strict=True):
        result.hidden.update({row_of[key]: why for key, why in found.hidden.items()})
        for key, span in found.intervals.items():
            if key in row_of:
                result.intervals[row_of[key]] = span
        # margins the table leaves out, cells of earlier tables: for the audit
        for key in (found.intervals.keys() | found.settled.keys()) - row_of.keys():
            result.margins[(*group, *key)] = (found.intervals.get(key), found.settled.get(key))
        result.settled.update({row_of[k]: why for k, why in found.settled.items() if k in row_of})
        result.readings[group] = found.readings[()]
    return result


def _protect_table(task: tuple) -> Protected:
    values, k, sent, printed, ranges, before, versions = task
    values = {key: values[key] for key in sorted(values, key=str)}
    relations = hierarchy_relations(values)
    past: dict[Key, bool] = {}
    cells = dict(values)
    for n, version in enumerate(versions):
        relations += past_relations(n, version, values, past, cells)
    return protect(cells, relations, k, sent, printed, ranges, before, past)


def past_relations(
    n: int, version: dict, values: dict[Key, int | None], past: dict[Key, bool], cells: dict
) -> list[Relation]:
    """The relations of an earlier table ``n`` of the group: a cell with the count it has
    now is the cell now (one unknown to an intruder who reads both), any other a cell of
    its own, ``(*codes, ("release", n))``, added to ``past`` and ``cells``. A cell without
    a count then or now (``c``, ``..``, a country's ``<5``) may be the same count as before
    or not, which only the country knows: an intruder may guess it is (and be right), so
    the two are related as equal (a relation read as the others are: dropped when the
    counts contradict it)."""

    def name(key: Key) -> Key:
        was = version.get(key)
        if was is not None and was[0] is not None and values.get(key) == was[0]:
            return key  # the same count (a suppressed cell may have changed: its own)
        return (*key, ("release", n))

    links: list[Relation] = []
    for key, (value, printed) in version.items():
        if name(key) != key:
            past[name(key)] = printed and value is not None
            cells[name(key)] = value
            if key in values and (value is None or values[key] is None):
                links.append((key, (name(key),)))
    found = [(name(t), tuple(name(p) for p in ps)) for t, ps in hierarchy_relations(version)]
    return found + links
