"""The feedback workbook written by editing the package: the same fills, notes and Findings
sheet as the openpyxl copy, every value of the country's sheets as it was, blank cells and
rows written in order, defined names kept on their sheets; a package it does not edit goes
to openpyxl; LibreOffice reads the result (where installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from nremstats.core.findings import finding
from nremstats.returns.feedback import FILLS, LIST_SHEET, write_feedback
from nremstats.returns.feedback import _write_with_openpyxl as openpyxl_copy
from nremstats.returns.feedback_xml import Unsupported, write_feedback_xml
from nremstats.returns.pipeline import validate_files
from nremstats.returns.results import FileResult
from tests.conftest import ROOT, copy_sample

GLOTIP = ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx"
SOFFICE = shutil.which("soffice")


def values(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def marks(path: Path) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(sheet, cell) -> (fill colour, note) of every filled or annotated cell."""
    out = {}
    for ws in load_workbook(path):
        if ws.title == LIST_SHEET:
            continue
        for row in ws.iter_rows():
            for cell in row:
                solid = cell.fill.fill_type == "solid"
                rgb = str(cell.fill.fgColor.rgb)[-6:] if solid else None  # alpha aside
                if rgb or cell.comment:
                    out[(ws.title, cell.coordinate)] = (rgb, cell.comment and cell.comment.text)
    return out


def test_the_same_feedback_as_openpyxl_writes(tmp_path: Path) -> None:
    source = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    (result,) = validate_files([str(source)]).files
    fast = write_feedback(result, source, tmp_path / "fast")
    slow = openpyxl_copy(result, source, tmp_path / "slow.xlsx")
    assert fast is not None and slow is not None
    assert marks(fast) == marks(slow) and len(marks(fast)) >= len(result.findings) - 2
    book = load_workbook(fast)
    assert book.sheetnames[0] == LIST_SHEET and book.active.title == LIST_SHEET
    rows = list(book[LIST_SHEET].iter_rows(values_only=True))
    assert rows[1:] == list(load_workbook(slow)[LIST_SHEET].iter_rows(values_only=True))[1:]
    link = book[LIST_SHEET]["D2"].hyperlink
    assert link is not None and link.location.endswith(f"!{rows[1][3]}")
    before, after = values(source), values(fast)
    assert {k: v for k, v in after.items() if k != LIST_SHEET} == before  # values as sent


def test_blank_cells_and_rows_are_written_in_order(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["C3"], ws["F3"] = "head", 12, "x"
    wb.create_sheet("Other")["B2"] = 5
    wb.defined_names["_xlnm.Print_Area"] = DefinedName(
        "_xlnm.Print_Area", localSheetId=1, attr_text="Other!$A$1:$C$3"
    )
    source = tmp_path / "book.xlsx"
    wb.save(source)
    places = {"A1": "error", "B3": "warning", "E3": "info", "G3": "error", "B2": "warning",
              "D10": "error", "C3": "info"}  # fmt: skip
    found = [
        finding("VALUE_UNPARSEABLE", "book.xlsx", f"m {ref}", severity=sev, sheet="Data", cell=ref)
        for ref, sev in places.items()
    ]
    target = tmp_path / "feedback.xlsx"
    write_feedback_xml(source, target, found, FILLS, LIST_SHEET, lambda s: f"'{s}'")
    book = load_workbook(target)
    data = book["Data"]
    for ref, severity in places.items():
        assert data[ref].fill.fgColor.rgb[-6:] == FILLS[severity], ref
        assert data[ref].comment.text == f"VALUE_UNPARSEABLE ({severity}): m {ref}"
    assert (data["A1"].value, data["C3"].value, data["F3"].value) == ("head", 12, "x")
    assert book["Other"]["B2"].value == 5
    assert book.sheetnames == [LIST_SHEET, "Data", "Other"]
    assert book["Other"].print_area == "'Other'!$A$1:$C$3"  # still on its sheet
    assert not book["Data"].print_area


def test_a_sheet_with_notes_already_goes_to_openpyxl(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Data"
    wb.active["B2"] = 3
    wb.active["B2"].comment = Comment("the country's own note", "NREM")
    source = tmp_path / "noted.xlsx"
    wb.save(source)
    item = finding("VALUE_NEGATIVE", "noted.xlsx", "m", sheet="Data", cell="C3")
    with pytest.raises(Unsupported):
        write_feedback_xml(source, tmp_path / "x.xlsx", [item], FILLS, LIST_SHEET, str)
    assert not (tmp_path / "x.xlsx").exists()
    out = write_feedback(FileResult("noted.xlsx", findings=[item]), source, tmp_path / "fb")
    book = load_workbook(out)
    assert book["Data"]["B2"].comment.text.startswith("the country's own note")
    assert book["Data"]["C3"].comment.text.startswith("VALUE_NEGATIVE")


def test_the_glotip_feedback_keeps_every_value(tmp_path: Path) -> None:
    (result,) = validate_files([str(GLOTIP)]).files
    out = write_feedback(result, GLOTIP, tmp_path)
    assert out is not None
    after = values(out)
    assert after["data_glotip_1"] == values(GLOTIP)["data_glotip_1"]
    assert len(after[LIST_SHEET]) == len(result.findings) + 1


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_notes_and_fills(tmp_path: Path) -> None:
    source = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    (result,) = validate_files([str(source)]).files
    fast = write_feedback(result, source, tmp_path / "fast")
    subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(fast),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    again = marks(tmp_path / "lo" / fast.name)
    assert again == marks(fast)
