"""Several rows of a foreign table mapped to one figure: how they combine.

A layout says it with ``combine:``: rows that differ only in the ``sum`` columns are parts
added up (nested age bands, agencies or regions of one country, several columns for one
code), with every part's cell in the note; rows that differ only in the ``same`` columns give
one figure again (stored once when their values agree). A row identical in every column to an
earlier one is stored once. Anything else is refused whole with a finding that names every
row, their values and the columns they differ in, and says how to declare the sum.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from nremstats.core import codes, labels
from nremstats.core.model import CODED_FIELDS
from nremstats.core.values import parse_value
from nremstats.returns.layouts.declaration import Layout
from nremstats.returns.layouts.reshape import ACROSS, VALUE
from nremstats.returns.read import text_of

#: The key of a figure within one file (the provider is the layout's).
KEY = ("country", "year", *CODED_FIELDS)


class Coded(Protocol):
    """A column's texts as codes (a ``rows.Column``)."""

    codes: np.ndarray


class Table(Protocol):
    """What combining reads and marks of a table being mapped (a ``RowMapper``)."""

    layout: Layout
    numbers: np.ndarray
    letters: dict[str, str]
    readable: np.ndarray
    kept: np.ndarray
    sources: np.ndarray
    header: list[str]
    body: list[list[Any]]
    sum_columns: list[str]
    same_columns: list[str]

    def value_letter(self, i: int) -> str: ...

    def mask(self, rows: list[int]) -> np.ndarray: ...

    def reject(self, mask: np.ndarray, rule: str, field: str, text: str, message: str) -> None: ...


def combine_rows(table: Table, out: dict[str, Any], texts: dict[str, Coded]) -> None:
    """Several rows mapped to one key: an exact repeat (every column the same) is stored
    once; rows that differ only in the columns of ``combine: same`` and agree in value
    are stored once; rows that differ only in the columns of ``combine: sum`` (and
    ``same``), each part once, are added up (:func:`_sum`); any other group is refused
    whole, naming every row and the columns they differ in."""
    import pandas as pd

    live = np.flatnonzero(table.readable)
    key = np.zeros(len(live), dtype=np.int64)
    for name in (*KEY, "quarter"):  # one integer a key, kept small by factorizing again
        codes, uniques = pd.factorize(out[name][live], use_na_sentinel=False)
        key = pd.factorize(key * (len(uniques) + 1) + codes)[0]
    shared = np.bincount(key)[key] > 1 if len(key) else key.astype(bool)
    by_key: dict[int, list[int]] = {}
    for group_key, i in zip(key[shared].tolist(), live[shared].tolist(), strict=True):
        by_key.setdefault(group_key, []).append(i)
    declared = set(table.sum_columns) | set(table.same_columns)
    for group in by_key.values():
        rows = _exact_repeats(table, group)
        if len(rows) < 2:
            continue
        differ = _differences(table, rows)
        values = {str(out["value"][i]).strip() for i in rows}
        if table.same_columns and set(differ) <= set(table.same_columns) and len(values) == 1:
            _once(table, rows, out)
        elif table.sum_columns and set(differ) <= declared and _distinct(table, rows, texts):
            _sum(table, rows, out)
        else:
            _refuse_many(table, rows, out, differ)


def _differences(table: Table, rows: list[int]) -> dict[str, list[str]]:
    """The columns (not the value's) in which ``rows`` differ, with their texts."""
    values = {VALUE, *table.layout.columns.get("value", {}).get("column", [])}
    differ: dict[str, list[str]] = {}
    for j, name in enumerate(table.header):
        if name in values:
            continue
        texts = [text_of(table.body[i][j]).strip() for i in rows]
        if len({labels.fold(t) for t in texts}) > 1:
            differ[name] = list(dict.fromkeys(texts))
    return differ


def _distinct(table: Table, rows: list[int], texts: dict[str, Coded]) -> bool:
    """True when each row is another part: no two alike in the ``sum`` columns."""
    parts = {tuple(texts[c].codes[i] for c in table.sum_columns) for i in rows}
    return len(parts) == len(rows)


def _once(table: Table, rows: list[int], out: dict[str, Any]) -> None:
    """One figure given in several rows (declared ``same``): stored once, from the first
    row, with a note listing every cell."""
    first = rows[0]
    cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows]
    note = f"the same figure in {len(rows)} rows ({', '.join(cells)})"
    out["note"][first] = "; ".join(n for n in (out["note"][first], note) if n)
    table.sources[first] = int(table.sources[rows].sum())
    table.kept[rows[1:]] = False
    table.readable[rows[1:]] = False


