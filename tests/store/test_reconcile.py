"""reconcile: figures two providers report for the same country, year and breakdown."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from nremstats.core.errors import OptionError
from nremstats.ingest import ingest_files
from nremstats.store.reconcile import reconcile
from nremstats.store.store import open_store
from tests.conftest import invoke, write_csv

HEADER = "provider,country,year,indicator,sex,age,exploitation,citizenship,value,obs_status"
HEADER += ",definition"
NATIONAL = [
    "NLD,NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12,,",  # the same
    "NLD,NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,<5,,",  # a range holding the other's 3
    "NLD,NLD,2021,PERSONS_CONVICTED,M,_T,_T,_T,<5,,",  # a range the other's 9 is outside
    "NLD,NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,100,,IDENTIFIED",  # another definition
    "NLD,NLD,2021,PERSONS_PROSECUTED,_T,_T,_T,_T,40,P,",  # provisional
    "NLD,NLD,2021,PERSONS_SUSPECTED,_T,_T,_T,_T,..,,",  # not available here
    "NLD,NLD,2021,OFFENCES_RECORDED,_T,_T,_T,_T,51,,",  # 2% apart
    "NLD,NLD,2021,OFFENCES_RECORDED,F,_T,_T,_T,20,E,",  # the same count, estimated
    "NLD,NLD,2020,PERSONS_CONVICTED,_T,_T,_T,_T,8,,",  # one provider only
]
AGENCY = [
    "UNODC,NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12,,",
    "UNODC,NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,3,,",
    "UNODC,NLD,2021,PERSONS_CONVICTED,M,_T,_T,_T,9,,",
    "UNODC,NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,130,,PRESUMED",
    "UNODC,NLD,2021,PERSONS_PROSECUTED,_T,_T,_T,_T,41,,",
    "UNODC,NLD,2021,PERSONS_SUSPECTED,_T,_T,_T,_T,60,,",
    "UNODC,NLD,2021,OFFENCES_RECORDED,_T,_T,_T,_T,50,,",
    "UNODC,NLD,2021,OFFENCES_RECORDED,F,_T,_T,_T,20,,",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reconcile")
    files = [
        write_csv(folder / "national.csv", [HEADER, *NATIONAL]),
        write_csv(folder / "agency.csv", [HEADER, *AGENCY]),
    ]
    for path in files:
        assert ingest_files([path], folder / "store").ok
    return folder / "store"


def kinds(found) -> dict[tuple[str, str], str]:
    return {(d["indicator"], d["sex"]): d["kind"] for d in found.discrepancies}


def test_each_kind_of_difference_is_named(store: Path) -> None:
    found = reconcile(open_store(store))
    assert found.compared == 8 and found.agreements == 2  # 12 = 12; <5 holds 3
    assert kinds(found) == {
        ("OFFENCES_RECORDED", "F"): "status",
        ("PERSONS_CONVICTED", "M"): "range",
        ("VICTIMS_DETECTED", "_T"): "definition",
        ("PERSONS_PROSECUTED", "_T"): "provisional",
        ("PERSONS_SUSPECTED", "_T"): "missing",
        ("OFFENCES_RECORDED", "_T"): "value",
    }


def test_a_tolerance_lets_close_values_agree(store: Path) -> None:
    found = reconcile(open_store(store), tolerance=2.5)
    assert ("OFFENCES_RECORDED", "_T") not in kinds(found)
    assert found.agreements == 3
    # a tolerance never hides another definition, a provisional figure or a range
    assert {"definition", "provisional", "range"} <= set(kinds(found).values())


def test_the_json_contract_and_both_provenances(store: Path) -> None:
    result = invoke("reconcile", "--store", str(store), "--format", "json", "--years", "2021")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["format_version", "compared", "agreements", "discrepancies"]
    assert data["format_version"] == 1
    keys = ["country", "year", "indicator", "sex", "age", "exploitation", "citizenship"]
    for entry in data["discrepancies"]:
        assert list(entry) == [*keys, "kind", "values"]
        assert {v["provider"] for v in entry["values"]} == {"NLD", "UNODC"}
        for value in entry["values"]:
            assert list(value) == [
                "provider", "value", "obs_status", "lower", "upper", "definition",
                "submission_id", "source_file", "sheet", "cell",
            ]  # fmt: skip
            assert value["source_file"] in ("national.csv", "agency.csv") and value["cell"]
    victims = next(e for e in data["discrepancies"] if e["indicator"] == "VICTIMS_DETECTED")
    assert {(v["value"], v["definition"]) for v in victims["values"]} == {
        (100, "IDENTIFIED"),
        (130, "PRESUMED"),
    }


def test_filters_and_a_workbook(store: Path, tmp_path: Path) -> None:
    assert reconcile(open_store(store), country="deu").compared == 0
    assert reconcile(open_store(store), years="2019-2020").compared == 0
    assert reconcile(open_store(store), indicator="persons_convicted").compared == 3
    with pytest.raises(OptionError, match="--years"):
        reconcile(open_store(store), years="last")
    with pytest.raises(OptionError, match="--tolerance"):
        reconcile(open_store(store), tolerance=-1)
    where = ("--store", str(store))
    assert invoke("reconcile", "--format", "xlsx", *where).exit_code == 2
    path = tmp_path / "sources.xlsx"
    result = invoke("reconcile", "--format", "xlsx", "-o", str(path), *where)
    assert result.exit_code == 0, result.stderr
    rows = list(openpyxl.load_workbook(path).active.values)
    assert rows[0][:8] == ("country", "year", "indicator", "sex", "age", "exploitation",
                           "citizenship", "kind")  # fmt: skip
    assert len(rows) == 1 + 2 * 6 and isinstance(rows[1][1], int)
    text = invoke("reconcile", "--format", "csv", *where).stdout
    assert text.count("\n") == 1 + 2 * 6


def test_status_says_whether_the_providers_of_a_country_year_agree(store: Path) -> None:
    data = json.loads(invoke("status", "--store", str(store), "--format", "json").stdout)
    cells = {(c["country"], c["year"]): c for c in data["cells"]}
    assert (cells[("NLD", 2021)]["providers_agree"], cells[("NLD", 2021)]["discrepancies"]) == (
        False,
        6,
    )
    assert cells[("NLD", 2020)]["providers_agree"] is None  # one provider
    text = invoke("status", "--store", str(store), "--format", "csv").stdout
    assert "UNODC:" in text and "(≠ 6)" in text and text.count("≠") == 1


def test_the_report_lists_where_the_published_provider_disagrees(
    store: Path, tmp_path: Path
) -> None:
    """The Sources sheet names the country-year, indicator and providers, never the other
    provider's figures (they are not under the release's disclosure control)."""
    path = tmp_path / "report.xlsx"
    result = invoke("report", "--store", str(store), "--years", "2021", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    rows = list(openpyxl.load_workbook(path)["Sources"].values)
    assert rows[0] == ("country", "year", "indicator", "published", "other providers", "differ")
    listed = {row[2]: row for row in rows[1:] if row and row[0] == "NLD"}
    assert listed["OFFENCES_RECORDED"] == ("NLD", 2021, "OFFENCES_RECORDED", "NLD", "UNODC", 2)
    assert listed["PERSONS_CONVICTED"][5] == 1  # M: a range the other's 9 is outside
    assert {"VICTIMS_DETECTED", "PERSONS_PROSECUTED"} <= listed.keys()
    html = tmp_path / "report.html"
    assert (
        invoke("report", "--store", str(store), "--years", "2021", "-o", str(html)).exit_code == 0
    )
    assert "Where providers disagree" in html.read_text(encoding="utf-8")


def test_a_national_return_against_the_glotip_export_of_the_same_country_year(
    tmp_path: Path,
) -> None:
    from tests.conftest import HEADER as CSV_HEADER
    from tests.store.test_vintages import glotip_csv

    export = glotip_csv(tmp_path / "data_glotip.csv", "14/04/2025")  # NLD 2021 convicted 12
    national = write_csv(
        tmp_path / "NLD_2021.csv", [CSV_HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,11"]
    )
    assert ingest_files([export, national], tmp_path / "store").ok
    found = reconcile(open_store(tmp_path / "store"))
    assert (found.compared, found.agreements) == (1, 0)
    (entry,) = found.discrepancies
    assert entry["kind"] == "value"
    said = {(v["provider"], v["value"], v["source_file"]) for v in entry["values"]}
    assert said == {("NLD", 11, "NLD_2021.csv"), ("UNODC", 12, "data_glotip.csv")}
    unodc = next(v for v in entry["values"] if v["provider"] == "UNODC")
    assert unodc["cell"] == "M4" and unodc["submission_id"].startswith("UNODC-NLD-2021-")
    assert reconcile(open_store(tmp_path / "store"), tolerance=10).agreements == 1


def test_years_and_tolerance_not_understood_are_refused(store: Path) -> None:
    for years in ("2021-", "last", "2022-2021"):
        with pytest.raises(OptionError, match="--years"):
            reconcile(open_store(store), years=years)
    for tolerance in (float("inf"), float("nan"), -1.0):
        with pytest.raises(OptionError, match="--tolerance"):
            reconcile(open_store(store), tolerance=tolerance)


def test_csv_and_workbook_file_names_are_inert(tmp_path: Path) -> None:
    """Each provider's figure from a file named with a first character a spreadsheet
    evaluates: listed with ``'`` in front (csv), as a string cell (xlsx), never a formula;
    a plain name and the values (numbers) as they are."""
    import csv
    import io

    formulas = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    providers = ["NLD", "UNODC", "ESTAT", "AAA", "BBB", "CCC", "DDD"]
    names = [f"{text}.csv" for text in formulas] + ["plain.csv"]
    for n, (provider, name) in enumerate(zip(providers, names, strict=True)):
        row = f"{provider},NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,{10 + n},,"
        assert ingest_files([write_csv(tmp_path / name, [HEADER, row])], tmp_path / "store").ok
    quoted = ["'" + name for name in names[:-1]] + names[-1:]
    expected = dict(zip(providers, quoted, strict=True))
    where = ("--store", str(tmp_path / "store"))
    text = invoke("reconcile", "--format", "csv", *where).stdout
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(providers)  # a carriage return started no row of its own
    column = {name: header.index(name) for name in ("provider", "source_file", "value")}
    assert {r[column["provider"]]: r[column["source_file"]] for r in rows} == expected
    assert sorted(int(r[column["value"]]) for r in rows) == list(range(10, 17))
    path = tmp_path / "sources.xlsx"
    assert invoke("reconcile", "--format", "xlsx", "-o", str(path), *where).exit_code == 0
    header, *rows = list(openpyxl.load_workbook(path).active.iter_rows())
    names = [c.value for c in header]
    files = {r[names.index("provider")].value: r[names.index("source_file")] for r in rows}
    assert {p: c.value.replace("_x000D_", "\r") for p, c in files.items()} == expected
    assert {c.data_type for c in files.values()} == {"s"}
    assert {r[names.index("value")].data_type for r in rows} == {"n"}
