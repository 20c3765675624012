from __future__ import annotations

import json

import pyarrow.dataset as ds
import pytest

from nremstats.core.errors import StoreError
from nremstats.ingest import ingest_files
from nremstats.store.manifest import MANIFEST, MARKER
from nremstats.store.store import open_store
from tests.conftest import HEADER, write_csv


def _csv(tmp_path, name="r.csv", value=5, country="NLD", year=2021):
    return write_csv(
        tmp_path / name, [HEADER, f"{country},{year},PERSONS_CONVICTED,_T,_T,_T,_T,{value}"]
    )


def test_reader_without_store_is_a_usage_error(tmp_path):
    with pytest.raises(StoreError, match="No nremstats store"):
        open_store(tmp_path / "none")


def test_store_path_that_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        open_store(path, create=True)
    with pytest.raises(StoreError, match="is a file"):
        ingest_files([_csv(tmp_path)], path)


def test_newer_store_version_is_refused(tmp_path, store_dir):
    ingest_files([_csv(tmp_path)], store_dir)
    marker = store_dir / MARKER
    marker.write_text(json.dumps({"format": "nremstats-store", "format_version": 99}))
    with pytest.raises(StoreError, match="version 99"):
        open_store(store_dir)


def test_identical_reingest_is_a_noop_and_bytes_identical(tmp_path, store_dir):
    path = _csv(tmp_path)
    first = ingest_files([path], store_dir)
    snapshot = {
        p.relative_to(store_dir): p.read_bytes()
        for p in store_dir.rglob("*")
        if p.is_file() and p.name != ".lock"
    }
    again = ingest_files([path], store_dir)
    after = {
        p.relative_to(store_dir): p.read_bytes()
        for p in store_dir.rglob("*")
        if p.is_file() and p.name != ".lock"
    }
    assert again.files[0].already_stored and not first.files[0].already_stored
    assert again.files[0].submissions == first.files[0].submissions
    assert snapshot == after


def test_newer_submission_of_same_provider_supersedes(tmp_path, store_dir):
    ingest_files([_csv(tmp_path, "a.csv", 5)], store_dir)
    ingest_files([_csv(tmp_path, "b.csv", 6)], store_dir)
    store = open_store(store_dir)
    assert len(store.submissions()) == 2  # history kept
    obs = store.observations()
    assert obs["value"].tolist() == [6] and obs["source_file"].tolist() == ["b.csv"]


def test_other_provider_kept_side_by_side(tmp_path, store_dir):
    ingest_files([_csv(tmp_path, "a.csv", 5)], store_dir)
    unodc = write_csv(
        tmp_path / "u.csv",
        [HEADER + ",provider", "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,<5,UNODC"],
    )
    ingest_files([unodc], store_dir)
    obs = open_store(store_dir).observations()
    assert sorted(obs["provider"]) == ["NLD", "UNODC"]


def test_store_is_plain_parquet_readable_by_pyarrow_dataset(tmp_path, store_dir):
    ingest_files([_csv(tmp_path)], store_dir)
    table = ds.dataset(store_dir / "observations", format="parquet").to_table()
    assert table.column("value").to_pylist() == [5]
    manifest = json.loads((store_dir / MANIFEST).read_text())
    assert manifest["submissions"][0]["submission_id"] == table.column("submission_id")[0].as_py()


def test_lock_times_out_when_held(tmp_path, store_dir):
    from nremstats.core.errors import StoreBusy

    store = open_store(store_dir, create=True)
    waited = []
    with store.lock(), pytest.raises(StoreBusy, match="busy"):
        # flock locks are per open file description: a second open contends like a process.
        with open_store(store_dir).lock(timeout=0.3, on_wait=lambda: waited.append(1)):
            pass
    assert waited == [1]
