"""Compare two installs of nremstats command by command (a refactor must not make a stage
slower), run by hand, not in CI.

Times whole commands of two ``nremstats`` executables (e.g. a checkout of main before a
change and the working tree after it, each in its own virtual environment) on the same
inputs: ``--help``, validate and ingest of the samples, validate of a generated canonical CSV,
ingest of the GLOTIP 2023 export, a comparison table, SDMX-CSV and the report (html and xlsx)
from a store holding the samples and GLOTIP. Runs alternate before/after (and which goes
first) and report the median of the per-pair ratios after / before: 1.00 is no change.

Usage:  python bench/bench_compare.py --before OLD/.venv/bin/nremstats \\
            --after .venv/bin/nremstats [--reps 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOTIP = ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx"
SAMPLES = sorted(
    str(p) for p in (ROOT / "sample_data").glob("*.*") if p.suffix in (".xlsx", ".csv")
)
Command = Callable[[str, Path], list[str]]


def cases(work: Path, big: Path) -> dict[str, Command]:
    """Each case: (executable, that side's folder) -> the command line."""

    def fresh(side: Path) -> str:
        shutil.rmtree(side / "fresh", ignore_errors=True)
        return str(side / "fresh")

    def store(side: Path) -> str:
        return str(side / "store")

    return {
        "--help": lambda exe, side: [exe, "--help"],
        "validate samples (json)": lambda exe, side: [
            exe,
            "validate",
            *SAMPLES,
            "--format",
            "json",
        ],
        "validate generated CSV": lambda exe, side: [exe, "validate", str(big), "--format", "json"],
        "ingest samples": lambda exe, side: [exe, "ingest", *SAMPLES, "--store", fresh(side), "-q"],
        "ingest GLOTIP 2023": lambda exe, side: [
            exe,
            "ingest",
            str(GLOTIP),
            "--store",
            fresh(side),
            "-q",
        ],
        "export table (csv)": lambda exe, side: [
            exe,
            "export",
            "--indicator",
            "VICTIMS_DETECTED",
            "--store",
            store(side),
        ],
        "export sdmx-csv": lambda exe, side: [
            exe,
            "export",
            "--format",
            "sdmx-csv",
            "--store",
            store(side),
        ],
        "report html": lambda exe, side: [
            exe,
            "report",
            "--years",
            "2010-2022",
            "-o",
            str(side / "r.html"),
            "--store",
            store(side),
        ],
        "report xlsx": lambda exe, side: [
            exe,
            "report",
            "--years",
            "2010-2022",
            "-o",
            str(side / "r.xlsx"),
            "--store",
            store(side),
        ],
    }


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the nremstats executable before")
    parser.add_argument("--after", required=True, help="the nremstats executable after")
    parser.add_argument("--reps", type=int, default=9)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from make_big_csv import make

    work = Path(tempfile.mkdtemp(prefix="nremstats-compare-"))
    big = work / "big.csv"
    make(20, 10).to_csv(big, index=False)
    sides = {"before": (args.before, work / "before"), "after": (args.after, work / "after")}
    for exe, side in sides.values():
        side.mkdir()
        timed([exe, "ingest", *SAMPLES, str(GLOTIP), "--store", str(side / "store"), "-q"])
    rows = sum(1 for _ in big.open()) - 1
    print(f"{args.reps} paired runs, medians; generated CSV: {rows:,} rows")
    for name, command in cases(work, big).items():
        for exe, side in sides.values():
            timed(command(exe, side))  # warm the file cache
        times: dict[str, list[float]] = {"before": [], "after": []}
        ratios = []
        for rep in range(args.reps):
            order = ["before", "after"] if rep % 2 == 0 else ["after", "before"]
            for label in order:
                exe, side = sides[label]
                times[label].append(timed(command(exe, side)))
            ratios.append(times["after"][-1] / times["before"][-1])
        print(
            f"{name:26s} before {statistics.median(times['before']):6.3f} s   after "
            f"{statistics.median(times['after']):6.3f} s   after/before "
            f"{statistics.median(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f})",
            flush=True,
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
