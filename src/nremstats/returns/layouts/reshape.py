"""The grid of a foreign table as rows: header rows, data rows, reshaped to one row a figure.

:mod:`nremstats.returns.layouts.locate` reads what these give: the data rows under the header (blank
rows dropped, hierarchical labels filled down), a wide table's cells as long rows (a
dimension across the columns, or Eurostat's packed key with years across), each row with
its sheet row and, when the values sit in several columns, each value's column letter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nremstats.returns.layouts.declaration import Layout
from nremstats.returns.located import column_letter
from nremstats.returns.read import text_of

#: The columns a wide table's cells become: the name of their column, and their value.
ACROSS, VALUE = "(column)", "(value)"


def header_names(layout: Layout, rows: list[list[Any]], head: int) -> list[str]:
    """The column names: one header row, or several joined with ' - ' (a blank cell of an
    upper row takes the text on its left, as a merged cell shows it)."""
    count = max(1, layout.header_rows)
    levels = []
    for row in rows[head : head + count]:
        texts, last = [], ""
        for cell in row:
            text = text_of(cell).strip()
            last = text or (last if len(levels) < count - 1 else "")
            texts.append(last)
        levels.append(texts)
    width = max(len(level) for level in levels)
    return [
        " - ".join(t for t in (lv[i] if i < len(lv) else "" for lv in levels) if t)
        for i in range(width)
    ]


def unwide(
    layout: Layout,
    header: list[str],
    body: list[list[Any]],
    numbers: np.ndarray,
    keep_blank: bool = False,
) -> tuple[list[str], list[list[Any]], np.ndarray, list[str]]:
    """A table whose columns carry a dimension (``across``) as long rows: the other columns,
    the column's name and its value, one row per filled cell (and per blank cell with
    ``keep_blank``, where blank parts must be told from absent ones). Column names match as
    labels do (case and accents aside)."""
    from nremstats.core.labels import fold

    wanted = {fold(name) for name in layout.across["columns"]}
    across = [i for i, text in enumerate(header) if fold(text) in wanted]
    kept = [i for i in range(len(header)) if i not in across]
    long_body, long_numbers, letters = [], [], []
    for number, row in zip(numbers.tolist(), body, strict=True):
        base = [row[i] for i in kept]
        for i in across:
            if keep_blank or text_of(row[i]).strip():  # a blank cell is no observation
                long_body.append([*base, header[i], row[i]])
                long_numbers.append(number)
                letters.append(column_letter(i))
    names = [header[i] for i in kept] + [ACROSS, VALUE]
    return names, long_body, np.asarray(long_numbers, dtype=np.int64), letters


def data_rows(
    layout: Layout, header: list[str], rows: list[list[Any]], head: int
) -> tuple[list[list[Any]], np.ndarray]:
    """The filled data rows under the header (as wide as it) and their sheet rows; the
    ``fill_down`` columns' blank cells take the text above (hierarchical labels)."""
    width, first = len(header), head + max(1, layout.header_rows) + layout.skip_rows
    below = rows[first] if first < len(rows) else []
    if layout.labels_row and set(layout.labels_row) <= {text_of(c).strip() for c in below}:
        first += 1  # the row of labels under the field names
    body = [
        row[:width] if len(row) >= width else [*row, *[""] * (width - len(row))]
        for row in rows[first:]
    ]
    filled = [i for i, row in enumerate(body) if is_filled(row)]
    if len(filled) < len(body):
        body = [body[i] for i in filled]
    for i in [header.index(c) for c in layout.fill_down if c in header]:
        last: Any = ""
        for row in body:
            if text_of(row[i]).strip():
                last = row[i]
            else:
                row[i] = last
    return body, np.asarray(filled, dtype=np.int64) + first + 1


def is_filled(row: list[Any]) -> bool:
    """True when a row holds anything but blanks (calamine gives '' for an empty cell)."""
    first = row[0] if row else ""
    if first != "" and (type(first) is not str or first.strip()):
        return True
    return any(cell != "" and (type(cell) is not str or cell.strip()) for cell in row)


def unpack(
    layout: Layout, header: list[str], rows: list[list[Any]], first: int
) -> tuple[list[str], list[list[str]], list[int], list[str], str]:
    """A wide table with a packed key column (Eurostat's ``freq,unit,geo\\TIME_PERIOD``) as
    long rows: the key's parts, the column's period and the value, one row per filled cell.
    Returns the long header, the rows, their sheet rows, each value's column letter and the
    key column's letter."""
    marker = layout.packed["marker"]
    key = next(i for i, cell in enumerate(header) if marker in cell)
    names_text, _, across = header[key].partition("\\")
    names = [n.strip() for n in names_text.split(",")]
    periods = [(i, text) for i, text in enumerate(header) if i != key and text]
    body, numbers, letters = [], [], []
    for number, row in enumerate(rows, start=first):
        packed = text_of(row[key]).strip() if key < len(row) else ""
        if not packed:
            continue
        parts = [part.strip() for part in packed.split(",")]
        parts = (parts + [""] * len(names))[: len(names)]  # a short key leaves labels blank
        for i, period in periods:
            text = text_of(row[i]).strip() if i < len(row) else ""
            if text:  # a blank cell is no observation
                body.append([*parts, period, text])
                numbers.append(number)
                letters.append(column_letter(i))
    header = [*names, across.strip() or "TIME_PERIOD", "OBS_VALUE"]
    return header, body, numbers, letters, column_letter(key)
