"""Submissions over time: supersede, history, diff, as-of, coverage."""

from __future__ import annotations

import json

import pytest

from nremstats.core.errors import StoreError
from nremstats.ingest import ingest_files
from nremstats.publish.tables import comparison_table
from nremstats.store.history import coverage, diff, submission_history
from nremstats.store.store import open_store
from tests.conftest import HEADER, write_csv

H = HEADER + ",obs_status,provider"


def revision(tmp_path, name, rows, store):
    path = write_csv(tmp_path / name, [H, *rows])
    run = ingest_files([path], store)
    assert run.ok, run.findings
    return run.files[0].submissions


@pytest.fixture
def revised(tmp_path):
    store = tmp_path / "store"
    first = revision(
        tmp_path,
        "v1.csv",
        [
            "NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,20,,",
            "NLD,2023,PERSONS_CONVICTED,F,_T,_T,_T,5,,",
            "NLD,2023,PERSONS_CONVICTED,M,_T,_T,_T,15,,",
        ],
        store,
    )
    unodc = revision(tmp_path, "u.csv", ["NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,<5,,UNODC"], store)
    second = revision(
        tmp_path,
        "v2.csv",
        [
            "NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,22,P,",
            "NLD,2023,PERSONS_CONVICTED,F,_T,_T,_T,5,,",
            "NLD,2023,PERSONS_CONVICTED,M,_T,_T,_T,..,,",
            "NLD,2023,PERSONS_CONVICTED,_U,_T,_T,_T,2,,",
        ],
        store,
    )
    return store, first[0], unodc[0], second[0]


def test_supersede_keeps_history_and_other_providers(revised):
    store, first, unodc, second = revised
    subs = {s["submission_id"]: s for s in submission_history(open_store(store), "nld")}
    assert list(subs) == [first, unodc, second]
    assert [subs[i]["current"] for i in (first, unodc, second)] == [False, True, True]
    for entry in subs.values():
        assert {
            "submission_id",
            "provider",
            "country",
            "years",
            "file",
            "sha256",
            "received_at",
            "status",
            "current",
        } <= set(entry)
    obs = open_store(store).observations()
    assert sorted(set(obs["submission_id"])) == sorted([unodc, second])


def test_diff_default_is_the_two_latest(revised):
    store, first, unodc, second = revised
    result = diff(open_store(store), "NLD", 2023)
    assert (result.from_id, result.to_id) == (unodc, second)


def test_diff_between_national_revisions(revised):
    store, first, _, second = revised
    result = diff(open_store(store), "NLD", 2023, first, second)
    changes = {(c["sex"], c["change"]): c for c in result.changes}
    assert set(changes) == {("_T", "changed"), ("M", "changed"), ("_U", "added")}
    bare = {"lower": None, "upper": None}  # a range's bounds (none here)
    assert changes[("_T", "changed")]["old"] == {"value": 20, "obs_status": "A", **bare}
    assert changes[("_T", "changed")]["new"] == {"value": 22, "obs_status": "P", **bare}
    assert changes[("M", "changed")]["new"] == {"value": None, "obs_status": "L", **bare}
    assert changes[("_U", "added")]["old"] is None
    back = diff(open_store(store), "NLD", 2023, second, first)
    assert {(c["sex"], c["change"]) for c in back.changes} >= {("_U", "removed")}


def test_diff_errors(revised):
    store, first, _, _ = revised
    with pytest.raises(StoreError, match="no submission"):
        diff(open_store(store), "BEL", 2023)
    with pytest.raises(StoreError, match="No submission 'nope'"):
        diff(open_store(store), "NLD", 2023, "nope", first)
    with pytest.raises(StoreError, match="first"):
        diff(open_store(store), "NLD", 2023, to_id=first)
    with pytest.raises(StoreError, match="no submission for XXX"):
        submission_history(open_store(store), "XXX")


