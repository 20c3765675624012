"""An intruder with linear programming against the suppression of observations.

Written apart from the code under test: its own reading of a published breakdown (a total is
the sum of the parts shown, a category not shown is zero: the intruder reads a breakdown as
complete, where the counts do not contradict it) and its own linear programs (scipy's
``linprog``, HiGHS). For every suppressed cell it finds the smallest and largest value
consistent with everything published; a count under k must keep [1, k-1] (and one more than
itself) open, and no suppressed cell may be pinned to one value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from nremstats.publish.disclosure import PRIMARY
from nremstats.publish.suppression import protect_observations

K = 5
SEXES, AGES = ("F", "M", "_U"), ("Y_LT18", "Y_GE18")


def frame_of(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    """One country-year-indicator: the interior counts given, and every total of them."""
    sexes = sorted({s for s, _ in counts})
    ages = sorted({a for _, a in counts})
    cells = dict(counts)
    for s in sexes:
        cells[(s, "_T")] = sum(v for (x, _), v in counts.items() if x == s)
    for a in ages:
        cells[("_T", a)] = sum(v for (_, y), v in counts.items() if y == a)
    cells[("_T", "_T")] = sum(counts.values())
    fixed = {"country": "XYZ", "year": 2022, "indicator": "VICTIMS_DETECTED"}
    blank = {"exploitation": "_T", "citizenship": "_T", "obs_status": "A"}
    rows = [
        {**fixed, **blank, "sex": s, "age": a, "value": v, "lower": None, "upper": None}
        for (s, a), v in cells.items()
    ]
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].astype("Int64")
    frame["lower"] = frame["lower"].astype("Int64")
    frame["upper"] = frame["upper"].astype("Int64")
    return frame


def intruder_relations(frame: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Total = sum of the parts shown, by sex within each age and by age within each sex."""
    at = {(r.sex, r.age): i for i, r in frame.iterrows()}
    relations = []
    for age in {a for _, a in at}:
        parts = [at[(s, age)] for s in SEXES if (s, age) in at]
        if ("_T", age) in at and parts:
            relations.append((at[("_T", age)], parts))
    for sex in {s for s, _ in at}:
        parts = [at[(sex, a)] for a in AGES if (sex, a) in at]
        if (sex, "_T") in at and parts:
            relations.append((at[(sex, "_T")], parts))
    return relations


def attack(frame: pd.DataFrame, hidden: set[int]) -> dict[int, tuple[float, float]]:
    values = frame["value"].astype(float).to_numpy()
    relations = [
        (t, ps) for t, ps in intruder_relations(frame) if values[t] == sum(values[p] for p in ps)
    ]  # a breakdown the counts contradict is not read as complete
    order = sorted(hidden)
    column = {key: i for i, key in enumerate(order)}
    a_eq, b_eq = [], []
    for total, parts in relations:
        row, rest = np.zeros(len(order)), 0.0
        for key, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
            if key in column:
                row[column[key]] += sign
            else:
                rest += sign * values[key]
        if row.any():
            a_eq.append(row)
            b_eq.append(-rest)
    found = {}
    for key in order:
        c = np.zeros(len(order))
        c[column[key]] = 1
        ends = []
        for sign in (1, -1):
            result = linprog(
                sign * c,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=np.array(b_eq) if b_eq else None,
                bounds=[(0, None)] * len(order),
                method="highs",
            )
            ends.append(np.inf if result.status == 3 else sign * result.fun)
        found[key] = (ends[0], ends[1])
    return found


def assert_protected(frame: pd.DataFrame) -> dict:
    protected = protect_observations(frame, K)
    hidden = set(protected.hidden)
    if not hidden:
        return {}
    found = attack(frame, hidden)
    for key in hidden:
        low, high = found[key]
        assert high - low > 0.5, (key, frame.loc[key].to_dict(), found[key])  # never pinned
        if protected.hidden[key] == PRIMARY:
            value = int(frame.loc[key, "value"])
            assert low <= 1 + 1e-6 and high >= max(K - 1, value + 1) - 1e-6, (key, found[key])
    return protected.hidden


