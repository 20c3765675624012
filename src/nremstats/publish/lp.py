"""The intruder's linear programs, solved by HiGHS (``highspy``).

One model per table: the published relations as equations on the unknown cells, each
unknown within its bounds (0 or more, or a published range). :class:`Model` finds the
smallest and largest value of one unknown at a time, re-using the model and the last basis
(a few hundredths of a millisecond each, where building a new problem for every bound, as
``scipy.optimize.linprog`` does, costs more than solving it).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")
#: Below this many tables, one process solves them all (starting workers costs more).
PARALLEL_FROM = 400


def map_tables(solve: Callable[[T], R], tables: Sequence[T]) -> list[R]:
    """``solve`` applied to every table, in order: on every core when there are many (the
    tables are independent: no relation crosses a country, year and indicator), each worker
    a fork of this process with a solver of its own. Tables written the same (``repr``:
    the same cells, counts, ranges and choices in the same order; many small tables of a
    compilation are) are solved once: ``solve`` is a function of its table alone, so the
    answer is the one solving each would give, and the same object is returned for each
    (read it, do not change it)."""
    from threadpoolctl import threadpool_limits

    first: dict[str, int] = {}
    unique: list[T] = []
    at = []
    for table in tables:
        at.append(first.setdefault(repr(table), len(unique)))
        if at[-1] == len(unique):
            unique.append(table)
    workers = min(len(os.sched_getaffinity(0)), 8) if hasattr(os, "sched_getaffinity") else 1
    # the matrices are small: BLAS threads would cost more than they give (several times
    # more when the cores are busy), so one thread each
    with threadpool_limits(1):
        if workers < 2 or len(unique) < PARALLEL_FROM:
            solved = [solve(table) for table in unique]
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            chunk = max(1, len(unique) // (workers * 8))
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                solved = list(pool.map(solve, unique, chunksize=chunk))
    return [solved[i] for i in at]


@functools.cache
def _highs(slot: int = 0) -> Any:
    """The process's HiGHS solver of ``slot`` (one for the programs built for one question,
    one for those kept from question to question), silent. HiGHS prints a banner on the
    standard output when it is created, which would end up in an export written there: each
    is created once, with the standard output sent to /dev/null for that moment."""
    import highspy

    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        solver = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")
    # one thread: the programs are small, and HiGHS's pool of threads costs more at every
    # run than it gives (half of a small program's time); the tables run on every core
    solver.setOptionValue("threads", 1)
    return solver


#: The model each solver holds now (a model asked again after another took its solver is
#: loaded again).
_LOADED: dict[int, Model] = {}


class Model:
    """Rows ``lower <= A x <= upper`` (equations: lower = upper; ``inf``: no upper end) on
    unknowns ``x`` with ``low <= x <= high`` (None: no upper bound), in the solver of
    ``slot`` (a model is loaded again when another took its solver since)."""

    def __init__(
        self, a: Any, lower: Any, upper: Any, box: list[tuple[float, float | None]], slot: int = 0
    ) -> None:
        import highspy

        self._status = highspy.HighsModelStatus
        self.size, self.slot = len(box), slot
        self.solver = _highs(slot)
        self.low = np.array([b[0] for b in box], dtype=float)
        self.high = np.array(
            [highspy.kHighsInf if b[1] is None else b[1] for b in box], dtype=float
        )
        # the rows as they are now (a reload keeps the bounds changed since)
        rows = 0 if a is None else len(a)
        self._rows = (
            a,
            np.array(lower if rows else [], dtype=float).reshape(rows),
            np.array(upper if rows else [], dtype=float).reshape(rows),
        )
        self._load()

    def _load(self) -> None:
        import highspy

        solver, (a, lower, upper) = self.solver, self._rows
        solver.clearModel()
        empty = np.array([], dtype=np.int32)
        solver.addCols(
            self.size, np.zeros(self.size), self.low, self.high, 0, empty, empty, np.array([])
        )
        if a is not None and len(a):
            rows, cols = np.nonzero(a)
            starts = np.searchsorted(rows, np.arange(len(a))).astype(np.int32)
            solver.addRows(
                len(a),
                _finite(lower, highspy.kHighsInf),
                _finite(upper, highspy.kHighsInf),
                len(cols),
                starts,
                cols.astype(np.int32),
                a[rows, cols],
            )
        self._last: int | None = None
        _LOADED[self.slot] = self

    def _ensure(self) -> None:
        if _LOADED.get(self.slot) is not self:
            self._load()

    def set_bounds(self, indices: list[int], low: Any, high: Any) -> None:
        """Make the unknowns ``indices`` lie within ``low`` and ``high`` from now on."""
        import highspy

        where = np.array(indices, dtype=np.int32)
        self.low[where] = np.asarray(low, dtype=float)
        self.high[where] = _finite(high, highspy.kHighsInf)
        if _LOADED.get(self.slot) is self:
            self.solver.changeColsBounds(len(where), where, self.low[where], self.high[where])

    def bound_row(self, i: int, lower: float, upper: float) -> None:
        """Make row ``i`` read ``lower <= row . x <= upper``."""
        import highspy

        self._ensure()
        self._rows[1][i], self._rows[2][i] = lower, upper
        low, high = _finite([lower, upper], highspy.kHighsInf)
        self.solver.changeRowBounds(i, low, high)

    def bound_rows(self, rows: list[int], lower: Any, upper: Any) -> None:
        """Make each row ``i`` of ``rows`` read ``lower[i] <= row . x <= upper[i]``."""
        import highspy

        if not rows:
            return
        self._ensure()
        where = np.array(rows, dtype=np.int32)
        self._rows[1][where] = np.asarray(lower, dtype=float)[where]
        self._rows[2][where] = np.asarray(upper, dtype=float)[where]
        low = _finite(self._rows[1][where], highspy.kHighsInf)
        high = _finite(self._rows[2][where], highspy.kHighsInf)
        self.solver.changeRowsBounds(len(where), where, low, high)

    def _run(self) -> Any:
        self._ensure()
        self.solver.run()
        return self.solver.getModelStatus()

    def feasible(self) -> bool:
        """True when some values of the unknowns satisfy every equation and bound."""
        self._no_cost()
        return self._run() == self._status.kOptimal

    def _no_cost(self) -> None:
        """No objective (the one :meth:`extreme` left, cleared)."""
        self._ensure()
        if self._last is not None:
            self.solver.changeColCost(self._last, 0.0)
            self._last = None

    def within(self, rows: list[int], lower: Any, upper: Any) -> Any:
        """Whether the values found last hold each row ``i`` of ``rows`` within
        ``lower[i]`` and ``upper[i]`` (within HiGHS's tolerance), one answer per row."""
        if not rows:
            return np.ones(0, dtype=bool)
        values = np.array(self.solver.getSolution().col_value)
        where = np.array(rows, dtype=np.intp)
        found = self._rows[0][where] @ values
        low, high = np.asarray(lower)[where], np.asarray(upper)[where]
        return (found >= low - 1e-7) & (found <= high + 1e-7)

    def reach(
        self, indices: list[int], lows: Any, highs: Any, toward: tuple[list[int], int] = ([], 0)
    ) -> Any:
        """Values of the unknowns that satisfy every equation and bound with the unknowns
        ``indices`` within ``lows`` and ``highs`` too, all at once; None when there are
        none. ``toward``: other unknowns and a direction (1 up, -1 down, each within its
        own bounds, which must be finite that way) to push them in as far as they go
        together: the values found then tell more (whether there are values does not
        depend on it)."""
        self._ensure()
        where = np.array(indices, dtype=np.int32)
        self.solver.changeColsBounds(
            len(where), where, np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
        )
        pushed = np.array(toward[0], dtype=np.int32)
        try:
            if len(pushed):
                self._no_cost()
                costs = np.full(len(pushed), -float(toward[1]))
                self.solver.changeColsCost(len(pushed), pushed, costs)
                if self._run() != self._status.kOptimal:
                    return None
            elif not self.feasible():
                return None
            return np.array(self.solver.getSolution().col_value)
        finally:
            self.solver.changeColsBounds(len(where), where, self.low[where], self.high[where])
            if len(pushed):
                self.solver.changeColsCost(len(pushed), pushed, np.zeros(len(pushed)))

    def extreme(self, i: int, largest: bool) -> float:
        """The smallest (or largest) value unknown ``i`` can take (``inf`` when unbounded).

        Raises:
            RuntimeError: the equations have no solution.
        """
        self._ensure()
        if self._last is not None and self._last != i:
            self.solver.changeColCost(self._last, 0.0)
        self.solver.changeColCost(i, -1.0 if largest else 1.0)
        self._last = i
        status = self._run()
        if status == self._status.kOptimal:
            value = self.solver.getInfo().objective_function_value
            return -value if largest else value
        if status in (self._status.kUnbounded, self._status.kUnboundedOrInfeasible):
            return np.inf if largest else -np.inf
        raise RuntimeError(f"the intruder's model has no solution ({status})")


def _finite(values: Any, infinity: float) -> Any:
    """Infinite ends as HiGHS's infinity (which is ``inf`` itself in the versions seen)."""
    found = np.asarray(values, dtype=float)
    return found if infinity == np.inf else np.clip(found, -infinity, infinity)
