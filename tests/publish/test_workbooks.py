"""Workbooks people compute with: every figure a numeric cell whose number format shows its
status and notes, years as numbers, empty cells empty, ranges and rates as numbers in
columns of their own; a footnote every cell shares stated once; series breaks noted.
Checked with openpyxl, and by LibreOffice recalculating a SUM where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nremstats.ingest import ingest_files
from nremstats.publish.export import export_table
from nremstats.publish.publication import build_report
from nremstats.publish.report_xlsx import write_report_xlsx
from nremstats.publish.tables import (
    BREAK_PROVIDER,
    ComparisonTable,
    TableCell,
    comparison_table,
)
from nremstats.store.store import open_store
from tests.conftest import HEADER, write_csv

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NLD national 2021-2022 then UNODC 2023 (a provider break); BEL with a provisional
    figure and a <5; thousands to separate."""
    folder = tmp_path_factory.mktemp("books")
    rows = [
        "NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,1234",
        "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,958",
        "BEL,2021,VICTIMS_DETECTED,_T,_T,_T,_T,231 p",
        "BEL,2022,VICTIMS_DETECTED,_T,_T,_T,_T,<5",
        "BEL,2023,VICTIMS_DETECTED,_T,_T,_T,_T,40",
    ]
    national = write_csv(folder / "national.csv", [HEADER, *rows])
    unodc = write_csv(
        folder / "unodc.csv",
        [f"{HEADER},provider", "NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,5898,UNODC"],
    )
    assert ingest_files([national, unodc], folder / "store").ok
    return folder / "store"


def test_table_cells_are_numbers_with_their_marks_in_the_format(store: Path, tmp_path: Path):
    table = comparison_table(open_store(store), "VICTIMS_DETECTED")
    out = tmp_path / "t.xlsx"
    export_table(table, "xlsx", out)
    ws = load_workbook(out)["VICTIMS_DETECTED"]
    header = [c.value for c in ws[2]]
    assert header[:2] == ["country", "name"] and header[2:] == [2021, 2022, 2023]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=3) if row[0].value}
    bel, nld = rows["BEL"], rows["NLD"]
    assert (bel[2].value, bel[2].data_type) == (231, "n")
    assert bel[2].number_format.startswith("#,##0") and '" p' in bel[2].number_format
    assert bel[3].value == "<5" and bel[3].data_type == "s"  # a mark stays text
    assert (nld[2].value, nld[3].value, nld[4].value) == (1234, 958, 5898)
    assert nld[2].number_format.startswith("#,##0")  # thousands separated
    # the provider break: noted on 2023 (the first UNODC year), in its number format
    note = table.footnotes.index(BREAK_PROVIDER) + 1
    assert table.cells[("NLD", 2023)].notes.count(note) == 1
    assert f"{note}" in nld[4].number_format and str(note) not in nld[3].number_format
    data = load_workbook(out)["Data"]
    found = {(r[1], r[3]): r for r in data.iter_rows(min_row=2, values_only=True)}
    assert found[("BEL", 2022)][4:9] == (None, 0, 4, "Q", "<5")  # a range: two numbers
    assert found[("BEL", 2021)][4] == 231 and found[("BEL", 2021)][7] == "P"
    assert found[("NLD", 2023)][10] == "UNODC"


def test_a_note_every_cell_carries_is_stated_once() -> None:
    def cell(value: int, *notes: int) -> TableCell:
        return TableCell(value, "A", None, None, "UNODC", "id", list(notes))

    cells = {
        ("AGO", 2021): cell(5, 1, 3),
        ("AGO", 2022): cell(6, 1, 2),
        ("ALB", 2021): cell(7, 1, 3),
        ("ALB", 2022): cell(8, 1),
        ("ARM", 2022): cell(9, 1, 4),
    }
    table = ComparisonTable(
        "VICTIMS_DETECTED", ["AGO", "ALB", "ARM"], [2021, 2022], cells, ["a", "b", "c", "d"], []
    )
    assert table.shared_notes() == ([1], {2021: [3]})  # 2022's cells share only note 1
    assert table.heading().endswith("(VICTIMS_DETECTED) [1]")
    header, *body = table.rows(people=True)
    assert header[2:] == ["2021 [3]", "2022"]
    assert body[0][2:] == ["5", "6 [2]"] and body[2][2:] == ["", "9 [4]"]
    assert table.rows()[1][2:] == ["5 [1,3]", "6 [1,2]"]  # data (CSV) keeps every note


def test_report_rates_are_numbers_and_empty_rows_are_left_out(store: Path, tmp_path: Path):
    people = {("NLD", 2021): 17_500_000, ("BEL", 2022): 11_700_000}
    publication = build_report(open_store(store), [2021, 2022, 2023], population=people)
    out = tmp_path / "r.xlsx"
    write_report_xlsx(publication, out)
    rates = list(load_workbook(out)["Rates"].iter_rows(values_only=True))
    assert rates[0][:7] == (
        "indicator",
        "country",
        "year",
        "per 100,000",
        "lower",
        "upper",
        "population",
    )
    by_key = {(r[1], r[2]): r for r in rates[1:] if r[0] == "VICTIMS_DETECTED"}
    nld = by_key[("NLD", 2021)]
    assert nld[3] == pytest.approx(1234 * 100_000 / 17_500_000, abs=1e-4) and nld[6] == 17_500_000
    bel = by_key[("BEL", 2022)]  # <5: a range of two numbers, not 0.00-0.00
    assert (
        bel[3] is None
        and bel[4] == 0
        and bel[5] == pytest.approx(4 * 100_000 / 11_700_000, abs=1e-4)
    )
    assert bel[5] > 0
    assert len(by_key) == 2  # the figures without a population are left out...
    said = " ".join(str(r[0]) for r in rates if r[0])
    assert "Figures left out (no rate): 4 with no population given" in said  # ...and counted


def test_libreoffice_sums_a_column_of_the_table(store: Path, tmp_path: Path):
    """A SUM over a year's column, recalculated by LibreOffice headless: the numbers with
    marks in their number format count, the marks (<5) do not."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    table = comparison_table(open_store(store), "VICTIMS_DETECTED")
    out = tmp_path / "t.xlsx"
    export_table(table, "xlsx", out)
    book = load_workbook(out)
    ws = book["VICTIMS_DETECTED"]
    last = ws.max_row
    ws.cell(last + 2, 3, f"=SUM(C3:C{last})")  # 2021: BEL 231 p + NLD 1,234
    ws.cell(last + 2, 4, f"=SUM(D3:D{last})")  # 2022: BEL <5 (text) + NLD 958
    ws.cell(last + 2, 5, f"=SUM(E3:E{last})")  # 2023: BEL 40 + NLD 5,898 (UNODC)
    with_sum = tmp_path / "sum.xlsx"
    book.save(with_sum)
    converted = tmp_path / "converted"
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(converted),
            str(with_sum),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sums = load_workbook(converted / "sum.xlsx", data_only=True)["VICTIMS_DETECTED"]
    assert [sums.cell(last + 2, c).value for c in (3, 4, 5)] == [1465, 958, 5938]
