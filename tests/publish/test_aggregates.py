"""Regional aggregates (UN M49) and rates: ranges where members are ranged, never a guess."""

from __future__ import annotations

import pytest

from nremstats.core.errors import OptionError
from nremstats.publish.aggregates import (
    load_population,
    m49,
    members,
    rate,
    region_of,
    regional_aggregates,
)
from nremstats.publish.tables import ComparisonTable, TableCell
from tests.conftest import DATA


def cell(value=None, status="A", lower=None, upper=None, definition=None) -> TableCell:
    return TableCell(value, status, lower, upper, "X", "sub", [], definition)


def table(cells: dict) -> ComparisonTable:
    countries = sorted({c for c, _ in cells})
    years = sorted({y for _, y in cells})
    return ComparisonTable("VICTIMS_DETECTED", countries, years, cells, [], ["NATIONAL"])


def test_m49_matches_the_regions_of_the_glotip_export():
    """Every country GLOTIP covers has there the region and sub-region schemas/m49.yaml says."""
    import python_calamine

    names = m49()["regions"]
    book = python_calamine.CalamineWorkbook.from_path(
        str(DATA / "unodc_data_glotip_2023-05-30.xlsx")
    )
    rows = book.get_sheet_by_index(0).to_python()
    given = {r[0]: (r[2], r[3]) for r in rows[3:] if r[2] and r[0]}
    assert len(given) == 199
    for country, (region, subregion) in given.items():
        assert names[region_of(country, "region")] == region, country
        assert names[region_of(country, "subregion")] == subregion, country


def test_aggregate_is_a_range_when_a_member_is_ranged_and_says_its_coverage():
    western = region_of("NLD", "subregion")
    cells = {
        ("NLD", 2022): cell(100),
        ("BEL", 2022): cell(None, "Q", 0, 4),  # <5
        ("DEU", 2022): cell(None, "L"),  # not available: not covered
        ("FRA", 2022): cell(20, "P"),
        ("ROU", 2022): cell(7),  # Eastern Europe
    }
    (agg,) = [a for a in regional_aggregates(table(cells), "subregion") if a.region == western]
    assert (agg.lower, agg.upper) == (120, 124) and not agg.exact
    assert agg.countries == ["BEL", "FRA", "NLD"] and agg.members == len(
        members(western, "subregion")
    )
    assert agg.text == f"120-124 (3 of {agg.members})"
    europe = [a for a in regional_aggregates(table(cells)) if a.name == "Europe"][0]
    assert (europe.lower, europe.upper) == (127, 131)


def test_suppressed_member_without_bounds_leaves_the_upper_end_unknown():
    cells = {("NLD", 2022): cell(100), ("BEL", 2022): cell(None, "Q")}  # 'c'
    (agg,) = regional_aggregates(table(cells), "subregion")
    assert (agg.lower, agg.upper) == (100, None) and agg.text.startswith("100-?")


def test_counts_on_different_definitions_are_never_added():
    cells = {
        ("NLD", 2022): cell(100, definition="PRESUMED"),
        ("BEL", 2022): cell(50, definition="IDENTIFIED"),
    }
    aggs = regional_aggregates(table(cells), "subregion")
    assert sorted((a.definition, a.lower) for a in aggs) == [("IDENTIFIED", 50), ("PRESUMED", 100)]


def test_rates_per_100000_never_from_a_suppressed_count_as_if_exact(tmp_path):
    assert rate(cell(50), 1_000_000) == (5.0, 5.0)
    assert rate(cell(None, "Q", 0, 4), 100_000) == (0.0, 4.0)  # a range stays a range
    assert rate(cell(None, "Q"), 100_000) is None  # no bounds: no rate
    assert rate(cell(None, "L"), 100_000) is None
    assert rate(cell(50), None) is None  # no population: no rate, never invented
    path = tmp_path / "population.csv"
    path.write_text("country,year,population\nNLD,2022,17700000\n", encoding="utf-8")
    assert load_population(path) == {("NLD", 2022): 17_700_000}
    path.write_text("country,year,population\nNLD,2022,many\n", encoding="utf-8")
    with pytest.raises(OptionError, match="line 2"):
        load_population(path)
