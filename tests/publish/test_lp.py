"""The intruder's linear programs (nremstats.publish.lp): models that share a solver."""

from __future__ import annotations

import numpy as np

from nremstats.publish.lp import Model, map_tables


def test_a_model_asked_again_after_another_took_its_solver_is_as_it_was_left() -> None:
    """x0 - x1 = 0 bound to = 2, x1 held in [1, 3]; another model then loads the same
    solver; asked again, the first is reloaded with its changed row and column bounds."""
    first = Model(np.array([[1.0, -1.0]]), [0.0], [0.0], [(0.0, None), (0.0, None)])
    first.bound_rows([0], np.array([2.0]), np.array([2.0]))
    first.set_bounds([1], [1.0], [3.0])
    other = Model(None, None, None, [(0.0, 9.0)])
    assert other.extreme(0, True) == 9.0
    assert first.extreme(0, False) == 3.0  # x0 = x1 + 2, x1 >= 1
    assert first.extreme(0, True) == 5.0
    assert other.extreme(0, False) == 0.0


def test_a_reach_stays_within_the_unknowns_own_bounds() -> None:
    """Asking x0 at least 5 when x0 is at most 3 finds no values (never values beyond 3)."""
    model = Model(np.array([[1.0, 1.0]]), [4.0], [4.0], [(0.0, 3.0), (0.0, None)])
    assert model.reach([0], [5.0], [3.0]) is None
    found = model.reach([0], [3.0], [3.0])
    assert found is not None and abs(found[0] - 3.0) < 1e-9 and abs(found[1] - 1.0) < 1e-9


def test_a_reach_pushes_other_unknowns_toward_the_same_end() -> None:
    """x0 + x1 + x2 = 6, each in [0, 4]: asking x0 at least 2 while pushing x1 up finds x1
    at 4 (as far as it goes with x0 >= 2); the push leaves whether there are values alone."""
    a = np.array([[1.0, 1.0, 1.0]])
    model = Model(a, [6.0], [6.0], [(0.0, 4.0)] * 3)
    found = model.reach([0], [2.0], [4.0], ([1], 1))
    assert found is not None and abs(found[1] - 4.0) < 1e-9 and found[0] >= 2.0 - 1e-9
    found = model.reach([0], [0.0], [0.0], ([1, 2], -1))  # x0 at most 0: x1 + x2 = 6
    assert found is not None and abs(found[1] + found[2] - 6.0) < 1e-9
    assert model.reach([0, 1], [4.0, 4.0], [4.0, 4.0], ([2], 1)) is None  # 8 > 6
    assert model.feasible()  # bounds and costs as they were
    assert model.extreme(0, True) == 4.0


def test_within_says_which_rows_the_values_found_hold() -> None:
    """After a feasible program, the rows the values satisfy within other bounds."""
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    model = Model(a, [2.0, 3.0, -np.inf], [2.0, 3.0, np.inf], [(0.0, None)] * 2)
    assert model.feasible()
    inside = model.within([0, 1, 2], np.array([2.0, 0.0, 6.0]), np.array([2.0, 1.0, 9.0]))
    assert inside.tolist() == [True, False, False]


def test_tables_written_the_same_are_solved_once_and_answered_in_order() -> None:
    solved: list[object] = []

    def solve(table: tuple) -> list:
        solved.append(table)
        return [table[0] * 2]

    tables = [(1, {"a": None}), (2, {"a": 1}), (1, {"a": None}), (1, {"a": 0}), (2, {"a": 1})]
    answers = map_tables(solve, tables)
    assert answers == [[2], [4], [2], [2], [4]]
    assert solved == [(1, {"a": None}), (2, {"a": 1}), (1, {"a": 0})]
    assert answers[0] is answers[2]
