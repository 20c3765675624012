"""Feedback workbooks: the list of findings holds the received texts as strings, inert."""

from __future__ import annotations

from openpyxl import load_workbook

from nremstats.core.findings import finding
from nremstats.returns.feedback import LIST_SHEET, write_feedback
from nremstats.returns.pipeline import validate_files
from nremstats.returns.results import FileResult
from nremstats.template.workbook import write_template

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def listed(path) -> dict[str, tuple[object, str]]:
    """cell -> the text column's value and type, from the list of findings."""
    rows = load_workbook(path)[LIST_SHEET].iter_rows(min_row=2)
    return {row[3].value: (row[4].value, row[4].data_type) for row in rows if row[4].value}


def test_texts_of_the_cells_are_listed_as_strings_never_formulas(tmp_path):
    path = write_template(tmp_path / "t.xlsx", "NLD", 2023)
    wb = load_workbook(path)
    texts = {"C5": "=1+1", "D5": "+1+1", "E5": "-1+1", "F5": "@SUM(A1)", "E6": "-5", "F6": "plain"}
    for cell, text in texts.items():
        wb["Convicted"][cell].value = text
        wb["Convicted"][cell].data_type = "s"  # the country typed a text, not a formula
    wb.save(path)
    out = write_feedback(validate_files([path]).files[0], path, tmp_path / "fb")
    got = listed(out)
    for cell in ("C5", "D5", "E5", "F5"):
        assert got[cell] == ("'" + texts[cell], "s")
    assert got["E6"] == ("-5", "s") and got["F6"] == ("plain", "s")  # a number, a plain text
    messages = load_workbook(out)[LIST_SHEET]["F"]
    assert all(c.data_type == "s" for c in messages)


def test_every_text_of_a_finding_is_inert(tmp_path):
    path = write_template(tmp_path / "t.xlsx", "NLD", 2023)
    cells = ["C5", "D5", "E5", "F5", "C6", "D6", "E6"]
    findings = [
        finding("VALUE_UNPARSEABLE", str(path), text, sheet="Convicted", cell=cell, text=text)
        for cell, text in zip(cells, [*FORMULAS, "-5"], strict=True)
    ]
    out = write_feedback(FileResult(str(path), findings=findings), path, tmp_path / "fb")
    rows = list(load_workbook(out)[LIST_SHEET].iter_rows(min_row=2))
    for row, text in zip(rows, FORMULAS, strict=False):  # XML reads a CR back as a LF
        assert {(c.value.replace("\n", "\r"), c.data_type) for c in row[4:6]} == {("'" + text, "s")}
    assert [(c.value, c.data_type) for c in rows[-1][4:6]] == [("-5", "s")] * 2
