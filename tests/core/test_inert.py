"""Outputs are inert: the one guard against formulas in written texts, and its inverse."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nremstats.core.inert import csv_text, inert, inert_frame, inert_row, restore

#: A text beginning with each character a spreadsheet evaluates.
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
#: Texts that stay as they are: plain numbers, plain texts, an apostrophe before a letter.
KEPT = ["-5", "-1.5", "+5", "-2e3", "-.5", "plain", "", "5-3", "'tis", "'-5", "a=b"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_a_spreadsheet_would_evaluate_gets_an_apostrophe(text):
    assert inert(text) == "'" + text
    assert restore(inert(text)) == text


@pytest.mark.parametrize("text", KEPT)
def test_numbers_and_plain_texts_stay_as_they_are(text):
    assert inert(text) == text
    assert restore(text) == text


def test_values_that_are_not_texts_stay_as_they_are():
    assert inert_row([-5, -1.5, None, True, "-5", "=x"]) == [-5, -1.5, None, True, "-5", "'=x"]


def test_a_text_with_its_own_apostrophe_is_told_apart():
    assert inert("'=1+1") == "''=1+1" and restore("''=1+1") == "'=1+1"
    assert inert("=1+1") != inert("'=1+1")


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r1.eE a"), max_size=8) | st.text(max_size=8))
def test_the_guard_is_reversible(text):
    assert restore(inert(text)) == text
    assert inert(text)[:1] not in ("=", "+", "-", "@", "\t", "\r") or inert(text) == text


@pytest.mark.parametrize("dtype", ["string", "str", pd.StringDtype("python"), object])
def test_a_frame_gets_the_same_as_each_value(dtype):
    texts = [*FORMULAS, *KEPT, "'=x", None]
    frame = pd.DataFrame(
        {
            "note": pd.array(texts, dtype=dtype),
            "value": pd.array([-5] * (len(texts) - 1) + [None], dtype="Int64"),
        },
        index=[7] * len(texts),  # an index that is not unique changes nothing
    )
    out = inert_frame(frame)
    assert [None if pd.isna(v) else v for v in out["note"]] == [*map(inert, texts[:-1]), None]
    assert out["value"].equals(frame["value"]) and out["note"].dtype == frame["note"].dtype
    assert list(frame["note"][:2]) == FORMULAS[:2]  # the frame given is not changed
    plain = pd.DataFrame({"note": pd.Series(KEPT, dtype=dtype)})
    assert inert_frame(plain) is plain  # nothing to do: nothing copied


def test_a_carriage_return_inside_a_field_never_starts_a_row():
    rows = [["a", "note"], ["NLD", "late\r=HYPERLINK(1)"], ["BEL", "x\ny"], ["DEU", "ok"]]
    text = csv_text(rows)
    assert text.endswith("DEU,ok\n") and '"late\r=HYPERLINK(1)"' in text
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    assert csv_text([["a", "b"], [1, "c"]]) == "a,b\n1,c\n"
