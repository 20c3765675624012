"""Compilation vintages: the newer extraction is current whatever the order of ingest, and a
complete vintage withdraws the country-years it no longer holds (docs/store.md)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from nremstats.cli.run_report import revision_counts
from nremstats.ingest import ingest_files
from nremstats.store.history import submission_history
from nremstats.store.manifest import Submission, current_of, standing
from nremstats.store.store import open_store
from tests.conftest import ROOT, invoke

DATA = ROOT / "tests" / "data"
GLOTIP_2023 = DATA / "unodc_data_glotip_2023-05-30.xlsx"
GLOTIP_2025 = DATA / "unodc_data_glotip_2025-04-14.xlsx"
HEADER = [
    "Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex",
    "Age", "Year", "Unit of measurement", "Source", "txtVALUE",
]  # fmt: skip


#: One figure of a GLOTIP export, in HEADER's columns.
ROW = [
    "NLD", "Netherlands", "Europe", "Western Europe", "Persons convicted", "Total", "Total",
    "Total", "Total", "2021", "Counts", "", "12",
]  # fmt: skip


def sub(
    n: int,
    country: str = "NLD",
    year: int = 2020,
    vintage: str | None = None,
    complete: bool = False,
    file: str = "a",
) -> Submission:
    """A submission as the manifest records it (``file``: its file's sha256)."""
    return Submission(
        submission_id=f"UNODC-{country}-{year}-{file}",
        provider="UNODC",
        country=country,
        years=[year],
        file=f"{file}.xlsx",
        sha256=file,
        received_at=f"2026-01-{n:02d}T00:00:00+00:00",
        status="valid",
        template_version=None,
        layout="glotip",
        rows=1,
        seq=n,
        vintage=vintage,
        complete=complete,
    )


def ids(subs: list[Submission]) -> list[str]:
    return [s.submission_id for s in subs]


def test_the_newer_vintage_is_current_whatever_the_order_received() -> None:
    new, old = sub(1, vintage="2025-04-14", file="new"), sub(2, vintage="2023-05-30", file="old")
    assert ids(current_of([new, old], None)) == ["UNODC-NLD-2020-new"]
    assert ids(current_of([old, new], None)) == ["UNODC-NLD-2020-new"]
    # the same vintage: the later received; no vintage: the day received
    again = sub(3, vintage="2025-04-14", file="again")
    assert ids(current_of([new, again], None)) == ["UNODC-NLD-2020-again"]
    # no vintage (a store made before vintages were read): before every dated one
    undated = sub(4, file="undated")
    assert ids(current_of([new, undated], None)) == ["UNODC-NLD-2020-new"]
    # up to a sequence number: what was current then
    first, then = sub(1, vintage="2023-05-30", file="old"), sub(2, vintage="2025-04-14")
    assert ids(current_of([first, then], 1)) == ["UNODC-NLD-2020-old"]
    assert ids(current_of([first, then], 2)) == ["UNODC-NLD-2020-a"]


def test_a_newer_complete_vintage_withdraws_what_it_no_longer_holds() -> None:
    old = [sub(1, c, vintage="2023-05-30", complete=True, file="old") for c in ("NLD", "PRK")]
    new = [sub(2, "NLD", vintage="2025-04-14", complete=True, file="new")]
    current, withdrawn = standing([*old, *new])
    assert ids(current) == ["UNODC-NLD-2020-new"]
    assert ids(withdrawn) == ["UNODC-PRK-2020-old"]
    # the order received does not matter
    assert ids(standing([*new, *old])[1]) == ["UNODC-PRK-2020-old"]
    # a partial file never withdraws; an older complete one neither
    partial = [sub(2, "NLD", vintage="2025-04-14", file="partial")]
    assert "UNODC-PRK-2020-old" in ids(current_of([*old, *partial], None))
    older = [sub(0, "NLD", vintage="2020-01-01", complete=True, file="older")]
    assert "UNODC-PRK-2020-old" in ids(current_of([*older, *old], None))


@pytest.fixture(scope="module")
def both_orders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list]]:
    """Both GLOTIP exports ingested into two stores, in the two orders."""
    out = {}
    for name, files in (
        ("old-new", [GLOTIP_2023, GLOTIP_2025]),
        ("new-old", [GLOTIP_2025, GLOTIP_2023]),
    ):
        store = tmp_path_factory.mktemp(name) / "store"
        runs = [ingest_files([path], store) for path in files]
        out[name] = (store, runs)
    return out


