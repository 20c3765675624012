"""Reconciliation across providers: every figure (country, year, indicator and breakdown)
that two or more providers report, their current values side by side, and those that
disagree beyond a tolerance, each with both provenances and, where the data says why, the
kind of difference (``reconcile``; docs/cli-contract.md). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nremstats.core.errors import OptionError
from nremstats.core.model import DIMENSIONS

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.store.store import Store

#: The columns naming one figure, whoever reports it.
KEY = ["country", "year", "indicator", *DIMENSIONS]
#: What each provider's value carries.
VALUE = [
    "provider", "value", "obs_status", "lower", "upper", "definition", "submission_id",
    "source_file", "sheet", "cell",
]  # fmt: skip
FORMAT_VERSION = 1
#: Kinds of difference, the first that applies: another victim definition, a provisional
#: figure, a range (a country's ``<5``) against a number outside it or another range, a
#: figure one provider has and another says it does not (not available), the same count
#: with another status (estimated, break), or the values.
KINDS = ("definition", "provisional", "range", "missing", "status", "value")


@dataclass
class Reconciliation:
    """The figures reported by more than one provider, compared."""

    compared: int = 0
    agreements: int = 0
    discrepancies: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "compared": self.compared,
            "agreements": self.agreements,
            "discrepancies": self.discrepancies,
        }

    def rows(self) -> list[list[Any]]:
        """A header and one row per provider's value of each discrepancy (CSV, text)."""
        out: list[list[Any]] = [[*KEY, "kind", *VALUE]]
        for found in self.discrepancies:
            for value in found["values"]:
                out.append([*(found[k] for k in KEY), found["kind"], *(value[k] for k in VALUE)])
        return out


def reconcile(
    store: Store,
    country: str | None = None,
    years: str | None = None,
    indicator: str | None = None,
    tolerance: float = 0.0,
    countries: set[str] | None = None,
    upto: int | None = None,
) -> Reconciliation:
    """Compare the current figures of every provider (see module docstring). ``years``:
    ``A-B`` or ``A``; ``tolerance``: a difference of at most this percentage of the larger
    value agrees; ``countries``: only these (read alone); ``upto``: a past state
    (``Store.resolve_as_of``).

    Raises:
        OptionError: ``years`` or ``tolerance`` not understood.
    """
    if not 0 <= tolerance < float("inf"):
        raise OptionError(f"--tolerance {tolerance}: a percentage of 0 or more.")
    first, last = _years(years)
    if country:
        countries = {country.upper()}
    frame = store.observations(countries, upto)
    keep = frame["year"].between(first, last)
    if country:
        keep &= frame["country"] == country.upper()
    if indicator:
        keep &= frame["indicator"] == indicator.upper()
    frame = frame[keep]
    providers = frame.groupby(KEY, sort=False)["provider"].transform("nunique")
    shared = frame[providers > 1].sort_values([*KEY, "provider"], kind="stable")
    found = Reconciliation()
    for key, rows in shared.groupby(KEY, sort=True):
        found.compared += 1
        kind = _kind(rows, tolerance / 100.0)
        if kind is None:
            found.agreements += 1
            continue
        entry: dict[str, Any] = dict(zip(KEY, key, strict=True))
        entry["year"] = int(entry["year"])
        entry["kind"] = kind
        entry["values"] = [_value(row) for row in rows[VALUE].to_dict("records")]
        found.discrepancies.append(entry)
    return found


def _kind(rows: pd.DataFrame, tolerance: float) -> str | None:
    """The kind of difference between the providers' values of one figure, None when
    they agree (the same value within the tolerance, the same status and range)."""
    import pandas as pd

    values = [None if pd.isna(v) else int(v) for v in rows["value"]]
    lows = [None if pd.isna(v) else int(v) for v in rows["lower"]]
    highs = [None if pd.isna(v) else int(v) for v in rows["upper"]]
    statuses = list(rows["obs_status"].fillna("A"))
    numbers = [v for v in values if v is not None]
    ranges = [(low, high) for v, low, high in zip(values, lows, highs, strict=True) if v is None]
    if numbers and len(numbers) == len(values):
        top = max(abs(v) for v in numbers)
        if max(numbers) - min(numbers) <= tolerance * top and len(set(statuses)) == 1:
            return None
    elif not numbers and len(set(zip(lows, highs, statuses, strict=True))) == 1:
        return None  # the same range, or the same mark of no figure
    elif numbers and max(numbers) - min(numbers) <= tolerance * max(map(abs, numbers)):
        inside = all(
            low is not None and low <= v and (high is None or v <= high)
            for v in numbers
            for low, high in ranges
        )
        if inside:
            return None  # a number within the other's range (a country's <5 and its 3)
    definitions = {d for d in rows["definition"] if isinstance(d, str) and d}
    if len(definitions) > 1:
        return "definition"
    if "P" in statuses:
        return "provisional"
    if any(low is not None for low in lows):
        return "range"
    if len(numbers) < len(values):
        return "missing"
    if max(numbers) - min(numbers) <= tolerance * max(map(abs, numbers)):
        return "status"  # the same count, marked otherwise (estimated, a break in series)
    return "value"


def _value(row: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    out: dict[str, Any] = {}
    for name in VALUE:
        item = row[name]
        if pd.isna(item):
            out[name] = None
        else:
            out[name] = int(item) if name in ("value", "lower", "upper") else str(item)
    return out


def _years(text: str | None) -> tuple[int, int]:
    if not text:
        return -(10**9), 10**9
    first, dash, last = text.partition("-")
    try:
        low, high = int(first), int(last if dash else first)
    except ValueError:
        raise OptionError(f"--years {text}: a year or a range such as 2019-2022.") from None
    if low > high:
        raise OptionError(f"--years {text}: the first year is after the last.")
    return low, high
