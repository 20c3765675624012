"""Benchmark of the disclosure control of SDMX-CSV (issue: disclosure against an intruder with
linear programming), run by hand, not in CI.

Ingests the UNODC GLOTIP 2023 export once into a fresh store (about 42,900 observations),
then times, in the same run and alternated:

- **ours**: ``to_sdmx_csv`` with disclosure control (suppress below 5: the intruder reads each
  breakdown as complete and solves linear programs; secondary cells until no suppressed cell
  is pinned and no count under 5 is narrowed);
- **floor**: the same observations written as plain CSV by pandas (no SDMX columns, no
  disclosure control; a country's own ``<5`` is protected even with ``suppress_below=1``).

Reports seconds, the ratio (median of paired runs) and the cells suppressed (information
lost). Target (issue 13): under 10 s for the whole GLOTIP store.
Usage:  python bench/bench_disclosure.py [--reps 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOTIP = ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx"


def main() -> None:
    from nremstats.ingest import ingest_files
    from nremstats.publish.sdmx import to_sdmx_csv
    from nremstats.store.store import open_store

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nremstats-bench-"))
    try:
        ingest_files([GLOTIP], folder / "store")
        observations = open_store(folder / "store").observations()
        to_sdmx_csv(observations)  # warm-up
        ta, tb, result = [], [], None
        for _ in range(args.reps):
            start = time.perf_counter()
            result = to_sdmx_csv(observations)
            ta.append(time.perf_counter() - start)
            start = time.perf_counter()
            observations.to_csv(index=False)
            tb.append(time.perf_counter() - start)
        ratio = statistics.median(a / b for a, b in zip(ta, tb, strict=True))
        print(f"{len(observations):,} observations")
        print(
            f"SDMX-CSV with disclosure control {statistics.median(ta):6.2f} s   plain CSV "
            f"{statistics.median(tb):6.2f} s   ratio {ratio:.2f} (target: under 10 s)"
        )
        assert result is not None
        print(result.summary())
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
