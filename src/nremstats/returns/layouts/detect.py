"""Which foreign layout a file has: the table each layout finds in it, and detection.

A layout's header (``header: find:``, or Eurostat's packed key) is looked for in the first
rows of each sheet named like ``sheet:`` (or of a text file); only those top rows are read,
so detection over every shipped layout stays cheap.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from nremstats.core import codes
from nremstats.returns.layouts.declaration import Layout, load_layout
from nremstats.returns.read import Source, csv_rows


def shipped_layouts() -> list[Layout]:
    """The layouts of ``schemas/layouts/``, checked."""
    return [load_layout(name) for name in codes.layout_names()]


def describe_layouts() -> list[dict[str, Any]]:
    """The shipped layouts as records: name, provider, kind, formats, title, file."""
    return [
        {
            "layout": layout.name,
            "provider": layout.provider,
            "kind": "compilation" if layout.compilation else "national",
            "formats": layout.formats,
            "title": layout.title,
            "file": str(layout.path),
        }
        for layout in shipped_layouts()
    ]


def detect(source: Source, candidates: Iterable[Layout] | None = None) -> list[Layout]:
    """The layouts (default: the shipped ones) whose table is found in ``source``."""
    pool = shipped_layouts() if candidates is None else candidates
    return [layout for layout in pool if matches(layout, source)]


def matches(layout: Layout, source: Source) -> bool:
    """True when the layout's header is found in ``source`` (reads only the top rows)."""
    return _sheet(layout, source) is not False


def find_table(layout: Layout, source: Source) -> tuple[str | None, list[list[Any]]] | None:
    """The sheet (None for CSV) and rows of ``source`` the layout reads, else None.

    Rows of a workbook come as calamine gives them (texts and numbers): only the columns a
    layout reads are turned into text, by :mod:`nremstats.returns.layouts.locate`.
    """
    sheet = _sheet(layout, source)
    if sheet is False:
        return None
    if source.kind == "csv":
        return None, csv_rows(source, delimiter=layout.delimiter)
    return sheet, source.raw[sheet]  # type: ignore[index]


def _sheet(layout: Layout, source: Source) -> str | None | bool:
    """The sheet whose top rows hold the header (None for a CSV that does), else False."""
    if source.kind not in layout.formats:
        return False
    if source.kind == "csv":
        rows = csv_rows(source, limit=layout.header_within, delimiter=layout.delimiter)
        return None if layout.header_row(rows) is not None else False
    found = matching_sheets(layout, source)
    return found[0] if found else False


def matching_sheets(layout: Layout, source: Source) -> list[str]:
    """Every sheet of a workbook named like the layout's whose top rows hold its header."""
    return [
        name
        for name in source.raw
        if fnmatch.fnmatch(name, layout.sheet)
        and layout.header_row(source.head(name, layout.header_within)) is not None
    ]