def test_as_of_reproduces_past_states(revised):
    store, first, unodc, second = revised
    opened = open_store(store)
    assert opened.resolve_as_of(first) == 1
    past = opened.observations(upto=opened.resolve_as_of(first))
    assert set(past["submission_id"]) == {first}
    table = comparison_table(opened, "PERSONS_CONVICTED", upto=opened.resolve_as_of(first))
    assert table.rows()[1][2] == "20"
    assert comparison_table(opened, "PERSONS_CONVICTED").rows()[1][2] == "22 p"
    received = opened.submission(second).received_at
    assert opened.resolve_as_of(received[:10]) == 3  # a date includes the whole day
    assert opened.resolve_as_of("2999-01-01T00:00:00") == 3
    with pytest.raises(StoreError, match="before the first submission"):
        opened.resolve_as_of("2001-01-01")
    with pytest.raises(StoreError, match="neither a submission id"):
        opened.resolve_as_of("last tuesday")


def test_coverage(revised, tmp_path):
    store, *_ = revised
    revision(tmp_path, "b.csv", ["BEL,2022,PERSONS_CONVICTED,_T,_T,_T,_T,3,,"], store)
    result = coverage(open_store(store))
    assert result.countries == ["BEL", "NLD"] and result.years == [2022, 2023]
    providers = [s["provider"] for s in result.cells[("NLD", 2023)]]
    assert providers == ["NLD", "UNODC"]  # national first
    # NLD's provisional 22 against UNODC's <5: the two providers' one shared figure differs
    assert result.rows()[2][2] == "NLD:valid UNODC:valid (≠ 1)"
    assert result.to_dict()["cells"][-1]["providers_agree"] is False
    assert coverage(open_store(store), year=2022).countries == ["BEL"]
    json.dumps(result.to_dict())


def test_cli_history_diff_status_export_as_of(revised):
    from tests.conftest import invoke

    store, first, unodc, second = revised
    out = invoke("history", "NLD", "--store", str(store), "--format", "json")
    assert out.exit_code == 0
    assert [s["current"] for s in json.loads(out.stdout)["submissions"]] == [False, True, True]
    out = invoke(
        "diff",
        "NLD",
        "2023",
        "--from",
        first,
        "--to",
        second,
        "--store",
        str(store),
        "--format",
        "json",
    )
    data = json.loads(out.stdout)
    assert data["from"] == first and data["to"] == second and len(data["changes"]) == 3
    out = invoke("status", "--store", str(store), "--format", "csv")
    assert out.stdout.splitlines()[0] == "country,2023"
    out = invoke("export", "--long", "--as-of", first, "--store", str(store))
    assert out.exit_code == 0 and second not in out.stdout and first in out.stdout
    assert invoke("export", "--long", "--as-of", "1999-01-01", "--store", str(store)).exit_code == 2
    assert invoke("history", "XXX", "--store", str(store)).exit_code == 2
    assert invoke("diff", "NLD", "2023", "--from", "nope", "--store", str(store)).exit_code == 2


def test_compaction_changes_nothing_readers_see(revised, tmp_path):
    from nremstats.store.verify import verify_store

    store, first, unodc, second = revised
    opened = open_store(store)
    before = opened.observations()
    table_before = comparison_table(opened, "PERSONS_CONVICTED").rows()
    with opened.lock():
        entry = opened.compact()
    assert set(entry["submissions"]) == {unodc, second}
    assert opened.observations().equals(before)
    assert comparison_table(opened, "PERSONS_CONVICTED").rows() == table_before
    # a revision after compaction supersedes rows held in the compacted file
    third = revision(tmp_path, "v3.csv", ["NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,30,,"], store)
    now = open_store(store).observations()
    assert set(now["submission_id"]) == {unodc, third[0]}
    assert comparison_table(open_store(store), "PERSONS_CONVICTED").rows()[1][2] == "30"
    # past states still come from the per-submission files
    past = open_store(store).observations(upto=open_store(store).resolve_as_of(first))
    assert set(past["submission_id"]) == {first}
    assert verify_store(open_store(store)).problems == []


def test_damaged_compacted_file_is_found_and_rebuilt(revised):
    from nremstats.store.verify import verify_store

    store, *_ = revised
    opened = open_store(store)
    with opened.lock():
        entry = opened.compact()
    before = opened.observations()
    (store / entry["totals_file"]).write_bytes(b"damaged")
    report = verify_store(opened)
    assert not report.ok and "compact" in report.problems[0].path
    repaired = verify_store(opened, repair=True)
    assert repaired.ok and "rebuilt the compacted file" in repaired.repaired
    assert open_store(store).observations().equals(before)


