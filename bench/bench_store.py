"""Benchmark of the store at scale (issue: versioned store), run by hand, not in CI.

Builds (once, cached in bench/out/) a store of 200 countries x 20 years = 4,000 submissions
and 10,000,000 observations, then times, in the same run and alternated:

1. the comparison table of one indicator (``comparison_table`` + csv export) against a
   DuckDB query over the same Parquet files and manifest doing the same (current
   submissions, totals, pivot to csv);
2. ``status`` (``coverage``) against a DuckDB query over the same manifest.

Both sides write the same table (checked): one provider per country-year, national first,
each value with its status mark. Ratios are medians of paired (alternated) runs.
Target: nremstats within 1.5x of DuckDB. Needs ``pip install duckdb`` (benchmark only).
Usage:  python bench/bench_store.py [--reps 5] [--countries 200] [--years 20]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
DIMS = {
    "indicator": [
        "VICTIMS_DETECTED",
        "PERSONS_SUSPECTED",
        "PERSONS_PROSECUTED",
        "PERSONS_CONVICTED",
        "OFFENCES_RECORDED",
    ],
    "sex": ["_T", "F", "M", "_O", "_U"],
    "age": ["_T", "Y_LT18", "Y_GE18", "_U"],
    "exploitation": ["_T", "SEXUAL", "LABOUR", "OTHER_FORMS", "_U"],
    "citizenship": ["_T", "NAT", "FOR", "_U", "ROU"],
}

# The same table as nremstats writes: one provider per country-year (national first), the
# value with its status mark (see query.status_mark), countries x years.
MARK = """
  CASE WHEN value IS NOT NULL THEN value::VARCHAR || CASE obs_status WHEN 'P' THEN ' p'
         WHEN 'E' THEN ' e' WHEN 'B' THEN ' b' ELSE '' END
       WHEN obs_status = 'Q' AND lower IS NOT NULL AND upper IS NOT NULL THEN
         CASE WHEN lower = 0 THEN '<' || (upper + 1) ELSE lower || '-' || upper END
       WHEN obs_status = 'Q' THEN 'c' WHEN obs_status = 'M' THEN 'z' ELSE '..' END AS mark
"""
TOTAL_WHERE = """
WHERE indicator = 'VICTIMS_DETECTED'
  AND sex = '_T' AND age = '_T' AND exploitation = '_T' AND citizenship = '_T'
QUALIFY row_number() OVER (PARTITION BY country, year ORDER BY provider <> country, provider) = 1
"""
TABLE_SQL = """
WITH subs AS (
  SELECT unnest(submissions, recursive := true) FROM read_json('{store}/manifest.json')
), cur AS (
  SELECT submission_id FROM subs
  QUALIFY row_number() OVER (PARTITION BY provider, country, years ORDER BY seq DESC) = 1
)
SELECT country, year, {mark}
FROM read_parquet('{store}/observations/*.parquet') JOIN cur USING (submission_id)
{where}"""
COMPACT_SQL = "SELECT country, year, {mark} FROM read_parquet('{file}') {where}"
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

    from nremstats.store.manifest import Submission, now_iso
    from nremstats.store.store import Store

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
                provider=country,
                country=country,
                year=year,
                value=pd.array(values, dtype="Int64"),
                obs_status="A",
                lower=pd.array([None] * len(frame), dtype="Int64"),
                upper=pd.array([None] * len(frame), dtype="Int64"),
                conf_status=None,
                definition=None,
                note=None,
                submission_id=sub_id,
                source_file=f"{country}_{year}.xlsx",
                source_sha256="0" * 64,
                sheet="Victims",
                cell="C5",
            )
            name = f"{country}_{year}.xlsx"
            sub = Submission(
                sub_id,
                country,
                country,
                [year],
                name,
                "0" * 64,
                now_iso(),
                "valid",
                "1.0",
                "template",
                len(frame),
            )
            batch.append(([sub], frame, []))
            if len(batch) == 500:
                store.publish(batch)
                batch = []
    if batch:
        store.publish(batch)


def ours_table(path: Path) -> str:
    from nremstats.publish.export import export_table
    from nremstats.publish.tables import comparison_table
    from nremstats.store.store import open_store

    return export_table(comparison_table(open_store(path), "VICTIMS_DETECTED"), "csv") or ""


def duck_table(path: Path) -> str:
    """DuckDB over the same data nremstats reads: the compacted totals when they are fresh
    (found through the same small head hint, so neither side parses the manifest)."""
    import json

    import duckdb

    head = json.loads((path / "head.json").read_text())
    compacted = head.get("compacted")
    if compacted and compacted["upto"] == head["last_seq"]:
        sql = COMPACT_SQL.format(file=path / compacted["totals_file"], mark=MARK, where=TOTAL_WHERE)
    else:
        sql = TABLE_SQL.format(store=path, mark=MARK, where=TOTAL_WHERE)
    frame = duckdb.sql(sql).df()
    wide = frame.pivot(index="country", columns="year", values="mark")
    return wide.to_csv()


def ours_status(path: Path) -> object:
    from nremstats.store.history import coverage
    from nremstats.store.store import open_store

    return coverage(open_store(path)).rows()


def duck_status(path: Path) -> object:
    import duckdb

    return duckdb.sql(STATUS_SQL.format(store=path)).fetchall()


def paired(a, b, arg, reps: int) -> tuple[float, float, float]:
    """Alternate a and b; return their medians and the median of the per-pair ratios."""
    gc.collect()
    a(arg), b(arg)
    ta, tb = [], []
    for _ in range(reps):
        start = time.perf_counter()
        a(arg)
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b(arg)
        tb.append(time.perf_counter() - start)
    ratio = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
    return statistics.median(ta), statistics.median(tb), ratio


def same_table(path: Path) -> None:
    """Both sides must write the same cells (ours adds names and a notes column)."""
    import csv
    import io

    ours = {r["country"]: r for r in csv.DictReader(io.StringIO(ours_table(path)))}
    duck = {r["country"]: r for r in csv.DictReader(io.StringIO(duck_table(path)))}
    assert ours.keys() == duck.keys()
    for country, row in duck.items():
        assert all(ours[country][year] == text for year, text in row.items()), country


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
    from nremstats.store.store import open_store

    store = open_store(path)
    if "compacted" in store.manifest():
        store.write_manifest(store.submissions(), None)  # start from the per-submission files
    same_table(path)
    ours, duck, ratio = paired(ours_table, duck_table, path, args.reps)
    print(
        f"comparison table, {subs:,} files: nremstats {ours * 1000:7.1f} ms  duckdb "
        f"{duck * 1000:7.1f} ms  ratio {ratio:.2f}"
    )
    start = time.perf_counter()
    with store.lock():
        store.compact()
    print(f"nremstats compact: {time.perf_counter() - start:.1f} s")
    same_table(path)
    ours, duck, ratio = paired(ours_table, duck_table, path, args.reps * 5)
    print(
        f"comparison table, compacted:   nremstats {ours * 1000:7.1f} ms  duckdb "
        f"{duck * 1000:7.1f} ms  ratio {ratio:.2f} (target <= 1.5)"
    )
    ours, duck, ratio = paired(ours_status, duck_status, path, args.reps * 5)
    print(
        f"status:                        nremstats {ours * 1000:7.1f} ms  duckdb "
        f"{duck * 1000:7.1f} ms  ratio {ratio:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
