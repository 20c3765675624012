"""verify finds corrupted, missing and leftover files, and repairs what it safely can."""

from __future__ import annotations

import json

from nremstats.ingest import ingest_files
from nremstats.store.manifest import MARKER
from nremstats.store.store import Store, open_store
from nremstats.store.verify import verify_store
from tests.conftest import HEADER, write_csv


def two_revisions(tmp_path):
    store = tmp_path / "store"
    for name, value in (("a.csv", 5), ("b.csv", 6)):
        path = write_csv(
            tmp_path / name, [HEADER, f"NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,{value}"]
        )
        ingest_files([path], store)
    subs = open_store(store).submissions()
    return store, subs[0].submission_id, subs[1].submission_id


def test_clean_store_passes(tmp_path):
    store, *_ = two_revisions(tmp_path)
    report = verify_store(open_store(store))
    assert report.ok and report.problems == [] and report.submissions == 2


def test_corrupted_file_is_found_and_repaired(tmp_path):
    store, first, second = two_revisions(tmp_path)
    path = store / "observations" / f"{second}.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify_store(open_store(store))
    assert not report.ok
    problem = next(p for p in report.problems if p.submission_id == second)
    assert "b.csv" in problem.fix and "--repair" in problem.fix
    repaired = verify_store(open_store(store), repair=True)
    assert repaired.ok and any("quarantine" in r for r in repaired.repaired)
    assert (store / "quarantine" / f"{second}.parquet").exists()
    obs = open_store(store).observations()
    assert obs["submission_id"].tolist() == [first] and obs["value"].tolist() == [5]
    # the received file can now be ingested again
    assert ingest_files([tmp_path / "b.csv"], store).files[0].submissions == [second]
    assert open_store(store).observations()["value"].tolist() == [6]


def test_missing_file_and_marker(tmp_path):
    store, first, _ = two_revisions(tmp_path)
    (store / "observations" / f"{first}.parquet").unlink()
    (store / MARKER).write_text("{not json")
    report = verify_store(Store(store))
    messages = {(p.severity, p.message.split(" (")[0]) for p in report.problems}
    assert ("error", "the file is missing") in messages
    assert ("error", "the store marker is missing or unreadable") in messages
    assert verify_store(Store(store), repair=True).ok
    assert json.loads((store / MARKER).read_text())["format_version"] == 1


def test_rows_or_hash_not_as_recorded(tmp_path):
    store, first, _ = two_revisions(tmp_path)
    manifest = json.loads((store / "manifest.json").read_text())
    manifest["submissions"][0]["rows"] = 7
    manifest["submissions"][0]["data_sha256"] = "0" * 64
    (store / "manifest.json").write_text(json.dumps(manifest))
    texts = [p.message for p in verify_store(open_store(store)).problems]
    assert any("manifest says 7" in t for t in texts) and any("sha256" in t for t in texts)


def test_debris_is_reported_invisible_and_cleaned(tmp_path):
    store, *_ = two_revisions(tmp_path)
    (store / "observations" / ".tmp-999-x.parquet").write_bytes(b"partial")
    (store / "observations" / "ORPHAN-NLD-2021-abc.parquet").write_bytes(b"never published")
    before = open_store(store).observations()
    report = verify_store(open_store(store))
    assert report.ok and {p.severity for p in report.problems} == {"warning"}
    assert len(report.problems) == 2
    assert open_store(store).observations().equals(before)
    cleaned = verify_store(open_store(store), repair=True)
    assert cleaned.problems == [] and len(cleaned.repaired) == 2


def test_cli_verify(tmp_path):
    from tests.conftest import invoke

    store, _, second = two_revisions(tmp_path)
    ok = invoke("verify", "--store", str(store))
    assert ok.exit_code == 0 and "no problem" in ok.stdout
    (store / "observations" / f"{second}.parquet").write_bytes(b"garbage")
    bad = invoke("verify", "--store", str(store), "--format", "json")
    assert bad.exit_code == 1 and json.loads(bad.stdout)["ok"] is False
    assert invoke("verify", "--store", str(tmp_path / "none")).exit_code == 2