def test_both_glotip_vintages_give_the_same_current_figures_in_either_order(
    both_orders: dict[str, tuple[Path, list]],
) -> None:
    first = open_store(both_orders["old-new"][0]).observations()
    second = open_store(both_orders["new-old"][0]).observations()
    assert first.equals(second)
    totals = first[
        (first["indicator"] == "VICTIMS_DETECTED")
        & (first["year"] == 2019)
        & (first[["sex", "age", "exploitation", "citizenship"]] == "_T").all(axis=1)
    ].set_index("country")
    # the 2025 export's figures (the 2023 one said 189, 382 and <5)
    assert int(totals.loc["AUS", "value"]) == 84
    assert int(totals.loc["CAN", "value"]) == 411
    assert int(totals.loc["PAK", "value"]) == 32022
    assert not (first["country"] == "PRK").any()  # withdrawn by the 2025 export


def test_ingest_says_what_arrives_superseded_and_what_is_withdrawn(
    both_orders: dict[str, tuple[Path, list]],
) -> None:
    _, (older, newer) = both_orders["old-new"]
    assert newer.files[0].withdrawn == ["PRK 2017", "PRK 2018", "PRK 2019", "PRK 2020"]
    assert not newer.files[0].superseded and not older.files[0].superseded
    _, (newer, older) = both_orders["new-old"]
    # every country-year of the 2023 export arrives superseded (or withdrawn): nothing changes
    assert len(older.files[0].superseded) == len(older.files[0].submissions) == 2201
    assert not older.files[0].withdrawn
    assert older.files[0].to_dict()["superseded"][0].startswith("UNODC-")


def test_history_shows_each_state_and_vintage(both_orders: dict[str, tuple[Path, list]]) -> None:
    store = open_store(both_orders["new-old"][0])
    states = {(s["vintage"], s["state"]) for s in submission_history(store, "PRK", 2019)}
    assert states == {("2023-05-30", "withdrawn")}
    aus = submission_history(store, "AUS", 2019)
    assert {(s["vintage"], s["state"], s["current"]) for s in aus} == {
        ("2025-04-14", "current", True),
        ("2023-05-30", "superseded", False),
    }


