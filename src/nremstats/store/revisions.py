"""What an ingest changed in the current figures: per received file, the values added,
changed and removed against what was current before for the same provider, country and year,
the values its complete vintage withdrew, and the largest changes (``files[].revisions``).
Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nremstats.core.model import DIMENSIONS

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.store.manifest import Submission
    from nremstats.store.store import Store

#: The columns that name one figure of a provider.
KEY = ["provider", "country", "year", "indicator", *DIMENSIONS]
#: What makes two figures of one key different.
COMPARED = ["value", "obs_status", "lower", "upper"]
#: The largest changes listed per file.
LARGEST = 10


@dataclass
class Revisions:
    """The changes one file made to the current figures."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    withdrawn: int = 0
    largest: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "withdrawn": self.withdrawn,
            "largest": list(self.largest),
        }


def revisions(
    store: Store,
    before: list[Submission],
    now: list[Submission],
    withdrawn: list[Submission],
) -> Revisions:
    """The changes made by ``now`` (a file's submissions that are current after the
    ingest) to ``before`` (what was current before it, of any provider), and the values of
    ``withdrawn`` (submissions current before that its complete vintage withdrew)."""

    covered = {(s.provider, s.country, year) for s in now for year in s.years}
    replaced = [
        s
        for s in before
        if any((s.provider, s.country, year) in covered for year in s.years)
        and s.submission_id not in {n.submission_id for n in now}
    ]
    merged = compare(store, replaced, now)
    changed = merged[merged["change"] == "changed"]
    found = Revisions(
        added=int((merged["change"] == "added").sum()),
        changed=len(changed),
        removed=int((merged["change"] == "removed").sum()),
        withdrawn=len(_rows(store, withdrawn)) if withdrawn else 0,
    )
    found.largest = _largest(changed)
    return found


def compare(store: Store, old: list[Submission], new: list[Submission]) -> pd.DataFrame:
    """The figures of ``old`` against those of ``new``, one row per key of either, with
    ``<column>_old`` and ``<column>_new`` and ``change``: ``added``, ``removed``,
    ``changed`` (value, status or range) or None (the same)."""
    import numpy as np
    import pandas as pd

    merged = _rows(store, old).merge(
        _rows(store, new), on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    differs = pd.Series(False, index=merged.index)
    for column in COMPARED:
        a, b = merged[f"{column}_old"], merged[f"{column}_new"]
        differs |= ~((a == b).fillna(False) | (a.isna() & b.isna()))
    where = merged.pop("_merge").astype(str)
    merged["change"] = np.select(
        [where == "right_only", where == "left_only", differs.to_numpy()],
        ["added", "removed", "changed"],
        default=None,
    )
    return merged


def _rows(store: Store, subs: list[Submission]) -> pd.DataFrame:
    columns = [*KEY, *COMPARED, "sheet", "cell"]
    return store.read_submissions(subs, columns=columns).to_pandas() if subs else _empty(columns)


def _empty(columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _largest(changed: pd.DataFrame) -> list[dict[str, Any]]:
    """The changes with the largest difference in value first (a change of status or range
    without one after them)."""
    if changed.empty:
        return []
    import pandas as pd

    size = (changed["value_new"].astype("Float64") - changed["value_old"].astype("Float64")).abs()
    order = size.fillna(-1).sort_values(ascending=False, kind="stable").index[:LARGEST]
    out = []
    for _, row in changed.loc[order].iterrows():
        entry = {k: (int(row[k]) if k == "year" else row[k]) for k in KEY}
        for side in ("old", "new"):
            value = row[f"value_{side}"]
            entry[side] = {
                "value": None if pd.isna(value) else int(value),
                "obs_status": row[f"obs_status_{side}"],
            }
        entry["sheet"] = None if pd.isna(row["sheet_new"]) else row["sheet_new"]
        entry["cell"] = None if pd.isna(row["cell_new"]) else row["cell_new"]
        out.append(entry)
    return out
