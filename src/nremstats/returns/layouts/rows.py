"""The rows of a foreign table mapped to codes, each row read or rejected with a reason.

:class:`Column` holds one column's distinct texts (each mapped once, however many rows
repeat it); :class:`RowMapper` maps the columns a layout reads to codes (labels, countries,
age bands, breakdown pairs, flags, quarters) and rejects a row for its first problem;
:class:`Problems` gathers the rejected rows into one finding per (rule, field, text) that
lists every cell, with the closest known labels and the line to add.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from nremstats.core import codes, labels
from nremstats.core.findings import Finding, finding
from nremstats.core.model import CODED_FIELDS, DIMENSIONS, NATIONAL, TOTAL
from nremstats.core.values import parse_value
from nremstats.returns.layouts.combine import KEY, combine_rows
from nremstats.returns.layouts.declaration import AS_TOTAL, Layout
from nremstats.returns.located import TEXT_FIELDS
from nremstats.returns.read import text_of


class Problems:
    """Collects rejected rows, one finding per (rule, field, text) listing every cell."""

    def __init__(self, file: str, sheet: str | None) -> None:
        self.file, self.sheet = file, sheet
        self.groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(
        self, rule: str, field: str, text: str, message: str, cells: list[str], rows: list[int]
    ) -> None:
        group = self.groups.setdefault(
            (rule, field, text), {"message": message, "cells": [], "rows": []}
        )
        group["cells"] += cells
        group["rows"] += rows

    def findings(self) -> list[Finding]:
        out = []
        for (rule, _, text), group in self.groups.items():
            cells = tuple(group["cells"])
            count = len(cells)
            rows = "row" if count == 1 else f"{count} rows"
            message = f"{group['message']} ({rows}, first at {cells[0]}; not stored)."
            out.append(
                finding(
                    rule,
                    self.file,
                    message,
                    sheet=self.sheet,
                    cell=cells[0],
                    cells=cells,
                    row=group["rows"][0],
                    text=text,
                )
            )
        return out


class Column:
    """One column's texts as integer codes into its distinct (stripped) texts; a workbook's
    numbers become text here, each distinct value once."""

    def __init__(self, rows: list[list[Any]], index: int) -> None:
        seen: dict[Any, int] = {}
        positions = [seen.setdefault(row[index], len(seen)) for row in rows]  # beats numpy
        values = list(seen)
        if any(type(value) is bool or value == 1 for value in values):
            # True == 1.0 as dict keys: keep booleans apart from numbers
            typed: dict[tuple[type, Any], int] = {}
            positions = [typed.setdefault((type(r[index]), r[index]), len(typed)) for r in rows]
            values = [value for _, value in typed]
        stripped: dict[str, int] = {}
        remap = [stripped.setdefault(text_of(value).strip(), len(stripped)) for value in values]
        self.codes: np.ndarray = (
            np.asarray(remap, dtype=np.int64)[positions] if rows else (np.zeros(0, dtype=np.int64))
        )  # ' Total' and 'Total' are one text
        self.texts: list[str] = list(stripped)

    def where(self, k: int) -> np.ndarray:
        return self.codes == k

    def map(self, mapping: list[str | None]) -> np.ndarray:
        """Each row's code under ``mapping`` (one entry per distinct text)."""
        return np.asarray(mapping, dtype=object)[self.codes] if len(self.codes) else self.codes


