"""Workbooks written row by row with XlsxWriter (tables and the report): fast, streamed
(constant memory), and safe with text as it came: never turned into formulas or links, and
inert (:mod:`nremstats.core.inert`: a text a spreadsheet would evaluate, should the cell be
edited or the sheet saved as CSV, is written with ``'`` in front).

The file is written beside its target and renamed over it when complete, so a failure never
leaves half a workbook where the previous one was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nremstats.core.files import replace_durably
from nremstats.core.inert import inert

#: Cell styles by name (XlsxWriter format properties).
STYLES: dict[str, dict[str, Any]] = {
    "bold": {"bold": True},
    "title": {"bold": True, "font_size": 13},
    "number": {"num_format": "#,##0", "align": "right"},
    "percent": {"num_format": "0.0", "align": "right"},
    "right": {"align": "right"},
}


#: A figure of a table: a number and what follows it (status flag, note references), or a
#: mark (``<5``, ``c``, ``..``), or nothing.
Figure = tuple[int | float, str] | str | None


class Sheet:
    """One worksheet, written a row at a time from the top."""

    def __init__(self, ws: Any, styles: dict[str, Any], shown: Callable[..., Any]) -> None:
        self._ws = ws
        self._styles = styles
        self._shown = shown
        self.row = 0  # the next row to write, from 0

    def counts(
        self,
        labels: Sequence[Any],
        figures: Sequence[Figure],
        pattern: str = "#,##0",
        bold: bool = False,
    ) -> None:
        """A row of labels, then figures: a number is a numeric cell whose number format
        (``pattern``) shows what follows it (``303 p [2]``: still a number to sum, sort
        and chart); a mark is text, aligned right; nothing leaves the cell empty."""
        ws, label = self._ws, self._styles["bold"] if bold else None
        for column, value in enumerate(labels):
            if value is not None and value != "":
                ws.write(self.row, column, inert(value), label)
        for column, figure in enumerate(figures, start=len(labels)):
            if figure is None or figure == "":
                continue
            if isinstance(figure, str):
                ws.write_string(self.row, column, inert(figure), self._styles["right"])
            else:
                number, suffix = figure
                ws.write_number(self.row, column, number, self._shown(pattern, suffix, bold))
        self.row += 1

    def append(self, values: Sequence[Any] = (), style: str | None = None) -> None:
        """Write a row; ``style`` for every cell of it (``bold`` for a header)."""
        fmt = self._styles[style] if style else None
        for column, value in enumerate(values):
            if value is not None:
                self._ws.write(self.row, column, inert(value), fmt)
        self.row += 1

    def figures(self, values: Sequence[Any], first: int, number: str = "number") -> None:
        """Write a row of labels then figures from column ``first``: whole numbers in the
        ``number`` style, other floats as ``percent``, text (marks) aligned right."""
        ws, styles = self._ws, self._styles
        for column, value in enumerate(values):
            if value is None:
                continue
            if column < first:
                ws.write(self.row, column, inert(value))
            elif isinstance(value, bool) or not isinstance(value, int | float):
                ws.write_string(self.row, column, inert(str(value)), styles["right"])
            else:
                style = number if isinstance(value, int) else "percent"
                ws.write_number(self.row, column, value, styles[style])
        self.row += 1

    def freeze(self, row: int, column: int) -> None:
        """Keep rows above ``row`` and columns left of ``column`` (0-based) in view."""
        self._ws.freeze_panes(row, column)

    def widths(self, widths: dict[int, float]) -> None:
        for column, width in widths.items():
            self._ws.set_column(column, column, width)


class Book:
    """A workbook being written to ``path`` (use as a context manager)."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.path = Path(path)
        self._tmp = self.path.with_name(f".tmp-{os.getpid()}-{self.path.name}")
        self._wb = xlsxwriter.Workbook(
            str(self._tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._styles = {name: self._wb.add_format(spec) for name, spec in STYLES.items()}
        self._formats: dict[tuple[str, str, bool], Any] = {}

    def shown(self, pattern: str, suffix: str, bold: bool = False) -> Any:
        """The cell format of numbers written ``pattern`` followed by ``suffix`` (a status
        flag, note references: text in the number format, so the cell stays a number)."""
        key = (pattern, suffix, bold)
        if key not in self._formats:
            quoted = suffix.replace('"', "")
            spec = {"num_format": f'{pattern}"{quoted}"' if quoted else pattern, "align": "right"}
            self._formats[key] = self._wb.add_format({**spec, "bold": bold})
        return self._formats[key]

    def sheet(
        self,
        name: str,
        widths: dict[int, float] | None = None,
        freeze: tuple[int, int] | None = None,
    ) -> Sheet:
        """A new sheet (name cut to Excel's 31 characters), its column widths and panes set
        before any row (the rows are streamed)."""
        sheet = Sheet(self._wb.add_worksheet(name[:31]), self._styles, self.shown)
        if widths:
            sheet.widths(widths)
        if freeze:
            sheet.freeze(*freeze)
        return sheet

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:  # failed: leave nothing behind, keep what was there
            try:
                self._wb.close()
            finally:
                self._tmp.unlink(missing_ok=True)
            return
        self._wb.close()
        replace_durably(self._tmp, self.path)


def write_rows(path: Path, name: str, rows: list[list[Any]]) -> Path:
    """A workbook of one sheet ``name``: ``rows`` as they are (the first, a header, in
    bold; numbers as numbers, text as text)."""
    with Book(path) as book:
        sheet = book.sheet(name, freeze=(1, 0))
        for n, row in enumerate(rows):
            sheet.append(row, "bold" if n == 0 else None)
    return path