def glotip_csv(path: Path, preamble: str | None) -> Path:
    """A one-row GLOTIP CSV export, with or without its two-line preamble."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if preamble is not None:
            writer.writerows([["UNODC", "unodc_ddds@un.org"], [preamble]])
        writer.writerow(HEADER)
        writer.writerow(ROW)
    return path


def test_a_compilation_without_its_vintage_is_stored_only_with_one_given(tmp_path: Path) -> None:
    bare = glotip_csv(tmp_path / "glotip.csv", None)
    refused = ingest_files([bare], tmp_path / "store")
    assert [f.rule for f in refused.findings] == ["STRUCTURE_VINTAGE_MISSING"]
    assert "--vintage" in refused.findings[0].message and not refused.files[0].submissions
    stored = ingest_files([bare], tmp_path / "store", vintage="2024-01-31")
    assert stored.ok
    assert open_store(tmp_path / "store").submissions()[0].vintage == "2024-01-31"


def test_a_vintage_the_file_contradicts_or_cannot_read_is_refused(tmp_path: Path) -> None:
    dated = glotip_csv(tmp_path / "dated.csv", "30/05/2023")
    run = ingest_files([dated], tmp_path / "store", vintage="2024-01-31")
    assert [f.rule for f in run.findings] == ["STRUCTURE_VINTAGE_MISSING"]
    assert "2023-05-30" in run.findings[0].message
    junk = glotip_csv(tmp_path / "junk.csv", "last spring")
    run = ingest_files([junk], tmp_path / "store")
    assert "'last spring'" in run.findings[0].message and run.findings[0].cell == "A2"
    assert ingest_files([junk], tmp_path / "store", vintage="2023-05-30").ok


def test_vintage_option_on_the_command_line(tmp_path: Path) -> None:
    bare = glotip_csv(tmp_path / "glotip.csv", None)
    store = str(tmp_path / "store")
    result = invoke("ingest", str(bare), "--store", store, "--vintage", "31/01/2024")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr
    result = invoke(
        "ingest", str(bare), "--store", store, "--vintage", "2024-01-31", "--format", "json"
    )
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["files"][0]["submissions"]


def test_a_layout_declares_its_vintage_or_is_refused_with_the_line(tmp_path: Path) -> None:
    from nremstats.returns.layouts.declaration import LayoutFileError, load_layout

    source = (ROOT / "schemas" / "layouts" / "glotip.yaml").read_text(encoding="utf-8")
    for wrong, said in (
        ('vintage: {cell: "2A"}', "not a cell address"),
        ('vintage: {name: "(\\\\d+)"}', "(?P<date>"),
        ("vintage: {when: A2}", "unknown key 'when'"),
        ("vintage: {format: '%Y'}", "needs a cell"),
    ):
        text = source.replace('vintage: {cell: A2, format: "%d/%m/%Y"}', wrong)
        path = tmp_path / "mine.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(LayoutFileError, match="line") as raised:
            load_layout(path)
        assert said in str(raised.value)
    path.write_text(source.replace("compilation: true", "compilation: false"), encoding="utf-8")
    with pytest.raises(LayoutFileError, match="complete file must be a compilation"):
        load_layout(path)
    named = source.replace(
        'vintage: {cell: A2, format: "%d/%m/%Y"}',
        'vintage: {name: "_(?P<date>\\\\d{4}-\\\\d{2}-\\\\d{2})"}',
    )
    path.write_text(named, encoding="utf-8")
    bare = glotip_csv(tmp_path / "unodc_2024-06-30.csv", None)
    run = ingest_files([bare], tmp_path / "store", layout=path)
    assert run.ok and open_store(tmp_path / "store").submissions()[0].vintage == "2024-06-30"
    shutil.rmtree(tmp_path / "store")


def test_the_revisions_of_a_newer_vintage_account_for_every_current_figure(
    both_orders: dict[str, tuple[Path, list]],
) -> None:
    """The 2025 export after the 2023 one: what was current (every 2023 figure) plus the
    figures added, less those removed and withdrawn, is what is current now."""
    store, (older, newer) = both_orders["old-new"]
    first, second = older.files[0].revisions, newer.files[0].revisions
    kinds = ("added", "changed", "removed", "withdrawn")
    assert [first[k] for k in kinds] == [42879, 0, 0, 0]
    now = len(open_store(store).observations())
    assert now == first["added"] + second["added"] - second["removed"] - second["withdrawn"]
    assert second["changed"] > 1000 and second["withdrawn"] > 0
    biggest = second["largest"][0]
    assert abs(biggest["new"]["value"] - biggest["old"]["value"]) >= max(
        abs((c["new"]["value"] or 0) - (c["old"]["value"] or 0)) for c in second["largest"]
    )
    assert biggest["cell"] and biggest["sheet"] == "data_glotip_1"
    # the older export received later changes nothing current
    _, (_, late) = both_orders["new-old"]
    assert late.files[0].revisions is None


def test_a_revised_national_return_reports_each_kind_of_change(tmp_path: Path) -> None:
    from tests.conftest import HEADER as CSV_HEADER
    from tests.conftest import write_csv

    def rows(*cells: str) -> list[str]:
        return [CSV_HEADER, *(f"NLD,2021,PERSONS_CONVICTED,{c}" for c in cells)]

    store = tmp_path / "store"
    first = write_csv(tmp_path / "v1.csv", rows("_T,_T,_T,_T,12", "F,_T,_T,_T,5", "M,_T,_T,_T,7"))
    assert ingest_files([first], store).files[0].revisions["added"] == 3
    second = write_csv(tmp_path / "v2.csv", rows("_T,_T,_T,_T,12", "F,_T,_T,_T,6", "_U,_T,_T,_T,6"))
    found = ingest_files([second], store).files[0].revisions
    kinds = ("added", "changed", "removed", "withdrawn")
    assert [found[k] for k in kinds] == [1, 1, 1, 0]
    (change,) = found["largest"]
    assert (change["sex"], change["old"], change["new"]) == (
        "F",
        {"value": 5, "obs_status": "A"},
        {"value": 6, "obs_status": "A"},
    )
    assert change["cell"] and revision_counts(found) == "1 added, 1 changed, 1 removed"


def test_the_same_bytes_read_with_a_fixed_layout_supersede_the_first_reading(
    tmp_path: Path,
) -> None:
    """A row whose citizenship label the layout does not know is rejected; the layout
    fixed (the label added), the same file ingested again is a new submission that
    supersedes the first reading; the same bytes and layout again: already stored;
    ``force``: read again regardless."""
    path = glotip_csv(tmp_path / "glotip.csv", "30/05/2023")
    with path.open("a", newline="", encoding="utf-8") as handle:
        row = list(ROW)
        row[5:7] = ["by citizenship", "Atlantean"]
        csv.writer(handle).writerow(row[:12] + ["4"])
    store = tmp_path / "store"
    first = ingest_files([path], store)
    assert first.files[0].rows_rejected == 1 and not first.files[0].reread
    source = (ROOT / "schemas" / "layouts" / "glotip.yaml").read_text(encoding="utf-8")
    fixed = tmp_path / "glotip-fixed.yaml"
    fixed.write_text(source.replace("    TOTAL: _T\n", "    TOTAL: _T\n    Atlantean: FOR\n"))
    again = ingest_files([path], store, layout=fixed)
    result = again.files[0]
    assert result.reread and result.rows_rejected == 0 and result.to_dict()["reread"] is True
    assert (
        result.submissions[0].endswith("-r2") and result.submissions != first.files[0].submissions
    )
    figures = open_store(store).observations()
    assert (figures["citizenship"] == "FOR").sum() == 1 and len(figures) == 2
    assert ingest_files([path], store, layout=fixed).files[0].already_stored
    forced = ingest_files([path], store, layout=fixed, force=True).files[0]
    assert forced.reread and forced.submissions[0].endswith("-r3")
    states = [s["state"] for s in submission_history(open_store(store), "NLD")]
    assert states == ["superseded", "superseded", "current"]


def test_diff_between_two_vintages_of_a_compilation(
    both_orders: dict[str, tuple[Path, list]],
) -> None:
    from nremstats.core.errors import StoreError
    from nremstats.store.history import vintage_diff

    path, (_, newer) = both_orders["old-new"]
    store = open_store(path)
    found = vintage_diff(store, "unodc", "2023-05-30", "2025-04-14")
    kinds = [c["change"] for c in found.changes]
    said = newer.files[0].revisions
    assert kinds.count("added") == said["added"] and kinds.count("changed") == said["changed"]
    assert kinds.count("removed") == said["removed"] + said["withdrawn"]
    # a date between the two: the older vintage; a submission id: its file
    assert vintage_diff(store, "UNODC", "2024-12-31", "2025-04-14").changes == found.changes
    by_id = vintage_diff(store, "UNODC", "2023-05-30", newer.files[0].submissions[0])
    assert by_id.changes == found.changes
    aus = vintage_diff(store, "UNODC", "2023-05-30", "2025-04-14", "aus", 2019).changes
    total = [
        c
        for c in aus
        if c["indicator"] == "VICTIMS_DETECTED"
        and all(c[d] == "_T" for d in ("sex", "age", "exploitation", "citizenship"))
    ]
    assert [(c["old"]["value"], c["new"]["value"]) for c in total] == [(189, 84)]
    with pytest.raises(StoreError, match="YYYY-MM-DD"):
        vintage_diff(store, "UNODC", "May 2023", "2025-04-14")
    with pytest.raises(StoreError, match="on or before 2020-01-01"):
        vintage_diff(store, "UNODC", "2020-01-01", "2025-04-14")
    where = ("--store", str(path))
    assert invoke("diff", "--provider", "UNODC", "--from", "2023-05-30", *where).exit_code == 2
    asked = ["AUS", "2019", "--provider", "UNODC", "--from", "2023-05-30", "--to", "2025-04-14"]
    result = invoke("diff", *asked, "--format", "json", *where)
    assert result.exit_code == 0 and json.loads(result.stdout)["changes"] == aus


#: Twenty countries of a made-up complete export.
TWENTY = [
    "AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN",
    "FRA", "GRC", "HRV", "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "NLD",
]  # fmt: skip


def glotip_countries(path: Path, preamble: str, countries: list[str], bad: str = "") -> Path:
    """A GLOTIP CSV export dated ``preamble`` with one figure per country (``bad``: that
    country's figure unreadable)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerows([["UNODC", "unodc_ddds@un.org"], [preamble], HEADER])
        for country in countries:
            writer.writerow([country, *ROW[1:12], "abc" if country == bad else "12"])
    return path


def test_a_download_of_some_countries_withdraws_nothing(tmp_path: Path) -> None:
    """A complete layout's file lacking most of the earlier vintage is taken as partial (and
    says why); one lacking a country withdraws it; ``partial`` withdraws nothing; a country
    whose rows were all unreadable is held, not withdrawn."""
    store = tmp_path / "store"
    ingest_files([glotip_countries(tmp_path / "a.csv", "30/05/2023", TWENTY)], store)
    few = ingest_files([glotip_countries(tmp_path / "b.csv", "01/06/2023", ["NLD"])], store)
    assert "lacks 19 of the 20 country-years" in few.files[0].partial
    assert not few.files[0].withdrawn and len(open_store(store).observations()) == 20
    path = glotip_countries(tmp_path / "c.csv", "01/07/2023", TWENTY[:19], bad="AUT")
    lacking = ingest_files([path], store).files[0]
    assert lacking.partial is None and lacking.withdrawn == ["NLD 2021"]  # AUT: held
    assert set(open_store(store).observations()["country"]) == set(TWENTY[:19])
    path = glotip_countries(tmp_path / "d.csv", "01/08/2023", TWENTY[1:])
    asked = ingest_files([path], store, partial=True).files[0]
    assert asked.partial == "asked (--partial)" and not asked.withdrawn


def test_a_wrong_vintage_is_corrected_and_a_future_one_refused(tmp_path: Path) -> None:
    from nremstats.core.errors import OptionError

    bare, store = glotip_csv(tmp_path / "glotip.csv", None), tmp_path / "store"
    assert ingest_files([bare], store, vintage="2024-06-01").ok
    again = ingest_files([bare], store, vintage="2024-01-31").files[0]
    assert again.reread and not again.superseded
    (current,) = open_store(store).current_submissions()
    assert current.vintage == "2024-01-31"
    with pytest.raises(OptionError, match="still to come"):
        ingest_files([bare], store, vintage="2205-04-14")
    future = glotip_csv(tmp_path / "future.csv", "14/04/2205")
    assert "still to come" in ingest_files([future], store).findings[0].message


def test_a_national_return_has_no_vintage_and_as_of_takes_whole_files(tmp_path: Path) -> None:
    from tests.conftest import HEADER as CSV_HEADER
    from tests.conftest import write_csv

    store = tmp_path / "store"
    first = write_csv(
        tmp_path / "v1.csv", [CSV_HEADER, "DEU,2021,PERSONS_CONVICTED,_T,_T,_T,_T,710"]
    )
    second = write_csv(
        tmp_path / "v2.csv", [CSV_HEADER, "DEU,2021,PERSONS_CONVICTED,_T,_T,_T,_T,720"]
    )
    ingest_files([first], store)
    ingest_files([second], store, vintage="2020-01-01")  # not a compilation: as received
    figures = open_store(store).observations()
    assert figures["value"].tolist() == [720]
    assert open_store(store).submissions()[-1].vintage is None
    ingest_files([glotip_countries(tmp_path / "a.csv", "30/05/2023", TWENTY)], store)
    ingest_files([glotip_countries(tmp_path / "b.csv", "01/06/2023", TWENTY[:19])], store)
    subs = open_store(store).submissions()
    inside = next(s for s in subs if s.vintage == "2023-06-01" and s.country == "AUT")
    # as of a submission inside the second export: the whole export (NLD withdrawn), not a part
    then = current_of(subs, inside.seq)
    assert len([s for s in then if s.provider == "UNODC"]) == 19


def test_a_file_name_that_says_no_date_refuses_that_file_only(tmp_path: Path) -> None:
    source = (ROOT / "schemas" / "layouts" / "glotip.yaml").read_text(encoding="utf-8")
    named = source.replace(
        'vintage: {cell: A2, format: "%d/%m/%Y"}',
        'vintage: {name: "_(?P<date>\\\\d{4}-\\\\d{2}-\\\\d{2})"}',
    )
    layout = tmp_path / "named.yaml"
    layout.write_text(named, encoding="utf-8")
    good = glotip_csv(tmp_path / "unodc_2024-06-30.csv", None)
    bad = glotip_csv(tmp_path / "unodc_2024-13-45.csv", None)
    run = ingest_files([good, bad], tmp_path / "store", layout=layout)
    assert run.files[0].submissions and not run.files[1].submissions
    assert "'2024-13-45'" in run.files[1].findings[0].message


def test_diff_by_default_goes_from_the_older_vintage_to_the_newer(
    both_orders: dict[str, tuple[Path, list]],
) -> None:
    from nremstats.store.history import diff

    store = open_store(both_orders["new-old"][0])
    found = diff(store, "AUS", 2020)
    assert "-2023-" not in found.to_id and store.submission(found.to_id).vintage == "2025-04-14"
    assert store.submission(found.from_id).vintage == "2023-05-30"