def _exact_repeats(table: Table, rows: list[int]) -> list[int]:
    """Drop the rows identical in every column to an earlier one; the others remain."""
    if not table.body:
        return rows
    seen: dict[tuple[Any, ...], int] = {}
    repeats = []
    for i in rows:
        whole = tuple((type(v), v) for v in table.body[i])
        if whole in seen:
            repeats.append(i)
        else:
            seen[whole] = i
    if repeats:
        table.reject(
            table.mask(repeats),
            "KEY_REPEATED",
            "value",
            "",
            "The row is identical to an earlier row in every column (the same figure "
            "listed twice): it is stored once",
        )
    return [i for i in rows if i not in set(repeats)]


def _refuse_many(
    table: Table, rows: list[int], out: dict[str, Any], differ: dict[str, list[str]]
) -> None:
    """Rows mapped to one key and not declared as parts of a sum: none is stored."""
    across = table.layout.across.get("field", "")
    shown = {(across if name == ACROSS else name or "(unnamed)"): t for name, t in differ.items()}
    key = " ".join(str(out[k][rows[0]]) for k in KEY)
    cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows]
    values = ", ".join(f"{c}: {out['value'][i]}" for c, i in zip(cells, rows, strict=True))
    if shown:
        where = "; ".join(f"{name} ({', '.join(map(repr, t[:6]))})" for name, t in shown.items())
        names = ", ".join(shown)
        how = (
            f"They differ in {where}. Declare in {_own_file(table.layout)} "
            f"'combine: {{sum: [{names}]}}' if they are parts of one figure, or "
            f"'combine: {{same: [{names}]}}' if they give one figure again; otherwise "
            "correct their labels"
        )
    else:
        how = "They differ only in their values: the figure is given twice, differently"
    table.reject(
        table.mask(rows),
        "KEY_DUPLICATE",
        "value",
        key,
        f"{len(rows)} rows map to one figure ({key}), with values {values}. {how}",
    )


def _own_file(layout: Layout) -> str:
    """Where a user declares something: their layout file, or (for a shipped layout, never
    to be edited) a file of their own that extends it."""
    if layout.path.parent.resolve() == codes.layouts_dir().resolve():
        return f"a layout file of your own (with 'extends: {layout.name}', passed with --layout)"
    return str(layout.path)


def _sum(table: Table, rows: list[int], out: dict[str, Any]) -> None:
    """Add up the parts of one figure (declared with ``combine: sum``): exact numbers
    give their sum; a ``<5`` part makes the sum a range; a part not available (``..``,
    blank) or confidential leaves the sum without a value. The record keeps the first
    part's cell and a note listing every part's cell."""
    parts = []
    for i in rows:
        parsed = parse_value(out["value"][i])
        if parsed.rule and parsed.rule != "VALUE_DASH":
            cell = f"{table.value_letter(i)}{table.numbers[i]}"
            table.reject(
                table.mask(rows),
                parsed.rule,
                "value",
                str(out["value"][i]),
                f"A part of a declared sum cannot be read ('{out['value'][i]}' at {cell}): "
                "the sum is not stored",
            )
            return
        parts.append((out["obs_status"][i] or parsed.obs_status, parsed))
    first = rows[0]
    cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows]
    statuses = {status for status, _ in parts}
    note = f"sum of {len(rows)} rows ({', '.join(cells)})"
    lower = upper = None
    if any(p.blank or s in ("L", "M") for s, p in parts):
        value, status, note = "..", None, f"{note}; a part is not available"
    elif any(s == "Q" and p.lower is None for s, p in parts):
        value, status, note = "x", None, f"{note}; a part is confidential"
    elif any(p.lower is not None for _, p in parts):
        value, status = "", "Q"
        lower = str(sum(p.lower if p.lower is not None else p.value or 0 for _, p in parts))
        upper = str(sum(p.upper if p.upper is not None else p.value or 0 for _, p in parts))
        note = f"{note}; a part is a range"
    else:
        total = sum(p.value or 0 for _, p in parts)
        flag = next((f for f in ("E", "P", "B") if f in statuses), None)
        value, status = (f"{total} {flag.lower()}" if flag else str(total)), None
    out["value"][first] = value
    out["obs_status"][first] = status
    out["lower"][first], out["upper"][first] = lower, upper
    if lower is not None:
        for name in ("obs_status", "lower", "upper"):
            table.letters.setdefault(name, table.letters["value"])
    notes = [out["note"][i] for i in rows if out["note"][i]]
    out["note"][first] = "; ".join(dict.fromkeys([note, *notes]))
    table.sources[first] = int(table.sources[rows].sum())
    table.kept[rows[1:]] = False
    table.readable[rows[1:]] = False
