"""Hostile and broken returns (issue 15), run through the installed command line.

Every case of ``tests/data/hostile`` (written by its ``make_corpus.py``, listed in its
README.md) runs ``nremstats`` in a subprocess, the way an analyst or a CI job does: under an
address-space limit, with a 30 s timeout, its peak memory measured, in a folder of its own
(``tmp_path``) with a fresh store (a copy of a store holding a valid return, when a refused
file must leave it byte for byte as it was). Every run, whatever the case, must

- end by itself within 30 s, under 1.5 GB of peak memory, with exit 0, 1 or 2 (never 3, a
  signal or a traceback),
- write nothing outside its store and the outputs it was asked for (the received files
  included: they are never modified).

Each case then asserts the outcome the issue demands. A case that fails today is marked
``xfail(strict=True)`` with what happens today, so that each fix flips it.

The cases run two at a time (``NREMSTATS_HOSTILE_WORKERS``) in a pool the first test
starts for every selected case; each test waits for its own and re-raises its failure.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "hostile"
TIMEOUT = 30.0  # seconds, every run
YAML_TIMEOUT = 15.0  # seconds: a bad layout or rules file is refused "quickly"
ADDRESS_SPACE = 2 * 1024**3  # RLIMIT_AS of every run (numpy/pyarrow reserve address space)
PEAK_RSS = int(1.5 * 1024**3)  # the limit, on the peak resident memory measured
WORKERS = int(os.environ.get("NREMSTATS_HOSTILE_WORKERS", "2"))
VINTAGE = "2024-01-01"

# Launch nremstats through exec() after setting the limit: no preexec_fn, since the runs
# are started from worker threads.
LAUNCHER = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1]))); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)

SPREADSHEET_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
INJECTION_START = tuple("=+-@\t\r")


def executable() -> str:
    beside = Path(sys.executable).parent / "nremstats"
    if beside.exists():
        return str(beside)
    found = shutil.which("nremstats")
    if not found:
        pytest.skip("the nremstats command is not installed")
    return found


# ---------------------------------------------------------------------------------------
# running the command line


@dataclass
class Run:
    args: list
    code: int | None  # None: killed at the timeout; negative: killed by a signal
    seconds: float
    peak: int  # bytes of resident memory at the peak
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def report(self) -> dict:
        return json.loads(self.out)

    def findings(self) -> list[dict]:
        return self.report()["findings"]

    def __str__(self) -> str:
        shown = " ".join(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in self.args)
        return (
            f"\nnremstats {shown!r}\n exit {self.code} after {self.seconds:.1f} s, peak "
            f"{self.peak / 2**20:.0f} MB\n--- stdout\n{self.out[:3000]}\n--- stderr\n"
            f"{self.err[-3000:]}"
        )


RUNS: list[Run] = []
RUNS_LOCK = threading.Lock()


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NREMSTATS_STORE", "RUST_BACKTRACE"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"})
    return env


def execute(args: list, cwd: Path, timeout: float = TIMEOUT) -> Run:
    command = [sys.executable, "-c", LAUNCHER, str(ADDRESS_SPACE), executable(), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=_environment(),
            start_new_session=True,
        )
        code: int | None = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.monotonic() - start
        process.returncode = code if code is not None else -signal.SIGKILL
        out.seek(0)
        err.seek(0)
        run = Run(
            args,
            code,
            seconds,
            usage.ru_maxrss * 1024,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    with RUNS_LOCK:
        RUNS.append(run)
    return run


def snapshot(folder: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file (its sha256) and folder under ``folder``, except those under ``skip``."""
    state: dict[str, str] = {}
    if not folder.exists():
        return state
    for path in sorted(folder.rglob("*")):
        if any(path == s or s in path.parents for s in skip):
            continue
        key = os.fsdecode(path.relative_to(folder))
        if path.is_dir():
            state[key] = "<dir>"
        else:
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


class Workspace:
    """A case's own folder: ``work`` holds its input copies, its store and its outputs."""

    def __init__(self, root: Path, base_store: Path | None) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir(parents=True)
        self.store = self.work / "store"
        self.base_store = base_store

    def file(self, name: str, as_name: str | bytes | None = None) -> Path | bytes:
        """A copy of corpus file ``name`` in the work folder (under another name if asked)."""
        if isinstance(as_name, bytes):
            target = os.fsencode(self.work) + b"/" + as_name
            shutil.copyfile(CORPUS / name, target)
            return target
        target = self.work / (as_name or name)
        shutil.copyfile(CORPUS / name, target)
        return target

    def prior_store(self) -> dict[str, str]:
        """The store holding the valid controls; its snapshot."""
        assert self.base_store is not None
        shutil.copytree(self.base_store, self.store)
        return snapshot(self.store)

    def run(self, *args, outputs: tuple[Path, ...] = (), timeout: float = TIMEOUT) -> Run:
        args = [a if isinstance(a, bytes) else str(a) for a in args]
        keep = (self.store, *outputs)
        before = snapshot(self.root, keep)
        run = execute(args, self.work, timeout)
        after = snapshot(self.root, keep)
        assert_sane(run, timeout)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        assert not changed, f"written outside the store: {changed}{run}"
        return run


