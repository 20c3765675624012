"""Several rows of a foreign table mapped to one figure: how they combine.

A layout says it with ``combine:``: rows that differ only in the ``sum`` columns are parts
added up (nested age bands, agencies or regions of one country, several columns for one
code), with every part's cell in the note; rows that differ only in the ``same`` columns give
one figure again (stored once when their values agree). A row identical in every column to an
earlier one is stored once. Anything else is refused whole with a finding that names every
row, their values and the columns they differ in, and says how to declare the sum.

A declared sum is still refused when its parts cannot be parts: two labels that are one text
(``Police`` and ``police``), age bands that overlap (``0 to 14`` beside ``0 to 17``), a part
that is a total (``Total``, or one part equal to the sum of the others), parts of different
definitions, or a part that is blank or cannot be read.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from nremstats.core import codes, labels
from nremstats.core.model import CODED_FIELDS, TOTAL
from nremstats.core.values import ParsedValue, parse_value
from nremstats.returns.layouts.declaration import Layout
from nremstats.returns.layouts.reshape import ACROSS, VALUE
from nremstats.returns.read import text_of

#: The key of a figure within one file (the provider is the layout's).
KEY = ("country", "year", *CODED_FIELDS)
#: Labels that say a row is a total, whatever the column (folded).
TOTAL_WORDS = {"total", "totals", "all", "todos", "todas", "tous", "toutes", "ensemble", "_t"}
#: How many rows a refusal lists with their values.
SHOWN = 12


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
    value_letters: list[str] | None
    parts: dict[int, list[int]]
    dropped: int
    unread_label: np.ndarray

    def value_letter(self, i: int) -> str: ...

    def reject_rows(
        self, positions: Any, rule: str, field: str, text: str, message: str
    ) -> None: ...


def combine_rows(table: Table, out: dict[str, Any]) -> None:
    """Several rows mapped to one key: an exact repeat (every column the same) is stored
    once; rows that differ only in the columns of ``combine: same`` and agree in value
    are stored once; rows that differ only in the columns of ``combine: sum`` (and
    ``same``), each a separate part, are added up (:func:`_sum`); any other group is
    refused whole, naming its rows and the columns they differ in."""
    import pandas as pd

    _incomplete_sums(table, out)
    live = np.flatnonzero(table.readable)
    key = np.zeros(len(live), dtype=np.int64)
    for name in (*KEY, "quarter"):  # one integer a key, kept small by factorizing again
        found, uniques = pd.factorize(out[name][live], use_na_sentinel=False)
        key = pd.factorize(key * (len(uniques) + 1) + found)[0]
    shared = np.bincount(key)[key] > 1 if len(key) else key.astype(bool)
    by_key: dict[int, list[int]] = {}
    for group_key, i in zip(key[shared].tolist(), live[shared].tolist(), strict=True):
        by_key.setdefault(group_key, []).append(i)
    blank = _blank_cells(table, out)
    before = table.readable.copy() if blank else None
    combining = _Combining(table, out)
    for group in by_key.values():
        combining.group(group)
    if before is not None:
        _drop_blank_cells(table, blank, before)


def _summed_fields(layout: Layout, columns: list[str]) -> set[str]:
    """The fields read from the columns of ``combine: sum``."""
    fields = {f for f, spec in layout.columns.items() if set(spec["column"]) & set(columns)}
    if layout.breakdown and layout.breakdown["category"] in columns:
        fields |= {t for t in layout.breakdown["by"].values() if isinstance(t, str)}
    return fields


def _incomplete_sums(table: Table, out: dict[str, Any]) -> None:
    """A row rejected for its label in a summed field may be a part of any figure of its
    breakdown: the figures it could belong to (the same key but that field, not the total)
    are not stored, never as a partial sum."""
    fields = _summed_fields(table.layout, table.sum_columns)
    names = (*KEY, "quarter")
    for field in fields:
        lost = np.flatnonzero(table.unread_label == field).tolist()
        if not lost:
            continue
        others = [n for n in names if n != field]
        keys: dict[tuple[Any, ...], int] = {}
        for i in lost:
            keys.setdefault(tuple(out[n][i] for n in others), i)
        hit: dict[int, list[int]] = {}
        for j in np.flatnonzero(table.readable).tolist():
            first = keys.get(tuple(out[n][j] for n in others))
            if first is not None and out[field][j] != TOTAL:
                hit.setdefault(first, []).append(j)
        for first, rows in hit.items():
            letter = table.letters.get(field) if not table.value_letters else None
            cell = f"{letter or table.value_letter(first)}{table.numbers[first]}"
            message = (
                f"A row of this breakdown by {field} could not be read ({cell}): it may be a "
                "part of this figure, which is added up from parts, so the figure is not "
                "stored (never a partial sum). Map that label, then send the file again"
            )
            table.reject_rows(rows, "SUM_INCOMPLETE", "value", cell, message)


def _blank_cells(table: Table, out: dict[str, Any]) -> list[int]:
    """The rows with a blank value: in a wide table whose columns are added up, its blank
    cells are kept as rows to tell a sum with a blank part from a complete one."""
    layout = table.layout
    if layout.shape != "wide" or layout.across.get("field") not in layout.sum_over:
        return []
    values, statuses = out["value"], out["obs_status"]
    return [
        i for i in range(len(values)) if not str(values[i] or "").strip() and statuses[i] is None
    ]


def _drop_blank_cells(table: Table, blank: list[int], before: np.ndarray) -> None:
    """A blank cell that is no part of a sum refused for it is no observation, as in any
    wide table: not a record, and not a row read."""
    for i in blank:
        if table.readable[i] or not before[i]:
            table.kept[i] = False
            table.readable[i] = False
            table.dropped += 1


class _Combining:
    """The decisions over one table's groups of rows mapped to one key."""

    def __init__(self, table: Table, out: dict[str, Any]) -> None:
        self.table, self.out = table, out
        self.same, self.sums = set(table.same_columns), set(table.sum_columns)
        self.values = {VALUE, *table.layout.columns.get("value", {}).get("column", [])}
        age = table.layout.columns.get("age", {}).get("column", [])
        self.age_columns = {*age, *([ACROSS] if table.layout.across.get("field") == "age" else [])}
        self.where = _own_file(table.layout)  # once a table: resolving paths is slow

    def group(self, rows: list[int]) -> None:
        rows = self._exact_repeats(rows)
        if len(rows) < 2:
            return
        differ = self._differences(rows)
        definitions = {self.out["definition"][i] for i in rows}
        if len(definitions) > 1:
            self._refuse(rows, differ, "They are counted on different definitions, never added")
            return
        parsed = [parse_value(self.out["value"][i]) for i in rows]
        if self.same and differ and set(differ) <= self.same:
            status = self.out["obs_status"]
            if len({_meaning(p, status[i]) for p, i in zip(parsed, rows, strict=True)}) == 1:
                self._once(rows)
                return
            self._refuse(rows, differ, "They are declared the same figure, with other values")
            return
        if self.sums and set(differ) & self.sums and set(differ) <= self.sums | self.same:
            why = self._not_parts(rows, differ, parsed)
            if why is None:
                _sum(self.table, rows, self.out, parsed)
            else:
                self._refuse(rows, differ, f"They are declared parts of a sum, but {why}")
            return
        self._refuse(rows, differ, None)

    def _differences(self, rows: list[int]) -> dict[str, list[str]]:
        """The columns (not the value's) in which ``rows`` differ, with their texts; texts
        that fold to one label (case, accents, repaired letters) do not differ."""
        body, differ = self.table.body, {}
        for j, name in enumerate(self.table.header):
            if name in self.values:
                continue
            texts = [text_of(body[i][j]).strip() for i in rows]
            if len({labels.fold(t) for t in texts}) > 1:
                differ[name] = list(dict.fromkeys(texts))
        if self.table.value_letters:  # two columns of one name are two cells, not one
            letters = [self.table.value_letters[i] for i in rows]
            if len(set(letters)) > 1 and ACROSS not in differ:
                differ["(column)"] = list(dict.fromkeys(letters))
        return differ

    def _not_parts(
        self, rows: list[int], differ: dict[str, list[str]], parsed: list[ParsedValue]
    ) -> str | None:
        """Why the rows cannot be parts of one figure, else None."""
        columns = [j for j, name in enumerate(self.table.header) if name in self.sums]
        parts = [
            tuple(labels.fold(text_of(self.table.body[i][j]).strip()) for j in columns)
            for i in rows
        ]
        if len(set(parts)) < len(parts):
            return "two of them are the same part"
        totals = [t for part in parts for t in part if t in TOTAL_WORDS]
        if totals:
            return f"one of them is a total ('{totals[0]}'): its parts would be counted twice"
        for name in set(differ) & self.age_columns:
            j = self.table.header.index(name)
            bands = [labels.age_band(text_of(self.table.body[i][j]).strip()) for i in rows]
            if None in bands:
                return f"the {name} labels are not all age bands with known limits"
            if _overlap(bands):  # type: ignore[arg-type]
                return f"their age bands overlap ({', '.join(differ[name][:4])})"
        exact = [p.value for p in parsed]
        counted = [v for v in exact if v]  # a part of 0 adds nothing: 5 + 5 + 0 is no total
        if None not in exact and len(counted) > 2 and 2 * max(counted) == sum(counted):
            return "one of them is the sum of the others (a total among the parts?)"
        return None

    def _exact_repeats(self, rows: list[int]) -> list[int]:
        """Drop the rows identical in every column to an earlier one; the others remain."""
        if not self.table.body:
            return rows
        seen: set[tuple[Any, ...]] = set()
        kept, repeats = [], []
        for i in rows:
            whole = tuple((type(v), v) for v in self.table.body[i])
            if self.table.value_letters:  # a wide table's cell: its column too
                whole += (self.table.value_letters[i],)
            (repeats if whole in seen else kept).append(i)
            seen.add(whole)
        if repeats:
            self.table.reject_rows(
                repeats,
                "KEY_REPEATED",
                "value",
                "",
                "The row is identical to an earlier row in every column (the same figure "
                "listed twice): it is stored once",
            )
        return kept

    def _once(self, rows: list[int]) -> None:
        """One figure given in several rows (declared ``same``): stored once, from the first
        row, with a note listing every cell."""
        table, out, first = self.table, self.out, rows[0]
        cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows]
        note = f"the same figure in {len(rows)} rows ({', '.join(cells)})"
        out["note"][first] = "; ".join(n for n in (out["note"][first], note) if n)
        table.sources[first] = int(table.sources[rows].sum())
        table.parts[first] = rows
        table.kept[rows[1:]] = False
        table.readable[rows[1:]] = False

    def _refuse(self, rows: list[int], differ: dict[str, list[str]], why: str | None) -> None:
        """Rows mapped to one key that cannot be combined: none is stored."""
        table, out = self.table, self.out
        across = table.layout.across.get("field", "")
        shown = {(across if n == ACROSS else n or "(unnamed)"): t for n, t in differ.items()}
        key = " ".join(str(out[k][rows[0]]) for k in KEY)
        cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows[:SHOWN]]
        values = ", ".join(f"{c}: {out['value'][i]}" for c, i in zip(cells, rows, strict=False))
        values += f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
        if shown:
            where = "; ".join(f"{n} ({', '.join(map(repr, t[:6]))})" for n, t in shown.items())
            names = ", ".join(shown)
            how = why or (
                f"Declare in {self.where} 'combine: {{sum: [{names}]}}' if they are parts of "
                f"one figure, or 'combine: {{same: [{names}]}}' if they give one figure again; "
                "otherwise correct their labels"
            )
            how = f"They differ in {where}. {how}"
        elif len({str(out["value"][i]).strip() for i in rows}) == 1:
            how = "The figure is given twice (under labels written differently?)"
        else:
            how = "They differ only in their values: the figure is given twice, differently"
        table.reject_rows(
            rows,
            "KEY_DUPLICATE",
            "value",
            key,
            f"{len(rows)} rows map to one figure ({key}), with values {values}. {how}",
        )


