"""Benchmark of `nremstats validate` (issue: validation rules), run by hand, not in CI.

1. A 1,000,000-row canonical CSV (bench/make_big_csv.py): nremstats against a floor measured
   in the same run, pandas ``read_csv`` plus the same checks written as plain vectorised
   pandas (target: ratio <= 1.5). Both in-process, alternated, medians.
2. A 100,000-row CSV: ``frictionless validate`` with an equivalent Table Schema against
   nremstats (target: nremstats at least 10x faster), in-process and as whole commands.
   Needs ``pip install frictionless`` (a benchmark-only dependency).

Usage:  python bench/bench_validate.py [--reps 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big_csv import make  # noqa: E402

KEYS = ["country", "year", "indicator", "sex", "age", "exploitation", "citizenship"]
HIERARCHIES = {
    "sex": ("_T", ["F", "M", "_O", "_U"]),
    "age": ("_T", ["Y_LT18", "Y_GE18", "_U"]),
    "exploitation": ("_T", ["SEXUAL", "LABOUR", "OTHER_FORMS", "_U"]),
    "citizenship": ("_T", ["NAT", "FOR", "_U"]),
}


def floor(path: Path) -> int:
    """pandas read_csv plus the same checks, plain and vectorised; returns a problem count."""
    from nremstats.core import codes

    df = pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow")  # fastest
    text = df["value"].str.strip()
    plain = text.str.fullmatch(r"\d{1,18}")
    less = text.str.extract(r"^<(\d+)$")[0]
    missing = text.isin(["..", ":", "n/a", "x", "c"])
    value = pd.to_numeric(text.where(plain), errors="coerce")
    low = value.fillna(0).where(plain, 0)
    high = value.where(plain, pd.to_numeric(less, errors="coerce") - 1).fillna(np.inf)
    problems = int((~(plain | less.notna() | missing)).sum())
    year = pd.to_numeric(df["year"], errors="coerce")
    problems += int((~year.between(1990, 2100)).sum())
    problems += int((~df["country"].isin(codes.country_codes())).sum())
    for dim in ("indicator", "sex", "age", "exploitation"):
        problems += int((~df[dim].isin(codes.codes(dim))).sum())
    problems += int(
        (~df["citizenship"].isin(codes.codes("citizenship") | codes.country_codes())).sum()
    )
    problems += int(df.duplicated(KEYS).sum())
    frame = df.assign(_low=low, _high=high)
    for dim, (total, parts) in HIERARCHIES.items():
        others = [k for k in KEYS if k != dim]
        sums = frame[frame[dim].isin(parts)].groupby(others, sort=False)[["_low", "_high"]].sum()
        totals = frame[frame[dim] == total].set_index(others)[["_low", "_high"]]
        joined = totals.join(sums.add_suffix("_parts"), how="inner")
        problems += int((joined["_low_parts"] > joined["_high"]).sum())
        problems += int((joined["_high_parts"] < joined["_low"]).sum())
    return problems


def ours(path: Path) -> int:
    from nremstats.returns.pipeline import validate_files

    return len(validate_files([path]).findings)


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def paired(a, b, arg, reps: int) -> tuple[float, float, object, object]:
    ra, rb = a(arg), b(arg)  # warm imports and caches
    ta, tb = [], []
    for _ in range(reps):
        ta.append(timed(a, arg)[0])
        tb.append(timed(b, arg)[0])
    return statistics.median(ta), statistics.median(tb), ra, rb


def table_schema(path: Path) -> Path:
    from nremstats.core import codes

    fields = [
        {
            "name": "country",
            "type": "string",
            "constraints": {"enum": sorted(codes.country_codes())},
        },
        {"name": "year", "type": "integer", "constraints": {"minimum": 1990, "maximum": 2100}},
    ]
    for dim in ("indicator", "sex", "age", "exploitation", "citizenship"):
        fields.append(
            {"name": dim, "type": "string", "constraints": {"enum": sorted(codes.codes(dim))}}
        )
    fields += [
        {"name": "value", "type": "string", "constraints": {"pattern": r"\d+|<\d+|\.\.|:|x|c"}},
        {"name": "definition", "type": "string"},
    ]
    schema = {"fields": fields, "primaryKey": KEYS}
    out = path.with_suffix(".schema.json")
    out.write_text(json.dumps(schema))
    return out


def wall(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    big = work / "big.csv"
    make(45, 10).to_csv(big, index=False)
    t_ours, t_floor, n_ours, n_floor = paired(ours, floor, big, args.reps)
    print(
        f"1,008,000 rows   nremstats {t_ours:6.2f} s   floor (pandas) {t_floor:6.2f} s   "
        f"ratio {t_ours / t_floor:.2f} (target <= 1.5); findings {n_ours}, floor problems {n_floor}"
    )

    try:
        from frictionless import Resource, Schema
    except ImportError:
        print("frictionless is not installed: pip install frictionless to run part 2")
        return
    small = work / "small.csv"
    make(5, 10).head(100_000).to_csv(small, index=False)
    schema_path = table_schema(small)

    def fl(path: Path) -> bool:
        descriptor = json.loads(schema_path.read_text())
        resource = Resource(
            path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(descriptor)
        )
        report = resource.validate()
        assert not [e for e in report.flatten(["type"]) if e[0] == "resource-error"], report
        return report.valid

    t_fl, t_ours_small, ok_fl, _ = paired(fl, ours, small, max(1, args.reps // 2))
    print(
        f"100,000 rows     frictionless {t_fl:6.2f} s   nremstats {t_ours_small:6.2f} s   "
        f"frictionless/nremstats {t_fl / t_ours_small:.1f}x in-process (target >= 10); "
        f"frictionless valid={ok_fl}"
    )
    exe = Path(sys.executable).with_name
    fl_cmd = [str(exe("frictionless")), "validate", "--schema", schema_path.name, small.name]
    our_cmd = [str(exe("nremstats")), "validate", small.name, "--format", "json"]
    t_a = statistics.median(wall(fl_cmd, work) for _ in range(3))
    t_b = statistics.median(wall(our_cmd, work) for _ in range(3))
    print(
        f"100,000 rows     frictionless CLI {t_a:6.2f} s   nremstats CLI {t_b:6.2f} s   "
        f"{t_a / t_b:.1f}x as whole commands"
    )


if __name__ == "__main__":
    main()
