"""What the store holds over time: coverage, a country's submissions, and what changed.

Everything here reads the manifest (and, for a diff, two submissions' files); nothing writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nremstats.core.errors import StoreError
from nremstats.core.model import DIMENSIONS
from nremstats.store.manifest import standing

if TYPE_CHECKING:
    from nremstats.store.manifest import Submission
    from nremstats.store.store import Store

DIFF_KEYS = ("provider", "indicator", *DIMENSIONS)
#: What a diff says of each side's figure (``lower``, ``upper``: a range's bounds).
FIGURE = ("value", "obs_status", "lower", "upper")


def _public(
    sub: Submission, current: set[str], withdrawn: set[str] | None = None
) -> dict[str, Any]:
    """A submission as scripts see it (the CLI contract's keys first); ``state``: current,
    superseded (a newer one, or a newer vintage, is current) or withdrawn (a newer complete
    vintage of its provider no longer holds its country-year)."""
    data = dict(vars(sub))  # shallow: these dicts are only read
    data["current"] = sub.submission_id in current
    gone = sub.submission_id in (withdrawn or set())
    data["state"] = "current" if data["current"] else "withdrawn" if gone else "superseded"
    order = [
        "submission_id", "provider", "country", "years", "file", "sha256", "received_at",
        "status", "current", "state", "vintage",
    ]  # fmt: skip
    return {**{k: data[k] for k in order}, **{k: v for k, v in data.items() if k not in order}}


@dataclass
class Coverage:
    """Country x year: the current submissions of each cell (one per provider)."""

    countries: list[str]
    years: list[int]
    cells: dict[tuple[str, int], list[dict[str, Any]]]
    #: Per country-year of several providers: how many of their shared figures differ
    #: (:mod:`nremstats.store.reconcile`).
    differ: dict[tuple[str, int], int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "countries": self.countries,
            "years": self.years,
            "cells": [
                {
                    "country": c,
                    "year": y,
                    "submissions": subs,
                    "providers_agree": None
                    if (c, y) not in self.differ
                    else self.differ[(c, y)] == 0,
                    "discrepancies": self.differ.get((c, y), 0),
                }
                for (c, y), subs in sorted(self.cells.items())
            ],
        }

    def rows(self) -> list[list[str]]:
        """Text rows: header, then one row per country; a cell lists provider:status, and
        for several providers whether their figures agree (``= agree``, ``≠ N`` differ)."""
        out = [["country", *map(str, self.years)]]
        for country in self.countries:
            row = [country]
            for year in self.years:
                subs = self.cells.get((country, year), [])
                text = " ".join(f"{s['provider']}:{s['status']}" for s in subs)
                if (country, year) in self.differ:
                    n = self.differ[(country, year)]
                    text += " (= agree)" if n == 0 else f" (≠ {n})"
                row.append(text)
            out.append(row)
        return out


def coverage(store: Store, year: int | None = None) -> Coverage:
    """Which country-years the store covers, by whom, in what state (``status`` command)."""
    current = store.current_submissions()
    ids = {sub.submission_id for sub in current}
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for sub in current:
        for y in sub.years:
            if year is None or y == year:
                cells.setdefault((sub.country, y), []).append(_public(sub, ids))
    for subs in cells.values():
        subs.sort(key=lambda s: (s["provider"] != s["country"], s["provider"]))
    found = Coverage(
        countries=sorted({c for c, _ in cells}), years=sorted({y for _, y in cells}), cells=cells
    )
    shared = {key for key, subs in cells.items() if len({s["provider"] for s in subs}) > 1}
    if shared:
        from nremstats.store.reconcile import reconcile

        asked = None if year is None else str(year)
        compared = reconcile(store, years=asked, countries={c for c, _ in shared})
        found.differ = dict.fromkeys(shared, 0)
        for entry in compared.discrepancies:
            where = (entry["country"], entry["year"])
            found.differ[where] = found.differ.get(where, 0) + 1
    return found


def submission_history(store: Store, country: str, year: int | None = None) -> list[dict]:
    """Every submission of a country (optionally one year), oldest first, with ``current``.

    Raises:
        StoreError: the store has no submission for this country (or year).
    """
    country = country.upper()
    current, withdrawn = standing(store.submissions())
    ids = {sub.submission_id for sub in current}
    gone = {sub.submission_id for sub in withdrawn}
    subs = [
        _public(sub, ids, gone)
        for sub in store.submissions()
        if sub.country == country and (year is None or year in sub.years)
    ]
    if not subs:
        what = f"{country} {year}" if year is not None else country
        raise StoreError(f"The store {store.path} has no submission for {what}.")
    return subs


@dataclass
class Diff:
    """Values added, removed and changed between two submissions of a country-year."""

    from_id: str
    to_id: str
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.from_id, "to": self.to_id, "changes": self.changes}


def _values(store: Store, sub: Submission, year: int) -> dict[tuple, dict[str, Any]]:
    import pandas as pd

    frame = store.read_submissions([sub]).to_pandas()
    frame = frame[frame["year"] == year]
    out = {}
    for record in frame.to_dict("records"):
        value = record["value"]
        out[tuple(record[k] for k in DIFF_KEYS)] = {
            "value": None if pd.isna(value) else int(value),
            "obs_status": record["obs_status"],
            "lower": None if pd.isna(record["lower"]) else int(record["lower"]),
            "upper": None if pd.isna(record["upper"]) else int(record["upper"]),
            "cell": record["cell"],
        }
    return out


def diff(
    store: Store,
    country: str,
    year: int,
    from_id: str | None = None,
    to_id: str | None = None,
) -> Diff:
    """Compare two submissions of a country-year (default: the two latest).

    Raises:
        StoreError: unknown submission ids, submissions not covering this country-year, or
            fewer than two submissions to compare.
    """
    country = country.upper()
    subs = [s for s in store.submissions() if s.country == country and year in s.years]
    if not subs:
        raise StoreError(f"The store {store.path} has no submission for {country} {year}.")
    subs.sort(key=lambda s: s.newness)  # the newest vintage last, then the last received
    new = store.submission(to_id) if to_id else subs[-1]
    if from_id:
        old = store.submission(from_id)
    else:
        earlier = [s for s in subs if s.newness < new.newness]
        if not earlier:
            raise StoreError(
                f"Nothing to compare for {country} {year}: {new.submission_id} is its first "
                "submission. 'nremstats history' lists them."
            )
        old = earlier[-1]
    for sub in (old, new):
        if sub.country != country or year not in sub.years:
            raise StoreError(
                f"Submission {sub.submission_id} is for {sub.country} {sub.years}, not "
                f"{country} {year}."
            )
    before, after = _values(store, old, year), _values(store, new, year)
    changes = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and all(a[k] == b[k] for k in FIGURE):
            continue  # the same figure (a range's bounds too: <5 to 5-9 is a change)
        kind = "added" if a is None else "removed" if b is None else "changed"
        entry: dict[str, Any] = {"country": country, "year": year}
        entry.update(dict(zip(DIFF_KEYS, key, strict=True)))
        entry["change"] = kind
        entry["old"] = None if a is None else {k: a[k] for k in FIGURE}
        entry["new"] = None if b is None else {k: b[k] for k in FIGURE}
        entry["cell"] = (b or a or {}).get("cell")
        changes.append(entry)
    return Diff(old.submission_id, new.submission_id, changes)


def vintage_diff(
    store: Store,
    provider: str,
    from_at: str,
    to_at: str,
    country: str | None = None,
    year: int | None = None,
) -> Diff:
    """Compare a provider's figures between two of its vintages, for one country (and
    year) or all: each side is what was current of the provider at that vintage (``DATE``:
    the newest vintage on or before it, complete vintages withdrawing what they no longer
    hold), or in the file of a submission (``ID``).

    Raises:
        StoreError: no submission of the provider, or an id or date that names none.
    """
    from nremstats.store.revisions import compare

    provider = provider.upper()
    subs = [s for s in store.submissions() if s.provider == provider]
    if not subs:
        raise StoreError(f"The store {store.path} has no submission of {provider}.")
    sides = [_at_vintage(store, subs, at) for at in (from_at, to_at)]
    if country is not None:
        country = country.upper()
        sides = [[s for s in side if s.country == country] for side in sides]
    if year is not None:
        sides = [[s for s in side if year in s.years] for side in sides]
    merged = compare(store, *sides)
    changes = []
    for row in merged[merged["change"].notna()].sort_values(KEYS).to_dict("records"):
        entry: dict[str, Any] = {"country": row["country"], "year": int(row["year"])}
        entry.update({k: row[k] for k in DIFF_KEYS})
        entry["change"] = row["change"]
        for side in ("old", "new"):
            gone = row["change"] == ("added" if side == "old" else "removed")
            entry[side] = None if gone else _figure(row, side)
        entry["cell"] = row["cell_new"] if row["change"] != "removed" else row["cell_old"]
        changes.append(entry)
    return Diff(from_at, to_at, changes)


#: The order of a vintage diff's changes.
KEYS = ["country", "year", *DIFF_KEYS]


def _figure(row: dict[str, Any], side: str) -> dict[str, Any]:
    import pandas as pd

    def number(name: str) -> int | None:
        value = row.get(f"{name}_{side}")
        return None if value is None or pd.isna(value) else int(value)

    return {
        "value": number("value"),
        "obs_status": row[f"obs_status_{side}"],
        "lower": number("lower"),
        "upper": number("upper"),
    }


def _at_vintage(store: Store, subs: list[Submission], at: str) -> list[Submission]:
    """The provider's current submissions at a vintage date, or of one submission's file."""
    import datetime as dt

    from nremstats.store.manifest import current_of

    named = next((s for s in subs if s.submission_id == at), None)
    if named is not None:  # the submissions of its file, as read then
        return [s for s in subs if s.stem == named.stem] if named.data else [named]
    try:
        day = dt.date.fromisoformat(at).isoformat()
    except ValueError:
        raise StoreError(
            f"{at}: neither a submission id of this provider nor a date written YYYY-MM-DD."
        ) from None
    found = current_of([s for s in subs if s.newness[0] <= day], None)
    if not found:
        raise StoreError(f"No vintage of {subs[0].provider} on or before {day} in {store.path}.")
    return found
