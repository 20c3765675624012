"""The return workbook's grids: where every sheet, grid, row, column and metadata field sits.

The layout is computed from ``schemas/template.yaml`` by :func:`sheet_layouts`; the writer
(:mod:`nremstats.template.workbook`) and the reader (:mod:`nremstats.returns.locate`) both
use it, so they cannot drift apart. Sheets are recognised by a marker in the hidden column
A, not by their (translated) names.
"""

from __future__ import annotations

from dataclasses import dataclass

from nremstats.core import codes
from nremstats.core.model import ALL_TOTALS

MARKER_PREFIX = "nremstats:"
METADATA_MARKER = MARKER_PREFIX + "METADATA"
LISTS_SHEET = "_lists"
FIRST_COL = 2  # column B holds the row labels; column A is hidden and holds the markers
METADATA_FIRST_ROW = 3
GRID_FIRST_ROW = 3


@dataclass(frozen=True)
class GridLayout:
    """Where one grid of a sheet sits. Rows and columns are 1-based sheet coordinates."""

    name: str
    row_dim: str
    col_dim: str
    title_row: int
    header_row: int
    #: (sheet row, code) for fixed rows; code ``None`` for rows the country fills with a code.
    rows: tuple[tuple[int, str | None], ...]
    #: (sheet column, code)
    cols: tuple[tuple[int, str], ...]
    note_col: int
    label_col: int = FIRST_COL

    def dims(self, row_code: str, col_code: str) -> dict[str, str]:
        """Return the four dimension codes of a cell (``_T`` for those the grid fixes)."""
        key = dict(ALL_TOTALS)
        key[self.row_dim] = row_code
        key[self.col_dim] = col_code
        return key


@dataclass(frozen=True)
class SheetLayout:
    """The layout of one indicator sheet."""

    indicator: str
    grids: tuple[GridLayout, ...]

    @property
    def marker(self) -> str:
        return MARKER_PREFIX + self.indicator


def sheet_layouts() -> list[SheetLayout]:
    """Compute the layout of every indicator sheet from the template declaration."""
    spec = codes.template_spec()
    layouts = []
    for indicator, grid_names in spec["sheets"].items():
        row = GRID_FIRST_ROW
        grids = []
        for name in grid_names:
            grid = spec["grids"][name]
            fixed = [(row + 2 + i, code) for i, code in enumerate(grid["rows"]["codes"])]
            start_extra = row + 2 + len(fixed)
            extra = [(start_extra + i, None) for i in range(grid["rows"].get("extra_rows", 0))]
            cols = [(FIRST_COL + 1 + i, code) for i, code in enumerate(grid["cols"]["codes"])]
            grids.append(
                GridLayout(
                    name=name,
                    row_dim=grid["rows"]["dim"],
                    col_dim=grid["cols"]["dim"],
                    title_row=row,
                    header_row=row + 1,
                    rows=tuple(fixed + extra),
                    cols=tuple(cols),
                    note_col=FIRST_COL + 1 + len(cols),
                )
            )
            row = row + 2 + len(fixed) + len(extra) + 1
        layouts.append(SheetLayout(indicator=indicator, grids=tuple(grids)))
    return layouts


def metadata_rows() -> dict[str, int]:
    """Return ``{field key: sheet row}`` of the metadata sheet (value in column C)."""
    fields = codes.template_spec()["metadata"]
    return {field["key"]: METADATA_FIRST_ROW + i for i, field in enumerate(fields)}


def template_version() -> str:
    """Return the version stamp written into new templates."""
    return str(codes.template_spec()["version"])
