"""Benchmark of foreign-layout ingest (issue: foreign layouts), run by hand, not in CI.

Times, in the same run and alternated, in one process (imports and declarations warmed up
first, as in a long-running pipeline):

1. ``ingest_files`` of the UNODC GLOTIP exports of 2023 and 2025 (46,556 and 58,769 rows:
   detection, layout, labels, combining, validation, one submission per country-year,
   store) into a fresh store;
2. the floor: a bare python-calamine read of the same file into a pandas DataFrame.

Target: nremstats within 2x of the floor.
Usage:  python bench/bench_layouts.py [--reps 5] [--file FILE.xlsx ...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOTIP = [
    ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx",
    ROOT / "tests" / "data" / "unodc_data_glotip_2025-04-14.xlsx",
]


def floor(path: Path) -> int:
    import pandas as pd
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    head = next(i for i, row in enumerate(rows) if "txtVALUE" in row)
    frame = pd.DataFrame(rows[head + 1 :], columns=rows[head])
    return len(frame)


def ours(path: Path) -> int:
    from nremstats.ingest import ingest_files

    store = Path(tempfile.mkdtemp(prefix="nremstats-bench-"))
    try:
        run = ingest_files([path], store / "store")
        return run.files[0].rows_stored
    finally:
        shutil.rmtree(store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--file", type=Path, nargs="+", default=GLOTIP)
    args = parser.parse_args()
    for path in args.file:
        measure(path, args.reps)


def measure(path: Path, reps: int) -> None:
    print(f"{path.name}: {floor(path):,} rows; stored {ours(path):,} (warm-up)")
    ta, tb = [], []
    for _ in range(reps):
        start = time.perf_counter()
        ours(path)
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor(path)
        tb.append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(ta, tb, strict=True))
    print(
        f"ingest (nremstats) {statistics.median(ta):6.2f} s   calamine -> DataFrame "
        f"{statistics.median(tb):6.2f} s   ratio {ratio:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    main()