cell = st.integers(0, 12)


@given(
    st.sets(st.sampled_from(SEXES), min_size=1, max_size=3),
    st.sets(st.sampled_from(AGES), min_size=1, max_size=2),
    st.lists(cell, min_size=6, max_size=6),
)
@settings(max_examples=120, deadline=None)
def test_no_suppressed_cell_is_recovered_or_narrowed(sexes, ages, values):
    counts = dict(zip(itertools.product(sorted(sexes), sorted(ages)), values, strict=False))
    frame = frame_of(counts)
    hidden = assert_protected(frame)
    small = frame.index[(frame["value"] > 0) & (frame["value"] < K)]
    assert set(small) <= set(hidden)


def test_an_unreported_category_is_read_as_zero():
    """CZE 2022: total 100, F 3, M 97, no other sex reported: F = 100 - 97 unless another
    cell of the relation is hidden too."""
    frame = frame_of({("F", "_T"): 3, ("M", "_T"): 97}).drop_duplicates(["sex", "age"])
    frame = frame[frame["age"] == "_T"].reset_index(drop=True)
    hidden = assert_protected(frame)
    index = {(r.sex, r.age): i for i, r in frame.iterrows()}
    assert index[("F", "_T")] in hidden
    assert {index[("M", "_T")], index[("_T", "_T")]} & set(hidden)


def test_a_zero_is_never_the_complement():
    """EST: male x children 0 beside female x children 1: hiding the 0 protects nothing."""
    frame = frame_of(
        {("F", "Y_LT18"): 1, ("M", "Y_LT18"): 0, ("F", "Y_GE18"): 20, ("M", "Y_GE18"): 30}
    )
    hidden = assert_protected(frame)
    zero = frame.index[(frame["sex"] == "M") & (frame["age"] == "Y_LT18")][0]
    assert zero not in hidden


def test_a_bound_the_country_wrote_is_the_limit_not_a_crash():
    """A total the country wrote as '<5' over a part of 4: no table can give the part more
    room than the country's own bound; it is hidden, and publishing goes on."""
    frame = frame_of({("F", "_T"): 4, ("M", "_T"): 0})
    frame = frame[frame["age"] == "_T"].reset_index(drop=True)
    total = frame.index[frame["sex"] == "_T"][0]
    frame.loc[total, ["value", "obs_status", "lower", "upper"]] = [pd.NA, "Q", 0, 4]
    hidden = protect_observations(frame, K).hidden
    assert frame.index[frame["sex"] == "F"][0] in hidden


def test_sdmx_never_hides_a_total_the_tables_print(tmp_path):
    """A country-year's total is printed by the comparison table and the report: hiding it in
    SDMX as a complement hides nothing, so a part is hidden instead."""
    from nremstats.ingest import ingest_files
    from nremstats.publish.sdmx import to_sdmx_csv
    from nremstats.store.store import open_store
    from tests.conftest import HEADER, write_csv

    lines = [HEADER + ",definition"]
    for sex, value in (("_T", 12), ("F", 3), ("M", 9)):
        lines.append(f"BEL,2022,VICTIMS_DETECTED,{sex},_T,_T,_T,{value},PRESUMED")
    assert ingest_files([write_csv(tmp_path / "bel.csv", lines)], tmp_path / "store").ok
    frame = open_store(tmp_path / "store").observations()
    text = to_sdmx_csv(frame).text
    rows = {line.split(",")[6]: line.split(",") for line in text.splitlines()[1:]}
    assert rows["_T"][10] == "12"  # printed, as in the tables
    assert rows["F"][10] == "" and rows["M"][10] == ""  # F = 12 - 9 unless M is hidden too
