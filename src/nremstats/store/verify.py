"""Check a store's integrity and, when asked, repair what can be repaired safely.

Errors: a missing or unreadable marker or manifest, a submission whose Parquet file is
missing, unreadable, of another shape or of another hash than the manifest records.
Warnings: debris of an interrupted write (temporary files, files no manifest entry names):
invisible to readers, removed by ``--repair``; a head hint that does not describe the
manifest (ignored by readers, rewritten by ``--repair``). A broken submission is repaired by
moving its files to ``quarantine/`` and dropping it from the manifest, so the submission
before it becomes current again and the received file can be ingested anew.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nremstats.core.errors import StorePathError
from nremstats.core.files import file_sha256, write_json
from nremstats.store.manifest import (
    FORMAT,
    FORMAT_VERSION,
    HEAD,
    MANIFEST,
    MARKER,
    MARKER_CONTENT,
    Submission,
    arrow_schema,
    head_of,
)
from nremstats.store.store import Store

DATA_DIRS = ("observations", "findings", "compact")


@dataclass
class Problem:
    """One thing wrong with the store, where, and how to repair it."""

    severity: str  # "error" or "warning"
    path: str
    message: str
    fix: str
    submission_id: str | None = None
    #: What kind of problem: ``marker``, ``manifest``, ``submission``, ``findings``,
    #: ``compacted``, ``head`` or ``debris`` (``--repair`` acts by kind).
    kind: str = "submission"


@dataclass
class VerifyResult:
    """The result of :func:`verify_store`."""

    store: str
    submissions: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "ok": self.ok,
            "submissions": self.submissions,
            "problems": [asdict(p) for p in self.problems],
            "repaired": self.repaired,
        }


def _check_marker(store: Store, result: VerifyResult) -> None:
    path = store.path / MARKER
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        result.problems.append(
            Problem(
                "error",
                str(path),
                f"the store marker is missing or unreadable ({exc})",
                f"recreate it with the content {json.dumps(MARKER_CONTENT)}"
                " (verify --repair does this)",
                kind="marker",
            )
        )
        return
    if marker.get("format") != FORMAT or marker.get("format_version") != FORMAT_VERSION:
        result.problems.append(
            Problem(
                "error",
                str(path),
                f"unknown store format {marker}",
                "use the nremstats version that wrote this store",
                kind="marker",
            )
        )


def _check_data(store: Store, subs: list[Submission], result: VerifyResult) -> None:
    """Check one data file against the submissions stored in it (one, or the country-years
    of one agency compilation)."""
    import pyarrow.parquet as pq

    first = subs[0]
    try:
        path = store.data_path(first)
    except StorePathError as exc:  # a name leading outside the store: never opened
        fix = "restore manifest.json from a backup (it was edited by hand?)"
        where = str(store.path / MANIFEST)
        result.problems.append(Problem("error", where, str(exc), fix, kind="manifest"))
        return
    what = "submission" if len(subs) == 1 else f"{len(subs)} submissions of {first.file}"
    fix = (
        f"restore {path.name} from a backup, or run 'nremstats verify --repair' (drops the "
        f"{what}; earlier ones become current) and ingest {first.file} again"
    )

    def problem(text: str) -> None:
        result.problems.append(Problem("error", str(path), text, fix, first.submission_id))

    if not path.is_file():
        problem("the file is missing")
        return
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        problem(f"the file is unreadable ({exc})")
        return
    if not table.schema.equals(arrow_schema(), check_metadata=False):
        problem("its columns differ from the observation format")
    expected = sum(sub.rows for sub in subs)
    if table.num_rows != expected:
        problem(f"it holds {table.num_rows} rows, the manifest says {expected}")
    if set(table.column("submission_id").to_pylist()) - {sub.submission_id for sub in subs}:
        problem("it holds rows of another submission")
    if first.data_sha256 and file_sha256(path) != first.data_sha256:
        problem("its sha256 differs from the one recorded when it was written")
    findings = store.file("findings", first.stem, ".json")
    if not findings.is_file():
        result.problems.append(
            Problem(
                "warning",
                str(findings),
                "the findings recorded with the submission are missing",
                f"validate {first.file} again to see them",
                first.submission_id,
                kind="findings",
            )
        )


def _debris(store: Store, known: set[str], compact_files: set[str]) -> list[Path]:
    found = list(store.path.glob(".tmp-*"))
    for folder in DATA_DIRS:
        for path in sorted((store.path / folder).glob("*")):
            if folder == "compact":
                referenced = f"compact/{path.name}" in compact_files
            else:
                referenced = path.name.split(".")[0] in known
            if path.name.startswith(".tmp-") or not referenced:
                found.append(path)
    return found


def _check_compacted(store: Store, entry: dict[str, Any], result: VerifyResult) -> None:
    import pyarrow.parquet as pq

    fix = "run 'nremstats verify --repair' to rebuild it (the per-submission files are intact)"
    for prefix in ("", "totals_"):
        path = store.path / str(entry[f"{prefix}file"])
        try:
            path = store.inside(entry[f"{prefix}file"])  # a name outside: never opened
            rows = pq.ParquetFile(path).metadata.num_rows
            expected = entry[f"{prefix}rows"]
            problems = [] if rows == expected else [f"it holds {rows} rows, not {expected}"]
            if file_sha256(path) != entry[f"{prefix}data_sha256"]:
                problems.append("its sha256 differs from the one recorded when it was written")
        except Exception as exc:  # missing or damaged
            problems = [f"the compacted file is missing or unreadable ({exc})"]
        for text in problems:
            result.problems.append(Problem("error", str(path), text, fix, kind="compacted"))


def _check_head(store: Store, result: VerifyResult) -> None:
    """The head hint must describe the manifest (readers ignore a hint that does not)."""
    path = store.path / MANIFEST
    expected = head_of(store.manifest(), path.stat().st_size) if path.is_file() else None
    if expected is not None and store.head() != expected:
        result.problems.append(
            Problem(
                "warning",
                str(store.path / HEAD),
                "the head hint does not describe the manifest "
                "(readers ignore it and read the manifest, which is slower)",
                "run 'nremstats verify --repair' to rewrite it",
                kind="head",
            )
        )


def verify_store(store: Store, repair: bool = False) -> VerifyResult:
    """Check every file of the store against the manifest; repair if asked (under the lock).

    Returns a :class:`VerifyResult`; raises only for a store path that is not a folder.
    """
    result = VerifyResult(store=str(store.path))
    _check_marker(store, result)
    try:
        subs = store.submissions()
    except Exception as exc:
        result.problems.append(
            Problem(
                "error",
                str(store.path / MANIFEST),
                f"the manifest is unreadable ({exc})",
                "restore manifest.json from a backup: without it no submission is visible",
                kind="manifest",
            )
        )
        return result
    result.submissions = len(subs)
    by_stem: dict[str, list[Submission]] = {}
    for sub in subs:
        by_stem.setdefault(sub.stem, []).append(sub)
    for group in by_stem.values():
        _check_data(store, group, result)
    compacted = store.manifest().get("compacted")
    if compacted:
        _check_compacted(store, compacted, result)
    _check_head(store, result)
    compact_files: set[str] = set()
    if compacted:
        compact_files = {compacted["file"], compacted["totals_file"]}
        compact_files |= set(compacted.get("previous", ()))
    for path in _debris(store, set(by_stem), compact_files):
        result.problems.append(
            Problem(
                "warning",
                str(path),
                "debris of an interrupted write (no manifest entry names it; readers never see it)",
                "remove it, or run 'nremstats verify --repair'",
                kind="debris",
            )
        )
    if repair and result.problems:
        _repair(store, result)
        after = verify_store(store)
        after.repaired = result.repaired
        return after
    return result


def _drop_replaced(store: Store, before: dict[str, Any], entry: dict[str, Any] | None) -> None:
    """Remove the compacted files a rebuild replaced (never a name outside the store)."""
    for key in ("file", "totals_file"):
        try:
            old = store.inside(before[key], touch=True)
        except StorePathError:
            continue  # a name outside the store was never its file: left alone
        if entry and entry[key] != before[key] and old.exists():
            old.unlink()


def _repair(store: Store, result: VerifyResult) -> None:
    with store.lock():
        if any(p.kind == "marker" for p in result.problems):
            write_json(store.path / MARKER, MARKER_CONTENT)
            result.repaired.append(f"rewrote {MARKER}")
        broken_ids = {
            p.submission_id for p in result.problems if p.severity == "error" and p.submission_id
        }
        subs = store.submissions()
        stems = {s.stem for s in subs if s.submission_id in broken_ids}
        broken = {s.submission_id for s in subs if s.stem in stems}  # with their file-mates
        compacted = store.manifest().get("compacted")
        rebuild = any(p.kind == "compacted" for p in result.problems)
        if broken:
            quarantine = store.path / "quarantine"
            quarantine.mkdir(exist_ok=True)
            for stem in sorted(stems):
                for folder, suffix in (("observations", ".parquet"), ("findings", ".json")):
                    path = store.file(folder, stem, suffix, touch=True)
                    if path.exists():
                        shutil.move(str(path), quarantine / path.name)
            kept = [s for s in subs if s.submission_id not in broken]
            rebuild |= bool(compacted and broken & set(compacted["submissions"]))
            store.write_manifest(kept, None if rebuild else compacted)
            result.repaired += [
                f"dropped broken submission {s} (files in quarantine/)" for s in sorted(broken)
            ]
        if rebuild and compacted:
            _drop_replaced(store, compacted, store.compact())
            result.repaired.append("rebuilt the compacted file")
        elif not broken and any(p.kind == "head" for p in result.problems):
            store.write_manifest(store.submissions(), compacted)  # same manifest, new hint
            result.repaired.append("rewrote the head hint")
        _remove_debris(store, result)


def _remove_debris(store: Store, result: VerifyResult) -> None:
    """Remove the debris found, but a file the manifest names now (a compaction rebuilt
    under the name of one the manifest no longer named)."""
    compacted = store.manifest().get("compacted") or {}
    named = {store.path / str(compacted.get(key)) for key in ("file", "totals_file")}
    for problem in result.problems:
        path = Path(problem.path)
        if problem.kind == "debris" and path.exists() and path not in named:
            path.unlink()
            result.repaired.append(f"removed debris {path.name}")
