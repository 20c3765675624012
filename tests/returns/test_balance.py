"""Balance rules over every hierarchy, with bounds, tolerance and multiple counting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nremstats.returns.pipeline import CheckOptions, read_return
from nremstats.returns.rules import RuleSet
from tests.conftest import HEADER, write_csv

OVER, UNDER = "BALANCE_PARTS_EXCEED_TOTAL", "BALANCE_TOTAL_EXCEEDS_PARTS"


def check(tmp_path, rows, ruleset=None):
    lines = [f"NLD,2021,PERSONS_CONVICTED,{r}" for r in rows]
    data = read_return(write_csv(tmp_path / "r.csv", [HEADER, *lines]), CheckOptions(ruleset))
    return data, {(f.rule, f.cell) for f in data.findings}


def test_balanced_total_passes(tmp_path):
    _, found = check(tmp_path, ["_T,_T,_T,_T,10", "F,_T,_T,_T,6", "M,_T,_T,_T,4"])
    assert found == set()


def test_total_above_parts_is_a_warning_with_all_cells(tmp_path):
    data, found = check(tmp_path, ["_T,_T,_T,_T,37", "F,_T,_T,_T,20", "M,_T,_T,_T,15"])
    assert found == {(UNDER, "H2")}
    finding = data.findings[0]
    assert finding.severity == "warning" and finding.cells == ("H2", "H3", "H4")
    assert "37" in finding.message and "35" in finding.message and "by sex" in finding.message
    assert data.ok


def test_parts_above_total_is_an_error(tmp_path):
    data, found = check(tmp_path, ["_T,_T,_T,_T,6", "_T,Y_GE18,_T,_T,12"])
    assert found == {(OVER, "H2")}
    assert data.findings[0].severity == "error" and "12" in data.findings[0].message
    assert not data.ok


def test_every_hierarchy(tmp_path):
    rows = [
        "_T,_T,_T,_T,10",
        "_T,_T,SEXUAL,_T,11",  # exploitation: parts 11 > 10
        "_T,_T,OTHER_FORMS,_T,0",
        "_T,_T,BEGGING,_T,2",  # other forms: 2 > 0
        "_T,_T,_T,NAT,4",
        "_T,_T,_T,FOR,3",
        "_T,_T,_T,ROU,5",  # foreign: 5 > 3
    ]
    data, found = check(tmp_path, rows)
    # H2: by form (11 > 10) and by citizenship (10 > 4 + 3); H4: other forms; H7: foreign
    assert found == {(OVER, "H2"), (UNDER, "H2"), (OVER, "H4"), (OVER, "H7")}
    labels = {(f.rule, f.cell): f.message for f in data.findings}
    assert "by form of exploitation" in labels[(OVER, "H2")]
    assert "by citizenship" in labels[(UNDER, "H2")]
    assert "within other forms" in labels[(OVER, "H4")]
    assert "single foreign citizenship" in labels[(OVER, "H7")]


def test_roll_up_when_a_middle_level_is_missing(tmp_path):
    # OTHER_FORMS not reported: its members stand for it in the total's balance.
    _, found = check(
        tmp_path, ["_T,_T,_T,_T,10", "_T,_T,SEXUAL,_T,5", "_T,_T,LABOUR,_T,3", "_T,_T,BEGGING,_T,2"]
    )
    assert found == set()
    _, found = check(
        tmp_path, ["_T,_T,_T,_T,10", "_T,_T,SEXUAL,_T,5", "_T,_T,LABOUR,_T,3", "_T,_T,BEGGING,_T,4"]
    )
    assert found == {(OVER, "H2")}


def test_foreign_total_above_single_citizenships_is_not_flagged(tmp_path):
    # Single citizenships are usually a partial list: only an excess is a finding.
    _, found = check(tmp_path, ["_T,_T,_T,FOR,30", "_T,_T,_T,ROU,5"])
    assert found == set()


def test_bounds_of_suppressed_cells(tmp_path):
    _, found = check(tmp_path, ["_T,_T,_T,_T,10", "F,_T,_T,_T,7", "M,_T,_T,_T,<5"])
    assert found == set()  # 7 + 3 = 10 can hold
    _, found = check(tmp_path, ["_T,_T,_T,_T,20", "F,_T,_T,_T,7", "M,_T,_T,_T,<5"])
    assert found == {(UNDER, "H2")}  # at most 11
    _, found = check(tmp_path, ["_T,_T,_T,_T,<5", "F,_T,_T,_T,7"])
    assert found == {(OVER, "H2")}  # 7 > 4 whatever the total
    _, found = check(tmp_path, ["_T,_T,_T,_T,..", "F,_T,_T,_T,7"])
    assert found == set()  # an unknown total can be anything


def test_tolerance_and_switching_off(tmp_path):
    rows = ["_T,_T,_T,_T,40", "F,_T,_T,_T,20", "M,_T,_T,_T,15"]
    tolerant = RuleSet.default().merged({UNDER: {"tolerance": 5}}, "test")
    assert check(tmp_path, rows, tolerant)[1] == set()
    share = RuleSet.default().merged({UNDER: {"tolerance_share": 0.1}}, "test")
    assert check(tmp_path, rows, share)[1] == {(UNDER, "H2")}  # 5 > 4
    off = RuleSet.default().merged({UNDER: "off"}, "test")
    assert check(tmp_path, rows, off)[1] == set()
    age_only = RuleSet.default().merged({UNDER: {"hierarchies": ["age"]}}, "test")
    assert check(tmp_path, rows, age_only)[1] == set()
    victims_only = RuleSet.default().merged({UNDER: {"indicators": ["VICTIMS_DETECTED"]}}, "t")
    assert check(tmp_path, rows, victims_only)[1] == set()


def test_multiple_counting_turns_the_error_into_a_warning(tmp_path):
    from nremstats.template.workbook import fill_return, write_template

    path = write_template(tmp_path / "t.xlsx", "NLD", 2023)
    values = {
        ("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 10,
        ("VICTIMS_DETECTED", "_T", "_T", "SEXUAL", "_T"): 8,
        ("VICTIMS_DETECTED", "_T", "_T", "LABOUR", "_T"): 6,
    }
    fill_return(path, values, metadata={"definition": "PRESUMED", "multiple_counting": "no"})
    strict = [f for f in read_return(path).findings if f.rule == OVER]
    assert [(f.severity, f.cell) for f in strict] == [("error", "C5")]
    fill_return(path, {}, metadata={"multiple_counting": "oui"})
    relaxed = [f for f in read_return(path).findings if f.rule == OVER]
    assert [(f.severity, f.cell) for f in relaxed] == [("warning", "C5")]
    assert "several categories" in relaxed[0].message


bounded = st.one_of(
    st.integers(0, 50).map(lambda n: (str(n), n, n)),
    st.integers(1, 10).map(lambda n: (f"<{n}", 0, n - 1)),
)


@given(total=bounded, parts=st.lists(bounded, min_size=1, max_size=4))
def test_bounds_logic_flags_only_impossible_balances(tmp_path_factory, total, parts):
    """A balance is flagged exactly when no values inside the bounds make it hold."""
    tmp_path = tmp_path_factory.mktemp("b")
    sexes = ["F", "M", "_O", "_U"][: len(parts)]
    rows = [f"_T,_T,_T,_T,{total[0]}"] + [
        f"{sex},_T,_T,_T,{p[0]}" for sex, p in zip(sexes, parts, strict=False)
    ]
    _, found = check(tmp_path, rows)
    low, high = sum(p[1] for p in parts), sum(p[2] for p in parts)
    possible = not (low > total[2] or high < total[1])
    assert (found == set()) == possible
    assert ((OVER, "H2") in found) == (low > total[2])
    assert ((UNDER, "H2") in found) == (high < total[1])