class RowMapper:
    """Maps the columns of one foreign table to codes, rejecting rows with a finding."""

    def __init__(
        self,
        layout: Layout,
        numbers: np.ndarray,
        letters: dict[str, str],
        problems: Problems,
        value_letters: list[str] | None = None,
    ) -> None:
        self.layout, self.numbers, self.letters, self.problems = layout, numbers, letters, problems
        #: for a wide table, the column letter of each record's value
        self.value_letters = value_letters
        self.readable = np.ones(len(numbers), dtype=bool)
        #: rows that remain records (false: summed into another row's figure)
        self.kept = np.ones(len(numbers), dtype=bool)
        #: how many source rows each record's figure comes from
        self.sources = np.ones(len(numbers), dtype=np.int64)
        #: the table's header and rows as read, and the columns of ``combine: {sum: [...]}``
        self.header: list[str] = []
        self.body: list[list[Any]] = []
        self.sum_columns: list[str] = []
        self.same_columns: list[str] = []
        self._known: dict[str, list[str]] = {}  # each dimension's labels, for messages
        #: the rows added into each record (first row -> every row), for findings' cells
        self.parts: dict[int, list[int]] = {}
        #: blank cells of a wide table kept only to tell an incomplete sum: not rows read
        self.dropped = 0
        #: the field whose label rejected each row (None: not rejected for a label)
        self.unread_label = np.full(len(numbers), None, dtype=object)

    def source_rows(
        self, header: list[str], body: list[list[Any]], sums: list[str], same: list[str]
    ) -> None:
        """The rows as read: an exact repeat is a row identical in every column, and rows
        mapped to one key are described by the columns they differ in; ``sums`` and ``same``
        are the columns of ``combine: {sum: [...], same: [...]}``."""
        self.header, self.body = header, body
        self.sum_columns, self.same_columns = sums, same

    def value_letter(self, i: int) -> str:
        return self.value_letters[i] if self.value_letters else self.letters["value"]

    def reject(self, mask: np.ndarray, rule: str, field: str, text: str, message: str) -> None:
        """Reject the rows of ``mask`` that are still readable, with one grouped finding."""
        self.reject_rows(np.flatnonzero(mask & self.readable), rule, field, text, message)

    def reject_rows(self, positions: Any, rule: str, field: str, text: str, message: str) -> None:
        """Reject the rows at ``positions`` that are still readable (a row is rejected for
        its first problem only), without a mask over the whole table."""
        positions = [i for i in np.asarray(positions, dtype=np.int64).tolist() if self.readable[i]]
        if positions:
            named = [j for i in positions for j in self.parts.get(i, [i])]  # a sum: its rows
            rows = self.numbers[named].tolist()
            if field == "value" or field not in self.letters:
                cells = [f"{self.value_letter(i)}{n}" for i, n in zip(named, rows, strict=True)]
            else:
                cells = [f"{self.letters[field]}{n}" for n in rows]
            self.problems.add(rule, field, text, message, cells, rows)
            self.readable[positions] = False
            if rule in LABEL_RULES:
                self.unread_label[positions] = field

    def build(
        self, texts: dict[str, Column], resolved: dict[str, str], period: dict[str, str]
    ) -> dict[str, np.ndarray]:
        """The text fields of the records (codes where mapped, None where rejected)."""
        layout, size = self.layout, len(self.numbers)
        out: dict[str, Any] = {
            f: np.full(size, layout.fixed.get(f, period.get(f)), dtype=object)
            for f in (*TEXT_FIELDS, "quarter")
        }
        provider = None if layout.provider == NATIONAL else layout.provider  # None: the country
        out["provider"] = np.full(size, provider, dtype=object)
        self._expected(texts)
        self._units(texts)
        self.keep_rows(texts)
        for field, name in resolved.items():
            column, spec = texts[name], layout.columns[field]
            if field == "country":
                out[field] = self._countries(column, spec.get("codes"))
            elif field in CODED_FIELDS or field == "definition":
                out[field] = self._mapped(field, column)
            elif field == "value" and layout.flags:
                out[field] = self._flagged(column, out)
            else:
                out[field] = column.map(column.texts)
        targets = _targets(layout) if layout.breakdown else set()
        for dim in DIMENSIONS:
            if dim not in resolved and dim not in targets:
                out[dim] = np.full(size, layout.fixed.get(dim, TOTAL), dtype=object)
        if layout.breakdown:
            self._breakdown(texts, out)
        out["definition"][out["indicator"] != "VICTIMS_DETECTED"] = None  # victims only
        own = out["citizenship"] == out["country"]  # the reporting country's own citizens
        out["citizenship"][own & (out["citizenship"] != None)] = "NAT"  # noqa: E711
        self._fractions(out)
        combine_rows(self, out)
        if any(q is not None for q in out["quarter"]):
            self._quarters(out)
        return out

    def _flagged(self, column: Column, out: dict[str, Any]) -> np.ndarray:
        """Values with the layout's flag letters (``123 d``, ``: z``): the letters it declares
        become a note or a status; p, e, b and c stay for the value parser."""
        flags = self.layout.flags
        texts, notes, statuses = [], [], []
        for text in column.texts:
            match = _FLAGGED.match(text)
            note = status = None
            if match and set(match["flags"]) <= set(flags) | set("pebc"):
                kept = "".join(c for c in match["flags"] if c not in flags)
                declared = [flags[c] for c in match["flags"] if c in flags]
                note = "; ".join(d["note"] for d in declared if "note" in d) or None
                status = next((d["status"] for d in declared if "status" in d), None)
                body = match["body"]
                text = f"{body} {kept}" if kept else ("" if body == ":" and status else body)
            texts.append(text)
            notes.append(note)
            statuses.append(status)
        if any(notes):
            out["note"] = column.map(notes)
        if any(statuses):
            out["obs_status"] = column.map(statuses)
            self.letters.setdefault("obs_status", self.letters["value"])
        return column.map(texts)

    def keep_rows(self, texts: dict[str, Column]) -> None:
        for column, (values, reason) in self.layout.keep.items():
            if column not in texts:
                continue
            col = texts[column]
            for k, text in enumerate(col.texts):
                if text not in values:
                    self.reject(
                        col.where(k),
                        "LAYOUT_ROW_SKIPPED",
                        "value",
                        text,
                        f"{reason.capitalize()} ({column} '{text}')",
                    )

    def _quarters(self, out: dict[str, Any]) -> None:
        """Sum the four quarters of a year into the year's figure, only when all four are
        there with exact values; a key with the year's own total keeps that total."""
        unknown: dict[str, list[int]] = {}
        for i in np.flatnonzero(self.readable).tolist():
            if _quarter(out["quarter"][i]) is None:
                unknown.setdefault(str(out["quarter"][i]), []).append(i)
        for text, rows in unknown.items():  # never read as the year's own figure
            message = (
                f"The quarter '{text}' is neither a quarter (Q1 to Q4) nor the year's total: "
                "the figure is not read"
            )
            self.reject_rows(rows, "LABEL_UNKNOWN", "quarter", text, message)
        groups: dict[tuple, list[int]] = {}
        for i in np.flatnonzero(self.readable).tolist():
            groups.setdefault(tuple(out[k][i] for k in KEY), []).append(i)
        for rows in groups.values():
            quarters = [_quarter(out["quarter"][i]) for i in rows]
            if 0 in quarters:  # the year's total is given: quarters are not stored
                mask = self.mask([i for i, q in zip(rows, quarters, strict=True) if q])
                why = (
                    "A quarter of a year the file also gives whole: only the year's own row is read"
                )
                self.reject(mask, "LAYOUT_ROW_SKIPPED", "value", "quarter", why)
                continue
            present = sorted(quarters)
            numbers = [_whole(out["value"][i]) for i in rows]
            if present != [1, 2, 3, 4] or None in numbers:
                year = out["year"][rows[0]]
                have = ", ".join(f"Q{q}" for q in present)
                why = "not all exact numbers" if present == [1, 2, 3, 4] else f"only {have}"
                self.reject(
                    self.mask(rows),
                    "QUARTERS_INCOMPLETE",
                    "value",
                    have,
                    f"The figure for {year} comes by quarter ({why}): a year is the sum "
                    "of its four quarters, so it is not stored",
                )
                continue
            order = [i for _, i in sorted(zip(quarters, rows, strict=True))]
            first = order[0]
            cells = [f"{self.value_letter(i)}{self.numbers[i]}" for i in order]
            out["value"][first] = str(sum(numbers))  # type: ignore[arg-type]
            note = f"sum of Q1-Q4 ({', '.join(cells)})"  # its cell: Q1's
            parts = [out["note"][i] for i in order if out["note"][i]]
            out["note"][first] = "; ".join([note, *parts])
            self.sources[first] = int(self.sources[order].sum())
            self.parts[first] = [j for i in order for j in self.parts.get(i, [i])]
            self.kept[order[1:]] = False
            self.readable[order[1:]] = False

    def mask(self, rows: list[int]) -> np.ndarray:
        mask = np.zeros(len(self.numbers), dtype=bool)
        mask[rows] = True
        return mask

    def _expected(self, texts: dict[str, Column]) -> None:
        for column, expected in self.layout.expect.items():
            col = texts[column]
            for k, text in enumerate(col.texts):
                if text != expected:
                    self.reject(
                        col.where(k),
                        "LAYOUT_UNEXPECTED",
                        "value",
                        text,
                        f"Column '{column}' holds '{text}' where the "
                        f"{self.layout.name} layout expects '{expected}'",
                    )

    def _countries(self, column: Column, kind: str | None) -> np.ndarray:
        known = codes.country_codes()
        declared = {labels.fold(k): v for k, v in self.layout.labels.get("country", {}).items()}
        mapping: list[str | None] = []
        for k, text in enumerate(column.texts):
            code = declared.get(labels.fold(text))
            if code is None and kind == "iso3":
                code = text.upper() if text.upper() in known else None
            elif code is None and kind == "iso2":
                code = labels.iso2_code(text)
            elif code is None:
                code = labels.country_code(text)
            mapping.append(code)
            if code is None:
                what = f"'{text}' is not" if text else "A blank country is not"
                system = "alpha-2" if kind == "iso2" else "alpha-3"
                self.reject(
                    column.where(k),
                    "COUNTRY_NOT_ISO3",
                    "country",
                    text,
                    f"{what} an ISO 3166-1 {system} country code; a figure needs one "
                    "reporting country",
                )
        return column.map(mapping)

    def _mapped(self, dim: str, column: Column, rows: np.ndarray | None = None) -> np.ndarray:
        """Map one column's labels to codes, each distinct text once (within ``rows``)."""
        layout = self.layout
        index = labels.dimension_index(dim, layout.labels.get(dim))
        present = set(column.codes[rows].tolist()) if rows is not None else None
        mapping: list[str | None] = []
        for k, text in enumerate(column.texts):
            code = index.get(labels.fold(text))
            if code is None and dim == "citizenship":
                code = labels.country_code(text)
            if code is None and dim == "age":
                code = labels.age_code(text)
            mapping.append(code)
            if code is None and (present is None or k in present):
                mask = column.where(k) if rows is None else column.where(k) & rows
                band = labels.age_band(text) if dim == "age" else None
                if band is not None:
                    high = "and over" if band[1] is None else f"to {band[1]}"
                    self.reject(
                        mask,
                        "AGE_BAND_STRADDLES",
                        dim,
                        text,
                        f"The age band '{text}' ({band[0]} {high}) straddles 18: it "
                        "is neither children nor adults, and is never split by "
                        "guess; ask for the figure in bands that stop at 17",
                    )
                else:
                    self.reject(mask, "LABEL_UNKNOWN", dim, text, self.unknown(dim, text))
        return column.map(mapping)

    def unknown(self, dim: str, text: str) -> str:
        """The message for an unknown label of ``dim``."""
        if not text:
            return f"The {dim} label is blank; the figure cannot be placed"
        if dim not in self._known:
            known = list(self.layout.labels.get(dim, {})) + codes.ordered_codes(dim)
            if dim == "citizenship":
                known += list(labels.country_labels())
            self._known[dim] = known
        known = self._known[dim]
        shipped = self.layout.path.parent.resolve() == codes.layouts_dir().resolve()
        own = None if shipped else str(self.layout.path)
        return labels.unknown_message(dim, text, known, self.layout.name, own).rstrip(".")

    def _breakdown(self, texts: dict[str, Column], out: dict[str, Any]) -> None:
        """Apply the (dimension, category) pair of columns: each row's category goes to the
        dimension its breakdown names; the other breakdown dimensions are totals."""
        spec = self.layout.breakdown
        assert spec is not None
        dimension, category = texts[spec["dimension"]], texts[spec["category"]]
        by = {labels.fold(text): target for text, target in spec["by"].items()}
        targets = _targets(self.layout)
        for k, text in enumerate(dimension.texts):
            rows = dimension.where(k)
            target = by.get(labels.fold(text))
            if target is None:
                self.reject(
                    rows,
                    "LABEL_UNKNOWN",
                    "value",
                    text,
                    f"Breakdown '{text}' (column {spec['dimension']}) is not declared "
                    f"in {self.layout.path} under breakdown: by:",
                )
            elif isinstance(target, dict):
                self.reject(rows, "LAYOUT_ROW_SKIPPED", "value", text, target["skip"].capitalize())
            elif target == AS_TOTAL:
                for dim in targets:
                    out[dim][rows] = TOTAL
                for c, cat in enumerate(category.texts):
                    mask = rows & category.where(c)
                    if labels.fold(cat) != "total" and mask.any():
                        message = f"A row of breakdown '{text}' has category '{cat}', not Total"
                        self.reject(mask, "LAYOUT_UNEXPECTED", "value", cat, message)
            else:
                for dim in targets - {target}:
                    out[dim][rows] = TOTAL
                out[target][rows] = self._mapped(target, category, rows)[rows]

    def _units(self, texts: dict[str, Column]) -> None:
        """Rows whose unit column names something else than counts are refused."""
        if self.layout.unit is None:
            return
        name, counts = self.layout.unit
        column = texts[name]
        folded = {labels.fold(text) for text in counts}
        for k, text in enumerate(column.texts):
            if labels.fold(text) not in folded:
                self.reject(
                    column.where(k),
                    "UNIT_NOT_COUNT",
                    "value",
                    text,
                    f"The unit of the row is '{text}' (column {name}), not a count of persons "
                    "or cases (a rate, a share or a percentage cannot be stored as a count)",
                )

    def _fractions(self, out: dict[str, Any]) -> None:
        """A series holding fractions (``1.37``, ``0.00``) is a series of rates or shares:
        none of its rows is read as a count, not even its whole numbers (``0``). A series is
        one value column's figures of one country and indicator, so that a mistake in one
        country's figure never rejects a whole compilation."""
        values = out["value"]
        live = np.flatnonzero(self.readable).tolist()
        texts = {str(t or "") for t in values[live].tolist()}
        if not any(_FRACTION.match(text) for text in texts):
            return
        series: dict[tuple[Any, ...], list[int]] = {}
        for i in live:
            key = (self.value_letter(i), out["country"][i], out["indicator"][i])
            series.setdefault(key, []).append(i)
        for (letter, country, indicator), rows in series.items():
            first = next((i for i in rows if _FRACTION.match(str(values[i] or ""))), None)
            if first is None:
                continue
            example = f"'{values[first]}' at {letter}{self.numbers[first]}"
            self.reject_rows(
                rows,
                "UNIT_NOT_COUNT",
                "value",
                f"column {letter} {country} {indicator}",
                f"Column {letter} holds fractions for {country} {indicator} ({example}): these "
                "values are rates, shares or measures, not counts, and none of them is stored. "
                "If it is a count with a mistake, correct the figure",
            )


