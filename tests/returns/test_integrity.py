"""Is a returned template still the template: markers, hidden sheets, grids, country."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from nremstats.returns.pipeline import CheckOptions, read_return
from nremstats.template.workbook import fill_return, write_template
from tests.conftest import invoke

FIGURES = {
    ("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): 7,
    ("PERSONS_CONVICTED", "F", "_T", "_T", "_T"): 3,
    ("PERSONS_CONVICTED", "M", "_T", "_T", "_T"): 4,
}


def filled(tmp: Path, name: str = "return.xlsx", country: str = "NLD", lang: str = "en") -> Path:
    path = write_template(tmp / name, country, 2023, lang)
    return fill_return(path, FIGURES, metadata={"definition": "PRESUMED"})


def edited(path: Path, change) -> Path:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def rules_of(path: Path, options: CheckOptions | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in read_return(path, options).findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_a_very_hidden_second_metadata_sheet_files_nothing(tmp_path):
    def twin(wb):
        copy = wb.copy_worksheet(wb["Metadata"])
        copy["C3"] = "BEL"
        copy.sheet_state = "veryHidden"

    path = edited(filled(tmp_path), twin)
    data = read_return(path)
    assert not data.ok
    [found] = [f for f in data.findings if f.rule == "STRUCTURE_DUPLICATE_SHEET"]
    assert "'Metadata'" in found.message and "veryHidden" in found.message


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_a_template_in_each_language_passes_its_own_checks(tmp_path, lang):
    data = read_return(filled(tmp_path, lang=lang))
    assert data.ok, [(f.rule, f.message) for f in data.findings if f.severity != "info"]
    assert sorted(data.observations["value"].astype(int).tolist()) == [3, 4, 7]


def test_an_inserted_row_is_found_and_its_sheet_not_read(tmp_path):
    path = edited(filled(tmp_path), lambda wb: wb["Convicted"].insert_rows(6))
    found = rules_of(path)
    assert [f.cell for f in found["STRUCTURE_GRID_CHANGED"]][0] == "B6"
    assert not read_return(path).ok


def test_a_changed_column_heading_is_found(tmp_path):
    def swap(wb):
        sheet = wb["Convicted"]
        sheet["D4"], sheet["E4"] = sheet["E4"].value, sheet["D4"].value

    found = rules_of(edited(filled(tmp_path), swap))["STRUCTURE_GRID_CHANGED"]
    assert {f.cell for f in found} == {"D4", "E4"}
    assert "Adults" in found[0].message or "Children" in found[0].message


def test_the_country_a_file_name_gives_must_be_the_metadata_country(tmp_path):
    path = filled(tmp_path, name="BEL_2023_return.xlsx", country="NLD")
    [found] = rules_of(path)["STRUCTURE_COUNTRY_MISMATCH"]
    assert "the file name says BEL" in found.message and found.cell == "C3"
    assert "STRUCTURE_COUNTRY_MISMATCH" not in rules_of(path, CheckOptions(country="NLD"))
    assert "STRUCTURE_COUNTRY_MISMATCH" in rules_of(path, CheckOptions(country="BEL"))
    named = (
        filled(tmp_path / "n", name="Netherlands 2023.xlsx")
        if (tmp_path / "n").mkdir() is None
        else None
    )
    assert "STRUCTURE_COUNTRY_MISMATCH" not in rules_of(named)
    assert "STRUCTURE_COUNTRY_MISMATCH" in rules_of(
        filled(tmp_path / "n", name="Belgium 2023.xlsx")
    )


def test_the_country_option_confirms_on_the_command_line(tmp_path):
    path = filled(tmp_path, name="BEL_2023.xlsx", country="NLD")
    store = tmp_path / "store"
    refused = invoke("ingest", str(path), "--store", str(store), "--format", "json")
    assert refused.exit_code == 1 and "STRUCTURE_COUNTRY_MISMATCH" in refused.stdout
    taken = invoke(
        "ingest", str(path), "--store", str(store), "--country", "NLD", "--format", "json"
    )
    assert taken.exit_code == 0, taken.stdout


def test_words_of_a_file_name_are_not_read_as_countries(tmp_path):
    path = filled(tmp_path, name="return_and_can_per_NLD.xlsx")
    assert "STRUCTURE_COUNTRY_MISMATCH" not in rules_of(path)


def test_the_workbook_title_and_a_semicolon_csv(tmp_path):
    def titled(wb):
        wb.properties.title = "Trafficking return of Belgium, 2023"

    [found] = rules_of(edited(filled(tmp_path), titled))["STRUCTURE_COUNTRY_MISMATCH"]
    assert "the workbook's title says BEL" in found.message
    semicolons = tmp_path / "r.csv"
    semicolons.write_text(
        "country;year;indicator;sex;age;exploitation;citizenship;value\n"
        "NLD;2021;PERSONS_CONVICTED;_T;_T;_T;_T;1.000\n",
        encoding="utf-8",
    )
    [refused] = read_return(semicolons).findings
    assert refused.rule == "FILE_UNREADABLE" and "semicolon-separated" in refused.message


def test_a_foreign_table_on_a_hidden_sheet_or_on_two_sheets_is_refused(tmp_path):
    from openpyxl import Workbook

    from tests.returns.test_rules import GLOTIP_HEADER, g

    header, row = GLOTIP_HEADER, [*g()[:9], 2021, "Counts", 5, "GLOTIP"]
    wb = Workbook()
    sheet = wb.active
    sheet.title = "data_glotip"
    for line in (["UNODC"], ["30/05/2023"], header, row):
        sheet.append(line)
    wb.save(tmp_path / "one.xlsx")
    assert read_return(tmp_path / "one.xlsx").observations["value"].tolist() == [5]
    sheet.sheet_state = "hidden"
    wb.create_sheet("notes")["A1"] = "see the data sheet"
    wb.save(tmp_path / "hidden.xlsx")
    found = read_return(tmp_path / "hidden.xlsx").findings
    assert [f.rule for f in found] == ["STRUCTURE_HIDDEN_SHEET"]
    sheet.sheet_state = "visible"
    twin = wb.copy_worksheet(sheet)
    twin["L4"] = 500
    twin.sheet_state = "veryHidden"
    wb.save(tmp_path / "twin.xlsx")
    found = read_return(tmp_path / "twin.xlsx").findings
    assert [f.rule for f in found] == ["STRUCTURE_DUPLICATE_SHEET"]
    assert "veryHidden" in found[0].message


@pytest.mark.parametrize(
    "name, country",
    [
        ("Guinea-Bissau_2023.xlsx", "GNB"),
        ("Equatorial_Guinea_2023.xlsx", "GNQ"),
        ("Papua_New_Guinea_2023.xlsx", "PNG"),
        ("South_Sudan_2023.xlsx", "SSD"),
        ("DR_Congo_2023.xlsx", "COD"),
        ("Return_2023_FINAL_AND_SIGNED.xlsx", "BEL"),
        ("Victims_Jan-MAR_2024.xlsx", "BEL"),
        ("Questionnaire_2024_FRA.xlsx", "BEL"),
        ("Cuestionario_2023_ESP.xlsx", "MEX"),
    ],
)
def test_a_file_name_is_not_read_for_countries_it_does_not_name(tmp_path, name, country):
    """Names inside longer names, capitalised words and language tags (found by review)."""
    assert "STRUCTURE_COUNTRY_MISMATCH" not in rules_of(filled(tmp_path, name, country))
