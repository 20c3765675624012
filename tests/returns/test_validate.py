"""Checks on observations: code lists, ranges, status consistency, keys, balances."""

from __future__ import annotations

from nremstats.returns.pipeline import CheckOptions, read_return
from tests.conftest import HEADER, write_csv

FULL = HEADER + ",obs_status,lower,upper,conf_status,definition,note,provider"


def findings(tmp_path, lines, header=HEADER):
    data = read_return(write_csv(tmp_path / "r.csv", [header, *lines]))
    return data, {(f.rule, f.cell) for f in data.findings}


def test_spec_example_reads_without_errors(tmp_path):
    data, found = findings(
        tmp_path,
        [
            "NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,791,A,,,,PRESUMED,registrations,",
            "NLD,2021,VICTIMS_DETECTED,F,_T,_T,_T,571,A,,,,PRESUMED,,",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,L,,,,,,",
            "AGO,2018,PERSONS_CONVICTED,_T,_T,_T,_T,<5,,,,,,,",
        ],
        header=FULL,
    )
    # The spec's example gives the female part only: the total is above its parts by sex.
    assert found == {("BALANCE_TOTAL_EXCEEDS_PARTS", "H2")}
    assert data.ok
    obs = data.observations.set_index(["country", "indicator", "sex"])
    assert obs.loc[
        ("AGO", "PERSONS_CONVICTED", "_T"), ["obs_status", "lower", "upper"]
    ].tolist() == ["Q", 0, 4]
    assert obs.loc[("NLD", "PERSONS_CONVICTED", "_T"), "obs_status"] == "L"
    assert obs.loc[("NLD", "VICTIMS_DETECTED", "_T"), "note"] == "registrations"


def test_status_column_wins_when_consistent(tmp_path):
    data, found = findings(
        tmp_path,
        [
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12,P,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,12 p,E,,,,,,",
        ],
        header=FULL,
    )
    assert found == set()
    assert data.observations["obs_status"].tolist() == ["P", "E"]


def test_status_contradictions(tmp_path):
    _, found = findings(
        tmp_path,
        [
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12,L,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,..,A,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,M,_T,_T,_T,3,Z,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,_U,_T,_T,_T,,,,,,,,",
        ],
        header=FULL,
    )
    assert ("VALUE_STATUS_CONFLICT", "I2") in found
    assert ("VALUE_STATUS_CONFLICT", "I3") in found
    assert ("CODE_UNKNOWN", "I4") in found
    assert ("VALUE_STATUS_CONFLICT", "H5") in found


def test_bounds_columns(tmp_path):
    data, found = findings(
        tmp_path,
        [
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,Q,3,7,C,,,",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,,Q,7,3,,,,",
            "NLD,2021,PERSONS_CONVICTED,M,_T,_T,_T,9,A,0,4,,,,",
            "NLD,2021,PERSONS_CONVICTED,_U,_T,_T,_T,,Q,a,4,,,,",
        ],
        header=FULL,
    )
    assert found == {("BOUNDS_INVALID", "J3"), ("BOUNDS_INVALID", "J4"), ("BOUNDS_INVALID", "J5")}
    first = data.observations.iloc[0]
    assert (first["lower"], first["upper"], first["conf_status"]) == (3, 7, "C")


def test_code_lists_and_country(tmp_path):
    _, found = findings(
        tmp_path,
        [
            "NLD,2021,VICTIMS,_T,_T,_T,_T,5",
            "NLD,2021,PERSONS_CONVICTED,W,_T,_T,_T,5",
            "NLD,2021,PERSONS_CONVICTED,_T,ADULT,_T,_T,5",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,SEX,_T,5",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,QQQ,5",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,Romania,5",
            "NL,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5",
            "CAR,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5",
        ],
    )
    assert found == {
        ("CODE_UNKNOWN", "C2"),
        ("CODE_UNKNOWN", "D3"),
        ("CODE_UNKNOWN", "E4"),
        ("CODE_UNKNOWN", "F5"),
        ("COUNTRY_NOT_ISO3", "G6"),
        ("CODE_UNKNOWN", "G7"),
        ("COUNTRY_NOT_ISO3", "A8"),
        ("COUNTRY_NOT_ISO3", "A9"),
    }


def test_code_hint_suggests_the_code(tmp_path):
    data, _ = findings(tmp_path, ["NLD,2021,PERSONS_CONVICTED,Male,_T,_T,_T,5"])
    assert "Did you mean 'M'" in data.findings[0].message


def test_year_and_values(tmp_path):
    _, found = findings(
        tmp_path,
        [
            "NLD,20x1,PERSONS_CONVICTED,_T,_T,_T,_T,5",
            "NLD,2101,PERSONS_CONVICTED,_T,_T,_T,_T,5",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,-4",
            "NLD,2021,PERSONS_CONVICTED,M,_T,_T,_T,four",
            "NLD,2021,PERSONS_CONVICTED,_U,_T,_T,_T,-",
        ],
    )
    assert found == {
        ("YEAR_RANGE", "B2"),
        ("YEAR_RANGE", "B3"),
        ("VALUE_NEGATIVE", "H4"),
        ("VALUE_UNPARSEABLE", "H5"),
        ("VALUE_DASH", "H6"),
    }


def test_duplicate_key_lists_every_cell(tmp_path):
    data, found = findings(
        tmp_path,
        [
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,6",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5",
        ],
    )
    assert found == {("KEY_DUPLICATE", "H2")}
    assert data.findings[0].cells == ("H2", "H3", "H4")


def test_same_key_from_two_providers_is_not_a_duplicate(tmp_path):
    _, found = findings(
        tmp_path,
        [
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,,,,,,,UNODC",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,6,,,,,,,NLD",
        ],
        header=FULL,
    )
    assert ("KEY_DUPLICATE", "H3") not in found


def test_definitions(tmp_path):
    _, found = findings(
        tmp_path,
        [
            "NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,5,,,,,,,",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,,,,,IDENTIFIED,,",
            "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,5,,,,,GUESSED,,",
        ],
        header=FULL,
    )
    assert ("DEFINITION_MISSING", "M2") in found
    assert ("DEFINITION_NOT_APPLICABLE", "M3") in found
    assert ("CODE_UNKNOWN", "M4") in found


def test_unknown_column_is_an_error_unless_ignored(tmp_path):
    path = write_csv(
        tmp_path / "r.csv", [HEADER + ",region", "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,Europe"]
    )
    strict = read_return(path)
    assert [(f.rule, f.cell) for f in strict.findings] == [("STRUCTURE_UNKNOWN_COLUMN", "I1")]
    assert "--ignore-unknown-columns" in strict.findings[0].message
    relaxed = read_return(path, CheckOptions(ignore_unknown_columns=True))
    assert relaxed.ok and [(f.rule, f.severity) for f in relaxed.findings] == [
        ("STRUCTURE_IGNORED_COLUMN", "info")
    ]
    assert relaxed.observations["value"].tolist() == [5]
