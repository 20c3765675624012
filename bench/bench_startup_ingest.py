"""Benchmarks for the pipeline issue, run by hand (not in CI):

1. `nremstats --help` wall time against the `--help` of a minimal Typer app with one
   command, in the same run (target: ratio <= 1.25).
2. Ingest of every sample return against a bare python-calamine read of the same files:
   in-process (imports warm) and as whole processes.

Runs alternate A/B and report medians, so the ratios hold on a shared, noisy machine.
Usage:  python bench/bench_startup_ingest.py [--reps 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIMAL_APP = textwrap.dedent(
    """
    import typer

    app = typer.Typer()

    @app.command()
    def hello(name: str = "world") -> None:
        \"\"\"Say hello.\"\"\"
        print(name)

    @app.callback()
    def main() -> None:
        \"\"\"A minimal app.\"\"\"

    app()
    """
)
CALAMINE_READ = textwrap.dedent(
    """
    import sys, python_calamine
    for path in sys.argv[1:]:
        if path.endswith(".csv"):
            open(path, "rb").read()
            continue
        wb = python_calamine.CalamineWorkbook.from_path(path)
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    """
)


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(a: list[str], b: list[str], reps: int) -> tuple[float, float]:
    wall(a), wall(b)  # warm the file cache
    times_a, times_b = [], []
    for _ in range(reps):
        times_a.append(wall(a))
        times_b.append(wall(b))
    return statistics.median(times_a), statistics.median(times_b)


def in_process(files: list[Path], reps: int) -> tuple[float, float]:
    import python_calamine

    from nremstats.ingest import ingest_files

    def bare() -> None:
        for path in files:
            if path.suffix == ".csv":
                path.read_bytes()
                continue
            wb = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def ours() -> None:
        folder = Path(tempfile.mkdtemp())
        try:
            ingest_files(files, folder / "store")
        finally:
            shutil.rmtree(folder)

    ours(), bare()
    t_ours, t_bare = [], []
    for _ in range(reps):
        start = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare()
        t_bare.append(time.perf_counter() - start)
    return statistics.median(t_ours), statistics.median(t_bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("nremstats")
    workdir = Path(tempfile.mkdtemp())
    minimal = workdir / "minimal_app.py"
    minimal.write_text(MINIMAL_APP)
    reader = workdir / "calamine_read.py"
    reader.write_text(CALAMINE_READ)

    from nremstats.demo import sample_files

    files = sample_files(ROOT / "sample_data")
    cells = sum(1 for f in files if f.suffix == ".xlsx")
    print(f"{len(files)} sample returns ({cells} workbooks); {args.reps} paired reps, medians")

    ours, floor = paired([str(exe), "--help"], [sys.executable, str(minimal), "--help"], args.reps)
    print(
        f"--help             nremstats {ours * 1000:7.0f} ms  minimal typer {floor * 1000:7.0f} ms"
        f"  ratio {ours / floor:.2f} (target <= 1.25)"
    )

    store = workdir / "store"
    ingest_cmd = [str(exe), "ingest", *map(str, files), "--store", str(store), "--format", "json"]
    bare_cmd = [sys.executable, str(reader), *map(str, files)]
    times_a, times_b = [], []
    for _ in range(max(3, args.reps // 3)):
        shutil.rmtree(store, ignore_errors=True)
        times_a.append(wall(ingest_cmd))
        times_b.append(wall(bare_cmd))
    ours, floor = statistics.median(times_a), statistics.median(times_b)
    print(
        f"ingest (process)   nremstats {ours * 1000:7.0f} ms  bare calamine {floor * 1000:7.0f} ms"
        f"  ratio {ours / floor:.2f}"
    )

    ours, floor = in_process(files, max(3, args.reps // 3))
    print(
        f"ingest (in-proc)   nremstats {ours * 1000:7.0f} ms  bare calamine {floor * 1000:7.0f} ms"
        f"  ratio {ours / floor:.2f}"
    )
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
