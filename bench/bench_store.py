"""Benchmark of the store at scale (issue: versioned store), run by hand, not in CI.

Builds (once, cached in bench/out/) a store of 200 countries x 20 years = 4,000 submissions
and 10,000,000 observations, then times, in the same run and alternated:

1. the comparison table of one indicator (``comparison_table`` + csv export) against a
   DuckDB query over the same Parquet files and manifest doing the same (current
   submissions, totals, pivot to csv);
2. ``status`` (``coverage``) against a DuckDB query over the same manifest.

Target: nremstats within 1.5x of DuckDB. Needs ``pip install duckdb`` (benchmark only).
Usage:  python bench/bench_store.py [--reps 5] [--countries 200] [--years 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
DIMS = {
    "indicator": ["VICTIMS_DETECTED", "PERSONS_SUSPECTED", "PERSONS_PROSECUTED",
                  "PERSONS_CONVICTED", "OFFENCES_RECORDED"],
    "sex": ["_T", "F", "M", "_O", "_U"],
    "age": ["_T", "Y_LT18", "Y_GE18", "_U"],
    "exploitation": ["_T", "SEXUAL", "LABOUR", "OTHER_FORMS", "_U"],
    "citizenship": ["_T", "NAT", "FOR", "_U", "ROU"],
}  # fmt: skip

TABLE_SQL = """
WITH subs AS (
  SELECT unnest(submissions, recursive := true) FROM read_json('{store}/manifest.json')
), cur AS (
  SELECT submission_id FROM subs
  QUALIFY row_number() OVER (PARTITION BY provider, country, years ORDER BY seq DESC) = 1
)
SELECT country, year, value, obs_status, lower, upper
FROM read_parquet('{store}/observations/*.parquet') JOIN cur USING (submission_id)
WHERE indicator = 'VICTIMS_DETECTED'
  AND sex = '_T' AND age = '_T' AND exploitation = '_T' AND citizenship = '_T'
"""
COMPACT_SQL = """
SELECT country, year, value, obs_status, lower, upper
FROM read_parquet('{file}')
WHERE indicator = 'VICTIMS_DETECTED'
  AND sex = '_T' AND age = '_T' AND exploitation = '_T' AND citizenship = '_T'
"""
STATUS_SQL = """
WITH subs AS (
  SELECT unnest(submissions, recursive := true) FROM read_json('{store}/manifest.json')
)
SELECT country, years, provider, status, submission_id FROM subs
QUALIFY row_number() OVER (PARTITION BY provider, country, years ORDER BY seq DESC) = 1
ORDER BY country, years, provider
"""


def build(path: Path, countries: int, years: int) -> None:
    import pycountry

    from nremstats.store import Store, Submission, now_iso

    store = Store(path)
    store.initialise()
    keys = pd.MultiIndex.from_product(list(DIMS.values()), names=list(DIMS)).to_frame(index=False)
    rng = np.random.default_rng(1)
    codes = sorted(c.alpha_3 for c in pycountry.countries)[:countries]
    batch = []
    for country in codes:
        for year in range(2001, 2001 + years):
            frame = keys.copy()
            sub_id = f"{country}-{country}-{year}-{rng.integers(1 << 40):012x}"
            values = rng.integers(0, 500, len(frame))
            frame = frame.assign(
                provider=country, country=country, year=year,
                value=pd.array(values, dtype="Int64"), obs_status="A",
                lower=pd.array([None] * len(frame), dtype="Int64"),
                upper=pd.array([None] * len(frame), dtype="Int64"),
                conf_status=None, definition=None, note=None, submission_id=sub_id,
                source_file=f"{country}_{year}.xlsx", source_sha256="0" * 64, sheet="Victims",
                cell="C5",
            )  # fmt: skip
            name = f"{country}_{year}.xlsx"
            sub = Submission(sub_id, country, country, [year], name, "0" * 64, now_iso(),
                             "valid", "1.0", "template", len(frame))  # fmt: skip
            batch.append((sub, frame, []))
            if len(batch) == 500:
                store.publish(batch)
                batch = []
    if batch:
        store.publish(batch)


def ours_table(path: Path) -> str:
    from nremstats.export import export_table
    from nremstats.query import comparison_table
    from nremstats.store import open_store

    return export_table(comparison_table(open_store(path), "VICTIMS_DETECTED"), "csv") or ""


def duck_table(path: Path) -> str:
    """DuckDB over the same data nremstats reads: the compacted file when there is one."""
    import json

    import duckdb

    manifest = json.loads((path / "manifest.json").read_text())
    if "compacted" in manifest:
        sql = COMPACT_SQL.format(file=path / manifest["compacted"]["totals_file"])
    else:
        sql = TABLE_SQL.format(store=path)
    frame = duckdb.sql(sql).df()
    wide = frame.pivot(index="country", columns="year", values="value")
    return wide.to_csv()


def ours_status(path: Path) -> object:
    from nremstats.history import coverage
    from nremstats.store import open_store

    return coverage(open_store(path)).rows()


def duck_status(path: Path) -> object:
    import duckdb

    return duckdb.sql(STATUS_SQL.format(store=path)).fetchall()


def paired(a, b, arg, reps: int) -> tuple[float, float]:
    a(arg), b(arg)
    ta, tb = [], []
    for _ in range(reps):
        start = time.perf_counter()
        a(arg)
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b(arg)
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--years", type=int, default=20)
    args = parser.parse_args()
    path = OUT / f"store-{args.countries}x{args.years}"
    if not (path / "manifest.json").exists():
        start = time.perf_counter()
        build(path, args.countries, args.years)
        print(f"built {path} in {time.perf_counter() - start:.0f} s")
    subs = args.countries * args.years
    print(f"{subs:,} submissions, {subs * 2500:,} observations; {args.reps} paired reps, medians")
    from nremstats.store import open_store

    store = open_store(path)
    if "compacted" in store.manifest():
        store.write_manifest(store.submissions(), None)  # start from the per-submission files
    ours, duck = paired(ours_table, duck_table, path, args.reps)
    print(f"comparison table, {subs:,} files: nremstats {ours:6.2f} s  duckdb {duck:6.2f} s  "
          f"ratio {ours / duck:.2f}")  # fmt: skip
    start = time.perf_counter()
    with store.lock():
        store.compact()
    print(f"nremstats compact: {time.perf_counter() - start:.1f} s")
    ours, duck = paired(ours_table, duck_table, path, args.reps)
    print(f"comparison table, compacted:   nremstats {ours:6.2f} s  duckdb {duck:6.2f} s  "
          f"ratio {ours / duck:.2f} (target <= 1.5)")  # fmt: skip
    ours, duck = paired(ours_status, duck_status, path, args.reps)
    print(
        f"status            nremstats {ours:6.3f} s  duckdb {duck:6.3f} s  "
        f"ratio {ours / duck:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
