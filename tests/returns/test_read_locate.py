from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook

from nremstats.core.errors import InputFileNotFound
from nremstats.returns.pipeline import read_return
from nremstats.template.workbook import fill_return
from tests.conftest import HEADER, write_csv


def rules(data):
    return [f.rule for f in data.findings]


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(InputFileNotFound, match="no such file"):
        read_return(tmp_path / "nope.xlsx")


def test_file_neither_xlsx_nor_csv(tmp_path):
    path = tmp_path / "return.pdf"
    path.write_bytes(b"%PDF-1.4 ...")
    data = read_return(path)
    assert rules(data) == ["FILE_UNSUPPORTED"]
    assert "return.pdf" in data.findings[0].message and data.observations is None


def test_damaged_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    data = read_return(path)
    assert rules(data) == ["FILE_UNREADABLE"]
    assert "broken.xlsx" in data.findings[0].message


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (HEADER + "\nNLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,5\n").replace("NLD", "NLD").encode()
        + "é".encode("latin-1")
    )
    data = read_return(path)
    assert rules(data) == ["FILE_UNREADABLE"]
    assert "UTF-8" in data.findings[0].message


def test_csv_with_bom_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\nNLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,5\n").encode())
    data = read_return(path)
    assert data.ok and data.observations["value"].tolist() == [5]


def test_xlsx_not_our_template_and_no_layout(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Ministry table", "Victims"])
    wb.active.append(["2023", 12])
    wb.save(tmp_path / "own.xlsx")
    data = read_return(tmp_path / "own.xlsx")
    assert rules(data) == ["STRUCTURE_NOT_TEMPLATE"]
    assert (
        "nremstats template" in data.findings[0].message and "--layout" in data.findings[0].message
    )


def test_missing_indicator_sheet(blank_template, tmp_path):
    wb = load_workbook(blank_template)
    wb["Offences"]["A1"] = "something else"  # the marker is gone
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    fill_return(path, {("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 4})
    data = read_return(path)
    assert "STRUCTURE_MISSING_SHEET" in rules(data)


def test_empty_template(blank_template):
    data = read_return(blank_template)
    assert [f.rule for f in data.findings if f.severity == "error"] == ["STRUCTURE_EMPTY"]


def test_cells_are_a1_addresses(blank_template):
    fill_return(blank_template, {("VICTIMS_DETECTED", "M", "Y_GE18", "_T", "_T"): 31})
    obs = read_return(blank_template).observations
    assert obs[["sheet", "cell"]].values.tolist() == [["Victims", "E7"]]


def test_csv_cell_is_value_column_and_line(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [
            "value,country,year,indicator,sex,age,exploitation,citizenship",
            "7,NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T",
            "3,NLD,2023,PERSONS_CONVICTED,F,_T,_T,_T",
        ],
    )
    obs = read_return(path).observations
    assert obs["cell"].tolist() == ["A2", "A3"]
    assert obs["sheet"].isna().all()


def test_csv_not_csv_at_all(tmp_path):
    path = tmp_path / "weird.csv"
    path.write_text('a,b\n"1,2\n', encoding="utf-8")
    data = read_return(path)
    assert data.findings and not data.ok


def test_template_metadata_blank_country_and_year(blank_template):
    fill_return(
        blank_template,
        {("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 5},
        metadata={"country": "", "year": "", "definition": "PRESUMED"},
    )
    found = {(f.rule, f.cell) for f in read_return(blank_template).findings}
    assert {("METADATA_MISSING", "C3"), ("METADATA_MISSING", "C4")} <= found


def test_template_metadata_labels_and_names(blank_template):
    fill_return(
        blank_template,
        {("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 5},
        metadata={"country": "Netherlands", "definition": "enregistrées"},
    )
    data = read_return(blank_template)
    assert data.ok
    assert data.observations[["country", "definition"]].values.tolist() == [["NLD", "REGISTERED"]]


def test_template_unknown_definition_at_its_cell(blank_template):
    fill_return(
        blank_template,
        {("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 5},
        metadata={"definition": "whatever"},
    )
    data = read_return(blank_template)
    found = [(f.rule, f.sheet, f.cell, f.text) for f in data.findings if f.severity == "error"]
    assert found == [("CODE_UNKNOWN", "Metadata", "C7", "whatever")]


def test_citizenship_row_accepts_country_name(blank_template):
    fill_return(blank_template, {("VICTIMS_DETECTED", "_T", "_T", "_T", "ROU"): 5})
    wb = load_workbook(blank_template)
    row = next(r for r in range(1, 60) if wb["Victims"].cell(r, 2).value == "ROU")
    wb["Victims"].cell(row, 2).value = "Romania"
    wb.save(blank_template)
    data = read_return(blank_template)
    assert data.ok and data.observations["citizenship"].tolist() == ["ROU"]


def test_csv_blank_lines_and_quoted_values_keep_their_line_numbers(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [
            HEADER,
            'NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,"1,282"',
            "",
            "NLD,2023,PERSONS_CONVICTED,F,_T,_T,_T,abc",
        ],
    )
    data = read_return(path)
    assert [(f.rule, f.cell) for f in data.findings] == [("VALUE_UNPARSEABLE", "H4")]
    assert data.observations["cell"].tolist() == ["H2", "H4"]
    assert data.observations["value"].tolist()[0] == 1282


def test_csv_with_a_short_row(tmp_path):
    path = write_csv(tmp_path / "c.csv", [HEADER, "NLD,2023"])
    data = read_return(path)
    assert [f.rule for f in data.findings] == ["FILE_UNREADABLE"]
    assert "c.csv" in data.findings[0].message
