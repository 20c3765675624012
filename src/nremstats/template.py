"""The return workbook a country fills: its layout, writing it, and filling it by code.

The layout is computed from ``schemas/template.yaml`` by :func:`sheet_layouts`; the writer
here and the reader in :mod:`nremstats.locate` both use it, so they cannot drift apart.
Sheets are recognised by a marker in the hidden column A, not by their (translated) names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nremstats import codes
from nremstats.errors import OptionError

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
        key = dict.fromkeys(codes.CODED_DIMENSIONS, "_T")
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


def _check_options(country: str, year: int, lang: str) -> None:
    if lang not in codes.LANGUAGES:
        raise OptionError(f"--lang {lang}: choose one of {', '.join(codes.LANGUAGES)}.")
    if codes.lookup_country(country) != country.upper() or len(country) != 3:
        raise OptionError(
            f"--country {country}: not an ISO 3166-1 alpha-3 code. Use e.g. NLD, GBR or NGA."
        )
    if not 1990 <= year <= 2100:
        raise OptionError(f"--year {year}: choose a reference year from 1990 to 2100.")


def write_template(path: Path, country: str, year: int, lang: str = "en") -> Path:
    """Write the return workbook for one country and year.

    Args:
        path: where to write the ``.xlsx`` file (its folder must exist).
        country: ISO 3166-1 alpha-3 code of the reporting country.
        year: reference year (1990 to 2100).
        lang: ``en``, ``fr`` or ``es``; the whole workbook is in that language.

    Returns:
        The path written.

    Raises:
        OptionError: on an unknown language, a non-ISO3 country or a year out of range.
    """
    from nremstats import template_writer

    _check_options(country, year, lang)
    return template_writer.build_workbook(Path(path), country.upper(), year, lang)


def fill_return(
    path: Path,
    values: Mapping[tuple[str, str, str, str, str], Any],
    *,
    metadata: Mapping[str, Any] | None = None,
    notes: Mapping[tuple[str, str, str], str] | None = None,
    output: Path | None = None,
) -> Path:
    """Write values into a template, as a country would type them.

    Args:
        path: a workbook made by :func:`write_template`.
        values: ``{(indicator, sex, age, exploitation, citizenship): written value}``; a
            single foreign citizenship (ISO3) takes the next empty code row of its grid.
        metadata: metadata fields to set; a ``definition`` code and a ``multiple_counting``
            boolean are written as the workbook's own dropdown offers them (its language).
        notes: ``{(indicator, grid name, row code): note}`` written in the Note column.
        output: where to save (default: over ``path``).

    Returns:
        The path saved.

    Raises:
        OptionError: a value whose key has no cell in the template.
    """
    from nremstats import template_writer

    return template_writer.fill_workbook(
        Path(path), values, metadata or {}, notes or {}, Path(output or path)
    )
