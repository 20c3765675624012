"""What earlier publications released: one record per release in ``releases/`` of a store.

A release (an SDMX-CSV export, a report, a comparison table, a chart) publishes some cells
and hides others. Once published, a count is known for good: a later release that hid it, or
hid a cell it gives away, protects nothing. So every release records the cells it covered:
their key, the submission they came from, their value (internal, like the store itself)
and whether they were printed or hidden (``releases/<n>.parquet``, numbered in order, with
the date, kind and store state in the file's metadata). :mod:`nremstats.publish.release`
reads them back into the intruder's model of the next release.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Any

from nremstats.core.files import replace_durably
from nremstats.core.model import DIMENSIONS

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.store.store import Store

FOLDER = "releases"
#: The columns of a release record.
COLUMNS = ("indicator", "country", "year", *DIMENSIONS, "submission_id", "value", "published")


def record_release(store: Store, cells: pd.DataFrame, kind: str, upto: int | None) -> int:
    """Record a release of ``cells`` (the columns of :data:`COLUMNS`) under the store's lock;
    returns its number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = store.path / FOLDER
    with store.lock():
        folder.mkdir(exist_ok=True)
        number = 1 + max(
            (int(p.stem) for p in folder.glob("*.parquet") if p.stem.isdigit()), default=0
        )
        table = pa.Table.from_pandas(cells[list(COLUMNS)], preserve_index=False)
        meta = {
            "kind": kind,
            "made": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "as_of": upto,
            "cells": len(cells),
        }
        table = table.replace_schema_metadata({"nremstats": json.dumps(meta)})
        target = folder / f"{number:05d}.parquet"
        tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        pq.write_table(table, tmp, compression="zstd")
        replace_durably(tmp, target)
    return number


def earlier_releases(store: Store) -> pd.DataFrame | None:
    """Every cell an earlier release covered (the columns of :data:`COLUMNS` and
    ``release``, its number), or None."""
    import pandas as pd
    import pyarrow.parquet as pq

    folder = store.path / FOLDER
    files = (
        sorted(p for p in folder.glob("*.parquet") if p.stem.isdigit()) if folder.is_dir() else []
    )
    if not files:
        return None
    return pd.concat(
        [pq.read_table(p).to_pandas().assign(release=int(p.stem)) for p in files],
        ignore_index=True,
    )


def release_log(store: Store) -> list[dict[str, Any]]:
    """Number, kind, date, store state and cells of every recorded release."""
    import pyarrow.parquet as pq

    folder = store.path / FOLDER
    out = []
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if path.stem.isdigit():
            meta = pq.read_schema(path).metadata or {}
            out.append({"release": int(path.stem), **json.loads(meta.get(b"nremstats", b"{}"))})
    return out
