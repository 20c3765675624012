"""Locate the figures of a foreign file by its layout declaration (``schemas/layouts/``).

The result is the same :class:`~nremstats.locate.Located` table the template and the
canonical CSV give: one record per figure, its dimensions already mapped to codes by the
layout's labels, the code lists and the country names, with the place of every field. A row
that cannot be read (unknown label, non-ISO code, a breakdown the format does not have, a
repeat of an earlier row) is marked unreadable with a finding that lists all its cells: each
distinct problem is reported once, with the closest known labels and the line to add.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import TYPE_CHECKING, Any

from nremstats import codes, labels
from nremstats.layout import TOTAL, Layout
from nremstats.locate import TEXT_FIELDS, Located, column_letter, constant_column
from nremstats.models import Finding

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.read import Source

DIMENSIONS = ("indicator", "sex", "age", "exploitation", "citizenship")
BREAKDOWN_DIMS = ("sex", "age", "exploitation", "citizenship")
KEY = ("country", "year", "indicator", "sex", "age", "exploitation", "citizenship")


def csv_rows(source: Source, limit: int | None = None) -> list[list[str]]:
    """The rows of a CSV source as texts (all of them, or the first ``limit``)."""
    reader = csv.reader(io.StringIO(source.text()))
    return list(itertools.islice(reader, limit)) if limit else list(reader)


class _Problems:
    """Collects rejected rows, one finding per (rule, field, text) listing every cell."""

    def __init__(self, file: str, sheet: str | None) -> None:
        self.file, self.sheet = file, sheet
        self.groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(self, rule: str, field: str, text: str, message: str, cells: list[str],
            rows: list[int]) -> None:  # fmt: skip
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
            out.append(Finding(
                rule=rule, severity=codes.severity(rule), file=self.file,  # type: ignore[arg-type]
                sheet=self.sheet, cell=cells[0], cells=cells, row=group["rows"][0], text=text,
                message=f"{group['message']} ({rows}, first at {cells[0]}; not stored).",
            ))  # fmt: skip
        return out


def locate_layout(source: Source, layout: Layout) -> Located:
    """Read ``source`` as ``layout`` declares (see module docstring)."""
    import pandas as pd

    name = source.name
    found = layout.table(source)
    if found is None:
        where = f"a sheet named like '{layout.sheet}'" if source.kind == "xlsx" else "the file"
        message = (
            f"{name} does not have the {layout.name} layout: no header row with "
            f"{', '.join(layout.header_find)} in the first {layout.header_within} rows of "
            f"{where}. Choose another layout (nremstats layouts) or fix the header."
        )
        return Located(name, "layout", None, [_finding("STRUCTURE_LAYOUT_MISMATCH", name,
                                                       message)])  # fmt: skip
    sheet, rows = found
    head = layout.header_row(rows)
    assert head is not None
    header = [str(c).strip() for c in rows[head]]
    position: dict[str, int] = {}
    for index, text in enumerate(header):
        position.setdefault(text, index)
    wanted = _wanted_columns(layout)
    missing = [c for c in wanted if c not in position]
    if missing:
        message = (
            f"The {layout.name} layout needs the column(s) {', '.join(missing)}, not found in "
            f"the header row {head + 1}. Check that the file is a {layout.title} file."
        )
        finding = _finding("STRUCTURE_MISSING_COLUMN", name, message, sheet=sheet,
                           cell=f"A{head + 1}", row=head + 1)  # fmt: skip
        return Located(name, "layout", None, [finding], rows_seen=len(rows) - head - 1)
    findings = [
        _finding(
            "STRUCTURE_IGNORED_COLUMN",
            name,
            f"Column '{text}' is not read by the {layout.name} layout; ignored.",
            sheet=sheet,
            cell=f"{column_letter(i)}{head + 1}",
            row=head + 1,
            text=text,
        )  # fmt: skip
        for text, i in position.items()
        if text and text not in wanted and text not in layout.ignore
    ]
    body = [(number, row) for number, row in enumerate(rows[head + 1 :], start=head + 2)
            if any(str(cell).strip() for cell in row)]  # fmt: skip
    texts = pd.DataFrame({
        column: [str(row[position[column]]).strip() if position[column] < len(row) else ""
                 for _, row in body]
        for column in wanted
    }, dtype="string")  # fmt: skip
    texts.index = pd.RangeIndex(len(texts))
    numbers = pd.Series([number for number, _ in body], dtype="int64")
    letters = {field: column_letter(position[spec["column"]])
               for field, spec in layout.columns.items()}  # fmt: skip
    if layout.breakdown:
        category = column_letter(position[layout.breakdown["category"]])
        for dim in BREAKDOWN_DIMS:
            letters.setdefault(dim, category)
    problems = _Problems(name, sheet)
    records = _records(layout, texts, numbers, letters, problems)
    records["sheet"] = constant_column(sheet, records.index)
    records["cell"] = letters["value"] + numbers.astype(str)
    records["row"] = numbers
    located = Located(name, "layout", records, findings, field_cells=dict(letters))
    located.findings += problems.findings()
    return located


def _wanted_columns(layout: Layout) -> list[str]:
    wanted = [spec["column"] for spec in layout.columns.values()]
    if layout.breakdown:
        wanted += [layout.breakdown["dimension"], layout.breakdown["category"]]
    wanted += list(layout.expect)
    return list(dict.fromkeys(wanted))


def _records(layout: Layout, texts: pd.DataFrame, numbers: pd.Series, letters: dict[str, str],
             problems: _Problems) -> pd.DataFrame:  # fmt: skip
    """Map the texts to codes; mark rejected rows unreadable (with their findings)."""
    import pandas as pd

    index = texts.index
    readable = pd.Series(True, index=index)

    def reject(mask: pd.Series, rule: str, field: str, text: str, message: str) -> None:
        nonlocal readable
        mask = mask.reindex(index, fill_value=False) & readable  # first problem only
        if mask.any():
            cells = (letters.get(field, letters["value"]) + numbers[mask].astype(str)).tolist()
            problems.add(rule, field, text, message, cells, numbers[mask].tolist())
            readable = readable & ~mask

    out = pd.DataFrame(index=index)
    for field in TEXT_FIELDS:
        out[field] = constant_column(layout.fixed.get(field), index)
    out["provider"] = constant_column(layout.provider, index)
    _expected(layout, texts, reject)
    for field, spec in layout.columns.items():
        column = texts[spec["column"]]
        if field == "country":
            out[field] = _countries(column, spec.get("codes"), reject, layout)
        elif field in DIMENSIONS or field == "definition":
            out[field] = _mapped(field, column, layout, reject)
        else:
            out[field] = column
    for dim in BREAKDOWN_DIMS:
        if dim not in layout.columns and (not layout.breakdown or dim not in _targets(layout)):
            out[dim] = constant_column(layout.fixed.get(dim, "_T"), index)
    if layout.breakdown:
        _breakdown(layout, texts, out, reject)
    if "citizenship" in out:  # the reporting country's own citizens are its nationals
        own = out["citizenship"].notna() & (out["citizenship"] == out["country"])
        out.loc[own, "citizenship"] = "NAT"
    _repeats(out, texts, layout, readable, reject)
    out["readable"] = readable
    return out


def _expected(layout: Layout, texts: pd.DataFrame, reject: Any) -> None:
    for column, expected in layout.expect.items():
        for text in texts[column].unique():
            if text != expected:
                reject(texts[column] == text, "LAYOUT_UNEXPECTED", "value", str(text),
                       f"Column '{column}' holds '{text}' where the {layout.name} layout "
                       f"expects '{expected}'")  # fmt: skip


def _targets(layout: Layout) -> set[str]:
    return {t for t in layout.breakdown["by"].values() if isinstance(t, str)}  # type: ignore[index]


def _countries(column: pd.Series, kind: str | None, reject: Any, layout: Layout) -> pd.Series:
    known = codes.country_codes()
    mapping: dict[str, str | None] = {}
    for text in column.unique():
        text = str(text)
        if kind == "iso3":
            code = text.upper() if text.upper() in known else None
        else:
            code = labels.country_code(text)
        mapping[text] = code
        if code is None:
            reject(column == text, "COUNTRY_NOT_ISO3", "country", text,
                   f"'{text}' is not an ISO 3166-1 alpha-3 country code; "
                   "a figure needs one reporting country")  # fmt: skip
    return column.map(mapping).astype("string")


def _index(dim: str, layout: Layout) -> dict[str, str]:
    return labels.dimension_index(dim, layout.labels.get(dim))


def _mapped(dim: str, column: pd.Series, layout: Layout, reject: Any) -> pd.Series:
    """Map one column's labels to codes, each distinct text once."""
    index = _index(dim, layout)
    mapping: dict[str, str | None] = {}
    for text in column.unique():
        text = str(text)
        code = index.get(labels.fold(text))
        if code is None and dim == "citizenship":
            code = labels.country_code(text)
        mapping[text] = code
        if code is None:
            known = list(layout.labels.get(dim, {})) + codes.ordered_codes(dim)
            if dim == "citizenship":
                known += list(labels.country_labels())
            message = labels.unknown_message(dim, text, known, str(layout.path)) if text else (
                f"The {dim} label is blank; the figure cannot be placed")  # fmt: skip
            reject(column == text, "LABEL_UNKNOWN", dim, text, message.rstrip("."))
    return column.map(mapping).astype("string")


