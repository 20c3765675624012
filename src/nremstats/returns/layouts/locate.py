"""Locate the figures of a foreign file by its layout declaration (``schemas/layouts/``).

The result is the same :class:`~nremstats.returns.located.Located` table the template and the
canonical CSV give: one record per figure, its dimensions already mapped to codes by the
layout's labels, the code lists and the country names, with the place of every field. A row
that cannot be read (unknown label, non-ISO code, a breakdown the format does not have, a
repeat of an earlier row) is marked unreadable with a finding that lists all its cells: each
distinct problem is reported once, with the closest known labels and the line to add.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from nremstats.core.findings import Finding, finding
from nremstats.core.model import DIMENSIONS
from nremstats.returns import integrity
from nremstats.returns.layouts import reshape
from nremstats.returns.layouts.declaration import Layout
from nremstats.returns.layouts.detect import find_table, matching_sheets
from nremstats.returns.layouts.rows import Column, Problems, RowMapper
from nremstats.returns.layouts.vintage import read_vintage
from nremstats.returns.located import (
    TEXT_FIELDS,
    Located,
    column_letter,
    constant_column,
    string_column,
)
from nremstats.returns.read import Source, text_of

if TYPE_CHECKING:
    import pandas as pd


def locate_layout(source: Source, layout: Layout) -> Located:
    """Read ``source`` as ``layout`` declares (see module docstring), unless the table is
    on several sheets or on a hidden one (:func:`integrity.layout_sheet`)."""
    if source.kind == "xlsx":
        problems = integrity.layout_sheet(source, matching_sheets(layout, source), layout.name)
        if problems:
            return Located(source.name, "layout", None, problems)
    return _locate_layout(source, layout)


def _locate_layout(source: Source, layout: Layout) -> Located:

    name = source.name
    found = find_table(layout, source)
    if found is None:
        where = f"a sheet named like '{layout.sheet}'" if source.kind == "xlsx" else "the file"
        message = (
            f"{name} does not have the {layout.name} layout: no header row with "
            f"{', '.join(layout.header_find)} in the first {layout.header_within} rows of "
            f"{where}. Choose another layout (nremstats layouts) or fix the header."
        )
        return Located(name, "layout", None, [finding("STRUCTURE_LAYOUT_MISMATCH", name, message)])
    sheet, rows = found
    head = layout.header_row([[text_of(c) for c in row] for row in rows[: layout.header_within]])
    assert head is not None
    header = reshape.header_names(layout, rows, head)
    sheet_letters = {text: column_letter(i) for i, text in reversed(list(enumerate(header)))}
    value_letters: list[str] | None = None
    if layout.shape == "packed":
        unpacked = reshape.unpack(layout, header, rows[head + 1 :], head + 2)
        header, body, listed, value_letters, key_letter = unpacked
        numbers = np.asarray(listed, dtype=np.int64)
        sheet_letters = dict.fromkeys(header, key_letter)
    else:
        body, numbers = reshape.data_rows(layout, header, rows, head)
        if layout.shape == "wide":
            summed = layout.across["field"] in layout.sum_over
            header, body, numbers, value_letters = reshape.unwide(
                layout, header, body, numbers, keep_blank=summed
            )
    position: dict[str, int] = {}
    for index, text in enumerate(header):
        position.setdefault(text, index)
    resolved, missing = layout.resolve(position)
    sums = _combine_columns(layout, layout.sum_over, resolved, position)
    same = _combine_columns(layout, layout.same_over, resolved, position)
    missing += [name for name, column in {**sums, **same}.items() if column is None]
    if layout.unit and layout.unit[0] not in position:
        missing.append(layout.unit[0])
    if missing:
        message = (
            f"The {layout.name} layout needs the column(s) {', '.join(missing)}, not found in "
            f"the header row {head + 1}. Check that the file is a {layout.title} file."
        )
        problem = finding(
            "STRUCTURE_MISSING_COLUMN",
            name,
            message,
            sheet=sheet,
            cell=f"A{head + 1}",
            row=head + 1,
        )
        return Located(name, "layout", None, [problem], rows_seen=len(rows) - head - 1)
    period = _period_from_name(layout, name, resolved)
    if period is None:
        message = (
            f"{name}: the {layout.name} layout reads the period from the file name, which "
            f"does not match {layout.period_from_name!r}. Rename the file as it was published."
        )
        return Located(name, "layout", None, [finding("STRUCTURE_LAYOUT_MISMATCH", name, message)])
    wanted = _wanted_columns(layout, resolved, position)
    wanted += [c for c in {**sums, **same}.values() if c is not None and c not in wanted]
    findings = [
        finding(
            "STRUCTURE_IGNORED_COLUMN",
            name,
            f"Column '{text}' is not read by the {layout.name} layout; ignored.",
            sheet=sheet,
            cell=f"{sheet_letters.get(text, 'A')}{head + 1}",
            row=head + 1,
            text=text,
        )
        for text in position
        if text and text not in wanted and text not in layout.ignore
    ]
    # a field read from a wide table's column names has no column: its findings point at the
    # value's cell, as the value's own do
    letters = {field: sheet_letters[col] for field, col in resolved.items() if col in sheet_letters}
    if value_letters:
        letters["value"] = value_letters[0]
    letters.setdefault("value", "A")  # a wide table without a filled cell
    if layout.shape == "cases":
        located = _locate_cases(layout, name, sheet, position, body, numbers, findings)
        return _with_vintage(located, layout, rows[:head], sheet)
    texts = {column: Column(body, position[column]) for column in wanted}
    if layout.breakdown:
        category = sheet_letters[layout.breakdown["category"]]
        for dim in DIMENSIONS:
            letters.setdefault(dim, category)
    table = RowMapper(layout, numbers, letters, Problems(name, sheet), value_letters)
    table.source_rows(
        header, body, [c for c in sums.values() if c], [c for c in same.values() if c]
    )
    values = table.build(texts, resolved, period)
    records = _records(table, values, sheet)
    located = Located(name, "layout", records, findings, field_cells=dict(letters))
    located.rows_total = len(numbers) - table.dropped
    located.findings += table.problems.findings()
    return _with_vintage(located, layout, rows[:head], sheet)


def _with_vintage(
    located: Located, layout: Layout, above: list[list[Any]], sheet: str | None
) -> Located:
    """The file's vintage (:mod:`.vintage`) in ``metadata["vintage"]``, when the layout
    declares where it is and the file carries it there (what is there instead, when it is
    not a date: ``metadata["vintage_problem"]``)."""
    if not layout.vintage:
        return located
    try:
        found = read_vintage(layout.vintage, above, located.file)
    except ValueError as exc:
        located.metadata["vintage_problem"] = str(exc)
        return located
    if found:
        located.metadata["vintage"] = found
    return located


def _records(table: RowMapper, values: dict[str, np.ndarray], sheet: str | None) -> pd.DataFrame:
    """The located records of a mapped table: one per figure kept (a sum is one record),
    with its place, its source row and how many source rows it stands for."""
    import pandas as pd

    keep = table.kept  # rows summed into another row's figure are not records of their own
    index = pd.RangeIndex(int(keep.sum()))
    records = pd.DataFrame(
        {field: string_column(values[field][keep]) for field in TEXT_FIELDS},
        index=index,
    )
    records["readable"] = table.readable[keep]
    records["sheet"] = constant_column(sheet, index)
    numbers = table.numbers
    letters = table.value_letters or [table.letters["value"]] * len(numbers)
    cells = [f"{letter}{n}" for letter, n in zip(letters, numbers.tolist(), strict=True)]
    records["cell"] = pd.array(np.asarray(cells, dtype=object)[keep], dtype="string")
    records["row"] = numbers[keep]
    records["sources"] = table.sources[keep]
    if table.value_letters:  # each value in its own column: its cell, not the first column's
        for field in ("value", "obs_status", "lower", "upper"):
            if table.letters.get(field) == table.letters["value"]:
                records[f"{field}_cell"] = records["cell"]
    return records


def _locate_cases(
    layout: Layout,
    name: str,
    sheet: str | None,
    position: dict[str, int],
    body: list[list[Any]],
    numbers: np.ndarray,
    findings: list[Finding],
) -> Located:
    """Case records (one row per person) counted into observations: see
    :mod:`~nremstats.returns.layouts.cases` (imported here: few files are case records)."""
    import pandas as pd

    from nremstats.returns.layouts.cases import count_cases

    if "country" not in layout.fixed:
        message = (
            f"The {layout.name} layout counts the cases of one country, which its records do "
            f"not say: write a layout file with 'extends: {layout.name}' and "
            "'fixed: {country: ISO3}', and pass --layout FILE (docs/layouts.md)."
        )
        return Located(name, "layout", None, [finding("STRUCTURE_LAYOUT_MISMATCH", name, message)])
    fields = [col for col in layout.cases.values() if isinstance(col, str) and col in position]
    named = [i for name, i in position.items() if name]
    records = [  # a row with nothing under a named column (a row number only) is no record
        i for i, row in enumerate(body) if any(text_of(row[j]).strip() for j in named)
    ]
    if len(records) < len(body):
        body, numbers = [body[i] for i in records], numbers[records]
    blank = np.asarray(
        [not any(text_of(row[position[c]]).strip() for c in fields) for row in body], dtype=bool
    )
    letters = {
        field: column_letter(position[col])
        for field, col in layout.cases.items()
        if isinstance(col, str) and col in position
    }
    letters.setdefault("value", letters.get("year", "A"))
    for field in ("obs_status", "lower", "upper", "definition"):
        letters.setdefault(field, letters["value"])  # mapping reads these record columns
    table = RowMapper(layout, numbers, letters, Problems(name, sheet))
    if blank.any():  # a row with other columns filled: counted among the rows, as no case
        message = (
            f"The row has none of the columns the layout counts ({', '.join(fields)}): it is "
            "no case and is not counted"
        )
        table.reject(blank, "LAYOUT_ROW_SKIPPED", "value", "", message)
    table.keep_rows({c: Column(body, position[c]) for c in layout.keep if c in position})
    out = count_cases(layout, position, body, numbers, table)
    index = pd.RangeIndex(len(out["readable"]))
    records = pd.DataFrame({f: pd.array(out[f], dtype="string") for f in TEXT_FIELDS}, index=index)
    records["readable"] = np.asarray(out["readable"], dtype=bool)
    records["sheet"] = constant_column(sheet, index)
    records["cell"] = pd.array(out["cell"], dtype="string")
    records["row"] = np.asarray(out["row"], dtype=np.int64)
    # the rows are persons: a count stands for none of them, a person left out for one
    records["sources"] = (~records["readable"]).astype(np.int64)
    located = Located(name, "layout", records, findings, field_cells=letters)
    located.rows_total = len(numbers)
    located.findings += table.problems.findings()
    return located


def _wanted_columns(layout: Layout, resolved: dict[str, str], header: Any) -> list[str]:
    wanted = list(resolved.values())
    if layout.breakdown:
        wanted += [layout.breakdown["dimension"], layout.breakdown["category"]]
    wanted += list(layout.expect)
    wanted += [layout.unit[0]] if layout.unit else []
    wanted += [column for column in layout.keep if column in header]
    wanted += [col for col in layout.cases.values() if isinstance(col, str) and col in header]
    return list(dict.fromkeys(wanted))


def _combine_columns(
    layout: Layout, names: list[str], resolved: dict[str, str], position: dict[str, int]
) -> dict[str, str | None]:
    """The column of each name in ``combine: {sum/same: [...]}``: a field's column (a
    breakdown dimension's: the category column), else a column of that name; None when
    absent."""
    out: dict[str, str | None] = {}
    by = layout.breakdown["by"].values() if layout.breakdown else []
    targets = {target for target in by if isinstance(target, str)}
    for name in names:
        if name in resolved:
            out[name] = resolved[name]
        elif layout.breakdown and name in targets:
            out[name] = layout.breakdown["category"]
        else:
            out[name] = name if name in position else None
    return out


def _period_from_name(layout: Layout, name: str, resolved: dict[str, str]) -> dict[str, str] | None:
    """The year (and quarter) the file name gives, {} when the layout does not read them
    there (no expression, or the table has a year column); None when the name does not say."""
    if not layout.period_from_name or "year" in resolved:
        return {}
    match = re.search(layout.period_from_name, name, flags=re.IGNORECASE)
    if not match:
        return None
    return {key: value for key, value in match.groupdict().items() if value}
