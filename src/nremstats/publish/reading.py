"""What an intruder reads in a country-year-indicator's table: the relations of every
hierarchy of ``schemas/rules.yaml`` (a total is the sum of its parts, within every
combination of the other breakdowns), which of them the counts allow to read as complete
(:func:`consistent`), the other ways to read them when the counts contradict breakdowns only
together (:func:`readings`), and the relations as rows of a linear program (:func:`system`).
See docs/disclosure.md."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from nremstats.core import codes
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.publish.lp import Model

Key = Hashable
#: A relation: (total, parts) meaning total = sum(parts), or, as an :class:`AtMost`,
#: total >= sum(parts).
Relation = tuple[Key, tuple[Key, ...]]


class AtMost(tuple):  # type: ignore[type-arg]
    """A relation (total, parts) read as ``sum(parts) <= total``: a breakdown the counts
    show to be incomplete (a category it does not list is not zero somewhere), whose parts
    still cannot add up to more than their total."""

    __slots__ = ()


def is_equation(relation: Relation) -> bool:
    return not isinstance(relation, AtMost)


def holds(
    cells: dict[Key, int | None],
    relation: Relation,
    bounds: dict[Key, tuple[float, float | None]] | None = None,
) -> bool:
    """True unless the relation is contradicted by what is known of its cells (a total that
    cannot be the sum of its parts, or for an :class:`AtMost` parts that must add up to
    more than it; ranges such as ``<5`` by their bounds: the intruder then sees that the
    breakdown is not complete, and does not read it so)."""
    bounds = bounds or {}
    total, parts = relation
    low = high = 0.0
    for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
        value = cells.get(key)
        if value is not None:
            low, high = low + sign * value, high + sign * value
            continue
        lo, hi = bounds.get(key, (0.0, None))
        top = np.inf if hi is None else hi  # an unknown without a bound: as large as needed
        low, high = (low + lo, high + top) if sign > 0 else (low - top, high - lo)
    return 0 <= high and (low <= 0 or not is_equation(relation))


def consistent(
    cells: dict[Key, int | None],
    relations: list[Relation],
    bounds: dict[Key, tuple[float, float | None]] | None = None,
    first: Hashable | None = None,
) -> list[Relation]:
    """The relations an intruder can read together. A breakdown is read as complete (each
    of its relations an equation) unless the counts contradict it somewhere: then none of
    its relations is (:class:`AtMost`: its parts add up to their total or less, a category
    it leaves out being 0 or more). A breakdown is the same total split into the same
    categories within every combination of the other breakdowns (:func:`breakdown`).
    The relations kept are those some table satisfies together (cells not published as a
    number, and margins not published at all, are unknowns of 0 or more within their
    bounds): taken in order, an equation that disagrees with those kept makes its breakdown
    incomplete, and what still disagrees is dropped (``first``: a breakdown to take as
    complete before the others, see :func:`readings`)."""
    bounds = bounds or {}
    incomplete: set[Hashable] = set()
    while True:
        read = [AtMost(r) if _in(cells, r, incomplete) else r for r in relations]
        contradicted = {
            _group(cells, r) for r in read if is_equation(r) and not holds(cells, r, bounds)
        }
        if contradicted - incomplete:
            incomplete |= contradicted
            continue
        kept = [r for r in read if holds(cells, r, bounds)]
        chosen, dropped = _together(cells, kept, bounds, first)
        fresh = {_group(cells, r) for r in dropped if is_equation(r)} - incomplete
        if not fresh:
            return chosen
        incomplete |= fresh


def readings(
    cells: dict[Key, int | None],
    relations: list[Relation],
    bounds: dict[Key, tuple[float, float | None]] | None = None,
    most: int = 3,
) -> list[list[Relation]]:
    """The ways an intruder can read the relations together: :func:`consistent`'s first.
    When the counts contradict breakdowns only together (one of them is incomplete, and
    they do not say which), an intruder may guess right whichever it is: each reading that
    takes another of them as complete is added (at most ``most`` tried)."""
    main = consistent(cells, relations, bounds)
    out, seen = [main], {frozenset(tuple(r) for r in main if is_equation(r))}
    alone = {_group(cells, r) for r in relations if not holds(cells, r, bounds)}
    relaxed = dict.fromkeys(_group(cells, r) for r in main if not is_equation(r))
    guesses = [n for n in relaxed if n not in alone and (n[0], True) not in alone]  # type: ignore[index]
    for name in guesses[:most]:
        other = consistent(cells, relations, bounds, first=name)
        equations = frozenset(tuple(r) for r in other if is_equation(r))
        if equations not in seen:
            seen.add(equations)
            out.append(other)
    return out


def compact(relations: list[Relation], read: list[Relation]) -> str:
    """A reading of ``relations`` (:func:`readings`) as one letter per relation: ``E`` read
    as an equation, ``A`` as an :class:`AtMost`, ``-`` dropped (to hand it on cheaply)."""
    out, at = [], 0
    for relation in relations:
        if at < len(read) and tuple(read[at]) == tuple(relation):
            out.append("E" if is_equation(read[at]) else "A")
            at += 1
        else:
            out.append("-")
    return "".join(out)


def expand(relations: list[Relation], code: str) -> list[Relation]:
    """The reading :func:`compact` wrote as ``code``."""
    if len(code) != len(relations):
        raise ValueError("a reading of other relations")
    return [
        relation if letter == "E" else AtMost(relation)
        for relation, letter in zip(relations, code, strict=True)
        if letter != "-"
    ]


def ranges(
    cells: dict[Key, int | None], bounds: dict[Key, tuple[float, float | None]]
) -> tuple[tuple[str, float, float | None], ...]:
    """What :func:`readings` reads of ``bounds``: the ranges of the cells without a count."""
    found = {
        str(key): (float(low), None if high is None or high == np.inf else float(high))
        for key, (low, high) in bounds.items()
        if key in cells and cells[key] is None
    }
    return tuple((key, *found[key]) for key in sorted(found))


def _together(
    cells: dict[Key, int | None],
    relations: list[Relation],
    bounds: dict[Key, tuple[float, float | None]],
    first: Hashable | None = None,
) -> tuple[list[Relation], list[Relation]]:
    """The relations some table satisfies together, and the equations it cannot (see
    :func:`consistent`). Every relation's parts add up to its total or less whatever the
    breakdown (counts are 0 or more): those inequalities are read first, then each equation
    in turn (those between cells of the table before those naming margins it leaves out);
    one that disagrees with what is read makes its whole breakdown inequalities (lists of
    single citizenships last: a country seldom lists every one)."""
    unknown = [k for t, ps in relations for k in (t, *ps) if cells.get(k) is None]
    if len(unknown) == len(set(unknown)):  # no unknown in two relations: each one holds alone
        return relations, []
    a, low, high, box, _ = system(cells, relations, list(dict.fromkeys(unknown)), bounds)
    model = Model(a, low, high, box)
    if model.feasible():
        return relations, []
    named = [r for r in relations if any(cells.get(k) is None for k in (r[0], *r[1]))]
    model.bound_rows(list(range(len(low))), low, np.full(len(low), np.inf))  # as AtMost
    if not model.feasible():  # the inequalities disagree (parts over a range's top)
        return _one_by_one(cells, relations, a, low, high, box)
    read: dict[int, Relation] = {}
    dropped = []
    failed: set[Hashable] = set()
    # equations between cells the table has first, then those naming margins it leaves
    # out, and lists of single citizenships last (the breakdown most often incomplete)
    order = sorted(
        range(len(named)),
        key=lambda i: (
            first is None or _group(cells, named[i]) != first,
            _listing(named[i]),
            any(k not in cells for k in (named[i][0], *named[i][1])),
        ),
    )
    equations = [i for i in order if is_equation(named[i])]
    while equations:  # each equation in turn, kept when it agrees with those kept before
        rest = [i for i in equations if not _in(cells, named[i], failed)]
        loose = (low, np.full(len(low), np.inf))
        kept = _agreeing(model, rest, (low, high), loose, not dropped)
        if kept == len(rest):
            break
        failed.add(_group(cells, named[rest[kept]]))
        dropped.append(named[rest[kept]])
        equations = rest[kept + 1 :]
    for i, relation in enumerate(named):  # a breakdown that failed is read as incomplete
        if is_equation(relation) and _in(cells, relation, failed):
            model.bound_row(i, low[i], np.inf)
            read[id(relation)] = AtMost(relation)
    return [read.get(id(r), r) for r in relations], dropped


def _one_by_one(
    cells: dict[Key, int | None],
    relations: list[Relation],
    a: Any,
    low: Any,
    high: Any,
    box: list,
) -> tuple[list[Relation], list[Relation]]:
    """Each relation kept when it agrees with those kept before it."""
    free = np.full(len(low), np.inf)
    model = Model(a, -free, free, box)
    named = [r for r in relations if any(cells.get(k) is None for k in (r[0], *r[1]))]
    refused: set[int] = set()
    rows = list(range(len(named)))  # the rows of system: one per relation naming an unknown
    while rows:
        kept = _agreeing(model, rows, (low, high), (-free, free), not refused)
        if kept == len(rows):
            break
        refused.add(rows[kept])
        rows = rows[kept + 1 :]
    out = {id(named[i]) for i in refused}
    # no unknown: holds() checked it exactly
    return [r for r in relations if id(r) not in out], [named[i] for i in sorted(refused)]


def _agreeing(
    model: Model, rows: list[int], tight: tuple[Any, Any], loose: tuple[Any, Any], known: bool
) -> int:
    """How many of ``rows`` agree with the model taken in order: the largest ``m`` such
    that the program is feasible with ``rows[:m]`` bound to ``tight`` (lower and upper
    ends of every row) and the others to ``loose`` (the other rows of the model as they
    are). The model is left so. The answer is the one a row-by-row pass gives (a row that
    disagrees with those before it disagrees with any more of them), found with a few
    programs: all at once (unless ``known`` not to agree), else by doubling steps, then
    halving."""

    def bind(m: int) -> None:
        model.bound_rows(rows[:m], *tight)
        model.bound_rows(rows[m:], *loose)

    def fits(m: int) -> bool:
        nonlocal good
        bind(m)
        if not model.feasible():
            return False
        # the values found may hold the next rows within ``tight`` too: those agree
        inside = model.within(rows[m:bad], tight[0], tight[1])
        good = max(good, m + (len(inside) if inside.all() else int(np.argmin(inside))))
        return True

    good, bad = 0, len(rows)
    if not known and fits(bad):
        return bad
    step = 1
    while good + step < bad:
        if not fits(good + step):
            bad = good + step
            break
        step *= 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if not fits(middle):
            bad = middle
    bind(good)
    return good


def _group(cells: dict[Key, int | None], relation: Relation) -> Hashable:
    """The relations read as complete or not together: those of one breakdown
    (:func:`breakdown`) between cells the country sent, and apart from them those naming a
    margin it did not send (a country that lists every category where it cross-classifies
    may still leave cells out of the margins it did not make; the reverse does not hold,
    see :func:`_in`)."""
    return breakdown(relation), all(k in cells for k in (relation[0], *relation[1]))


def _in(cells: dict[Key, int | None], relation: Relation, groups: set[Hashable]) -> bool:
    """Whether the relation's group is among ``groups``, or the group of its breakdown
    between cells the country sent is (categories missing there are missing from the
    margins too)."""
    group = _group(cells, relation)
    return group in groups or (group[0], True) in groups  # type: ignore[index]


def breakdown(relation: Relation) -> Hashable:
    """Which breakdown a relation between keys of codes belongs to: the position of the
    breakdown whose code differs between the total and its parts, that total's code, the
    codes of the parts and what marks a key of an earlier table (codes after the table's
    own; other keys: the relation itself)."""
    total, parts = relation
    if not isinstance(total, tuple) or not parts or not isinstance(parts[0], tuple):
        return tuple(relation)
    keys = (total, *parts)
    size = min(map(len, keys))
    tail = tuple(sorted({k[size:] for k in keys}, key=str))  # an earlier table's mark
    for i, (code, part) in enumerate(zip(total, parts[0], strict=False)):
        if part != code:
            return i, code, tuple(sorted(p[i] for p in parts)), tail
    return tuple(relation)


def system(
    cells: dict[Key, int | None],
    relations: list[Relation],
    unknown: list[Key],
    bounds: dict[Key, tuple[float, float | None]],
) -> tuple[Any, Any, Any, list, dict[Key, int]]:
    """The relations as rows on the unknowns, ``low <= A x <= high`` (an equation: low =
    high), with the bounds of each unknown: (A, low, high, bounds, index)."""
    index = {key: i for i, key in enumerate(unknown)}
    rows, cols, signs, low, high = [], [], [], [], []
    for relation in relations:
        total, parts = relation
        known, named = 0.0, len(rows)
        for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            at = index.get(key)
            if at is None:
                known += sign * float(cells[key])  # type: ignore[arg-type]
            else:
                rows.append(len(low))
                cols.append(at)
                signs.append(sign)
        if len(rows) > named:
            low.append(-known)
            high.append(-known if is_equation(relation) else np.inf)
    box = [bounds.get(key, (0.0, None)) for key in unknown]
    a = np.zeros((len(low), len(unknown)))
    np.add.at(a, (rows, cols), signs)
    keep = np.abs(a).sum(axis=1) > 0  # (a cell that is its own part would cancel)
    if not keep.any():
        return None, None, None, box, index
    return a[keep], np.array(low)[keep], np.array(high)[keep], box, index


@functools.cache
def _parents() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Per breakdown: each declared part's total (``rules.yaml`` hierarchies), and the total
    of the codes not in the code list (single citizenships: ``FOR``)."""
    declared: dict[str, dict[str, str]] = {d: {} for d in DIMENSIONS}
    countries: dict[str, str] = {}
    for spec in codes.hierarchies().values():
        if spec["parts"] == "countries":
            countries[spec["dim"]] = spec["total"]
        else:
            for part in spec["parts"]:
                declared[spec["dim"]].setdefault(part, spec["total"])
    return declared, countries