def assert_sane(run: Run, timeout: float = TIMEOUT) -> None:
    assert run.code is not None, f"still running after {timeout:.0f} s{run}"
    assert run.seconds < timeout, f"took {run.seconds:.1f} s{run}"
    assert run.peak < PEAK_RSS, f"peak memory {run.peak / 2**20:.0f} MB{run}"
    assert run.code in (0, 1, 2), f"exit {run.code} (3: internal failure, <0: a signal){run}"
    for bad in ("Traceback", "internal failure", "panicked at", "stack backtrace"):
        assert bad not in run.text, f"{bad!r} in the output{run}"


# ---------------------------------------------------------------------------------------
# reading reports and the store

KEY = ("provider", "country", "year", "indicator", "sex", "age", "exploitation", "citizenship")
VALUE = ("value", "obs_status", "lower", "upper", "conf_status", "definition", "note")


def stored_rows(store: Path, submissions: list[str] | None = None) -> list[dict]:
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for path in sorted((store / "observations").glob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    if submissions is not None:
        rows = [r for r in rows if r["submission_id"] in set(submissions)]
    return rows


def figures(rows: list[dict]) -> dict[tuple, tuple]:
    table = {tuple(r[k] for k in KEY): tuple(r.get(v) for v in VALUE) for r in rows}
    assert len(table) == len(rows), "two stored rows with one key"
    return table


def assert_same_figures(got: dict, expected: dict) -> None:
    missing = sorted(set(expected) - set(got))[:5]
    extra = sorted(set(got) - set(expected))[:5]
    wrong = [
        (k, expected[k], got[k]) for k in sorted(expected) if k in got and got[k] != expected[k]
    ]
    assert not (missing or extra or wrong), (
        f"stored figures differ from the file's: missing {missing}, extra {extra}, "
        f"wrong (expected, stored) {wrong[:5]}"
    )


def entry(report: dict, name: str | None = None) -> dict:
    files = report["files"]
    if name is None:
        assert len(files) == 1, files
        return files[0]
    matches = [f for f in files if Path(f["file"]).name == name]
    assert matches, f"{name} not in the report's files: {[f['file'] for f in files]}"
    return matches[0]


def names(finding: dict, name: str) -> bool:
    return Path(finding.get("file") or "").name == name


def at(finding: dict, sheet: str | None, cell: str) -> bool:
    return finding.get("sheet") == sheet and (
        finding.get("cell") == cell or cell in (finding.get("cells") or [])
    )


def errors(run: Run) -> list[dict]:
    return [f for f in run.findings() if f["severity"] == "error"]


def assert_error_at(run: Run, sheet: str | None, *cells: str, rule: str | None = None) -> None:
    for cell in cells:
        hits = [f for f in errors(run) if at(f, sheet, cell) and rule in (None, f["rule"])]
        assert hits, f"no error{' ' + rule if rule else ''} at {sheet}!{cell}{run}"


def assert_refused(run: Run, name: str, prior: dict[str, str] | None, store: Path) -> None:
    assert run.code == 1, f"expected exit 1 (refused){run}"
    report = run.report()
    found = entry(report, name)
    assert found["status"] in ("invalid", "nothing_stored"), found
    assert found["rows_stored"] == 0, found
    assert any(names(f, name) for f in errors(run)), f"no error naming {name}{run}"
    if prior is not None:
        assert snapshot(store) == prior, "the store changed after a refused file"


def assert_read_exactly(run: Run, name: str | None, store: Path, expected: dict) -> None:
    assert run.code == 0, f"expected exit 0 (read){run}"
    found = entry(run.report(), name)
    assert found["rows_stored"] == len(expected), found
    assert_same_figures(figures(stored_rows(store, found["submissions"])), expected)


def message_text(run: Run) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(run.text.split())


# ---------------------------------------------------------------------------------------
# the baseline: a store holding the two controls, and their figures


@dataclass
class Baseline:
    store: Path
    nld: dict[tuple, tuple]  # NLD 2023, control_NLD_2023.xlsx
    deu: dict[tuple, tuple]  # DEU 2021-2023, control_DEU.csv


def build_baseline(root: Path) -> Baseline:
    ws = Workspace(root, None)
    xlsx, text = ws.file("control_NLD_2023.xlsx"), ws.file("control_DEU.csv")
    run = ws.run("ingest", xlsx, text, "--store", ws.store, "--format", "json")
    assert run.code == 0, run
    report = run.report()
    nld = figures(stored_rows(ws.store, entry(report, "control_NLD_2023.xlsx")["submissions"]))
    deu = figures(stored_rows(ws.store, entry(report, "control_DEU.csv")["submissions"]))
    assert len(nld) == 363 and len(deu) == 22, (len(nld), len(deu))
    return Baseline(ws.store, nld, deu)


def with_note(table: dict, key_part: tuple, note: str) -> dict:
    """``table`` with the note of the row whose key starts with ``key_part`` replaced."""
    changed = dict(table)
    for key, value in table.items():
        if key[: len(key_part)] == key_part:
            changed[key] = (*value[:-1], note)
    return changed


# ---------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[str, ...]
    body: Callable[[Workspace, Baseline], None]
    xfail: str | None
    slow: bool


CASES: dict[str, Case] = {}


def case(name: str, *files: str, xfail: str | None = None, slow: bool = False):
    def register(body: Callable[[Workspace, Baseline], None]):
        assert name not in CASES, name
        CASES[name] = Case(name, files or (name,), body, xfail, slow)
        return body

    return register


def ingest(ws: Workspace, name: str, *options: str, fmt: str = "json") -> tuple[Run, dict]:
    """Ingest corpus file ``name`` into a copy of the baseline store."""
    prior = ws.prior_store()
    run = ws.run("ingest", ws.file(name), "--store", ws.store, "--format", fmt, *options)
    return run, prior


def validate(ws: Workspace, name: str, *options: str, fmt: str = "json") -> Run:
    return ws.run("validate", ws.file(name), "--format", fmt, *options)


# -- the controls ---------------------------------------------------------------------


@case("control_NLD_2023.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    # Read into the baseline store (every other workbook is this one, changed).
    total = base.nld[("NLD", "NLD", 2023, "VICTIMS_DETECTED", "_T", "_T", "_T", "_T")]
    assert total[:2] == (1042, "A"), total
    female_children = base.nld[("NLD", "NLD", 2023, "VICTIMS_DETECTED", "F", "Y_LT18", "_T", "_T")]
    assert female_children[:2] == (267, "A"), female_children


@case("control_DEU.csv")
def _(ws: Workspace, base: Baseline) -> None:
    prosecuted = base.deu[("DEU", "DEU", 2023, "PERSONS_PROSECUTED", "_T", "_T", "_T", "_T")]
    assert prosecuted[:2] == (1112, "P"), prosecuted


# -- wrong figures never stored silently ----------------------------------------------


def _hidden_copy(name: str):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        assert any(
            "Victims (old)" in ((f.get("sheet") or "") + f["message"]) for f in run.findings()
        ), f"no finding names the hidden sheet{run}"
        if run.code == 0:  # read: the visible sheet's figures, never the hidden copy's
            assert_read_exactly(run, name, ws.store, base.nld)
        else:
            assert_refused(run, name, prior, ws.store)

    return body


case("marker_twice_hidden_after.xlsx")(_hidden_copy("marker_twice_hidden_after.xlsx"))
case("marker_twice_hidden_before.xlsx")(_hidden_copy("marker_twice_hidden_before.xlsx"))


@case("marker_twice_visible.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "marker_twice_visible.xlsx")
    assert_refused(run, "marker_twice_visible.xlsx", prior, ws.store)
    assert any("Victims 2" in ((f.get("sheet") or "") + f["message"]) for f in errors(run)), run


@case("metadata_veryhidden_BEL.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    name = "metadata_veryhidden_BEL.xlsx"
    run, prior = ingest(ws, name)
    assert any(
        "Metadata (BEL)" in ((f.get("sheet") or "") + f["message"]) for f in run.findings()
    ), f"no finding names the veryHidden metadata sheet{run}"
    assert not [r for r in stored_rows(ws.store) if r["country"] == "BEL"], "filed under BEL"
    if run.code == 0:
        assert_read_exactly(run, name, ws.store, base.nld)
    else:
        assert_refused(run, name, prior, ws.store)


@case("NLD_2023_en_country_mismatch.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    name = "NLD_2023_en_country_mismatch.xlsx"
    run, prior = ingest(ws, name)
    assert_refused(run, name, prior, ws.store)
    assert any(
        f.get("sheet") == "Metadata" and "BEL" in f["message"] and "NLD" in f["message"]
        for f in errors(run)
    ), f"no error at the metadata naming both BEL and NLD{run}"


@case("country_mismatch_confirmed", "NLD_2023_en_country_mismatch.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    # The way out: --country confirms the metadata's country.
    run, _ = ingest(ws, "NLD_2023_en_country_mismatch.xlsx", "--country", "BEL")
    expected = {("BEL", "BEL", *k[2:]): v for k, v in base.nld.items()}
    assert_read_exactly(run, None, ws.store, expected)


@case("thousand_dot_text.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "thousand_dot_text.xlsx")
    assert_refused(run, "thousand_dot_text.xlsx", prior, ws.store)
    assert_error_at(run, "Victims", "C5")


@case("decimal_comma_text.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "decimal_comma_text.xlsx")
    assert_refused(run, "decimal_comma_text.xlsx", prior, ws.store)
    assert_error_at(run, "Victims", "D6", "E6")


@case("thousand_dot.csv")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "thousand_dot.csv")
    assert_refused(run, "thousand_dot.csv", prior, ws.store)
    assert_error_at(run, None, "I23")


@case("thousand_dot_semicolon.csv")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "thousand_dot_semicolon.csv")
    assert_refused(run, "thousand_dot_semicolon.csv", prior, ws.store)


def _grid(name: str, row_or_column: re.Pattern, words: tuple[str, ...]):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        assert_refused(run, name, prior, ws.store)
        changed = [
            f
            for f in errors(run)
            if f["rule"] == "STRUCTURE_GRID_CHANGED" and f["sheet"] == "Victims"
        ]
        assert changed, f"no STRUCTURE_GRID_CHANGED on Victims{run}"
        assert any(
            row_or_column.fullmatch(f.get("cell") or "") or any(w in f["message"] for w in words)
            for f in changed
        ), f"no STRUCTURE_GRID_CHANGED names the row or column{run}"

    return body


case("grid_row_deleted.xlsx")(_grid("grid_row_deleted.xlsx", re.compile(r"[A-Z]+7"), ("Male",)))
case("grid_row_inserted.xlsx")(
    _grid("grid_row_inserted.xlsx", re.compile(r"[A-Z]+6"), ("Transgender",))
)
case("grid_row_moved.xlsx")(
    _grid("grid_row_moved.xlsx", re.compile(r"[A-Z]+[67]"), ("Male", "Female"))
)
case("grid_column_inserted.xlsx")(
    _grid("grid_column_inserted.xlsx", re.compile(r"D\d+"), ("Children under 12",))
)


@case("merged_two_inputs.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "merged_two_inputs.xlsx")
    assert_refused(run, "merged_two_inputs.xlsx", prior, ws.store)
    assert_error_at(run, "Victims", "D6")


def _open_and_save(run: Run, cell: str, text: str) -> None:
    hits = [f for f in errors(run) if at(f, "Victims", cell)]
    assert hits, f"no error at Victims!{cell}{run}"
    assert any(
        re.search(r"open .*Excel.*save", f["message"], re.I)
        and text in ((f.get("text") or "") + f["message"])
        for f in hits
    ), f"the error at Victims!{cell} does not say to open and save it in Excel{run}"


@case("formula_no_cache.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "formula_no_cache.xlsx")
    assert_refused(run, "formula_no_cache.xlsx", prior, ws.store)
    _open_and_save(run, "C5", "SUM(C6:C9)")


@case("error_div0.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "error_div0.xlsx")
    assert_refused(run, "error_div0.xlsx", prior, ws.store)
    _open_and_save(run, "D6", "#DIV/0!")


@case("formula_cached_ref.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "formula_cached_ref.xlsx")
    assert_refused(run, "formula_cached_ref.xlsx", prior, ws.store)
    _open_and_save(run, "C5", "#REF!")


@case(
    "cell_given_twice.xlsx",
)
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "cell_given_twice.xlsx")
    assert not [r for r in stored_rows(ws.store) if r["value"] == 9999], "9999 stored"
    assert_refused(run, "cell_given_twice.xlsx", prior, ws.store)
    assert_error_at(run, "Victims", "C5")


@case("cell_row_wraps.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "cell_row_wraps.xlsx")
    assert not [r for r in stored_rows(ws.store) if r["value"] == 9999], "9999 stored"
    assert_refused(run, "cell_row_wraps.xlsx", prior, ws.store)


@case("odd_cell_types.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "odd_cell_types.xlsx")
    assert_refused(run, "odd_cell_types.xlsx", prior, ws.store)
    # TRUE, a date, NaN, infinity, 50 %, 10.999999999999998: none is a count
    assert_error_at(run, "Victims", "D6", "E6", "F6", "D7", "E7", "F7")


@case("country_zero_width.csv")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "country_zero_width.csv")
    countries = {r["country"] for r in stored_rows(ws.store)}
    assert countries <= {"NLD", "DEU"}, f"stored under {countries}"
    assert_refused(run, "country_zero_width.csv", prior, ws.store)
    assert_error_at(run, None, "A2")


@case("duplicate_value_column.csv")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "duplicate_value_column.csv")
    assert_refused(run, "duplicate_value_column.csv", prior, ws.store)


# -- read exactly, with a finding where the issue asks for one ---------------------------


@case("control_shared_strings.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, _ = ingest(ws, "control_shared_strings.xlsx")
    assert_read_exactly(run, "control_shared_strings.xlsx", ws.store, base.nld)


@case("figures_outside_grid.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, _ = ingest(ws, "figures_outside_grid.xlsx")
    assert_read_exactly(run, "figures_outside_grid.xlsx", ws.store, base.nld)
    warnings = [f for f in run.findings() if f["severity"] == "warning"]
    for sheet, cell in (("Victims", "J5"), ("Victims", "C45"), ("Offences", "F3")):
        assert any(
            f.get("sheet") == sheet and (cell in (f.get("cells") or []) or cell in f["message"])
            for f in warnings
        ), f"no warning lists {sheet}!{cell}{run}"


def _hidden_content(name: str, sheet: str):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        assert any(sheet in ((f.get("sheet") or "") + f["message"]) for f in run.findings()), (
            f"no finding names the {sheet} sheet{run}"
        )
        if run.code == 0:
            assert_read_exactly(run, name, ws.store, base.nld)
        else:
            assert_refused(run, name, prior, ws.store)

    return body


case("hidden_sheet_with_content.xlsx")(_hidden_content("hidden_sheet_with_content.xlsx", "Scratch"))
case("veryhidden_sheet_with_content.xlsx")(
    _hidden_content("veryhidden_sheet_with_content.xlsx", "Calc")
)


def _noted(name: str, pattern: str):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        assert any(
            names(f, name) and re.search(pattern, f["message"], re.I) for f in run.findings()
        ), f"no finding notes /{pattern}/{run}"
        if run.code == 0:
            assert_read_exactly(run, name, ws.store, base.nld)
        else:
            assert_refused(run, name, prior, ws.store)

    return body


case("macro_vba.xlsm")(_noted("macro_vba.xlsm", r"macro|VBA"))
case("macro_vba_in_xlsx.xlsx")(_noted("macro_vba_in_xlsx.xlsx", r"macro|VBA"))
case("external_link.xlsx")(_noted("external_link.xlsx", r"external|link"))


@case("xxe_external_entity.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    run, prior = ingest(ws, "xxe_external_entity.xlsx")
    secret = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    assert secret not in run.text, "the external entity was resolved"
    for row in stored_rows(ws.store):
        assert secret not in str(row.get("note")), "the external entity was stored"
    if run.code == 1:
        assert_refused(run, "xxe_external_entity.xlsx", prior, ws.store)


@case("cr_only_line_ends.csv")
def _(ws: Workspace, base: Baseline) -> None:
    run, _ = ingest(ws, "cr_only_line_ends.csv")
    assert_read_exactly(run, "cr_only_line_ends.csv", ws.store, base.deu)


def _encoded(name: str, refusal: str, expected: Callable[[Baseline], dict] = lambda b: b.deu):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        if run.code == 0:
            assert_read_exactly(run, name, ws.store, expected(base))
        else:
            assert_refused(run, name, prior, ws.store)
            assert any(re.search(refusal, f["message"], re.I) for f in errors(run)), (
                f"refused without /{refusal}/ in the message{run}"
            )

    return body


case("utf16_bom.csv")(_encoded("utf16_bom.csv", r"UTF-?16"))
case("utf16le_no_bom.csv")(_encoded("utf16le_no_bom.csv", r"UTF-?16"))
case("cp1252.csv")(
    _encoded(
        "cp1252.csv",
        r"1252|latin|8859",
        lambda b: with_note(
            b.deu,
            ("DEU", "DEU", 2021, "VICTIMS_DETECTED", "_T", "_T", "_T", "_T"),
            "Schätzung – 5 € je Fall",
        ),
    )
)
case(
    "semicolon.csv",
)(_encoded("semicolon.csv", r"semicolon-separated"))


@case(
    "name_not_utf8.csv",
)
def _(ws: Workspace, base: Baseline) -> None:
    hostile = b"DEU_\xff\xfe_2023.csv"
    path = ws.file("name_not_utf8.csv", hostile)
    run = ws.run("ingest", path, "--store", ws.store, "--format", "json")
    assert_read_exactly(run, None, ws.store, base.deu)
    text = ws.run("validate", path)
    assert text.code == 0 and "DEU_" in text.out, text


# -- never a crash --------------------------------------------------------------------


def _unparseable(name: str, sheet: str | None, *cells: str, fmt: str = "json"):
    def body(ws: Workspace, base: Baseline) -> None:
        run = validate(ws, name, fmt=fmt)
        assert run.code == 1, run
        assert any(names(f, name) for f in errors(run)), run
        assert_error_at(run, sheet, *cells)

    return body


case("value_23_digits.csv")(_unparseable("value_23_digits.csv", None, "H2"))
case("value_23_digits.xlsx")(_unparseable("value_23_digits.xlsx", "Victims", "C5", "D5"))
case("value_1e308.csv")(_unparseable("value_1e308.csv", None, "H2"))
case("value_1e308.xlsx")(_unparseable("value_1e308.xlsx", "Victims", "C5", "D5"))
case(
    "value_5000_digits.csv",
)(_unparseable("value_5000_digits.csv", None, "H2"))
case("value_odd_numerals.csv")(
    _unparseable("value_odd_numerals.csv", None, *(f"H{n}" for n in range(2, 9)))
)


def _markup(name: str, *texts: str):
    def body(ws: Workspace, base: Baseline) -> None:
        run = validate(ws, name, fmt="text")
        assert run.code == 1, run
        assert name in run.out, f"the report does not name {name}{run}"
        for text in texts:
            assert text in run.out, f"{text!r} not printed as text{run}"

    return body


case("markup_in_cells.xlsx")(_markup("markup_in_cells.xlsx", "'[/]'", "[bold]381"))
case("markup_in_values.csv")(_markup("markup_in_values.csv", "'[/]'", "[bold]12", "12 [/bold]"))


def _junit(run: Run, name: str) -> None:
    assert run.code == 1, run
    root = ET.fromstring(run.out)  # well-formed XML, whatever the cells held
    assert name in ET.tostring(root, encoding="unicode"), f"the JUnit report does not name {name}"
    assert list(root.iter("failure")), "no failure in the JUnit report"


@case("control_chars.csv")
def _(ws: Workspace, base: Baseline) -> None:
    _junit(validate(ws, "control_chars.csv", fmt="junit"), "control_chars.csv")


@case(
    "control_chars_terminal",
    "control_chars.csv",
)
def _(ws: Workspace, base: Baseline) -> None:
    text = validate(ws, "control_chars.csv", fmt="text")
    assert text.code == 1, text
    raw = SPREADSHEET_CONTROL.findall(text.text)
    assert not raw, f"control characters reach the terminal: {raw!r}{text}"


@case("control_chars.xlsx")
def _(ws: Workspace, base: Baseline) -> None:
    _junit(validate(ws, "control_chars.xlsx", fmt="junit"), "control_chars.xlsx")


def _unreadable(name: str):
    def body(ws: Workspace, base: Baseline) -> None:
        run = validate(ws, name)
        assert run.code == 1, run
        found = entry(run.report(), name)
        assert found["status"] in ("invalid", "nothing_stored"), found
        assert any(names(f, name) for f in errors(run)), f"no error names {name}{run}"

    return body


for _name in (
    "empty.csv",
    "header_only.csv",
    "unclosed_quote.csv",
    "empty.xlsx",
    "truncated.xlsx",
    "ole_not_zip.xlsx",
    "malformed_sheet_xml.xlsx",
    "xml_entity_bomb.xlsx",
):
    case(_name)(_unreadable(_name))

case(
    "sst_count_claimed.xlsx",
)(_unreadable("sst_count_claimed.xlsx"))
case(
    "deflate_damaged.xlsx",
)(_unreadable("deflate_damaged.xlsx"))
case(
    "cell_column_overflow.xlsx",
)(_unreadable("cell_column_overflow.xlsx"))


# -- resources ------------------------------------------------------------------------

RESOURCE_FILES = (
    "zip_bomb_sheet.xlsx",
    "zip_bomb_styles.xlsx",
    "zip_bomb_lying_size.xlsx",
    "stray_cell_XFD1048576.xlsx",
    "stray_cell_AZ1048576.xlsx",
    "dimension_claims_huge.xlsx",
    "rows_claimed_huge.xlsx",
    "merge_huge_range.xlsx",
)


def _too_large(name: str, sheet: str | None = None):
    def body(ws: Workspace, base: Baseline) -> None:
        run, prior = ingest(ws, name)
        assert_refused(run, name, prior, ws.store)
        if sheet:
            assert any(sheet in ((f.get("sheet") or "") + f["message"]) for f in errors(run)), (
                f"no error names the sheet {sheet}{run}"
            )

    return body


case("zip_bomb_sheet.xlsx", slow=True)(_too_large("zip_bomb_sheet.xlsx"))
case("zip_bomb_styles.xlsx", slow=True)(_too_large("zip_bomb_styles.xlsx"))
case("zip_bomb_lying_size.xlsx", slow=True)(_too_large("zip_bomb_lying_size.xlsx"))
case("stray_cell_XFD1048576.xlsx", slow=True)(_too_large("stray_cell_XFD1048576.xlsx", "Victims"))
case("stray_cell_AZ1048576.xlsx", slow=True)(_too_large("stray_cell_AZ1048576.xlsx", "Victims"))


@case("dimension_claims_huge.xlsx", slow=True)
def _(ws: Workspace, base: Baseline) -> None:
    """A <dimension> that claims A1:XFD1048576 asks nothing of the machine (the cells are
    what the sheet holds): read right, within the limits."""
    run, _ = ingest(ws, "dimension_claims_huge.xlsx")
    assert_read_exactly(run, "dimension_claims_huge.xlsx", ws.store, base.nld)


case("rows_claimed_huge.xlsx", slow=True)(_too_large("rows_claimed_huge.xlsx", "Victims"))


@case("merge_huge_range.xlsx", slow=True)
def _(ws: Workspace, base: Baseline) -> None:
    _too_large("merge_huge_range.xlsx", "Victims")(ws, base)
    feedback = ws.work / "feedback"
    run = ws.run(
        "validate",
        ws.work / "merge_huge_range.xlsx",
        "--feedback",
        feedback,
        "--format",
        "json",
        outputs=(feedback,),
    )
    assert run.code == 1, run


@case("feedback_on_resource_attacks", *RESOURCE_FILES[:-1], slow=True)
def _(ws: Workspace, base: Baseline) -> None:
    # The feedback copy is read again (openpyxl): it must not undo the size checks. The merged
    # range of merge_huge_range.xlsx is tried in its own case.
    names_ = RESOURCE_FILES[:-1]
    paths = [ws.file(n) for n in names_]
    feedback = ws.work / "feedback"
    run = ws.run(
        "validate", *paths, "--format", "json", "--feedback", feedback, outputs=(feedback,)
    )
    assert run.code == 1, run
    for name in names_:
        entry(run.report(), name)


# -- YAML: layouts and rules ----------------------------------------------------------


def _yaml_refused(run: Run, names_: tuple[str, ...], line: int | None) -> None:
    assert run.code == 2, f"expected exit 2 (usage error){run}"
    assert run.seconds < YAML_TIMEOUT, f"took {run.seconds:.1f} s{run}"
    text = message_text(run)
    assert any(n in text for n in names_), f"the message names none of {names_}{run}"
    found = re.search(r"line (\d+)", text)
    assert found, f"the message gives no line{run}"
    if line is not None:
        assert int(found.group(1)) == line, f"line {found.group(1)}, expected {line}{run}"


def _layout(name: str, line: int | None, *others: str):
    def body(ws: Workspace, base: Baseline) -> None:
        for other in others:
            ws.file(other)
        layout = ws.file(name)
        run = ws.run(
            "validate",
            ws.file("glotip_small.csv"),
            "--layout",
            layout,
            "--format",
            "json",
            timeout=YAML_TIMEOUT,
        )
        _yaml_refused(run, (name, *others), line)

    return body


def _rules(name: str, line: int | None):
    def body(ws: Workspace, base: Baseline) -> None:
        rules = ws.file(name)
        run = ws.run(
            "validate",
            ws.file("control_DEU.csv"),
            "--rules",
            rules,
            "--format",
            "json",
            timeout=YAML_TIMEOUT,
        )
        _yaml_refused(run, (name,), line)

    return body


case("layout_billion_laughs.yaml", "layout_billion_laughs.yaml", "glotip_small.csv")(
    _layout("layout_billion_laughs.yaml", None)
)
case("rules_billion_laughs.yaml", "rules_billion_laughs.yaml", "control_DEU.csv")(
    _rules("rules_billion_laughs.yaml", None)
)
case("layout_extends_itself.yaml", "layout_extends_itself.yaml", "glotip_small.csv")(
    _layout("layout_extends_itself.yaml", 3)
)
case("layout_loop", "layout_loop_a.yaml", "layout_loop_b.yaml", "glotip_small.csv")(
    _layout("layout_loop_a.yaml", 3, "layout_loop_b.yaml")
)
case("rules_python_object.yaml", "rules_python_object.yaml", "control_DEU.csv")(
    _rules("rules_python_object.yaml", 4)
)
case("layout_python_object.yaml", "layout_python_object.yaml", "glotip_small.csv")(
    _layout("layout_python_object.yaml", 4)
)


def _layout_name(name: str):
    def body(ws: Workspace, base: Baseline) -> None:
        layout = ws.file(name)
        # Workspace.run asserts that nothing is written outside the store.
        run = ws.run(
            "ingest",
            ws.file("glotip_small.csv"),
            "--layout",
            layout,
            "--store",
            ws.store,
            "--vintage",
            VINTAGE,
            "--format",
            "json",
        )
        assert run.code in (0, 2), run
        if run.code == 2:
            assert name in message_text(run), run

    return body


case("layout_name_dotdot.yaml", "layout_name_dotdot.yaml", "glotip_small.csv")(
    _layout_name("layout_name_dotdot.yaml")
)
case("layout_name_slash.yaml", "layout_name_slash.yaml", "glotip_small.csv")(
    _layout_name("layout_name_slash.yaml")
)


# -- outputs are inert ----------------------------------------------------------------

INERT_FILES = {
    "inert_notes.csv": "inert_notes.csv",
    "=1+1.csv": "=1+1.csv",
    "+cmd.csv": "+cmd.csv",
    "-cmd.csv": "-cmd.csv",
    "@cmd.csv": "@cmd.csv",
    "inert_tab.csv": "\tinert_tab.csv",
    "inert_cr.csv": "\rinert_cr.csv",
}
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _dangerous(text: str, what: str) -> list[str]:
    """Fields of CSV ``text`` a spreadsheet would run; rows that do not parse back."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems = [
        f"{what} line {n}: {len(row)} fields, the header has {len(rows[0])}"
        for n, row in enumerate(rows[1:], 2)
        if len(row) != len(rows[0])
    ]
    for n, row in enumerate(rows, 1):
        for field in row:
            if field.startswith(INJECTION_START) and not NUMBER.fullmatch(field):
                problems.append(f"{what} line {n}: {field!r}")
    return problems


def _xlsx_formulas(path: Path) -> tuple[list[str], int]:
    import openpyxl

    found, texts = [], 0
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append(f"{sheet.title}!{cell.coordinate} {cell.value!r}")
                elif isinstance(cell.value, str) and "1+1" in cell.value:
                    texts += 1
    return found, texts


@case("inert_outputs", *INERT_FILES, slow=True)
def _(ws: Workspace, base: Baseline) -> None:
    inputs = [ws.file(name, as_name) for name, as_name in INERT_FILES.items()]
    run = ws.run("ingest", *inputs, "--store", ws.store, "--format", "json")
    assert run.code == 0, run
    store = ("--store", ws.store)
    long_csv, sdmx = ws.work / "long.csv", ws.work / "sdmx.csv"
    table, report = ws.work / "table.xlsx", ws.work / "report.xlsx"
    ws.run("export", "--long", "-o", long_csv, *store, outputs=(long_csv,))
    ws.run(
        "export",
        "--format",
        "sdmx-csv",
        "--suppress-below",
        "1",
        "--draft",
        "-o",
        sdmx,
        *store,
        outputs=(sdmx,),
    )
    history = ws.run("history", "NLD", "--format", "csv", *store)
    assert history.code == 0, history
    ws.run(
        "export",
        "--indicator",
        "VICTIMS_DETECTED",
        "--format",
        "xlsx",
        "--suppress-below",
        "1",
        "--draft",
        "-o",
        table,
        *store,
        outputs=(table,),
    )
    ws.run(
        "report",
        "--years",
        "2012-2019",
        "--suppress-below",
        "1",
        "--draft",
        "-o",
        report,
        *store,
        outputs=(report,),
    )
    long_text = long_csv.read_text(encoding="utf-8-sig")
    problems = _dangerous(long_text, "export --long")
    problems += _dangerous(sdmx.read_text(encoding="utf-8-sig"), "SDMX-CSV")
    problems += _dangerous(history.out, "history --format csv")
    for path in (table, report):
        formulas, _ = _xlsx_formulas(path)
        problems += [f"{path.name}: formula {f}" for f in formulas]
    assert not problems, "\n".join(problems)
    # not vacuous: the notes and names came out, neutralised, and numbers stay numbers
    rows = list(csv.DictReader(io.StringIO(long_text, newline="")))
    notes = {r["note"] for r in rows}
    files = {r["source_file"] for r in rows}
    assert {"'=1+1", "'+SUM(A1:A2)", "'-SUM(A1:A2)", "'@SUM(A1:A2)"} <= notes, notes
    assert {"'=1+1.csv", "'+cmd.csv", "'-cmd.csv", "'@cmd.csv"} <= files, files
    assert all(NUMBER.fullmatch(r["value"]) for r in rows if r["value"]), "a value is not a number"
    assert "'=1+1" in history.out and "'-cmd.csv" in history.out, history


# ---------------------------------------------------------------------------------------
# the pool and the tests


class Pool:
    def __init__(self, root: Path, selected: list[str]) -> None:
        self.root = root
        self.baseline = build_baseline(root / "_baseline")
        self.executor = ThreadPoolExecutor(max_workers=WORKERS)
        self.futures: dict[str, Future] = {}
        order = sorted(selected, key=lambda n: (not CASES[n].slow, n))
        for name in order:
            self.submit(name)

    def submit(self, name: str) -> Future:
        if name not in self.futures:
            folder = self.root / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            self.futures[name] = self.executor.submit(
                lambda: CASES[name].body(Workspace(folder, self.baseline.store), self.baseline)
            )
        return self.futures[name]

    def result(self, name: str) -> None:
        self.submit(name).result()


@pytest.fixture(scope="session")
def hostile(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_hostile"
        and item.module.__name__ == __name__
    ]
    pool = Pool(tmp_path_factory.mktemp("hostile"), selected)
    yield pool
    pool.executor.shutdown(wait=True)
    if not RUNS:
        return
    record = [
        {
            "args": [os.fsdecode(a) if isinstance(a, bytes) else a for a in r.args],
            "code": r.code,
            "seconds": round(r.seconds, 2),
            "peak_mb": round(r.peak / 2**20),
        }
        for r in RUNS
    ]
    path = pool.root / "runs.json"
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    heaviest = max(record, key=lambda r: r["peak_mb"])
    slowest = max(record, key=lambda r: r["seconds"])
    sys.__stderr__.write(
        f"\nhostile corpus: {len(record)} runs, {sum(r['seconds'] for r in record):.0f} s in "
        f"all; peak memory {heaviest['peak_mb']} MB ({Path(heaviest['args'][1]).name}), "
        f"slowest {slowest['seconds']} s ({Path(slowest['args'][1]).name}); see {path}\n"
    )


def _param(case_: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case_.xfail)] if case_.xfail else []
    return pytest.param(case_.name, marks=marks, id=case_.name)


@pytest.mark.parametrize("name", [_param(c) for c in CASES.values()])
def test_hostile(name: str, hostile: Pool) -> None:
    hostile.result(name)


def test_every_corpus_file_has_a_case_and_a_readme_row() -> None:
    corpus = {p.name for p in CORPUS.iterdir() if p.is_file()} - {"make_corpus.py", "README.md"}
    used = {f for c in CASES.values() for f in c.files}
    assert corpus - used == set(), f"files without a case: {sorted(corpus - used)}"
    assert used - corpus == set(), f"cases without their file: {sorted(used - corpus)}"
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([^`]+)` \|", readme, re.M))
    assert corpus - rows == set(), f"files without a README row: {sorted(corpus - rows)}"
    assert len(CASES) >= 40
