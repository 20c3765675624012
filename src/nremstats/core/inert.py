"""Outputs are inert: a text that a spreadsheet would read as a formula is written with an
apostrophe in front (OWASP "CSV Injection").

Every text field of a file nremstats writes for people to open (CSV, TSV, SDMX-CSV, the
cells of its workbooks) goes through :func:`inert` (one value) or :func:`inert_frame` (the
text columns of a frame, vectorised). A text that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return -- after any apostrophes it already begins with -- gets one ``'``
more in front. A plain number written as text (``-5``, ``+1.5``, ``-2e3``) is no formula
and stays as it is, as does every other text; numbers (int, float) are never touched.

The guard is reversible: :func:`restore` takes the apostrophe off exactly where
:func:`inert` put one. A text that came with its own apostrophes before such a character
(``'=x``) gets one more (``''=x``), so it is told apart from one the guard wrote; a text
with an apostrophe before anything else (``'tis``) is written as it is.

CSV is written by :func:`csv_text`, which also quotes a field holding a carriage return, so
that no text can start a row of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: What the guard puts in front of a text a spreadsheet would evaluate.
QUOTE = "'"
#: The characters such a text begins with, after any apostrophes (OWASP's list).
FORMULA_STARTS = "=+-@\t\r"
#: A text to guard starts so (matched at its start) ...
STARTS = f"{QUOTE}*[{re.escape(FORMULA_STARTS)}]"
#: ... unless it is a plain number (the whole text): a sign, digits, a point, an exponent.
NUMBER = f"{QUOTE}*" + r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_STARTS = re.compile(STARTS)
_NUMBER = re.compile(NUMBER)


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` (or it would be ambiguous with a text
    the guard wrote): see the module docstring."""
    return _STARTS.match(text) is not None and _NUMBER.fullmatch(text) is None


def inert(value: Any) -> Any:
    """``value`` as it may be written in a cell: a text that would be a formula with ``'``
    in front; any other text, a number or None as it is."""
    if isinstance(value, str) and needs_quote(value):
        return QUOTE + value
    return value


def inert_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through :func:`inert`."""
    return [inert(value) for value in values]


def restore(text: str) -> str:
    """The text :func:`inert` was given: its apostrophe taken off where it put one."""
    if text.startswith(QUOTE) and needs_quote(text[1:]):
        return text[1:]
    return text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows (made inert by the caller) as CSV, lines ended by ``\\n``. A field holding a
    carriage return is quoted as one holding a line feed is (Python's csv module quotes only
    the characters of its line terminator), so that no text can start a row of its own."""
    import csv
    import io

    rows = rows if isinstance(rows, list) else list(rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    if "\r" not in text:
        return text  # the usual case: one scan of the text
    buffer = io.StringIO()
    plain = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        if any(isinstance(value, str) and "\r" in value for value in row):
            line = io.StringIO()
            csv.writer(line, lineterminator="\r\n").writerow(row)  # quotes \r and \n
            buffer.write(line.getvalue()[:-2] + "\n")
        else:
            plain.writerow(row)
    return buffer.getvalue()


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns through :func:`inert` (the frame itself when no text
    needs it), vectorised: the first bytes of a string column are looked at all at once,
    only the distinct texts starting with one of those characters go through
    :func:`needs_quote`, and the apostrophes are put in one operation. An object column is
    done value by value (only its texts); number, boolean and date columns never change."""
    import pandas as pd

    changed: dict[Any, pd.Series] = {}
    for name, column in frame.items():
        if column.dtype == object:
            values = column.to_numpy()
            done = [inert(value) for value in values]
            if any(new is not old for new, old in zip(done, values, strict=True)):
                changed[name] = pd.Series(done, index=column.index, name=name, dtype=object)
        elif pd.api.types.is_string_dtype(column.dtype):
            done = _inert_texts(column)
            if done is not None:
                changed[name] = done
    if not changed:
        return frame
    out = frame.copy(deep=False)
    for name, column in changed.items():
        out[name] = column
    return out


#: The first bytes of a text :data:`STARTS` matches (ASCII characters: one byte each).
_FIRST = (QUOTE + FORMULA_STARTS).encode("ascii")


def _inert_texts(column: pd.Series) -> pd.Series | None:
    """A string column through :func:`inert`; None when no text needs it (the usual case)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(column.array)  # no copy when pandas holds the strings in Arrow
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    strings = all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks)
    if strings:
        first = np.concatenate([np.zeros(0, dtype=bool), *map(_first_byte_may_start, chunks)])
    else:
        first = column.str.match(STARTS).fillna(False).to_numpy(dtype=bool)
    where = np.flatnonzero(first)
    if not len(where):
        return None
    texts = column.iloc[where]
    quoted = [text for text in texts.dropna().unique() if needs_quote(text)]
    quote = np.zeros(len(column), dtype=bool)
    quote[where[texts.isin(quoted).to_numpy(dtype=bool)]] = True
    if not quote.any():
        return None
    if strings:
        with_quote = pc.utf8_replace_slice(arrow, 0, 0, QUOTE)  # QUOTE put at the start
        done = pc.if_else(pa.array(quote), with_quote, arrow)
        return pd.Series(pd.array(done, dtype=column.dtype), index=column.index, name=column.name)
    return column.where(~quote, QUOTE + column)


def _first_byte_may_start(chunk: Any) -> np.ndarray:
    """For each text of an Arrow string array, whether its first byte is one of
    :data:`_FIRST`, read from the array's buffers at once."""
    import numpy as np
    import pyarrow as pa

    _, offsets_buffer, data = chunk.buffers()
    if data is None or not len(chunk):
        return np.zeros(len(chunk), dtype=bool)
    width = np.int32 if pa.types.is_string(chunk.type) else np.int64
    offsets = np.frombuffer(offsets_buffer, dtype=width)
    offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
    begin = offsets[:-1]
    filled = offsets[1:] > begin
    head = np.zeros(len(chunk), dtype=np.uint8)
    head[filled] = np.frombuffer(data, dtype=np.uint8)[begin[filled]]
    return np.isin(head, np.frombuffer(_FIRST, dtype=np.uint8))
