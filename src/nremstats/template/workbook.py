"""The return workbook a country fills: written, and filled by code, with openpyxl.

:func:`write_template` writes it for one country and year in one language;
:func:`fill_return` types values into it as a country would (tests, sample data). Where each
cell sits is :mod:`nremstats.template.grid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.template.grid import (
    FIRST_COL,
    LISTS_SHEET,
    METADATA_MARKER,
    GridLayout,
    SheetLayout,
    metadata_rows,
    sheet_layouts,
    template_version,
)

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNLOCKED = Protection(locked=False)


def _input(cell: Any) -> None:
    cell.fill = INPUT_FILL
    cell.border = BOX
    cell.protection = UNLOCKED


def _protect(ws: Worksheet) -> None:
    # One page wide when printed (a country often prints its return for sign-off).
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.protection.sheet = True  # no password: it guards the layout, not secrets
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _lists_sheet(wb: Workbook, lang: str) -> dict[str, str]:
    ws = wb.create_sheet(LISTS_SHEET)
    countries = sorted(codes.country_codes())
    for i, code in enumerate(countries, start=1):
        ws.cell(i, 1, code)
    definitions = codes.ordered_codes("definition")
    for i, code in enumerate(definitions, start=1):
        ws.cell(i, 2, codes.label("definition", code, lang))
    yes_no = codes.template_spec()["text"][lang]["yes_no"]
    for i, word in enumerate(yes_no, start=1):
        ws.cell(i, 3, word)
    ws.sheet_state = "hidden"
    _protect(ws)
    return {
        "countries": f"{LISTS_SHEET}!$A$1:$A${len(countries)}",
        "definition": f"{LISTS_SHEET}!$B$1:$B${len(definitions)}",
        "yes_no": f"{LISTS_SHEET}!$C$1:$C${len(yes_no)}",
    }


def _dropdown(ws: Worksheet, formula: str, cells: list[str]) -> None:
    if not cells:
        return
    validation = DataValidation(type="list", formula1=f"={formula}", allow_blank=True)
    validation.error = "Choose a value from the list."
    validation.showErrorMessage = True
    ws.add_data_validation(validation)
    for ref in cells:
        validation.add(ref)


def _instructions(wb: Workbook, text: dict[str, Any]) -> None:
    ws = wb.active
    ws.title = text["sheet_instructions"]
    ws.column_dimensions["A"].width = 3
    ws.column_dimensions["B"].width = 110
    for i, line in enumerate(text["instructions"], start=1):
        cell = ws.cell(i + 1, 2, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1:
            cell.font = Font(bold=True, size=14)
    _protect(ws)


def _metadata(wb: Workbook, text: dict[str, Any], lists: dict[str, str], country: str, year: int):
    ws = wb.create_sheet(text["sheet_metadata"])
    ws["A1"] = METADATA_MARKER
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 50
    ws.cell(1, 2, text["sheet_metadata"]).font = Font(bold=True, size=14)
    prefilled = {"country": country, "year": year, "template_version": template_version()}
    rows = metadata_rows()
    for field in codes.template_spec()["metadata"]:
        row = rows[field["key"]]
        ws.cell(row, 2, text["metadata_fields"][field["key"]]).font = Font(bold=True)
        cell = ws.cell(row, 3, prefilled.get(field["key"]))
        if field.get("fixed"):
            cell.fill = HEADER_FILL
        else:
            _input(cell)
        if "list" in field:
            _dropdown(ws, lists[field["list"]], [cell.coordinate])
    ws.row_dimensions[rows["notes"]].height = 60
    _protect(ws)


def _header(ws: Worksheet, row: int, col: int, value: str) -> None:
    cell = ws.cell(row, col, value)
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.border = BOX
    cell.alignment = Alignment(wrap_text=True, horizontal="center")


def _grid(ws: Worksheet, grid: GridLayout, text: dict[str, Any], lang: str) -> list[str]:
    ws.cell(grid.title_row, FIRST_COL, text["grid_titles"][grid.name]).font = Font(bold=True)
    _header(ws, grid.header_row, FIRST_COL, "")
    for col, code in grid.cols:
        _header(ws, grid.header_row, col, codes.label(grid.col_dim, code, lang))
    _header(ws, grid.header_row, grid.note_col, text["note_header"])
    code_cells = []
    for row, code in grid.rows:
        label_cell = ws.cell(row, FIRST_COL)
        if code is None:
            _input(label_cell)
            code_cells.append(label_cell.coordinate)
        else:
            label_cell.value = codes.label(grid.row_dim, code, lang)
            label_cell.border = BOX
        for col, _ in grid.cols:
            _input(ws.cell(row, col))
        _input(ws.cell(row, grid.note_col))
    return code_cells


def _indicator_sheet(wb: Workbook, layout: SheetLayout, text, lists, lang, country, year):
    short = next(i["short"][lang] for i in codes.indicators() if i["code"] == layout.indicator)
    ws = wb.create_sheet(short)
    ws["A1"] = layout.marker
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions[get_column_letter(FIRST_COL)].width = 44
    width = max(grid.note_col for grid in layout.grids)
    for col in range(FIRST_COL + 1, width):
        ws.column_dimensions[get_column_letter(col)].width = 14
    ws.column_dimensions[get_column_letter(width)].width = 40
    title = codes.label("indicator", layout.indicator, lang)
    ws.cell(1, FIRST_COL, f"{title} — {country} {year}").font = Font(bold=True, size=13)
    code_cells: list[str] = []
    for grid in layout.grids:
        code_cells += _grid(ws, grid, text, lang)
    _dropdown(ws, lists["countries"], code_cells)
    ws.freeze_panes = ws.cell(2, FIRST_COL + 1)
    _protect(ws)


def build_workbook(path: Path, country: str, year: int, lang: str) -> Path:
    """Write the template workbook (see :func:`write_template`)."""
    text = codes.template_spec()["text"][lang]
    wb = Workbook()
    _instructions(wb, text)
    lists = _lists_sheet(wb, lang)
    _metadata(wb, text, lists, country, year)
    for layout in sheet_layouts():
        _indicator_sheet(wb, layout, text, lists, lang, country, year)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = text["title"].format(country=country, year=year)
    wb.properties.keywords = f"nremstats-template {template_version()}"
    wb.save(path)
    return path


def _sheet_by_marker(wb: Workbook, marker: str) -> Worksheet:
    for ws in wb.worksheets:
        if ws["A1"].value == marker:
            return ws
    raise OptionError(f"The workbook has no sheet marked {marker}: is it an nremstats template?")


def _place(layout: SheetLayout, key: tuple[str, str, str, str], used: dict) -> tuple[int, int]:
    wanted = dict(zip(DIMENSIONS, key, strict=True))
    for grid in layout.grids:
        fixed = {d: c for d, c in wanted.items() if d not in (grid.row_dim, grid.col_dim)}
        if any(c != TOTAL for c in fixed.values()):
            continue
        col = next((c for c, code in grid.cols if code == wanted[grid.col_dim]), None)
        if col is None:
            continue
        row_code = wanted[grid.row_dim]
        row = next((r for r, code in grid.rows if code == row_code), None)
        if row is None and any(code is None for _, code in grid.rows):
            taken = used.setdefault(grid.name, {})
            if row_code not in taken and len(taken) < sum(c is None for _, c in grid.rows):
                free = [r for r, c in grid.rows if c is None]
                taken[row_code] = free[len(taken)]
            row = taken.get(row_code)
        if row is not None:
            return row, col
    raise OptionError(f"{layout.indicator} {key}: no cell of the template holds this breakdown.")


def fill_workbook(
    path: Path,
    values: Mapping[tuple[str, str, str, str, str], Any],
    metadata: Mapping[str, Any],
    notes: Mapping[tuple[str, str, str], str],
    output: Path,
) -> Path:
    """Fill a template (see :func:`fill_return`)."""
    wb = load_workbook(path)
    meta_ws = _sheet_by_marker(wb, METADATA_MARKER)
    texts = codes.template_spec()["text"]
    lang = next((k for k, t in texts.items() if t["sheet_metadata"] == meta_ws.title), "en")
    rows = metadata_rows()
    for key, value in metadata.items():
        if key not in rows:
            raise OptionError(f"Unknown metadata field '{key}'; known: {', '.join(rows)}.")
        if key == "definition" and value in codes.codes("definition"):
            value = codes.label("definition", value, lang)  # as the dropdown offers it
        if key == "multiple_counting" and isinstance(value, bool):
            value = codes.template_spec()["text"][lang]["yes_no"][0 if value else 1]
        meta_ws.cell(rows[key], 3, value)
    layouts = {layout.indicator: layout for layout in sheet_layouts()}
    used: dict[str, dict[str, dict[str, int]]] = {}
    for (indicator, *key), written in values.items():
        layout = layouts[indicator]
        ws = _sheet_by_marker(wb, layout.marker)
        row, col = _place(layout, tuple(key), used.setdefault(indicator, {}))
        grid_name = next(g.name for g in layout.grids if any(r == row for r, _ in g.rows))
        code_taken = used[indicator].get(grid_name, {})
        for code, code_row in code_taken.items():
            if code_row == row:
                ws.cell(row, FIRST_COL, code)
        ws.cell(row, col, written)
    for (indicator, grid_name, row_code), note in notes.items():
        layout = layouts[indicator]
        grid = next(g for g in layout.grids if g.name == grid_name)
        row = next(r for r, c in grid.rows if c == row_code)
        _sheet_by_marker(wb, layout.marker).cell(row, grid.note_col, note)
    wb.save(output)
    return output


def _check_options(country: str, year: int, lang: str) -> None:
    if lang not in codes.LANGUAGES:
        raise OptionError(f"--lang {lang}: choose one of {', '.join(codes.LANGUAGES)}.")
    if country.upper() not in codes.country_codes() or len(country) != 3:
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
    _check_options(country, year, lang)
    return build_workbook(Path(path), country.upper(), year, lang)


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
    return fill_workbook(Path(path), values, metadata or {}, notes or {}, Path(output or path))
