"""Plausibility rules (warnings): the persons funnel, year-on-year changes, definition breaks.

They compare totals (every breakdown ``_T``, see :func:`totals`) of the same provider and
country: within the return, and with the previous year held in the store (``history``),
where a return is checked against a store. Each check takes the return's totals.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING

from nremstats.core.findings import Finding
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.returns.balance import bounds
from nremstats.returns.located import Located, place_finding
from nremstats.returns.rules import RuleSet

if TYPE_CHECKING:
    import pandas as pd

FUNNEL = (("PERSONS_PROSECUTED", "PERSONS_SUSPECTED"), ("PERSONS_CONVICTED", "PERSONS_PROSECUTED"))
EXACT = ("A", "P", "E", "B")


def totals(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose every breakdown is ``_T``."""
    return frame[functools.reduce(operator.and_, (frame[dim] == TOTAL for dim in DIMENSIONS))]


#: The columns a plausibility finding reads (plus any per-record place column ``*_cell``).
_NEEDED = (
    "provider", "country", "year", "indicator", "value", "obs_status", "definition", "text",
    "sheet", "cell", "row", "_low", "_high", "_source",
)  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict]:
    """The rows as dicts of the needed columns only (nulls as None): far cheaper than
    ``to_dict("records")`` over every column."""
    names = [n for n in _NEEDED if n in frame] + [c for c in frame if str(c).endswith("_cell")]
    columns = [frame[n].to_numpy(dtype=object, na_value=None) for n in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _finding(
    rule: str,
    located: Located,
    record: dict,
    message: str,
    cells: tuple[str, ...] = (),
    field: str = "value",
) -> Finding:
    text = record["text"] if field == "value" else record.get(field) or ""
    return place_finding(located, record, field, rule, message, text, cells)


def check_funnel(data: pd.DataFrame, located: Located, ruleset: RuleSet) -> list[Finding]:
    """Convicted <= prosecuted <= suspected, same provider, country and year (bounds)."""
    rule = "PLAUSIBILITY_FUNNEL"
    if not ruleset.enabled(rule):
        return []
    low, high = bounds(data)
    data = data.assign(_low=low, _high=high)
    by_key = {(r["provider"], r["country"], r["year"], r["indicator"]): r for r in _records(data)}
    findings = []
    for (provider, country, year, indicator), record in sorted(by_key.items()):
        for child, parent in FUNNEL:
            other = by_key.get((provider, country, year, parent))
            if indicator != child or other is None or record["_low"] <= other["_high"]:
                continue
            message = (
                f"{country} {year}: {child} ({record['text']}) is more than {parent} "
                f"({other['text']}, cell {other['cell']}). Check both figures, or explain "
                "the difference in a note (e.g. cases from earlier years)."
            )
            findings.append(
                _finding(rule, located, record, message, (record["cell"], other["cell"]))
            )
    return findings


def _exact(data: pd.DataFrame) -> pd.DataFrame:
    return data[data["value"].notna() & data["obs_status"].isin(EXACT)]


def check_year_change(
    frame: pd.DataFrame, located: Located, ruleset: RuleSet, history: pd.DataFrame | None
) -> list[Finding]:
    """A total that moved by more than ``factor`` and ``min_change`` since the previous year."""
    import pandas as pd

    rule = "PLAUSIBILITY_YEAR_CHANGE"
    if not ruleset.enabled(rule):
        return []
    factor = ruleset.param(rule, "factor")
    min_change = ruleset.param(rule, "min_change")
    current = _exact(frame)
    previous = [current.assign(_source="this return")]
    if history is not None and len(history):
        years = set(zip(current["provider"], current["country"], current["year"], strict=True))
        past = _exact(totals(history))
        keep = [
            k not in years
            for k in zip(past["provider"], past["country"], past["year"], strict=True)
        ]
        previous.append(past[keep].assign(_source=past["source_file"][keep]))
    before = pd.concat(previous, ignore_index=True)
    lookup = {(r["provider"], r["country"], r["indicator"], r["year"]): r for r in _records(before)}
    findings = []
    for record in _records(current):
        if not ruleset.applies(rule, record["indicator"]):
            continue
        prior = lookup.get(
            (record["provider"], record["country"], record["indicator"], record["year"] - 1)
        )
        if prior is None:
            continue
        new, old = int(record["value"]), int(prior["value"])
        ratio = max(new, old) / max(min(new, old), 1)
        if ratio <= factor or abs(new - old) < min_change:
            continue
        where = "this return" if prior["_source"] == "this return" else prior["_source"]
        message = (
            f"{record['country']} {record['indicator']} {record['year']}: {new} against "
            f"{old} in {record['year'] - 1} ({where}, cell {prior['cell']}), a change of "
            f"x{ratio:.1f}. Confirm the figure, or explain it in a note."
        )
        findings.append(_finding(rule, located, record, message))
    return findings


def check_definition_change(
    frame: pd.DataFrame, located: Located, ruleset: RuleSet, history: pd.DataFrame | None
) -> list[Finding]:
    """Victims on another definition than the same provider's previous year."""
    import pandas as pd

    rule = "DEFINITION_CHANGED"
    if not ruleset.enabled(rule):
        return []
    keys = ["provider", "country", "year", "definition"]
    victims = frame[(frame["indicator"] == "VICTIMS_DETECTED") & frame["definition"].notna()]
    victims = victims.drop_duplicates(keys)  # one total per definition and country-year
    sources = [victims.assign(_source="this return")]
    if history is not None and len(history):
        past = totals(history)
        past = past[(past["indicator"] == "VICTIMS_DETECTED") & past["definition"].notna()]
        past = past.drop_duplicates(keys)
        sources.append(past.assign(_source=past["source_file"]))
    known: dict[tuple, tuple[str, str]] = {}
    for r in _records(pd.concat(sources, ignore_index=True)):
        known.setdefault((r["provider"], r["country"], r["year"]), (r["definition"], r["_source"]))
    findings = []
    seen = set()
    for record in _records(victims):
        key = (record["provider"], record["country"], record["year"])
        prior = known.get((key[0], key[1], key[2] - 1))
        if key in seen or prior is None or prior[0] == record["definition"]:
            continue
        seen.add(key)
        message = (
            f"{record['country']} {record['year']}: victims are counted as "
            f"{record['definition']}, but as {prior[0]} in {key[2] - 1} ({prior[1]}). If the "
            "series breaks, mark the values with status B (write '123 b')."
        )
        findings.append(_finding(rule, located, record, message, field="definition"))
    return findings
