"""The Parquet store: one file of observations per submission, published by a manifest.

Layout of a store folder::

    nremstats-store.json        format marker and version
    manifest.json               every submission, in the order received (the only index)
    observations/<id>.parquet   the observations of one submission (zstd, dictionary-encoded)
    findings/<id>.json          the findings recorded with that submission (warnings, info)
    compact/                    the current observations in two sorted files (``compact``)
    head.json                   a hint for readers, written just before each manifest
    .lock                       held while a writer publishes

What a submission is and which are current: :mod:`nremstats.store.manifest`. Files are
written under temporary names, then renamed; the manifest is replaced in one atomic step
under the lock, so readers see the store as it was before a write or as it is after it.
Every file named by the manifest (a submission id, a compilation's data stem, a compacted
file) is checked to stay in its folder before it is read, written, moved or removed
(:meth:`Store.file`, :meth:`Store.inside`).
The newest submission of a provider for a country-year is current (the newest vintage, for
compilations that carry one); earlier ones stay on disk and in the manifest, so history can
be queried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core.errors import StoreBusy, StoreError, StorePathError
from nremstats.core.files import (
    file_sha256,
    json_lines,
    plain_name,
    replace_durably,
    write_bytes,
    write_json,
)
from nremstats.core.findings import Finding
from nremstats.core.model import DIMENSIONS, KEY_COLUMNS, OBSERVATION_COLUMNS, TOTAL
from nremstats.store.manifest import (
    FORMAT,
    FORMAT_VERSION,
    HEAD,
    LOCK_TIMEOUT,
    MANIFEST,
    MARKER,
    MARKER_CONTENT,
    Submission,
    arrow_schema,
    current_of,
    default_store_path,
    head_of,
    parse_moment,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: A store file's stem joins names: ``<layout>-<sha12>``, ``PROVIDER-ISO3-YEAR-<sha12>-r2``.
STEM_LONGEST = 128


class Store:
    """A store folder. Open it with :func:`open_store`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # --- reading ---------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return (self.path / MARKER).is_file()

    def manifest(self) -> dict[str, Any]:
        """Return the manifest as stored (``submissions``, and ``compacted`` if any)."""
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            return {"format_version": FORMAT_VERSION, "submissions": []}
        try:
            return dict(json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(
                f"{manifest}: the store's manifest cannot be read ({exc}). "
                "Restore it from a backup; do not edit it by hand."
            ) from exc

    def write_manifest(self, submissions: list[Submission], compacted: Any = None) -> None:
        """Publish a new manifest in one atomic step (call under :meth:`lock`).

        The head hint is written first: a crash between the two leaves a hint that describes a
        state the manifest does not reach yet, which readers recognise (see :meth:`head`).
        """
        entries = [dict(vars(sub)) for sub in submissions]
        data: dict[str, Any] = {"format_version": FORMAT_VERSION, "submissions": entries}
        if compacted:
            data["compacted"] = compacted
        raw = json_lines(data).encode("utf-8")
        write_json(self.path / HEAD, head_of(data, len(raw)))
        write_bytes(self.path / MANIFEST, raw)

    def head(self) -> dict[str, Any] | None:
        """Return the head hint when it describes the manifest on disk, else ``None``.

        The hint records the manifest's size; a manifest of another size (a crash between the
        two writes, a manifest restored by hand) makes it void, and readers use the manifest.
        """
        try:
            head = json.loads((self.path / HEAD).read_text(encoding="utf-8"))
            size = (self.path / MANIFEST).stat().st_size
        except (OSError, json.JSONDecodeError):
            return None
        if not isinstance(head, dict) or head.get("manifest_bytes") != size:
            return None
        return head

    def fresh_compaction(self) -> dict[str, Any] | None:
        """The compaction entry when it holds every current observation (no submission since)."""
        head = self.head()
        compacted = head.get("compacted") if head else None
        if compacted and compacted.get("upto") == head.get("last_seq"):  # type: ignore[union-attr]
            return dict(compacted)
        return None

    def submissions(self) -> list[Submission]:
        """Return every submission in the order received."""
        return [Submission(**entry) for entry in self.manifest()["submissions"]]

    def current_submissions(self, upto: int | None = None) -> list[Submission]:
        """Return the current submission of each (provider, country, year).

        ``upto`` gives the state just after the submission of that sequence number (see
        :meth:`resolve_as_of`); ``None`` the state now.
        """
        return current_of(self.submissions(), upto)

    def observations(
        self,
        countries: set[str] | None = None,
        upto: int | None = None,
        where: dict[str, str] | None = None,
    ) -> pd.DataFrame:
        """Return the store's current observations, sorted by key, in the format's columns.

        ``countries`` limits the result to those countries (read from the manifest first, so
        only their files are opened); ``upto`` reproduces a past state (see
        :meth:`resolve_as_of`); ``where`` keeps rows whose columns equal the given values,
        filtered while reading (pyarrow reads the files in parallel and skips row groups).
        """
        table = self.observation_table(countries, upto, where)
        frame = table.to_pandas(types_mapper=_pandas_types)
        return frame.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)

    def observation_table(
        self,
        countries: set[str] | None = None,
        upto: int | None = None,
        where: dict[str, str] | None = None,
        columns: list[str] | None = None,
        condition: Any = None,
    ) -> pa.Table:
        """Like :meth:`observations`, as an unsorted Arrow table of the given ``columns``;
        ``where`` keeps rows equal to values, ``condition`` (a pyarrow dataset expression)
        keeps rows it holds for."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        for column, value in (where or {}).items():
            term = ds.field(column) == value
            condition = term if condition is None else condition & term
        only_totals = all((where or {}).get(d) == TOTAL for d in DIMENSIONS)
        schema = arrow_schema()
        if columns is not None:
            schema = pa.schema([schema.field(name) for name in columns])

        def read(files: list[str], keep: Any) -> pa.Table:
            dataset = ds.dataset(files, schema=arrow_schema(), format="parquet")
            return dataset.to_table(columns=schema.names, filter=keep)

        fresh = self.fresh_compaction() if upto is None and countries is None else None
        if fresh:  # the compacted files are the state: no need to read the manifest
            names = [fresh["totals_file"]] + ([] if only_totals else [fresh["file"]])
            return read([str(self.inside(name)) for name in names], condition)
        manifest = self.manifest()
        compacted = manifest.get("compacted")
        wanted = [
            sub
            for sub in current_of([Submission(**e) for e in manifest["submissions"]], upto)
            if countries is None or sub.country in countries
        ]
        in_compact: set[str] = set()
        if compacted and (upto is None or upto >= compacted["upto"]):
            in_compact = {s.submission_id for s in wanted} & set(compacted["submissions"])
        tables = []
        if in_compact:
            keep = condition
            if in_compact != set(compacted["submissions"]):  # some were superseded since
                term = ds.field("submission_id").isin(sorted(in_compact))
                keep = term if keep is None else keep & term
            names = [compacted["totals_file"]] + ([] if only_totals else [compacted["file"]])
            tables.append(read([str(self.inside(name)) for name in names], keep))
        rest = [sub for sub in wanted if sub.submission_id not in in_compact]
        if rest:
            tables.append(self.read_submissions(rest, condition, schema.names))
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def read_submissions(
        self, subs: list[Submission], condition: Any = None, columns: list[str] | None = None
    ) -> pa.Table:
        """The rows of these submissions (from their own or shared data files) as Arrow."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        own = [str(self.data_path(s)) for s in subs if not s.data]
        shared: dict[str, list[str]] = {}
        for sub in subs:
            if sub.data:
                shared.setdefault(str(self.data_path(sub)), []).append(sub.submission_id)
        names = columns or arrow_schema().names
        tables = []
        if own:
            dataset = ds.dataset(own, schema=arrow_schema(), format="parquet")
            tables.append(dataset.to_table(columns=names, filter=condition))
        for path, ids in shared.items():
            keep = ds.field("submission_id").isin(ids)
            keep = keep if condition is None else keep & condition
            dataset = ds.dataset(path, schema=arrow_schema(), format="parquet")
            tables.append(dataset.to_table(columns=names, filter=keep))
        if not tables:
            return pa.schema([arrow_schema().field(n) for n in names]).empty_table()
        return pa.concat_tables(tables)

    def data_path(self, sub: Submission) -> Path:
        """The Parquet file holding a submission's observations."""
        return self.file("observations", sub.stem, ".parquet")

    def file(
        self, folder: str, stem: str, suffix: str, *, touch: bool = False, new: bool = False
    ) -> Path:
        """The store file ``folder/<stem><suffix>`` named by a submission id or a data stem.

        A stem must be one file name (no separator, not ``.`` or ``..``), so the path stays in
        ``folder``. A file about to be moved or removed (``touch``) or written (``new``) must
        still lie in the folder once its path is resolved (symlinks followed); the stem of a
        new file must also be a plain name (:func:`~nremstats.core.files.plain_name`, up to
        :data:`STEM_LONGEST` characters).

        Raises:
            StorePathError: the name would reach outside the folder (a manifest edited by
                hand, or a name that escaped the checks upstream); nothing is touched.
        """
        base = self.path / folder
        target = base / f"{stem}{suffix}"
        stays = (
            _one_name(stem)
            and (not new or plain_name(stem, STEM_LONGEST))
            and (not (touch or new) or target.resolve().parent == base.resolve())
        )
        if not stays:
            raise StorePathError(
                f"{self.path}: the store file name {stem!r} would lead outside "
                f"{base}; nothing was written. Names are data, never paths: restore the "
                "manifest from a backup if it was edited by hand, or report this as a bug."
            )
        return target

    def inside(self, relative: str, *, touch: bool = False) -> Path:
        """A path the manifest gives relative to the store (a compacted file,
        ``compact/NAME``), refused unless it names a file in one of the store's folders
        (``touch``: also once resolved, before it is removed).

        Raises:
            StorePathError: see :meth:`file`.
        """
        folder, _, name = str(relative).partition("/")
        if not plain_name(folder) or "/" in name:
            raise StorePathError(
                f"{self.path}: the manifest names {relative!r}, outside the store's folders; "
                "restore the manifest from a backup if it was edited by hand."
            )
        return self.file(folder, name, "", touch=touch)

    def compact(self, row_group_size: int = 65_536) -> dict[str, Any] | None:
        """Rewrite the store's current observations as two Parquet files (the totals apart),
        sorted so that a filter on indicator and breakdown reads few row groups, and publish them
        in the manifest.

        The per-submission files stay (history, ``--as-of`` and ``diff`` use them); readers
        take the current rows of the compacted files and the files of later submissions. The
        files of the compaction replaced are kept (``previous``), older ones removed. Call
        under :meth:`lock`. Returns the manifest's ``compacted`` entry (None if empty).
        """
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        current = self.current_submissions()
        if not current:
            return None
        table = self.read_submissions(current)
        table = table.take(_cluster_order(table))
        is_total = None
        for dim in DIMENSIONS:
            term = pc.equal(table.column(dim), TOTAL)
            is_total = term if is_total is None else pc.and_(is_total, term)
        seq = max(s.seq for s in self.submissions())
        folder = self.path / "compact"
        folder.mkdir(exist_ok=True)
        entry: dict[str, Any] = {"upto": seq}
        # The totals (every breakdown _T) apart: comparison tables read only them.
        for prefix, part in (("", pc.invert(is_total)), ("totals_", is_total)):
            target = folder / f"{prefix or 'rest_'}current-{seq}.parquet"
            tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
            rows = table.filter(part)
            # small groups for the totals: a table of one indicator reads one or two of them
            size = min(row_group_size, 4096) if prefix else row_group_size
            pq.write_table(rows, tmp, compression="zstd", row_group_size=size)
            entry[f"{prefix}file"] = f"compact/{target.name}"
            entry[f"{prefix}rows"] = rows.num_rows
            entry[f"{prefix}data_sha256"] = file_sha256(tmp)
            replace_durably(tmp, target)
        entry["submissions"] = sorted(s.submission_id for s in current)
        # The files this compaction replaces stay one generation (readers may hold them);
        # older ones go.
        before = self.manifest().get("compacted") or {}
        names = {entry["file"], entry["totals_file"]}
        entry["previous"] = sorted({before.get("file"), before.get("totals_file")} - names - {None})
        self.write_manifest(self.submissions(), entry)
        for path in folder.glob("*.parquet"):
            if f"compact/{path.name}" not in names | set(entry["previous"]):
                path.unlink()
        return entry

    def submission(self, submission_id: str) -> Submission:
        """Return one submission by id.

        Raises:
            StoreError: no submission has this id.
        """
        for sub in self.submissions():
            if sub.submission_id == submission_id:
                return sub
        raise StoreError(
            f"No submission '{submission_id}' in {self.path}. "
            "'nremstats history COUNTRY' lists a country's submissions."
        )

    def resolve_as_of(self, as_of: str) -> int:
        """Turn ``--as-of`` (a submission id, or an ISO 8601 date or time) into the sequence
        number of the last submission it includes.

        A date includes the whole day (UTC); a time without zone is taken as UTC.

        Raises:
            StoreError: an unknown submission id, a text that is neither, or a moment before
                the first submission.
        """
        subs = self.submissions()
        by_id = {sub.submission_id: sub for sub in subs}
        if as_of in by_id:
            return by_id[as_of].seq
        moment = parse_moment(as_of)
        included = [sub.seq for sub in subs if dt.datetime.fromisoformat(sub.received_at) <= moment]
        if not included:
            first = min((sub.received_at for sub in subs), default="(none)")
            raise StoreError(
                f"--as-of {as_of} is before the first submission of {self.path} "
                f"(received {first}). Choose a later date or a submission id."
            )
        return max(included)

    def findings(self, submission_id: str) -> list[Finding]:
        """Return the findings recorded with a submission (for a submission sharing its
        files with others of the same compilation, the whole file's findings)."""
        path = self.file("findings", self.submission(submission_id).stem, ".json")
        if not path.is_file():
            return []
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [Finding.from_dict(entry) for entry in entries]

    # --- writing ---------------------------------------------------------------------------

    def initialise(self) -> None:
        """Create the store folder if needed; refuse a file, an unwritable or unknown store."""
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"Store path {self.path} is a file, not a folder. Choose a folder.")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for sub in ("observations", "findings"):
                (self.path / sub).mkdir(exist_ok=True)
            if not self.exists:
                write_json(self.path / MARKER, MARKER_CONTENT)
        except PermissionError as exc:
            raise StoreError(f"Store path {self.path} is not writable ({exc}).") from exc
        self.check_version()

    def check_version(self) -> None:
        """Refuse a store written by a newer nremstats."""
        try:
            marker = json.loads((self.path / MARKER).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(f"{self.path / MARKER}: not an nremstats store ({exc}).") from exc
        version = marker.get("format_version")
        if marker.get("format") != FORMAT or version != FORMAT_VERSION:
            raise StoreError(
                f"{self.path} is a store of format version {version}; this nremstats reads "
                f"version {FORMAT_VERSION}. Upgrade nremstats to use it."
            )

    @contextlib.contextmanager
    def lock(
        self, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[], None] | None = None
    ) -> Iterator[None]:
        """Hold the store's write lock (waits up to ``timeout`` seconds)."""
        import fcntl

        with open(self.path / ".lock", "a+b") as handle:
            deadline = time.monotonic() + timeout
            warned = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not warned and on_wait:
                        on_wait()
                        warned = True
                    if time.monotonic() > deadline:
                        raise StoreBusy(
                            f"Store {self.path} is busy: another nremstats has held it for "
                            f"{timeout:.0f} s. Try again when it has finished."
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def publish(
        self, batch: list[tuple[list[Submission], pd.DataFrame, list[Finding]]]
    ) -> list[str]:
        """Write data units and publish their submissions in one manifest replacement.

        Each unit is the submissions stored in one data file, their rows (a
        ``submission_id`` column says whose) and the findings of their received file.
        Submissions whose id is already in the manifest (identical bytes) are skipped.
        Returns the ids newly published. Call under :meth:`lock`.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        existing = self.submissions()
        known = {sub.submission_id for sub in existing}
        seq = max((sub.seq for sub in existing), default=0)
        new: list[Submission] = []
        for subs, frame, findings in batch:
            fresh = [sub for sub in subs if sub.submission_id not in known]
            if not fresh:
                continue
            if len(fresh) < len(subs):  # part of it is stored already: keep the rest
                frame = frame[frame["submission_id"].isin([s.submission_id for s in fresh])]
            for sub in fresh:
                seq += 1
                sub.seq = seq
            table = pa.Table.from_pandas(
                frame[list(OBSERVATION_COLUMNS)], schema=arrow_schema(), preserve_index=False
            )
            target = self.file("observations", fresh[0].stem, ".parquet", new=True)
            tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
            pq.write_table(table, tmp, compression="zstd")
            digest = file_sha256(tmp)
            replace_durably(tmp, target)
            findings_text = json_lines([f.to_dict() for f in findings])
            write_bytes(
                self.file("findings", fresh[0].stem, ".json", new=True),
                findings_text.encode("utf-8"),
            )
            for sub in fresh:
                sub.data_sha256 = digest
                known.add(sub.submission_id)
            new += fresh
        if new:
            self.write_manifest(existing + new, self.manifest().get("compacted"))
        return [sub.submission_id for sub in new]


def _one_name(stem: object) -> bool:
    """Whether ``stem`` is one file name: no separator, not ``.`` or ``..``, no NUL."""
    return (
        isinstance(stem, str)
        and stem not in ("", ".", "..")
        and not any(ch in stem for ch in "/\\\0")
    )


def _pandas_types(arrow_type: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def _cluster_order(table: pa.Table) -> pa.Array:
    """Row order that groups equal indicator and breakdown values together (so a filter on
    them skips most row groups), computed on integer codes: far faster than a string sort."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = None
    for name in ("indicator", *reversed(DIMENSIONS), "country"):
        codes = pc.dictionary_encode(table.column(name).combine_chunks())
        size = len(codes.dictionary) + 1
        part = pc.cast(codes.indices, pa.int64())
        key = part if key is None else pc.add(pc.multiply(key, size), part)
    return pc.sort_indices(pc.add(pc.multiply(key, 200), pc.subtract(table.column("year"), 1900)))


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> Store:
    """Open the store at ``path`` (or the default location).

    Args:
        path: the store folder; ``None`` uses ``NREMSTATS_STORE`` or ``./nremstats-store``.
        create: create an empty store when none exists (ingest does; readers do not).

    Raises:
        StoreError: the path is a file, is not writable, holds no store (and ``create`` is
            false), or holds a store of another format version.
    """
    store = Store(default_store_path(path))
    if create:
        store.initialise()
    elif not store.exists:
        if store.path.exists() and not store.path.is_dir():
            raise StoreError(f"Store path {store.path} is a file, not a folder.")
        raise StoreError(
            f"No nremstats store at {store.path}. Ingest returns first "
            "(nremstats ingest FILE --store DIR), or point --store / NREMSTATS_STORE at it."
        )
    else:
        store.check_version()
    return store


def existing_store(path: str | os.PathLike[str] | None = None) -> Store | None:
    """The store to compare returns with: the one named (which must exist), else the default
    location when a store is there, else ``None``."""
    if path is not None or os.environ.get("NREMSTATS_STORE"):
        return open_store(path)
    store = Store(default_store_path())
    return open_store(store.path) if store.exists else None
