"""The store's manifest: what a submission is, and which submissions are current.

A submission is the figures of one received file for one provider, country and year. The
manifest lists every submission in the order received; the newest of a provider for a
country-year (by vintage, then order received) is current unless a newer complete vintage
of the provider withdrew it (:func:`current_of`). A small head hint, written just before each
manifest, lets readers of a freshly compacted store skip parsing it (:func:`head_of`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core.errors import StoreError
from nremstats.core.model import OBSERVATION_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = "nremstats-store"
FORMAT_VERSION = 1
MARKER = "nremstats-store.json"
#: What the marker file holds.
MARKER_CONTENT = {"format": FORMAT, "format_version": FORMAT_VERSION}
MANIFEST = "manifest.json"
#: A small hint written just before each manifest: the last sequence number and the
#: compaction, so that a reader of a freshly compacted store need not parse the manifest.
HEAD = "head.json"
DEFAULT_STORE = "nremstats-store"
LOCK_TIMEOUT = 60.0


def default_store_path(option: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the store location: the option, else ``NREMSTATS_STORE``, else ./nremstats-store."""
    if option:
        return Path(option)
    return Path(os.environ.get("NREMSTATS_STORE") or DEFAULT_STORE)


@dataclass
class Submission:
    """One submission as recorded in the manifest."""

    submission_id: str
    provider: str
    country: str
    years: list[int]
    file: str
    sha256: str
    received_at: str
    status: str
    template_version: str | None
    layout: str
    rows: int
    counts: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    #: sha256 of the stored Parquet file, checked by ``verify``.
    data_sha256: str | None = None
    #: The stem of the data files when several submissions share them (the country-years of
    #: one agency compilation): ``observations/<data>.parquet``, ``findings/<data>.json``.
    data: str | None = None
    #: The date the figures were extracted (ISO), when the file or ``--vintage`` says.
    vintage: str | None = None
    #: Whether the file holds every country-year of its provider (a complete vintage).
    complete: bool = False
    #: A fingerprint of the layout and rules that read the file (None: not recorded).
    reading: str | None = None
    #: Bytes stored before, read again (another layout or rules, or ``--force``).
    reread: bool = False

    #: Country-years the file holds but none of whose rows could be stored (a complete
    #: vintage: they are not withdrawn); on the file's first submission.
    also_holds: list[list[Any]] = field(default_factory=list)

    @property
    def newness(self) -> tuple[str, int]:
        """What orders the submissions of a provider for a country-year: the vintage (one
        without a vintage comes before every one with: an extraction date and a day received
        cannot be compared), then the order received."""
        return (self.vintage or "", self.seq)

    @property
    def base(self) -> str:
        """The submission's id without the mark of a reading again (``-r<n>``): one per
        received bytes."""
        return re.sub(r"-r\d+$", "", self.submission_id)

    @property
    def stem(self) -> str:
        """The name (without suffix) of this submission's Parquet and findings files."""
        return self.data or self.submission_id


def arrow_schema() -> pa.Schema:
    """The one Arrow schema of stored observations (column order of the format)."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {name: pa.string() for name in OBSERVATION_COLUMNS}
    for name in ("year", "value", "lower", "upper"):
        types[name] = pa.int64()
    return pa.schema([(name, types[name]) for name in OBSERVATION_COLUMNS])


def current_of(subs: list[Submission], upto: int | None) -> list[Submission]:
    """The current submission of each (provider, country, year), up to a sequence number:
    the newest (:attr:`Submission.newness`: an older vintage received later does not
    replace a newer one), unless a complete vintage of the provider newer than it no longer
    holds that country-year (withdrawn: none is current)."""
    return standing(subs, upto)[0]


def complete_files(
    subs: list[Submission],
) -> dict[tuple[str, str], tuple[str, set[tuple[str, int]]]]:
    """The complete vintages among ``subs``: per (provider, data file), its vintage and the
    country-years it holds (stored, or held but unreadable: ``also_holds``)."""
    files: dict[tuple[str, str], tuple[str, set[tuple[str, int]]]] = {}
    for sub in subs:
        if sub.complete and sub.vintage:
            _, held = files.setdefault((sub.provider, sub.stem), (sub.vintage, set()))
            held.update((sub.country, year) for year in sub.years)
            held.update((str(c), int(y)) for c, y in sub.also_holds)
    return files


def standing(
    subs: list[Submission], upto: int | None = None
) -> tuple[list[Submission], list[Submission]]:
    """The current submissions (:func:`current_of`) and the withdrawn ones: the newest
    submission of each country-year withdrawn, in the order received."""
    if upto is not None:  # whole files (a compilation's submissions are published at once)
        files_then = {sub.data for sub in subs if sub.seq <= upto and sub.data}
        subs = [s for s in subs if s.seq <= upto or (s.data and s.data in files_then)]
    # the same bytes read again: the latest reading stands for them, the others are gone
    last = {}
    for sub in subs:
        if sub.base not in last or sub.seq > last[sub.base].seq:
            last[sub.base] = sub
    readings = {sub.base: sub.submission_id[len(sub.base) :] for sub in last.values()}
    subs = [s for s in subs if s.submission_id[len(s.base) :] == readings[s.base]]
    latest: dict[tuple[str, str, int], Submission] = {}
    for sub in subs:
        for year in sub.years:
            key = (sub.provider, sub.country, year)
            if key not in latest or sub.newness > latest[key].newness:
                latest[key] = sub
    complete: dict[str, list[tuple[str, set[tuple[str, int]]]]] = {}
    for (provider, _), found in complete_files(subs).items():
        complete.setdefault(provider, []).append(found)
    current: dict[str, Submission] = {}
    withdrawn: dict[str, Submission] = {}
    for (provider, country, year), sub in latest.items():
        mine = sub.newness[0]
        later = complete.get(provider, ())
        if any(vintage > mine and (country, year) not in held for vintage, held in later):
            withdrawn[sub.submission_id] = sub
        else:
            current[sub.submission_id] = sub
    # (a submission is of one year: ingest makes one per provider, country and year)
    current = {k: v for k, v in current.items() if k not in withdrawn}
    return (
        sorted(current.values(), key=lambda s: s.seq),
        sorted(withdrawn.values(), key=lambda s: s.seq),
    )


def parse_moment(text: str) -> dt.datetime:
    try:
        if len(text) == 10:  # a date: the end of that day
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise StoreError(
            f"--as-of {text}: neither a submission id nor an ISO 8601 date or time "
            "(e.g. 2024-03-31 or 2024-03-31T12:00:00Z)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def head_of(manifest: dict[str, Any], size: int) -> dict[str, Any]:
    """The head hint of a manifest whose serialised form has ``size`` bytes."""
    compacted = manifest.get("compacted")
    return {
        "format_version": FORMAT_VERSION,
        "last_seq": max((e["seq"] for e in manifest["submissions"]), default=0),
        "manifest_bytes": size,
        "compacted": {k: compacted[k] for k in ("upto", "file", "totals_file")}
        if compacted
        else None,
    }


def now_iso() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