def _listing(relation: Relation) -> bool:
    """Whether the relation splits a total into single codes outside the code list (a
    foreign total into the single citizenships)."""
    found = breakdown(relation)
    if not (isinstance(found, tuple) and len(found) == 4 and isinstance(found[0], int)):
        return False
    dim = DIMENSIONS[found[0]] if found[0] < len(DIMENSIONS) else None
    return dim is not None and _parents()[1].get(dim) == found[1]


def _parent(dim: str, code: str) -> str | None:
    declared, countries = _parents()
    found = declared[dim].get(code)
    if found is None and dim in countries and code not in codes.codes(dim):
        return countries[dim]
    return found


def hierarchy_relations(keys: Iterable[tuple[str, ...]]) -> list[Relation]:
    """The relations an intruder reads in one country, year and indicator, whose cells are
    ``keys`` (a code per breakdown, in the order of ``DIMENSIONS``): every total is the sum of
    its parts, by every hierarchy of ``schemas/rules.yaml`` (and a foreign total the sum of
    the single citizenships), within every combination of the other breakdowns.

    The intruder reads a breakdown as complete: a category that no cell of it reports is
    zero (relations that the counts contradict are dropped later, as an intruder would), and
    a margin the table does not print but whose parts it does (a cross table of sex by age
    without its sex totals) is an unknown of its own, tied to its parts and its total: keys
    not among ``keys`` name such margins; so do the cells of the full cross-classification
    that no key gives, when the cross tables sent close a cycle (:func:`interior`)."""
    dims = list(DIMENSIONS)
    closure = set(keys)
    stack = list(closure)
    while stack:  # every margin of every cell
        key = stack.pop()
        for i, dim in enumerate(dims):
            parent = _parent(dim, key[i])
            if parent is not None:
                up = (*key[:i], parent, *key[i + 1 :])
                if up not in closure:
                    closure.add(up)
                    stack.append(up)
    closure |= interior(closure)
    children: dict[tuple[tuple[str, ...], int], list[tuple[str, ...]]] = {}
    for key in closure:
        for i, dim in enumerate(dims):
            parent = _parent(dim, key[i])
            if parent is not None:
                children.setdefault(((*key[:i], parent, *key[i + 1 :]), i), []).append(key)
    return [(total, tuple(sorted(parts))) for (total, _), parts in sorted(children.items())]


