from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nremstats.core.values import parse_series, parse_value

# The table of written forms in docs/observation-format.md.
CASES = [
    ("1282", 1282, "A", None, None, None, None),
    ("1,282", 1282, "A", None, None, None, None),
    ("1 282", 1282, "A", None, None, None, None),
    ("1\u00a0282", 1282, "A", None, None, None, None),
    ("1282.0", 1282, "A", None, None, None, None),
    ("0", 0, "A", None, None, None, None),
    ("..", None, "L", None, None, None, None),
    (":", None, "L", None, None, None, None),
    ("n/a", None, "L", None, None, None, None),
    ("N/A", None, "L", None, None, None, None),
    ("x", None, "Q", None, None, "C", None),
    ("c", None, "Q", None, None, "C", None),
    (": c", None, "Q", None, None, "C", None),
    ("<5", None, "Q", 0, 4, None, None),
    ("<12", None, "Q", 0, 11, None, None),
    ("12 p", 12, "P", None, None, None, None),
    ("12 e", 12, "E", None, None, None, None),
    ("12 b", 12, "B", None, None, None, None),
    ("1,282 p", 1282, "P", None, None, None, None),
    ("12*", 12, "A", None, None, None, "*"),
    ("12 (a)", 12, "A", None, None, None, "(a)"),
]


@pytest.mark.parametrize(("text", "value", "status", "lower", "upper", "conf", "mark"), CASES)
def test_written_forms(text, value, status, lower, upper, conf, mark):
    parsed = parse_value(text)
    assert (parsed.value, parsed.obs_status, parsed.lower, parsed.upper) == (
        value,
        status,
        lower,
        upper,
    )
    assert (parsed.conf_status, parsed.mark, parsed.rule) == (conf, mark, None)


def test_blank_is_no_observation_never_zero():
    for text in ("", "   ", None):
        parsed = parse_value(text)
        assert parsed.blank and parsed.value is None and parsed.obs_status is None


def test_dash_is_not_available_with_a_warning():
    parsed = parse_value("-")
    assert parsed.obs_status == "L" and parsed.value is None
    assert parsed.rule == "VALUE_DASH"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("abc", "VALUE_UNPARSEABLE"),
        ("1.5", "UNIT_NOT_COUNT"),  # a rate or a share, never a count
        ("1.000", "UNIT_NOT_COUNT"),  # a thousands point or three decimals: never 1
        ("0.00", "UNIT_NOT_COUNT"),
        ("-3", "VALUE_NEGATIVE"),
        ("<0", "VALUE_UNPARSEABLE"),
        ("12 z", "VALUE_UNPARSEABLE"),
        ("1,28", "UNIT_NOT_COUNT"),
        ("12345678901234567890123", "VALUE_UNPARSEABLE"),  # beyond any count: never overflowed
        ("1000000001", "VALUE_UNPARSEABLE"),
        ("<2000000000", "VALUE_UNPARSEABLE"),
        ("1e308", "VALUE_UNPARSEABLE"),
    ],
)
def test_errors_name_the_text(text, rule):
    parsed = parse_value(text)
    assert parsed.rule == rule
    assert parsed.value is None
    assert f"'{text}'" in parsed.problem


written = st.one_of(
    st.integers(0, 10**7).map(str),
    st.integers(10**9 - 2, 10**19).map(str),  # around the largest count, and overflowing
    st.integers(0, 10**7).map(lambda n: f"{n:,}"),
    st.integers(1, 99).map(lambda n: f"<{n}"),
    st.sampled_from(["..", ":", "x", "c", ": c", "-", "abc", "", "1.5", "-3", "12 p", "7*"]),
    st.text(max_size=6),
)


@given(st.lists(written, max_size=30))
def test_series_parser_agrees_with_scalar_parser(texts):
    frame = parse_series(pd.Series(texts, dtype=object))
    for i, text in enumerate(texts):
        expected = parse_value(text)
        row = frame.iloc[i]
        got_value = None if pd.isna(row["value"]) else int(row["value"])
        got_status = None if pd.isna(row["obs_status"]) else row["obs_status"]
        got_rule = None if pd.isna(row["rule"]) else row["rule"]
        assert (got_value, got_status, got_rule) == (
            expected.value,
            expected.obs_status,
            expected.rule,
        ), text


@pytest.mark.parametrize(
    ("text", "in_a_year_column", "in_a_case_date"),
    [
        ("2014-2018", True, True),
        ("2014/15", True, True),
        ("FY2015", True, True),
        ("2015Q1", True, False),  # a quarter of 2015: a case's date is in 2015
        ("2011-12", True, False),  # December 2011 as a case's date; a month in a year column
        ("2015", False, False),
    ],
)
def test_periods_that_are_not_one_year(text, in_a_year_column, in_a_case_date):
    from nremstats.core.values import period_problem

    assert bool(period_problem(text)) is in_a_year_column
    assert bool(period_problem(text, within_year=True)) is in_a_case_date
