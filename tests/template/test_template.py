from __future__ import annotations

import pytest
from openpyxl import load_workbook

from nremstats.core.errors import OptionError
from nremstats.returns.pipeline import read_return
from nremstats.template.grid import (
    LISTS_SHEET,
    METADATA_MARKER,
    metadata_rows,
    sheet_layouts,
    template_version,
)
from nremstats.template.workbook import fill_return, write_template

SHEET_NAMES = {
    "en": [
        "Instructions",
        "Metadata",
        "Victims",
        "Suspected",
        "Prosecuted",
        "Convicted",
        "Offences",
        LISTS_SHEET,
    ],
    "fr": [
        "Instructions",
        "Métadonnées",
        "Victimes",
        "Soupçonnés",
        "Poursuivis",
        "Condamnés",
        "Infractions",
        LISTS_SHEET,
    ],
    "es": [
        "Instrucciones",
        "Metadatos",
        "Víctimas",
        "Sospechosos",
        "Procesados",
        "Condenados",
        "Delitos",
        LISTS_SHEET,
    ],
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_workbook_structure(tmp_path, lang):
    path = write_template(tmp_path / "t.xlsx", "NLD", 2023, lang)
    wb = load_workbook(path)
    assert wb.sheetnames == SHEET_NAMES[lang]
    assert wb.security.lockStructure and not wb.security.workbookPassword
    meta = wb[SHEET_NAMES[lang][1]]
    rows = metadata_rows()
    assert meta["A1"].value == METADATA_MARKER
    assert meta.cell(rows["country"], 3).value == "NLD"
    assert meta.cell(rows["year"], 3).value == 2023
    assert meta.cell(rows["template_version"], 3).value == template_version()
    assert meta.cell(rows["template_version"], 3).protection.locked  # the stamp is protected
    assert not meta.cell(rows["definition"], 3).protection.locked
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password


def test_input_cells_are_unlocked_and_filled_others_locked(blank_template):
    wb = load_workbook(blank_template)
    ws = wb["Victims"]
    layout = sheet_layouts()[0]
    grid = layout.grids[0]
    row, col = grid.rows[0][0], grid.cols[0][0]
    cell = ws.cell(row, col)
    assert not cell.protection.locked
    assert cell.fill.fgColor.rgb.endswith("FFF2CC")
    label = ws.cell(row, grid.label_col)
    assert label.protection.locked and label.value == "Total"
    assert ws.column_dimensions["A"].hidden and ws["A1"].value == "nremstats:VICTIMS_DETECTED"


def test_dropdowns_for_coded_fields(blank_template):
    wb = load_workbook(blank_template)
    meta_formulas = {dv.formula1 for dv in wb["Metadata"].data_validations.dataValidation}
    assert any("$A$1" in f for f in meta_formulas)  # countries
    assert any("$B$1" in f for f in meta_formulas)  # definitions
    victims = wb["Victims"].data_validations.dataValidation
    code_cells = {str(r) for dv in victims for r in dv.sqref.ranges}
    extra = [r for grid in sheet_layouts()[0].grids for r, c in grid.rows if c is None]
    assert f"B{extra[0]}" in code_cells


def test_citizenship_grid_has_nat_for_unknown_and_free_rows():
    grid = next(g for g in sheet_layouts()[0].grids if g.row_dim == "citizenship")
    assert [c for _, c in grid.rows[:3]] == ["NAT", "FOR", "_U"]
    assert sum(c is None for _, c in grid.rows) >= 10


@pytest.mark.parametrize(
    ("country", "year", "lang"),
    [("NL", 2023, "en"), ("XXX", 2023, "en"), ("NLD", 1989, "en"), ("NLD", 2023, "de")],
)
def test_bad_options(tmp_path, country, year, lang):
    with pytest.raises(OptionError):
        write_template(tmp_path / "t.xlsx", country, year, lang)


VALUES = {
    ("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 120,
    ("VICTIMS_DETECTED", "F", "Y_LT18", "_T", "_T"): "<5",
    ("VICTIMS_DETECTED", "_T", "_T", "SEXUAL", "_T"): "61 p",
    ("VICTIMS_DETECTED", "_T", "_T", "_T", "ROU"): 9,
    ("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): "..",
    ("OFFENCES_RECORDED", "_T", "_T", "LABOUR", "_T"): 14,
}


def _observations(path):
    data = read_return(path)
    frame = data.observations.drop(columns=["source_file", "source_sha256", "sheet"])
    keys = ["indicator", "sex", "age", "exploitation", "citizenship"]
    return frame.sort_values(keys).reset_index(drop=True)


def test_all_three_languages_ingest_the_same(tmp_path):
    frames = []
    for lang in ("en", "fr", "es"):
        path = write_template(tmp_path / f"{lang}.xlsx", "NLD", 2023, lang)
        labels = {
            "en": "Presumed (presumed or possible victims)",
            "fr": "Présumées (victimes présumées ou possibles)",
            "es": "Presuntas (víctimas presuntas o posibles)",
        }
        fill_return(path, VALUES, metadata={"definition": labels[lang]})
        frames.append(_observations(path))
    assert len(frames[0]) == len(VALUES)
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])
    assert set(frames[0]["definition"].dropna()) == {"PRESUMED"}