def test_cli_compact(revised):
    from tests.conftest import invoke

    store, *_ = revised
    result = invoke("compact", "--store", str(store))
    assert result.exit_code == 0 and "Compacted 2 submission(s)" in result.stderr


def test_head_hint_serves_a_fresh_compaction_and_is_never_trusted_stale(revised, tmp_path):
    from nremstats.store.manifest import HEAD

    store, _, unodc, second = revised
    opened = open_store(store)
    assert opened.fresh_compaction() is None  # no compaction yet
    with opened.lock():
        entry = opened.compact()
    assert opened.fresh_compaction()["totals_file"] == entry["totals_file"]
    stale = (store / HEAD).read_bytes()
    third = revision(tmp_path, "v3.csv", ["NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,30,,"], store)
    assert open_store(store).fresh_compaction() is None  # a submission since the compaction
    # a hint left from before (a manifest restored by hand, a crash between the two writes)
    # describes a manifest of another size: readers ignore it and see the new submission
    (store / HEAD).write_bytes(stale)
    assert open_store(store).fresh_compaction() is None
    now = open_store(store).observations()
    assert set(now["submission_id"]) == {unodc, third[0]}
    assert comparison_table(open_store(store), "PERSONS_CONVICTED").rows()[1][2] == "30"


def test_verify_reports_and_rewrites_a_missing_head_hint(revised):
    from nremstats.store.manifest import HEAD
    from nremstats.store.verify import verify_store

    store, *_ = revised
    opened = open_store(store)
    with opened.lock():
        opened.compact()
    manifest = (store / "manifest.json").read_bytes()
    (store / HEAD).unlink()
    assert opened.fresh_compaction() is None
    report = verify_store(opened)
    assert report.ok and [p.kind for p in report.problems] == ["head"]
    repaired = verify_store(opened, repair=True)
    assert repaired.problems == [] and repaired.repaired == ["rewrote the head hint"]
    assert (store / "manifest.json").read_bytes() == manifest  # the manifest is unchanged
    assert opened.fresh_compaction() is not None


def test_fresh_compaction_is_read_without_the_manifest(revised, monkeypatch):
    from nremstats.store.store import Store

    store, *_ = revised
    opened = open_store(store)
    with opened.lock():
        opened.compact()
    expected = comparison_table(opened, "PERSONS_CONVICTED").rows()
    rows = opened.observations(countries={"NLD"})  # through the manifest

    def no_manifest(self):
        raise AssertionError("the manifest was parsed")

    monkeypatch.setattr(Store, "manifest", no_manifest)
    assert comparison_table(open_store(store), "PERSONS_CONVICTED").rows() == expected
    assert open_store(store).observations().equals(rows)


def test_compaction_keeps_one_previous_generation(revised, tmp_path):
    store, *_ = revised
    files = []
    for n in range(3):
        if n:
            revision(
                tmp_path, f"r{n}.csv", [f"NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,{40 + n},,"], store
            )
        opened = open_store(store)
        with opened.lock():
            entry = opened.compact()
        files.append({entry["file"], entry["totals_file"]})
    present = {f"compact/{p.name}" for p in (store / "compact").iterdir()}
    assert present == files[2] | files[1]  # the first generation is gone
    assert set(entry["previous"]) == files[1]
    from nremstats.store.verify import verify_store

    assert verify_store(open_store(store)).problems == []


def test_cli_history_csv_file_names_are_inert(tmp_path):
    """A received file named with a first character a spreadsheet evaluates is listed with
    ``'`` in front; a plain name and the years (numbers) as they are."""
    import csv
    import io

    from tests.conftest import invoke

    formulas = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    names = [f"{text}.csv" for text in formulas] + ["plain.csv"]
    store = tmp_path / "store"
    for n, name in enumerate(names):
        revision(tmp_path, name, [f"NLD,{2001 + n},PERSONS_CONVICTED,_T,_T,_T,_T,{n},,"], store)
    out = invoke("history", "NLD", "--store", str(store), "--format", "csv")
    assert out.exit_code == 0, out.stderr
    header, *rows = list(csv.reader(io.StringIO(out.stdout, newline="")))
    assert len(rows) == len(names)  # a carriage return started no row of its own
    got = {row[header.index("years")]: row[header.index("file")] for row in rows}
    assert got == {str(2001 + n): ("'" + name if n < 6 else name) for n, name in enumerate(names)}