def _breakdown(layout: Layout, texts: pd.DataFrame, out: pd.DataFrame, reject: Any) -> None:
    """Apply the (dimension, category) pair of columns: each row's category goes to the
    dimension its breakdown names; the other breakdown dimensions are totals."""
    spec = layout.breakdown
    assert spec is not None
    dimension, category = texts[spec["dimension"]], texts[spec["category"]]
    by = {labels.fold(text): target for text, target in spec["by"].items()}
    for text in dimension.unique():
        rows = dimension == text
        target = by.get(labels.fold(str(text)))
        if target is None:
            reject(rows, "LABEL_UNKNOWN", "value", str(text),
                   f"Breakdown '{text}' (column {spec['dimension']}) is not declared in "
                   f"{layout.path} under breakdown: by:")  # fmt: skip
            continue
        if isinstance(target, dict):
            reject(rows, "LAYOUT_ROW_SKIPPED", "value", str(text), target["skip"].capitalize())
            continue
        if target == TOTAL:
            for dim in _targets(layout):
                out.loc[rows, dim] = "_T"
            for cat in category[rows].unique():
                if labels.fold(str(cat)) != "total":
                    message = f"A row of breakdown '{text}' has category '{cat}', not Total"
                    mask = rows & (category == cat)
                    reject(mask, "LAYOUT_UNEXPECTED", "value", str(cat), message)
            continue
        for dim in _targets(layout) - {target}:
            out.loc[rows, dim] = "_T"
        out.loc[rows, target] = _mapped(target, category[rows], layout, reject)


def _repeats(out: pd.DataFrame, texts: pd.DataFrame, layout: Layout, readable: pd.Series,
             reject: Any) -> None:  # fmt: skip
    """A row repeating an earlier row's key and value is not stored twice (rows with the same
    key and different values are left to the duplicate-key rule, which rejects them all)."""
    value = texts[layout.columns["value"]["column"]]
    frame = out.loc[readable, list(KEY)].assign(_value=value[readable])
    repeated = frame.duplicated(keep="first")
    if repeated.any():
        mask = readable.copy()
        mask[:] = False
        mask[frame.index[repeated]] = True
        reject(
            mask, "KEY_REPEATED", "value", "", "The row repeats the key and value of an earlier row"
        )


def _finding(rule: str, file: str, message: str, **place: Any) -> Finding:
    return Finding(rule=rule, severity=codes.severity(rule), file=file, message=message, **place)  # type: ignore[arg-type]