def _meaning(parsed: ParsedValue, status: str | None) -> tuple[Any, ...]:
    """What a value says (``1282`` and ``1,282`` say the same)."""
    return (parsed.value, status or parsed.obs_status, parsed.lower, parsed.upper, parsed.blank)


def _overlap(bands: list[tuple[int, int | None]]) -> bool:
    """True when two age bands share an age (``None`` as upper limit: no limit)."""
    ordered = sorted(bands, key=lambda band: band[0])
    for (_, high), (low, _) in zip(ordered, ordered[1:], strict=False):
        if high is None or low <= high:
            return True
    return False


def _own_file(layout: Layout) -> str:
    """Where a user declares something: their layout file, or (for a shipped layout, never
    to be edited) a file of their own that extends it."""
    if layout.path.parent.resolve() == codes.layouts_dir().resolve():
        return f"a layout file of your own (with 'extends: {layout.name}', passed with --layout)"
    return str(layout.path)


def _sum(table: Table, rows: list[int], out: dict[str, Any], parsed: list[ParsedValue]) -> None:
    """Add up the parts of one figure (declared with ``combine: sum``): exact numbers give
    their sum (provisional, estimated or a break when a part is); a ``<5`` part makes the
    sum a range; a part not available (``..``, ``-``) leaves the sum not available, a
    confidential part confidential, parts that cannot exist (``M``) a sum that cannot; a
    blank part or one that cannot be read rejects the sum. The record keeps the first part's
    cell and a note listing every part's cell and mark."""
    cells = [f"{table.value_letter(i)}{table.numbers[i]}" for i in rows]
    for cell, i, part in zip(cells, rows, parsed, strict=True):
        if part.blank or (part.rule and part.rule != "VALUE_DASH"):
            rule = "VALUE_STATUS_CONFLICT" if part.blank else str(part.rule)
            what = "is blank" if part.blank else f"cannot be read ('{out['value'][i]}')"
            message = f"A part of a declared sum {what} at {cell}: the sum is not stored"
            table.reject_rows(rows, rule, "value", str(out["value"][i] or ""), message)
            return
    statuses = [out["obs_status"][i] or p.obs_status for i, p in zip(rows, parsed, strict=True)]
    notes = [f"sum of {len(rows)} rows ({', '.join(cells)})"]
    notes += [f"{c}: {p.mark}" for c, p in zip(cells, parsed, strict=True) if p.mark]
    flags = [s for s in ("E", "P", "B") if s in statuses]
    lower = upper = None
    notes += [
        f"{c}: '-' (nil or not available?)" for c, p in zip(cells, parsed, strict=True) if p.rule
    ]
    if all(s == "M" for s in statuses):
        value, status = "", "M"
    elif any(s == "Q" and p.lower is None for s, p in zip(statuses, parsed, strict=True)):
        value, status = "x", None
        notes.append("a part is confidential")
    elif any(s in ("L", "M") for s in statuses):
        value, status = "..", None
        notes.append("a part is not available")
    elif any(p.lower is not None for p in parsed):
        value, status = "", "Q"
        lower = str(sum(p.lower if p.lower is not None else p.value or 0 for p in parsed))
        upper = str(sum(p.upper if p.upper is not None else p.value or 0 for p in parsed))
        notes.append("a part is a range")
        notes += [f"a part is {_FLAG_NAMES[f]}" for f in flags]
    else:
        total = sum(p.value or 0 for p in parsed)
        value, status = (f"{total} {flags[0].lower()}" if flags else str(total)), None
        notes += [f"a part is {_FLAG_NAMES[f]}" for f in flags[1:]]
    first = rows[0]
    out["value"][first] = value
    out["obs_status"][first] = status
    out["lower"][first], out["upper"][first] = lower, upper
    if status is not None:
        for name in ("obs_status", "lower", "upper"):
            table.letters.setdefault(name, table.letters["value"])
    notes += [out["note"][i] for i in rows if out["note"][i]]
    out["note"][first] = "; ".join(dict.fromkeys(notes))
    table.sources[first] = int(table.sources[rows].sum())
    table.parts[first] = rows
    table.kept[rows[1:]] = False
    table.readable[rows[1:]] = False


_FLAG_NAMES = {"E": "estimated", "P": "provisional", "B": "a break in series"}