#: A number with decimals (``1.37``, ``0.00``, ``2,5``): a rate, a share or a measure.
#: Not ``12.0`` (a whole number written by a program) nor ``1.000`` or ``1,282`` (thousands).
_FRACTION = re.compile(r"^(?!\d+\.0$)(?![1-9]\d{0,2}(?:[.,]\d{3})+$)\d+(?:\.\d+|,\d+)$")

#: The rules that reject a row for a label it could not map.
LABEL_RULES = {"LABEL_UNKNOWN", "AGE_BAND_STRADDLES"}

#: A value followed by flag letters: ``123 p``, ``1 234 bd``, ``: c``.
_FLAGGED = re.compile(r"^(?P<body>:|[\d.,\s]*\d)\s*(?P<flags>[a-z]+)$")


def _quarter(text: object) -> int | None:
    """1-4 for a quarter (``Q2``, ``2``), 0 for the year's total (``Total``, ``Year`` or
    blank), None for anything else (``H2``, ``Q4 (revised)``, ``Jan-Mar``)."""
    folded = labels.fold(str(text or ""))
    digits = folded.removeprefix("q").strip()
    if digits in ("1", "2", "3", "4"):
        return int(digits)
    return 0 if folded in ("", "total", "year", "annual", "all", "none") else None


def _whole(text: object) -> int | None:
    """A plain count (``1,282`` too), else None."""
    parsed = parse_value(text)
    return parsed.value if parsed.obs_status == "A" and parsed.value is not None else None


def _targets(layout: Layout) -> set[str]:
    return {t for t in layout.breakdown["by"].values() if isinstance(t, str) and t != AS_TOTAL}  # type: ignore[index]
