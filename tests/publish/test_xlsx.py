"""Workbooks written row by row: every text cell a string, inert; numbers numbers."""

from __future__ import annotations

from openpyxl import load_workbook

from nremstats.publish.xlsx import Book, write_rows

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def read(cell) -> tuple[object, str]:
    """A cell's value and type (a carriage return comes back as Excel's escape _x000D_)."""
    value = cell.value.replace("_x000D_", "\r") if isinstance(cell.value, str) else cell.value
    return value, cell.data_type


def test_text_cells_are_inert_strings_and_numbers_stay_numbers(tmp_path):
    out = write_rows(
        tmp_path / "r.xlsx", "Rows", [["text", "number"], *([t, -5] for t in FORMULAS)]
    )
    write_rows(tmp_path / "plain.xlsx", "Rows", [["-5", "plain", -1.5]])
    rows = list(load_workbook(out)["Rows"].iter_rows(min_row=2))
    assert [read(r[0]) for r in rows] == [("'" + t, "s") for t in FORMULAS]
    assert {read(r[1]) for r in rows} == {(-5, "n")}
    (plain,) = load_workbook(tmp_path / "plain.xlsx")["Rows"].iter_rows()
    assert [read(c) for c in plain] == [("-5", "s"), ("plain", "s"), (-1.5, "n")]


def test_figures_labels_and_marks_are_inert(tmp_path):
    with Book(tmp_path / "f.xlsx") as book:
        sheet = book.sheet("Figures")
        for text in FORMULAS:
            sheet.figures([text, 12, text, "-5", "3-7"], first=2)
    cells = [[read(c) for c in row] for row in load_workbook(book.path).active]
    assert cells == [
        [("'" + t, "s"), (12, "n"), ("'" + t, "s"), ("-5", "s"), ("3-7", "s")] for t in FORMULAS
    ]
