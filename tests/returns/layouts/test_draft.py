"""``nremstats map``: drafts that work on the files users have (issue: foreign files)."""

from __future__ import annotations

from pathlib import Path

import yaml

from nremstats.core.files import plain_name
from nremstats.returns.layouts.declaration import load_layout
from nremstats.returns.layouts.draft import draft_layout
from nremstats.returns.pipeline import CheckOptions, read_return
from tests.conftest import write_csv


def draft_of(tmp_path: Path, name: str, lines: list[str]):
    table = write_csv(tmp_path / name, lines)
    draft = draft_layout(str(table))
    layout = tmp_path / f"{table.stem}.yaml"
    layout.write_text(draft.text, encoding="utf-8")
    return table, draft, layout


def test_the_value_column_is_chosen_by_content_never_an_id_a_quarter_or_a_flag(tmp_path):
    table, draft, layout = draft_of(
        tmp_path,
        "referrals.csv",
        [
            "RecordID,Country,Year,Quarter,Sex,Confirmed,Victims",
            "1,NLD,2022,1,Female,1,12",
            "2,NLD,2022,2,Female,0,5",
            "3,NLD,2022,3,Female,1,7",
            "4,NLD,2022,4,Female,1,30",
        ],
    )
    assert draft.columns["value"] == "Victims"
    assert draft.columns["quarter"] == "Quarter"  # read, so that the quarters are summed
    assert {"RecordID", "Confirmed"} <= set(yaml.safe_load(draft.text)["ignore"])
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert data.ok, [f.message for f in data.findings]
    kept = data.observations[data.observations["readable"]]
    assert kept["value"].tolist() == [54]  # the four quarters of 2022, summed


def test_an_indicator_is_proposed_from_the_names_or_asked_for(tmp_path):
    _, draft, _ = draft_of(
        tmp_path, "convictions_2022.csv", ["Country,Year,Sex,Persons", "NLD,2022,Female,3"]
    )
    assert yaml.safe_load(draft.text)["fixed"] == {"indicator": "PERSONS_CONVICTED"}
    assert any("PERSONS_CONVICTED" in item and "check" in item for item in draft.undecided)
    _, draft, _ = draft_of(tmp_path, "table.csv", ["Country,Year,Sex,Persons", "NLD,2022,Female,3"])
    assert "fixed" not in yaml.safe_load(draft.text)  # not guessed: asked for
    assert "# fixed: {indicator: TODO}" in draft.text
    assert any(item.startswith("no indicator column") for item in draft.undecided)


def test_a_table_with_a_dimension_across_is_drafted_wide(tmp_path):
    table, draft, layout = draft_of(
        tmp_path,
        "victims.csv",
        ["Country,Year,Female,Male,Total", "NLD,2022,12,30,42", "BEL,2022,4,<5,6"],
    )
    declared = yaml.safe_load(draft.text)
    assert declared["shape"] == "wide"
    assert declared["across"] == {"field": "sex", "columns": ["Female", "Male", "Total"]}
    assert "value" not in declared["columns"]
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    kept = data.observations[data.observations["readable"]]
    assert sorted(kept.loc[kept["country"] == "NLD", "value"].tolist()) == [12, 30, 42]


def test_one_row_per_person_is_drafted_as_case_records(tmp_path):
    table, draft, layout = draft_of(
        tmp_path,
        "persons.csv",
        [
            "PersonID,Date of identification,Gender,Date of birth,Nationality,Form of exploitation",
            "1,2022-05-01,Female,1990-01-01,Romania,Sexual exploitation",
            "2,2022-06-01,Male,1980-01-01,Netherlands,Forced labour",
            "3,2023-01-11,Female,2010-01-01,Nigeria,Sexual exploitation",
        ],
    )
    declared = yaml.safe_load(draft.text)
    assert declared["shape"] == "cases"
    assert declared["cases"]["year"] == "Date of identification"
    assert declared["cases"]["birthdate"] == "Date of birth"
    assert declared["cases"]["sex"] == "Gender"
    assert "value" not in draft.columns  # PersonID is no count
    layout.write_text(draft.text + "fixed: {country: NLD}\n", encoding="utf-8")
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert data.rows_read == 3 and data.observations["readable"].all()


def test_a_file_that_nearly_has_a_shipped_layout_is_told_to_extend_it(tmp_path):
    from tests.returns.test_rules import GLOTIP_HEADER, g

    header = ["ISO3" if c == "Iso3_code" else c for c in GLOTIP_HEADER]  # one column renamed
    _, draft, _ = draft_of(tmp_path, "export.csv", [",".join(header), ",".join(g())])
    assert "# extends: glotip" in draft.text
    assert any("extends: glotip" in item for item in draft.undecided)


def test_the_unknown_file_message_mentions_map(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Region", "Victims"])
    wb.active.append(["North", 12])
    wb.save(tmp_path / "own.xlsx")
    data = read_return(tmp_path / "own.xlsx")
    assert any("nremstats map" in f.message for f in data.findings)


def test_a_value_cell_of_commas_only_does_not_break_the_draft(tmp_path):
    _, draft, _ = draft_of(
        tmp_path,
        "victims.csv",
        ["Country,Year,Victims", "NLD,2022,12", 'BEL,2022,","', "FRA,2022,7"],
    )
    assert draft.columns["country"] == "Country"


def test_a_long_file_name_drafts_a_plain_layout_name(tmp_path):
    stem = "Ministry of the Interior, trafficking statistics " * 3  # 150 characters
    _, draft, _ = draft_of(tmp_path, f"{stem}.csv", ["Country,Year,Victims", "NLD,2022,12"])
    name = yaml.safe_load(draft.text)["layout"]
    assert plain_name(name) and name.startswith("ministry-of-the-interior-trafficking")
