"""Breakdown shares: exact percentages of the same submission's total, disclosure control on
the parts, never across providers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from nremstats.ingest import ingest_files
from nremstats.publish.disclosure import determined
from nremstats.publish.publication import build_report
from nremstats.publish.report_xlsx import write_report_xlsx
from nremstats.publish.shares import Share, breakdown_shares, share_specs
from nremstats.store.store import open_store
from tests.conftest import HEADER, SAMPLES, write_csv


def _store(tmp_path: Path, *files: list[str]) -> Path:
    paths = [write_csv(tmp_path / f"r{i}.csv", lines) for i, lines in enumerate(files)]
    assert ingest_files(paths, tmp_path / "store").ok
    return tmp_path / "store"


def _shares(store: Path, years: list[int], k: int = 5) -> dict:
    publication = build_report(open_store(store), years, k=k)
    return {(s.spec.name, s.indicator): s for s in publication.shares}, publication


def test_shares_of_the_sample_store_match_the_observations():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        assert ingest_files(sorted(SAMPLES.glob("*.xlsx")), store).ok
        shares, _ = _shares(store, [2022, 2023])
        frame = open_store(store).observations()
    nld = frame[
        (frame.country == "NLD") & (frame.year == 2023) & (frame.indicator == "VICTIMS_DETECTED")
    ]

    def count(**dims: str) -> int:
        where = {"sex": "_T", "age": "_T", "exploitation": "_T", "citizenship": "_T", **dims}
        mask = (nld[list(where)] == list(where.values())).all(axis=1)
        return int(nld[mask]["value"].iloc[0])

    total = count()
    female = shares[("female", "VICTIMS_DETECTED")].cells[("NLD", 2023)]["F"]
    assert female == Share(100 * count(sex="F") / total, 100 * count(sex="F") / total)
    forms = shares[("forms", "VICTIMS_DETECTED")].cells[("NLD", 2023)]
    assert forms["SEXUAL"].text == f"{100 * count(exploitation='SEXUAL') / total:.1f}"
    assert shares[("forms", "VICTIMS_DETECTED")].totals[("NLD", 2023)] == total
    foreign = shares[("foreign", "VICTIMS_DETECTED")].cells[("NLD", 2023)]["FOR"]
    assert foreign.text == f"{100 * count(citizenship='FOR') / total:.1f}"
    assert ("forms", "PERSONS_CONVICTED") not in shares  # declared for victims only


def test_hidden_parts_are_c_whatever_the_reason_and_none_can_be_worked_out(tmp_path):
    rows = [
        HEADER,
        "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,60",
        "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,3",
        "NLD,2022,VICTIMS_DETECTED,_T,_T,SEXUAL,_T,20",
        "NLD,2022,VICTIMS_DETECTED,_T,_T,LABOUR,_T,17",
        "NLD,2022,VICTIMS_DETECTED,_T,_T,OTHER_FORMS,_T,20",
        "NLD,2022,VICTIMS_DETECTED,_T,_T,_U,_T,3",
    ]
    shares, publication = _shares(_store(tmp_path, rows), [2022])
    female = shares[("female", "VICTIMS_DETECTED")].cells[("NLD", 2022)]["F"]
    assert female.text == "c"  # <5 of 60: a range 0.0-6.7 would say why it is hidden
    forms = shares[("forms", "VICTIMS_DETECTED")].cells[("NLD", 2022)]
    assert forms["_U"].text == "c" and forms["LABOUR"].text == "c"  # primary, secondary
    assert forms["SEXUAL"].text == "33.3" and forms["OTHER_FORMS"].text == "33.3"
    # the attacker: the published forms and total as counts; the hidden parts stay unknown
    relation = [("total", ("SEXUAL", "LABOUR", "OTHER_FORMS", "_U"))]
    assert determined(relation, ["LABOUR", "_U"]) == set()
    reasons = {(e["breakdown"], e["reason"]) for e in publication.audit}
    assert reasons == {
        ("sex F", "primary"),
        ("exploitation _U", "primary"),
        ("exploitation LABOUR", "secondary"),
    }
    out = tmp_path / "r.xlsx"
    write_report_xlsx(publication, out)
    wb = load_workbook(out)
    sheet = [[c.value for c in row] for row in wb["Shares by form of exploitation"].iter_rows()]
    assert sheet[0][3:] == ["year", "total", "Sexual", "Labour", "Other forms", "Form unknown"]
    assert sheet[1][3:] == [2022, 60, 33.3, "c", 33.3, "c"]
    assert wb["Shares by form of exploitation"]["F2"].number_format == "0.0"
    assert wb["Share female"].freeze_panes == "D2"


def test_shares_come_from_the_provider_the_table_shows(tmp_path):
    national = [
        HEADER,
        "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,100",
        "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,60",
    ]
    unodc = [
        "provider," + HEADER,
        "UNODC,NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,80",
        "UNODC,NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,20",
    ]
    store = _store(tmp_path, national, unodc)
    female = ("female", "VICTIMS_DETECTED")
    assert _shares(store, [2022])[0][female].cells[("NLD", 2022)]["F"].text == "60.0"
    publication = build_report(open_store(store), [2022], prefer="UNODC")
    (share,) = [s for s in publication.shares if (s.spec.name, s.indicator) == female]
    assert share.cells[("NLD", 2022)]["F"].text == "25.0" and share.totals == {("NLD", 2022): 80}


def test_no_share_without_an_exact_total(tmp_path):
    rows = [
        HEADER,
        "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,4",
        "NLD,2022,PERSONS_CONVICTED,F,_T,_T,_T,2",
    ]
    shares, _ = _shares(_store(tmp_path, rows), [2022])
    assert shares[("female", "PERSONS_CONVICTED")].cells[("NLD", 2022)]["F"].text == ".."


@pytest.mark.parametrize("spec", share_specs(), ids=lambda s: s.name)
def test_declared_shares_name_known_codes(spec):
    from nremstats.core import codes

    assert set(spec.parts) <= codes.codes(spec.dim)
    assert spec.headline is None or spec.headline in spec.parts
    assert set(spec.indicators) <= codes.codes("indicator")


def test_breakdown_shares_of_no_table_is_empty(tmp_path):
    rows = [HEADER, "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,100"]
    from nremstats.publish.release import release_from_store

    release = release_from_store(open_store(_store(tmp_path, rows)), 5)
    assert breakdown_shares(release, []) == ([], {}, [])


def test_no_share_of_a_total_suppressed_in_its_own_table(tmp_path):
    # victims exact, convicted under the threshold: the convicted shares are not given, even
    # though the same country-year has an exact total in another table
    rows = [
        HEADER,
        "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,100",
        "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,60",
        "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,3",
        "NLD,2022,PERSONS_CONVICTED,F,_T,_T,_T,0",
    ]
    shares, _ = _shares(_store(tmp_path, rows), [2022])
    assert shares[("female", "VICTIMS_DETECTED")].cells[("NLD", 2022)]["F"].text == "60.0"
    convicted = shares[("female", "PERSONS_CONVICTED")]
    assert convicted.cells[("NLD", 2022)]["F"].text == ".." and not convicted.totals
