"""The annual report workbook: built from the store, opened with openpyxl."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from nremstats.core.errors import OptionError
from nremstats.ingest import ingest_files
from nremstats.publish.publication import build_report, parse_years
from nremstats.publish.report_xlsx import write_report_xlsx
from nremstats.store.store import open_store
from tests.conftest import HEADER, SAMPLES, invoke, write_csv


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("report") / "store"
    assert ingest_files(sorted(SAMPLES.glob("*.xlsx")) + sorted(SAMPLES.glob("*.csv")), store).ok
    return store


def test_report_workbook_has_every_part_and_is_readable(sample_store, tmp_path):
    out = tmp_path / "report.xlsx"
    result = invoke("report", "--years", "2021-2024", "-o", str(out), "--store", str(sample_store))
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "Cover" and wb.sheetnames[-5:] == [
        "Regions",
        "Coverage",
        "Sources",
        "Notes",
        "Suppression",
    ]
    assert "VICTIMS_DETECTED" in wb.sheetnames
    victims = wb["VICTIMS_DETECTED"]
    assert victims.freeze_panes == "C3" and victims["A2"].value == "country"
    convicted = wb["PERSONS_CONVICTED"].iter_rows(min_row=3)
    numbers = [c for row in convicted for c in row[2:] if isinstance(c.value, int)]
    # numbers, formatted (a status flag or note reference in the number format)
    assert numbers and all(c.number_format.startswith("#,##0") for c in numbers)
    cover = [[c.value for c in row] for row in wb["Cover"].iter_rows()]
    assert ["country", "year", "provider", "submission_id", "indicators"] in cover
    nld = next(row for row in cover if row[:2] == ["NLD", 2023])
    assert nld[2] == "NLD" and "VICTIMS_DETECTED, PERSONS_SUSPECTED" in nld[4]
    notes = [row[2].value for row in wb["Notes"].iter_rows() if len(row) > 2]
    assert any(text and "not available" in str(text) for text in notes)  # the legend
    coverage = {row[0]: row for row in wb["Coverage"].iter_rows(min_row=2, values_only=True)}
    assert coverage["BEL"][5].startswith("Victims (provisional); Suspected (provisional)")
    assert "Convicted (not available)" in coverage["DEU"][4]  # the status, not just "reported"
    notes = [[c.value for c in row] for row in wb["Notes"].iter_rows()]
    assert ["NLD", None, "NLD (national return)"] in notes  # the provider of each figure
    regions = [[c.value for c in row] for row in wb["Regions"].iter_rows(min_row=2)]
    assert regions and all(" of " in row[5] for row in regions)


def test_report_suppresses_small_counts_and_lists_them(tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        [
            HEADER,
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,3",
            "BEL,2022,PERSONS_CONVICTED,_T,_T,_T,_T,40",
        ],
    )
    assert ingest_files([path], tmp_path / "store").ok
    people = {("NLD", 2022): 1_000_000, ("BEL", 2022): 1_000_000}
    publication = build_report(open_store(tmp_path / "store"), [2022], k=5, population=people)
    rates = {c: (low, high) for _, c, _, low, high in publication.rates()}
    assert rates == {"NLD": (0.0, 0.4), "BEL": (4.0, 4.0)}  # suppressed: a range, never 0.30
    (entry,) = publication.audit
    assert (entry["country"], entry["reason"]) == ("NLD", "primary")
    (agg,) = publication.aggregates["PERSONS_CONVICTED"]  # Europe: a range, not a guess
    assert (agg.lower, agg.upper) == (40, 44)
    out = tmp_path / "r.xlsx"
    write_report_xlsx(publication, out)
    audit = [[c.value for c in row] for row in load_workbook(out)["Suppression"].iter_rows()]
    assert audit[1] == ["PERSONS_CONVICTED", "NLD", 2022, "total"]  # never the reason
    assert "reason" not in audit[0] and "primary" not in {c for row in audit for c in row}


def test_report_bad_input(sample_store, tmp_path):
    with pytest.raises(OptionError, match="no figure"):
        build_report(open_store(sample_store), [1990])
    with pytest.raises(OptionError, match="--years"):
        parse_years("last year")
    out = ["-o", str(tmp_path / "x.xlsx"), "--store", str(sample_store)]
    assert invoke("report", "--years", "1990", *out).exit_code == 2
    assert invoke("report", "--years", "2023", "--suppress-below", "0", *out).exit_code == 2
    assert invoke("report", "--years", "2023", "--suppress-below", "five", *out).exit_code == 2
    assert (
        invoke(
            "report", "--years", "2023", "--population", str(tmp_path / "none.csv"), *out
        ).exit_code
        == 2
    )
    assert not (tmp_path / "x.xlsx").exists()  # nothing half-written


def test_report_rates_per_100000_with_ranges_and_missing_populations(sample_store, tmp_path):
    from nremstats.publish.aggregates import load_population

    people = load_population(SAMPLES / "reference" / "population.csv")
    publication = build_report(
        open_store(sample_store), [2021, 2022, 2023, 2024], population=people
    )
    rates = {(i, c, y): (low, high) for i, c, y, low, high in publication.rates()}
    argentina = next(t for t in publication.tables if t.indicator == "VICTIMS_DETECTED")
    value = argentina.cells[("ARG", 2021)].value
    expected = round(value * 100_000 / 45_800_000, 4)
    assert rates[("VICTIMS_DETECTED", "ARG", 2021)] == (expected, expected)
    assert ("VICTIMS_DETECTED", "MEX", 2023) not in rates  # never invented...
    left = publication.rates_left_out()["no population given"]
    assert "VICTIMS_DETECTED MEX 2023" in left  # ...and said
    out = tmp_path / "r.xlsx"
    population = str(SAMPLES / "reference" / "population.csv")
    args = ["--population", population, "-o", str(out), "--store", str(sample_store)]
    result = invoke("report", "--years", "2021-2024", *args)
    assert result.exit_code == 0 and "Rates" in load_workbook(out).sheetnames


def test_report_of_the_sample_store_matches_the_golden_tables(sample_store, update_golden):
    """The published figures of the sample store (tables, shares, regions, audit) as text;
    a change shows in review (--update-golden rewrites it)."""
    import json

    from tests.conftest import golden

    publication = build_report(open_store(sample_store), [2021, 2022, 2023, 2024])
    data = {
        "tables": {t.indicator: t.rows() for t in publication.tables},
        "shares": {
            f"{s.spec.name} {s.indicator}": {
                f"{c} {y}": {p: share.text for p, share in cells.items()}
                for (c, y), cells in sorted(s.cells.items())
            }
            for s in publication.shares
        },
        "regions": {
            i: [f"{a.name} {a.year} {a.definition or ''}: {a.text}" for a in aggs]
            for i, aggs in publication.aggregates.items()
        },
        "suppressed": publication.audit,
    }
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    assert text == golden("report_sample.json", text, update_golden)


def test_report_as_of_reproduces_a_past_report(tmp_path):
    first = write_csv(
        tmp_path / "a.csv",
        [
            HEADER,
            "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,100",
            "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,60",
        ],
    )
    store = tmp_path / "store"
    assert ingest_files([first], store).ok
    before = build_report(open_store(store), [2022])
    revised = write_csv(
        tmp_path / "b.csv",
        [
            HEADER,
            "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,120",
            "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,90",
        ],
    )
    assert ingest_files([revised], store).ok
    opened = open_store(store)
    now = build_report(opened, [2022])
    (old_id,) = {row[3] for row in before.submissions()}
    again = build_report(opened, [2022], upto=opened.resolve_as_of(old_id))

    def figures(publication):
        female = next(s for s in publication.shares if s.spec.name == "female")
        return (
            publication.tables[0].cells[("NLD", 2022)].value,
            female.cells[("NLD", 2022)]["F"].text,
            publication.submissions(),
        )

    assert figures(now)[:2] == (120, "75.0")
    assert figures(again) == figures(before) and figures(before)[:2] == (100, "60.0")
    assert "as of submission" in again.state and "current" in now.state
    out = tmp_path / "old.xlsx"
    result = invoke(
        "report", "--years", "2022", "--as-of", old_id, "-o", str(out), "--store", str(store)
    )
    assert result.exit_code == 0, result.stderr
    cover = [[c.value for c in row] for row in load_workbook(out)["Cover"].iter_rows()]
    assert cover[1][2].startswith("from the store as of submission")
    bad = invoke(
        "report", "--years", "2022", "--as-of", "nonsense", "-o", str(out), "--store", str(store)
    )
    assert bad.exit_code == 2


def test_report_notes_are_strings_never_formulas(tmp_path):
    """A country's note beginning with a character a spreadsheet evaluates: in the report
    workbook with ``'`` in front, a string cell; a note that is a number stays as it is."""
    formulas = ["=1+1", "+1+1", "-1+1", "@SUM(A1)"]
    rows = [
        f'{country},2022,PERSONS_CONVICTED,_T,_T,_T,_T,{20 + n},"{note}"'
        for n, (country, note) in enumerate(
            zip(["NLD", "BEL", "DEU", "FRA", "ITA"], [*formulas, "-5"], strict=True)
        )
    ]
    assert ingest_files(
        [write_csv(tmp_path / "r.csv", [HEADER + ",note", *rows])], tmp_path / "s"
    ).ok
    out = tmp_path / "r.xlsx"
    write_report_xlsx(build_report(open_store(tmp_path / "s"), [2022], k=5), out)
    wb = load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    notes = {c.value: c.data_type for c in cells if isinstance(c.value, str)}
    for text in formulas:
        assert notes["'" + text] == "s" and text not in notes
    assert notes["-5"] == "s"


def test_report_on_some_countries_hides_what_the_full_report_hides(sample_store, tmp_path):
    full = build_report(open_store(sample_store), [2021, 2022, 2023, 2024])
    some = build_report(
        open_store(sample_store), [2021, 2022, 2023, 2024], countries=["nld", "DEU"]
    )
    for table in some.tables:
        assert {c for c, _ in table.cells} <= {"NLD", "DEU"}
        whole = next(t for t in full.tables if t.indicator == table.indicator)
        for key, cell in table.cells.items():
            assert cell.mark == whole.cells[key].mark  # the same figure, hidden the same
    assert {(e["country"], e["indicator"]) for e in some.audit} == {
        (e["country"], e["indicator"]) for e in full.audit if e["country"] in ("NLD", "DEU")
    }
    out = ["-o", str(tmp_path / "x.xlsx"), "--store", str(sample_store), "--draft"]
    bad = invoke("report", "--years", "2021-2024", "--countries", "NLD,XXX", *out)
    assert bad.exit_code == 2 and "no figure for XXX" in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()
