"""Crash safety and parallel writers, with real processes.

A SIGKILL at any moment of an ingest leaves the store as it was before or as it is after,
never torn, and verify passes; eight processes ingesting at once lose no submission.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nremstats.ingest import ingest_files
from nremstats.store.manifest import MANIFEST
from nremstats.store.store import open_store
from nremstats.store.verify import verify_store
from tests.conftest import HEADER, SAMPLES, write_csv

CHILD = """
import sys
import pandas, pandera.pandas, pyarrow.parquet, python_calamine, pycountry  # imports first
from nremstats.ingest import ingest_files
from nremstats.returns.validate import observation_schema
from nremstats.core.codes import country_codes
observation_schema(), country_codes()
print("ready", flush=True)
ingest_files(sys.argv[2:], sys.argv[1])
print("done", flush=True)
"""
KILLS = 50


def _state(store: Path) -> list[str]:
    manifest = store / MANIFEST
    if not manifest.exists():
        return []
    return [s["submission_id"] for s in json.loads(manifest.read_text())["submissions"]]


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    first = write_csv(root / "first.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])
    ingest_files([first], root / "base")
    return root / "base"


def _ingest_seconds(base_store: Path, tmp_path: Path, files: list[str]) -> float:
    """How long the child's ingest takes after 'ready' (the window to kill in)."""
    store = tmp_path / "timing"
    shutil.copytree(base_store, store)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), *files], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    assert child.stdout.readline().strip() == "done"
    elapsed = time.perf_counter() - start
    child.wait()
    shutil.rmtree(store)
    return elapsed


def test_sigkill_at_random_moments_leaves_before_or_after(base_store, tmp_path):
    files = [str(SAMPLES / "NLD_2023_en.xlsx"), str(SAMPLES / "DEU_2021-2023_canonical.csv")]
    before = _state(base_store)
    rng = random.Random(20261122)
    outcomes = {"before": 0, "after": 0}
    window = _ingest_seconds(base_store, tmp_path, files) * 1.3
    for attempt in range(KILLS):
        store = tmp_path / f"s{attempt}"
        shutil.copytree(base_store, store)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(store), *files], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, window))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        state = _state(store)
        assert state[: len(before)] == before
        assert len(state) in (len(before), len(before) + 4), state  # 1 + 3 submissions, or none
        outcomes["after" if len(state) > len(before) else "before"] += 1
        report = verify_store(open_store(store))
        assert report.ok, report.problems  # debris (warnings) allowed, never an error
        open_store(store).observations()  # readable either way
        shutil.rmtree(store)
    assert outcomes["before"] and outcomes["after"], outcomes  # both sides were exercised


def test_eight_parallel_ingests_lose_nothing(tmp_path):
    store = tmp_path / "store"
    paths = []
    for i, country in enumerate(["NLD", "BEL", "FRA", "DEU", "ESP", "ITA", "POL", "ROU"]):
        paths.append(
            write_csv(
                tmp_path / f"{country}.csv",
                [HEADER, f"{country},2022,PERSONS_CONVICTED,_T,_T,_T,_T,{i}"],
            )
        )
    code = (
        "import sys; from nremstats.ingest import ingest_files; "
        "ingest_files([sys.argv[2]], sys.argv[1])"
    )
    children = [subprocess.Popen([sys.executable, "-c", code, str(store), str(p)]) for p in paths]
    assert [c.wait() for c in children] == [0] * 8
    subs = open_store(store).submissions()
    assert sorted(s.country for s in subs) == sorted(p.stem for p in paths)
    assert sorted(s.seq for s in subs) == list(range(1, 9))
    assert verify_store(open_store(store)).problems == []
