"""One release, one pattern: what is recorded, what later releases keep, the audit that refuses
a release whose printed outputs give a suppressed count away."""

from __future__ import annotations

from pathlib import Path

import pytest

from nremstats.core.errors import DisclosureRefused
from nremstats.ingest import ingest_files
from nremstats.publish.disclosure import PRIMARY, SECONDARY
from nremstats.publish.release import build_release, choose_providers, release_from_store
from nremstats.publish.sdmx import write_sdmx
from nremstats.store.releases import earlier_releases, release_log
from nremstats.store.store import open_store
from tests.conftest import HEADER, invoke, write_csv


def _ingest(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = write_csv(tmp_path / f"{name}.csv", [HEADER, *rows])
    assert ingest_files([path], tmp_path / "store").ok
    return tmp_path / "store"


def _rows(country: str, counts: dict[tuple[str, str], int]) -> list[str]:
    return [
        f"{country},2022,VICTIMS_DETECTED,{sex},{age},_T,_T,{value}"
        for (sex, age), value in counts.items()
    ]


def _hidden(release) -> dict[tuple[str, str], str]:
    rows = release.rows
    return {
        (rows.at[i, "sex"], rows.at[i, "age"]): why for i, why in release.protected.hidden.items()
    }


SEX_ONLY = {("_T", "_T"): 100, ("F", "_T"): 3, ("M", "_T"): 97}


def test_a_release_is_recorded_unless_a_draft(tmp_path):
    store = _ingest(tmp_path, "r", _rows("CZE", SEX_ONLY))
    args = ["export", "--format", "sdmx-csv", "--store", str(store)]
    assert invoke(*args, "--draft").exit_code == 0
    assert release_log(open_store(store)) == []
    assert invoke(*args).exit_code == 0
    log = release_log(open_store(store))
    assert [(e["release"], e["kind"], e["cells"]) for e in log] == [(1, "sdmx-csv", 3)]
    cells = earlier_releases(open_store(store))
    printed = dict(zip(cells["sex"], cells["published"], strict=True))
    assert printed == {"_T": True, "F": False, "M": False}  # F = 100 - 97 unless M is hidden


def test_a_cell_hidden_before_stays_hidden_after_an_unrelated_revision(tmp_path):
    """The sex breakdown is the same in the revision; only the age breakdown is new. The
    cells hidden in the first release stay hidden, whatever the new pattern would choose."""
    store = _ingest(tmp_path, "r1", _rows("CZE", SEX_ONLY))
    assert invoke("export", "--format", "sdmx-csv", "--store", str(store)).exit_code == 0
    revised = {**SEX_ONLY, ("_T", "Y_LT18"): 40, ("_T", "Y_GE18"): 60}
    _ingest(tmp_path, "r2", _rows("CZE", revised))
    release = release_from_store(open_store(store), 5)
    assert release.earlier == 3
    hidden = _hidden(release)
    assert hidden[("F", "_T")] == PRIMARY and hidden[("M", "_T")] == SECONDARY


def test_a_cell_printed_before_is_known_and_never_a_complement(tmp_path):
    """First release: no small count, everything printed. The revision adds a breakdown with
    a small count: the cells printed before are known to the intruder, so complements are
    chosen among the new cells, and what was printed cannot protect anything."""
    first = {("_T", "_T"): 100, ("F", "_T"): 60, ("M", "_T"): 40}
    store = _ingest(tmp_path, "r1", _rows("EST", first))
    assert invoke("export", "--format", "sdmx-csv", "--store", str(store)).exit_code == 0
    revised = {
        **first,
        ("F", "Y_LT18"): 3,
        ("F", "Y_GE18"): 57,
        ("M", "Y_LT18"): 10,
        ("M", "Y_GE18"): 30,
        ("_T", "Y_LT18"): 13,
        ("_T", "Y_GE18"): 87,
    }
    _ingest(tmp_path, "r2", _rows("EST", revised))
    release = release_from_store(open_store(store), 5)
    hidden = _hidden(release)
    assert hidden[("F", "Y_LT18")] == PRIMARY
    assert not {("F", "_T"), ("M", "_T"), ("_T", "_T")} & hidden.keys()  # printed before
    assert {("F", "Y_GE18"), ("M", "Y_LT18"), ("M", "Y_GE18")} <= hidden.keys()  # rectangle


def test_a_past_state_keeps_what_a_later_release_hid(tmp_path):
    """--as-of an earlier state after a later publication: the cells the later release hid
    (same figures) are hidden in the earlier state's release too, so the two cannot be
    differenced."""
    store = _ingest(tmp_path, "r1", _rows("CZE", {("_T", "_T"): 100, ("F", "_T"): 60}))
    first = open_store(store).submissions()[-1].submission_id
    _ingest(tmp_path, "r2", _rows("CZE", {("_T", "_T"): 100, ("F", "_T"): 3, ("M", "_T"): 97}))
    assert invoke("export", "--format", "sdmx-csv", "--store", str(store)).exit_code == 0
    opened = open_store(store)
    past = release_from_store(opened, 5, upto=opened.resolve_as_of(first))
    assert _hidden(past) == {}  # F 60 was never hidden; nothing small then
    now = release_from_store(opened, 5)
    assert _hidden(now)[("M", "_T")] == SECONDARY


def test_the_audit_refuses_a_release_that_gives_a_count_away(tmp_path):
    """A pattern without its complement (F = 100 - 97): the audit reads the printed rows,
    finds F exactly, and nothing is written."""
    store = _ingest(tmp_path, "r", _rows("CZE", SEX_ONLY))
    release = release_from_store(open_store(store), 5)
    leaky = [i for i, why in release.protected.hidden.items() if why == SECONDARY]
    assert leaky
    for i in leaky:
        del release.protected.hidden[i]
    out = tmp_path / "out.csv"
    with pytest.raises(DisclosureRefused, match="CZE 2022 .*F/_T/_T/_T"):
        write_sdmx(release, output=out)
    assert not out.exists()


def test_the_cli_exits_3_and_writes_nothing_when_the_audit_refuses(tmp_path, monkeypatch):
    from nremstats.publish import suppression

    store = _ingest(tmp_path, "r", _rows("CZE", SEX_ONLY))
    monkeypatch.setattr(suppression._Search, "complements", lambda self, targets: None)
    monkeypatch.setattr(suppression._Search, "run", lambda self: None)
    out = tmp_path / "out.csv"
    result = invoke("export", "--format", "sdmx-csv", "-o", str(out), "--store", str(store))
    assert result.exit_code == 3 and "Release refused" in result.stderr
    assert not out.exists() and release_log(open_store(store)) == []


def test_providers_are_chosen_per_indicator_as_the_tables_choose():
    import pandas as pd

    def row(provider: str, indicator: str, sex: str, value: int) -> dict:
        blank = {"age": "_T", "exploitation": "_T", "citizenship": "_T"}
        fixed = {"country": "NLD", "year": 2022, "indicator": indicator, "provider": provider}
        return {**fixed, "sex": sex, "value": value, **blank}

    frame = pd.DataFrame(
        [
            row("NLD", "VICTIMS_DETECTED", "_T", 10),
            row("UNODC", "VICTIMS_DETECTED", "_T", 11),
            row("NLD", "PERSONS_CONVICTED", "F", 2),  # a part without its total
            row("UNODC", "PERSONS_CONVICTED", "_T", 5),
        ]
    )
    chosen = choose_providers(frame)
    picked = dict(zip(chosen["indicator"], chosen["provider"], strict=True))
    assert picked == {"VICTIMS_DETECTED": "NLD", "PERSONS_CONVICTED": "UNODC"}
    assert build_release(frame.assign(obs_status="A", lower=None, upper=None), 1).rows.shape[0]


def test_a_total_hidden_as_a_complement_is_footnoted_without_a_reason(tmp_path):
    """A country total the pattern hides for another cell (a complement of last resort) is
    printed as suppressed, with no bounds and no "a count under k": it is not one."""
    from nremstats.publish.tables import comparison_table

    store = _ingest(tmp_path, "r", _rows("CZE", SEX_ONLY))
    release = build_release(open_store(store).observations(), 5)
    total = next(i for i in release.rows.index if release.rows.at[i, "sex"] == "_T")
    release.protected.hidden[total] = SECONDARY  # as the pattern marks such a total
    table, hidden = release.table(comparison_table(open_store(store), "VICTIMS_DETECTED"))
    cell = table.cells[("CZE", 2022)]
    assert hidden == 1 and cell.value is None and cell.lower is None and cell.upper is None
    note = table.footnotes[cell.notes[-1] - 1]
    assert note == "suppressed for confidentiality"
    assert not any("a count under" in text for text in table.footnotes)
