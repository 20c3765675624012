"""Benchmark of ``nremstats report`` (issue: publication outputs), run by hand, not in CI.

Uses the store of ``bench_store.py`` (200 countries x 20 years, 4,000 submissions, 10,000,000
observations; built once in bench/out/ and compacted) and times, in the same run and
alternated:

- **ours**: ``build_report`` (one provider per country-year, disclosure control of the
  tables and of every published breakdown, M49 aggregates, shares) and the workbook
  (``write_report_xlsx``), or the html file with its charts;
- **floor**: the same tables written as plain CSV by plain pyarrow + pandas code: the same
  rows read from the same compacted Parquet files, one provider per country-year (national
  first), totals pivoted countries x years, the declared shares (part / total, one decimal),
  the regional sums, the coverage and the submissions used -- and no disclosure control, no
  formatting.

Ratios are medians of paired (alternated) runs. Target: report <= 3x the floor.
Usage:  python bench/bench_report.py [--reps 3]
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import shutil
from itertools import combinations
from pathlib import Path

import pyarrow.dataset as ds

OUT = Path(__file__).resolve().parent / "out"
STORE = OUT / "store-200x20"
YEARS = list(range(2001, 2021))
DIMS = ["sex", "age", "exploitation", "citizenship"]


def ours(fmt: str):
    def run(path: Path) -> None:
        from nremstats.publish.publication import build_report
        from nremstats.publish.report import write_report
        from nremstats.store.store import open_store

        publication = build_report(open_store(path), YEARS)
        write_report(publication, fmt, OUT / f"report.{fmt}")

    return run


def floor(path: Path, context: dict) -> None:
    """The same tables, plain: read, choose, pivot, divide, sum, write CSV."""
    head = json.loads((path / "head.json").read_text())["compacted"]
    total = [ds.field(d) == "_T" for d in DIMS]
    at_most_one = functools.reduce(operator.or_, (a & b & c for a, b, c in combinations(total, 3)))
    files = [str(path / head["totals_file"]), str(path / head["file"])]
    columns = [
        "provider",
        "indicator",
        "country",
        "year",
        *DIMS,
        "value",
        "obs_status",
        "lower",
        "upper",
        "submission_id",
    ]
    table = ds.dataset(files, format="parquet").to_table(
        columns=columns, filter=ds.field("year").isin(YEARS) & at_most_one
    )
    rows = table.to_pandas()
    rows["rank"] = rows["provider"] != rows["country"]  # national first, then by name
    key = ["indicator", "country", "year"]
    totals = rows[(rows[DIMS] == "_T").all(axis=1)].sort_values([*key, "rank", "provider"])
    chosen = totals.drop_duplicates(key)
    out = OUT / "floor"
    out.mkdir(exist_ok=True)
    for indicator, part in chosen.groupby("indicator"):
        part.pivot(index="country", columns="year", values="value").to_csv(out / f"{indicator}.csv")
    parts = rows.merge(
        chosen[[*key, "submission_id", "value"]],
        on=[*key, "submission_id"],
        suffixes=("", "_total"),
    )
    parts["share"] = (100 * parts["value"] / parts["value_total"]).round(1)
    for spec in context["shares"]:
        wanted = parts[
            parts["indicator"].isin(spec["indicators"]) & parts[spec["dim"]].isin(spec["parts"])
        ]
        wide = wanted.pivot_table(
            index=["indicator", "country", "year"], columns=spec["dim"], values="share"
        )
        wide.to_csv(out / f"share_{spec['name']}.csv")
    chosen = chosen.assign(region=chosen["country"].map(context["regions"]))
    chosen.groupby(["indicator", "region", "year"])["value"].agg(["sum", "count"]).to_csv(
        out / "regions.csv"
    )
    chosen.pivot_table(
        index="country", columns="year", values="indicator", aggfunc=", ".join
    ).to_csv(out / "coverage.csv")
    chosen[["country", "year", "provider", "submission_id", "indicator"]].to_csv(
        out / "submissions.csv", index=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from bench_store import paired  # the same paired timing as the store bench

    from nremstats.core import codes
    from nremstats.publish.aggregates import m49
    from nremstats.store.store import open_store

    if not (STORE / "manifest.json").exists():
        from bench_store import build

        build(STORE, 200, 20)
    store = open_store(STORE)
    if not store.fresh_compaction():
        with store.lock():
            store.compact()
    shares = codes.load_declaration("publication.yaml")["shares"]
    for spec in shares:
        if spec["indicators"] == "all":
            spec["indicators"] = codes.ordered_codes("indicator")
    context = {"shares": shares, "regions": {c: e["region"] for c, e in m49()["countries"].items()}}
    print(
        f"store {STORE.name}: 4,000 submissions, 10,000,000 observations; {args.reps} paired "
        "runs, medians"
    )
    for fmt in ("xlsx", "html"):
        run = ours(fmt)
        mine, base, ratio = paired(run, lambda path: floor(path, context), STORE, args.reps)
        size = (OUT / f"report.{fmt}").stat().st_size
        print(
            f"report {fmt:4}: nremstats {mine:6.2f} s ({size / 1e6:.1f} MB)  plain CSV "
            f"{base:6.2f} s  ratio {ratio:.2f} (target <= 3)"
        )
    shutil.rmtree(OUT / "floor", ignore_errors=True)


if __name__ == "__main__":
    main()