#: The most cells :func:`interior` adds to a table (beyond, the cycle is left unread: see
#: docs/disclosure.md).
INTERIOR_LIMIT = 4000


def interior(keys: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The cells of the full cross-classification an intruder adds to a table whose cross
    tables close a cycle (sex by age, sex by form and age by form): every combination of
    the codes of the breakdowns on the cycle, each cell 0 or more. Cross tables that close
    no cycle can always be filled in by some table of 0 or more that agrees with them, so
    such cells would tell the intruder nothing more; on a cycle they can (three tables
    that agree two by two may fit no table of three breakdowns), and then narrow a cell.
    ``keys`` are the table's cells and margins; the cells returned are not among them."""
    views = {frozenset(i for i, code in enumerate(key) if code != TOTAL) for key in keys}
    cycle = _cycle(views)
    if not cycle:
        return set()
    codes = [
        sorted({key[i] for key in keys}) if i in cycle else [TOTAL] for i in range(len(DIMENSIONS))
    ]
    if np.prod([len(c) for c in codes]) > INTERIOR_LIMIT:
        return set()
    # a cell one of whose cross tables leaves out its category is 0 (the structural
    # assumption): left out too
    given = [view for view in views if view and view <= cycle]
    return {
        cell
        for cell in itertools.product(*codes)
        if cell not in keys
        and all(
            tuple(code if i in view else TOTAL for i, code in enumerate(cell)) in keys
            for view in given
        )
    }


def _cycle(views: set[frozenset[int]]) -> set[int]:
    """The breakdowns on the cycles of the cross tables ``views`` (the breakdowns each
    cross-classifies), empty when they close none: the views left by the GYO reduction
    (drop a breakdown that one view alone has, a view within another, until none)."""
    edges = [set(view) for view in views if view]
    while True:
        size = (sum(map(len, edges)), len(edges))
        for edge in edges:
            edge -= {d for d in edge if sum(d in other for other in edges) == 1}
        edges = [
            edge
            for i, edge in enumerate(edges)
            if edge
            and not any(
                j != i and edge <= other and (edge != other or j < i)
                for j, other in enumerate(edges)
            )
        ]
        if (sum(map(len, edges)), len(edges)) == size:
            return set().union(*edges)
