"""Benchmark of ``reconcile`` (issue: sources over time), run by hand, not in CI.

Ingests both GLOTIP exports (2023 and 2025) and every sample return into a fresh store, then
times, in the same run and alternated:

- **ours**: :func:`nremstats.store.reconcile.reconcile` over the whole store (every figure
  two or more providers report, compared);
- **floor**: reading the store's current observations (what reconcile must read anyway).

Reports seconds, the ratio (median of paired runs) and reconcile's figures. Target: under 3 s.
Usage:  python bench/bench_reconcile.py [--reps 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx",
    ROOT / "tests" / "data" / "unodc_data_glotip_2025-04-14.xlsx",
    *sorted((ROOT / "sample_data").glob("*.xlsx")),
    *sorted((ROOT / "sample_data").glob("*.csv")),
]


def main() -> None:
    from nremstats.ingest import ingest_files
    from nremstats.store.reconcile import reconcile
    from nremstats.store.store import open_store

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nremstats-bench-"))
    try:
        ingest_files(FILES, folder / "store")
        store = open_store(folder / "store")
        result = reconcile(store)  # warm-up
        ours, floor = [], []
        for _ in range(args.reps):
            start = time.perf_counter()
            result = reconcile(store)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.observations()
            floor.append(time.perf_counter() - start)
        ratio = statistics.median(a / b for a, b in zip(ours, floor, strict=True))
        print(f"{len(store.observations()):,} current observations")
        print(
            f"reconcile {statistics.median(ours):6.2f} s   reading the store "
            f"{statistics.median(floor):6.2f} s   ratio {ratio:.2f} (target: under 3 s)"
        )
        print(
            f"{result.compared:,} figures reported by several providers: "
            f"{result.agreements:,} agree, {len(result.discrepancies):,} do not"
        )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
