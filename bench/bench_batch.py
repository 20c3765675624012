"""Benchmark of many returns at once and of the text report (issue 16), run by hand, not in
CI. Whole commands, each against a floor measured in the same run, alternated, medians of
paired ratios:

1. ``nremstats ingest`` of the GLOTIP 2023 export with the default text report (standard
   output not a terminal: the lines; and ``--format summary``), against a bare
   python-calamine read of every sheet of the file in a process of its own (target <= 2x).
2. ``nremstats ingest`` of 200 filled templates (50 countries x 4 years, made once by
   scripts/make_sample_data.py's ``make_return``) in one command, into a fresh store,
   against a bare python-calamine read of every sheet of the 200 files (target <= 2x).
3. ``nremstats validate --feedback`` of the GLOTIP export (target <= 5 s), with its ratio
   to the bare read.

Usage:  python bench/bench_batch.py [--reps 3] [--only glotip|batch|feedback]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOTIP = ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx"
NREMSTATS = str(Path(sys.executable).with_name("nremstats"))
BARE_READ = """
import sys
from python_calamine import CalamineWorkbook
for name in sys.argv[1:]:
    book = CalamineWorkbook.from_path(name)
    for sheet in book.sheet_names:
        book.get_sheet_by_name(sheet).to_python()
"""


def run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bare(files: list[Path]) -> list[str]:
    return [sys.executable, "-c", BARE_READ, *map(str, files)]


def paired(label: str, ours: callable, floor: list[str], reps: int, target: str) -> None:  # type: ignore[valid-type]
    a, b = [], []
    for _ in range(reps):
        a.append(ours())
        b.append(run(floor))
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    print(
        f"{label}: {statistics.median(a):6.2f} s   bare read {statistics.median(b):6.2f} s   "
        f"ratio {ratio:.2f} ({target})"
    )


def make_returns(folder: Path, countries: int = 50, years: int = 4) -> list[Path]:
    import pycountry

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sample_data import make_return

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    codes = sorted(c.alpha_3 for c in pycountry.countries)[:countries]
    for n, country in enumerate(codes):
        for year in range(2020, 2020 + years):
            path = folder / f"{country}_{year}_en.xlsx"
            if not path.exists():
                victims = 50 + 37 * n + 11 * year % 300
                make_return(country, year, "en", victims, "IDENTIFIED", ["ROU", "UKR"], {}, folder)
            made.append(path)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", choices=["glotip", "batch", "feedback"])
    parser.add_argument(
        "--returns", type=Path, default=Path(tempfile.gettempdir()) / "nremstats-200"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nremstats-bench-"))
    try:
        if args.only in (None, "glotip"):
            for fmt in ("text", "summary"):

                def ingest(fmt: str = fmt) -> float:
                    shutil.rmtree(work / "store", ignore_errors=True)
                    return run(
                        [
                            NREMSTATS,
                            "ingest",
                            str(GLOTIP),
                            "--store",
                            str(work / "store"),
                            "--format",
                            fmt,
                        ]
                    )

                paired(
                    f"GLOTIP ingest, --format {fmt:7}",
                    ingest,
                    bare([GLOTIP]),
                    args.reps,
                    "target <= 2",
                )
        if args.only in (None, "batch"):
            files = make_returns(args.returns)

            def batch() -> float:
                shutil.rmtree(work / "store", ignore_errors=True)
                return run([NREMSTATS, "ingest", *map(str, files), "--store", str(work / "store")])

            paired(
                f"{len(files)} templates, one ingest     ",
                batch,
                bare(files),
                args.reps,
                "target <= 2",
            )
        if args.only in (None, "feedback"):

            def feedback() -> float:
                shutil.rmtree(work / "feedback", ignore_errors=True)
                return run(
                    [NREMSTATS, "validate", str(GLOTIP), "--feedback", str(work / "feedback")]
                )

            paired(
                "GLOTIP validate --feedback     ",
                feedback,
                bare([GLOTIP]),
                args.reps,
                "target <= 5 s",
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
