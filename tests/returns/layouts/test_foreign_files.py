"""Foreign files: every number right, or rejected with a reason (issue: foreign files).

Each test reproduces, with a small file in the shape a real producer sends, one way a foreign
file used to be stored wrong or reported wrong, and shows what happens now.
"""

from __future__ import annotations

import json
from pathlib import Path

from nremstats.returns.layouts.declaration import load_layout
from nremstats.returns.pipeline import CheckOptions, file_result, read_return, validate_files
from tests.conftest import invoke, write_csv

AGENCY = """\
layout: agency
provider: AGENCY
compilation: true
formats: [csv]
fixed: {{indicator: PERSONS_CONVICTED}}
columns: {{country: Country, year: Year, sex: Sex, value: Value}}
labels:
  sex: {{Total: _T, Female: F, Male: M}}
{extra}"""


def agency_layout(tmp_path: Path, extra: str = "", name: str = "agency.yaml") -> Path:
    path = tmp_path / name
    path.write_text(AGENCY.format(extra=extra), encoding="utf-8")
    return path


def accounted(data) -> tuple[int, int, int]:
    """(rows read, rows kept, rows rejected) of a read return."""
    readable = int(data.observations["readable"].sum()) if data.observations is not None else 0
    return data.rows_read, readable, data.rows_read - readable


# --- a compilation's totals are never rejected by a balance ----------------------------------


def test_a_compilations_balance_findings_never_reject_its_rows(tmp_path):
    table = write_csv(
        tmp_path / "agency.csv",
        [
            "Country,Year,Sex,Value",
            "NLD,2022,Total,10",  # the parts below add up to 14: more than the total
            "NLD,2022,Female,6",
            "NLD,2022,Male,8",
            "BEL,2022,Total,5",
        ],
    )
    layout = load_layout(agency_layout(tmp_path))  # no rules: the catalogue's severities
    data = read_return(table, CheckOptions(layout=layout))
    assert accounted(data) == (4, 4, 0)  # every row stored, the total included
    balance = [f for f in data.findings if f.rule == "BALANCE_PARTS_EXCEED_TOTAL"]
    assert len(balance) == 1 and balance[0].severity == "warning"  # recorded, not blocking
    assert balance[0].cell == "D2"
    result = validate_files([table], options=CheckOptions(layout=layout))
    assert result.files[0].status == "warnings" and result.exit_code() == 0


def test_a_balance_made_an_error_by_the_layout_still_rejects_no_row(tmp_path):
    table = write_csv(
        tmp_path / "agency.csv",
        ["Country,Year,Sex,Value", "NLD,2022,Total,10", "NLD,2022,Female,6", "NLD,2022,Male,8"],
    )
    strict = "rules:\n  BALANCE_PARTS_EXCEED_TOTAL: {severity: error}\n"
    layout = load_layout(agency_layout(tmp_path, strict))
    data = read_return(table, CheckOptions(layout=layout))
    assert [f.severity for f in data.findings if f.rule.startswith("BALANCE")] == ["error"]
    assert accounted(data) == (3, 3, 0)  # the error is reported; no row is dropped for it


def test_a_reading_error_in_a_compilation_still_rejects_its_row(tmp_path):
    table = write_csv(
        tmp_path / "agency.csv",
        ["Country,Year,Sex,Value", "NLD,2022,Total,10", "NLD,2022,Female,six"],
    )
    data = read_return(table, CheckOptions(layout=load_layout(agency_layout(tmp_path))))
    assert accounted(data) == (2, 1, 1)
    assert {f.rule for f in data.findings if f.severity == "error"} == {"VALUE_UNPARSEABLE"}


# --- a file of which nothing is stored is not "valid" -----------------------------------------


def test_a_file_of_which_nothing_is_stored_is_reported_so_and_fails_the_run(tmp_path):
    """Every row is skipped by the layout (a breakdown the format does not have): nothing would
    be stored, which the status says, and the run exits 1 unless --allow-empty."""
    keep = "keep:\n  Region:\n    values: [All regions]\n    reason: regions are not a dimension\n"
    layout = agency_layout(tmp_path, keep)
    table = write_csv(
        tmp_path / "agency.csv",
        ["Country,Region,Year,Sex,Value", "NLD,North,2022,Total,4", "NLD,South,2022,Total,6"],
    )
    result = validate_files([table], options=CheckOptions(layout=load_layout(layout)))
    report = result.files[0]
    assert (report.rows_read, report.rows_rejected, report.status) == (2, 2, "nothing_stored")
    assert result.exit_code() == 1 and result.exit_code(allow_empty=True) == 0
    skipped = [f for f in report.findings if f.rule == "LAYOUT_ROW_SKIPPED"]
    assert skipped and all("stored" not in f.message.replace("not stored", "") for f in skipped)

    cli = invoke("validate", str(table), "--layout", str(layout), "--format", "json")
    assert cli.exit_code == 1
    assert json.loads(cli.stdout)["files"][0]["status"] == "nothing_stored"
    assert invoke("validate", str(table), "--layout", str(layout), "--allow-empty").exit_code == 0
    stored = tmp_path / "store"
    ingest = invoke("ingest", str(table), "--layout", str(layout), "--store", str(stored))
    assert ingest.exit_code == 1 and "nothing_stored" in ingest.stdout
    assert "no row to store" in ingest.stdout


# --- one label resolver, for templates, canonical CSVs and layouts ----------------------------

COMMON = {
    "Turkey": "TUR",
    "Ivory Coast": "CIV",
    "Nigerians": "NGA",
    "Germans": "DEU",
    "Maltese": "MLT",
    "Singaporean": "SGP",
    "Cypriot": "CYP",
    "Roumanie": "ROU",  # CLDR's French name
    "Болгария": "BGR",  # CLDR's Russian name
    "匈牙利": "HUN",  # CLDR's Chinese name
    "مصر": "EGY",  # CLDR's Arabic name
}


def glotip_rows(tmp_path: Path, labels: list[str]) -> Path:
    from tests.returns.test_rules import GLOTIP_HEADER, g

    lines = [",".join(GLOTIP_HEADER)]
    lines += [",".join(g("by citizenship", label, "3")) for label in labels]
    return write_csv(tmp_path / "glotip.csv", lines)


def test_common_country_names_and_demonyms_are_read_in_a_layout(tmp_path):
    table = glotip_rows(tmp_path, [*COMMON, "Q6.1_9s_2021", "Nigers", "Cape Ver"])
    data = read_return(table)
    assert data.layout is not None and data.layout.name == "glotip"
    obs = data.observations[data.observations["readable"]]
    assert sorted(obs["citizenship"]) == sorted(COMMON.values())
    unknown = {f.text for f in data.findings if f.rule == "LABEL_UNKNOWN"}
    # a questionnaire code, a country name made plural, a cut-off name: never guessed
    assert unknown == {"Q6.1_9s_2021", "Nigers", "Cape Ver"}


def test_the_same_labels_are_read_in_a_template(blank_template):
    from openpyxl import load_workbook

    from nremstats.template.workbook import fill_return

    values = {("VICTIMS_DETECTED", "_T", "_T", "_T", code): 2 for code in ("ROU", "BGR", "HUN")}
    fill_return(blank_template, values)
    wb = load_workbook(blank_template)
    typed = {"ROU": "Roumanie", "BGR": "Germans", "HUN": "Turkey"}
    for row in range(1, 80):
        cell = wb["Victims"].cell(row, 2)
        if cell.value in typed:
            cell.value = typed[cell.value]
    wb.save(blank_template)
    data = read_return(blank_template)
    assert data.ok
    assert sorted(data.observations["citizenship"]) == ["DEU", "ROU", "TUR"]


def test_an_unknown_label_says_how_to_map_it_without_editing_the_package(tmp_path):
    data = read_return(glotip_rows(tmp_path, ["Atlantean"]))
    (message,) = [f.message for f in data.findings if f.rule == "LABEL_UNKNOWN"]
    assert "'extends: glotip'" in message and "--layout FILE" in message
    assert "schemas/layouts" not in message
    own = tmp_path / "mine.yaml"
    own.write_text('extends: glotip\nlayout: mine\nlabels:\n  citizenship: {"Atlantean": GRC}\n')
    mine = read_return(glotip_rows(tmp_path, ["Atlantean"]), CheckOptions(layout=load_layout(own)))
    assert mine.observations["citizenship"].tolist() == ["GRC"]
    data = read_return(glotip_rows(tmp_path, ["Lemurian"]), CheckOptions(layout=load_layout(own)))
    (message,) = [f.message for f in data.findings if f.rule == "LABEL_UNKNOWN"]
    assert str(own) in message  # the user's own file is where the line goes


# --- figures that are not counts: codes, typing mistakes ---------------------------------------


def test_a_questionnaire_code_is_not_stored_as_a_count(tmp_path):
    """The 2025 GLOTIP export holds '6,112,019' (question 6.1.1 of 2019) as Pakistan's persons
    convicted who are nationals, under a total of '<5'; Andorra's has no total at all."""
    from tests.returns.test_rules import GLOTIP_HEADER, g

    def row(country, year, category, value, dim="by citizenship"):
        cells = g(dim, category, value)
        cells[0], cells[9] = country, year
        return ",".join(f'"{c}"' for c in cells)

    table = write_csv(
        tmp_path / "glotip.csv",
        [
            ",".join(GLOTIP_HEADER),
            row("PAK", "2019", "Total", "<5", dim="Total"),
            row("PAK", "2019", "Nationals", "6,112,019"),
            row("PAK", "2019", "Foreign nationals", "2"),
            row("AND", "2022", "Nationals", "6,112,019"),
            row("AND", "2021", "Total", "3", dim="Total"),
        ],
    )
    data = read_return(table)
    obs = data.observations
    kept = obs[obs["readable"]]
    pairs = sorted(zip(kept["country"], kept["citizenship"], strict=True))
    assert pairs == [("AND", "_T"), ("PAK", "FOR")]
    assert kept["value"].max() < 10  # no code stored as a count
    found = {f.cell: f for f in data.findings if f.rule == "MAGNITUDE_IMPLAUSIBLE"}
    pak, andorra = found["L3"], found["L5"]
    assert pak.severity == "error" and pak.cells == ("L3", "L2")  # the part and its total
    assert "more than 100 times its total '<5'" in pak.message
    assert "neither figure is stored" in pak.message
    assert "79,705 people of AND in 2022" in andorra.message  # schemas/reference/population.csv
    assert accounted(data) == (5, 2, 3)


def test_a_figure_far_above_the_other_years_is_an_error_in_a_national_return(tmp_path):
    from tests.conftest import HEADER

    lines = [HEADER + ",definition"]
    years = {2019: "120", 2020: "95", 2021: "110", 2022: "104", 2023: "51,203"}
    lines += [f'NLD,{y},VICTIMS_DETECTED,_T,_T,_T,_T,"{v}",IDENTIFIED' for y, v in years.items()]
    data = read_return(write_csv(tmp_path / "nld.csv", lines))
    assert not data.ok  # a national return is rejected whole
    (finding,) = [f for f in data.findings if f.rule == "MAGNITUDE_IMPLAUSIBLE"]
    assert finding.cell == "H6" and finding.text == "51,203"
    assert (
        "more than 100 times the median (107) of its totals in 4 other year(s)" in finding.message
    )


def test_small_counts_never_trip_the_magnitude_rule(tmp_path):
    """A part of 900 under a total of 3 is a balance error, not a code: under min_value."""
    from tests.conftest import HEADER

    lines = [
        HEADER,
        "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,3",
        "NLD,2022,PERSONS_CONVICTED,F,_T,_T,_T,900",
    ]
    data = read_return(write_csv(tmp_path / "nld.csv", lines))
    rules = {f.rule for f in data.findings}
    assert "MAGNITUDE_IMPLAUSIBLE" not in rules and "BALANCE_PARTS_EXCEED_TOTAL" in rules


# --- periods: never a band of years as its first year ----------------------------------------

CASES_HEADER = (
    "cas_IncomingReferralDate,prs_Gender,prs_Birthdate,vic_TypeOfExploitation,"
    "prs_Citizenship,vic_TraffickingStatus,prs_FirstName"
)


def cases_layout(tmp_path: Path) -> Path:
    path = tmp_path / "htcds-nld.yaml"
    path.write_text("extends: htcds\nlayout: htcds-nld\nfixed: {country: NLD}\n", encoding="utf-8")
    return path


def test_case_records_of_a_band_of_years_are_not_counted_in_its_first_year(tmp_path):
    victim = "Actual victim of trafficking"
    lines = [CASES_HEADER]
    lines += [f"2014-2018,Feminine,1990-01-01,Forced labour,RO,{victim},A"] * 7
    lines += [f"2015/16,Feminine,1990-01-01,Forced labour,RO,{victim},B"] * 2
    lines += [f"2016-03-02,Masculine,1985-01-01,Forced labour,RO,{victim},C"] * 6
    lines += [f"2016 Q3,Masculine,1985-01-01,Forced labour,RO,{victim},D"]  # within 2016
    table = write_csv(tmp_path / "cases.csv", lines)
    data = read_return(table, CheckOptions(layout=load_layout(cases_layout(tmp_path))))
    kept = data.observations[data.observations["readable"]]
    assert set(kept["year"]) == {2016}  # nothing under 2014 or 2015
    totals = kept[(kept["sex"] == "_T") & (kept["age"] == "_T") & (kept["exploitation"] == "_T")]
    assert totals[totals["citizenship"] == "_T"]["value"].tolist() == [7]
    periods = [f for f in data.findings if f.rule == "PERIOD_NOT_A_YEAR"]
    assert {f.text for f in periods} == {"2014-2018", "2015/16"}
    band = next(f for f in periods if f.text == "2014-2018")
    assert band.cells == tuple(f"A{n}" for n in range(2, 9)) and "2014 to 2018" in band.message
    assert file_result(data).rows_rejected == 9


def test_a_year_column_with_a_band_or_a_fiscal_year_is_refused(tmp_path):
    table = write_csv(
        tmp_path / "agency.csv",
        [
            "Country,Year,Sex,Value",
            "NLD,2014-2018,Total,40",
            "NLD,2019/20,Total,9",
            "NLD,FY2021,Total,9",
            "NLD,2022,Total,8",
        ],
    )
    data = read_return(table, CheckOptions(layout=load_layout(agency_layout(tmp_path))))
    kept = data.observations[data.observations["readable"]]
    assert kept["year"].tolist() == [2022] and kept["value"].tolist() == [8]
    rules = sorted((f.cell, f.rule) for f in data.findings if f.severity == "error")
    assert rules == [
        ("B2", "PERIOD_NOT_A_YEAR"),
        ("B3", "PERIOD_NOT_A_YEAR"),
        ("B4", "PERIOD_NOT_A_YEAR"),
    ]
    # the same in a national return: an error, nothing stored
    from tests.conftest import HEADER

    national = write_csv(
        tmp_path / "nld.csv", [HEADER, "NLD,2014-2018,PERSONS_CONVICTED,_T,_T,_T,_T,40"]
    )
    result = read_return(national)
    assert not result.ok and [f.rule for f in result.findings] == ["PERIOD_NOT_A_YEAR"]


# --- every row accounted for ------------------------------------------------------------------


def test_a_case_row_with_none_of_the_counted_fields_is_read_and_rejected(tmp_path):
    """21,195 rows, 129 in no count: rows with only a name were dropped before counting."""
    victim = "Actual victim of trafficking"
    lines = [CASES_HEADER]
    lines += [f"2022-05-01,Feminine,1990-01-01,Forced labour,RO,{victim},A"] * 6
    lines += [",,,,,,Nameonly"] * 3  # a person's name and nothing the layout counts
    lines += [",,,,,,"]  # an empty line is no row of data
    table = write_csv(tmp_path / "cases.csv", lines)
    data = read_return(table, CheckOptions(layout=load_layout(cases_layout(tmp_path))))
    result = file_result(data)
    assert (result.rows_read, result.rows_rejected) == (9, 3)
    (skipped,) = [f for f in data.findings if f.rule == "LAYOUT_ROW_SKIPPED"]
    assert skipped.cells == ("A8", "A9", "A10")


# --- units: rates and decimals are never counts -----------------------------------------------


def test_a_table_of_rates_is_never_stored_as_counts(tmp_path):
    """SDG 16.2.2 as a rate per 100,000: '0.00' and '1.37' by age; 0 used to be stored."""
    layout = tmp_path / "rates.yaml"
    layout.write_text(
        "layout: sdg-rates\nprovider: NSO\ncompilation: true\nformats: [csv]\nshape: wide\n"
        "fixed: {indicator: VICTIMS_DETECTED, definition: IDENTIFIED}\n"
        "columns: {country: Country, year: Year}\n"
        "across: {field: age, columns: [Adults, Children]}\n"
        "labels:\n  age: {Adults: Y_GE18, Children: Y_LT18}\n",
        encoding="utf-8",
    )
    table = write_csv(
        tmp_path / "rates.csv",
        ["Country,Year,Adults,Children", "NLD,2021,0,1.37", "NLD,2022,0.00,2"],
    )
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert not data.observations["readable"].any()  # not even the 0 and the 2
    units = [f for f in data.findings if f.rule == "UNIT_NOT_COUNT"]
    assert {f.cell for f in units} == {"C2", "D2"} and all("fractions" in f.message for f in units)
    assert file_result(data).rows_rejected == 4


def test_rows_whose_unit_is_a_rate_are_refused_by_the_unit_column(tmp_path):
    extra = "unit: {column: Unit, counts: [Number of persons]}\n"
    table = write_csv(
        tmp_path / "agency.csv",
        [
            "Country,Year,Sex,Unit,Value",
            "NLD,2022,Total,Number of persons,12",
            "NLD,2022,Total,Rate per 100 000,1",
            "NLD,2022,Female,Per cent,50",
        ],
    )
    data = read_return(table, CheckOptions(layout=load_layout(agency_layout(tmp_path, extra))))
    kept = data.observations[data.observations["readable"]]
    assert kept["value"].tolist() == [12]
    units = sorted(f.text for f in data.findings if f.rule == "UNIT_NOT_COUNT")
    assert units == ["Per cent", "Rate per 100 000"]


def test_a_decimal_is_an_error_in_a_return_and_a_rejected_row_in_a_compilation(tmp_path):
    from tests.conftest import HEADER

    national = write_csv(
        tmp_path / "nld.csv",
        [
            HEADER,
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,1.000",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,1282.0",
        ],
    )
    data = read_return(national)
    assert not data.ok
    (decimal,) = [f for f in data.findings if f.rule == "UNIT_NOT_COUNT"]
    assert decimal.cell == "H2" and decimal.severity == "error" and "1.000" in decimal.message
    table = write_csv(
        tmp_path / "agency.csv",
        ["Country,Year,Sex,Value", "NLD,2022,Total,1.000", "BEL,2022,Total,7"],
    )
    data = read_return(table, CheckOptions(layout=load_layout(agency_layout(tmp_path))))
    kept = data.observations[data.observations["readable"]]
    assert kept["country"].tolist() == ["BEL"] and kept["value"].tolist() == [7]


# --- case records: one definition a year, ages that can be right ------------------------------


def test_case_records_of_two_definitions_in_one_year_are_refused_and_accounted(tmp_path):
    lines = [CASES_HEADER]
    lines += [
        "2021-03-04,Feminine,1990-05-01,Sexual exploitation,RO,Actual victim of trafficking,A"
    ]
    lines += ["2021-03-04,Masculine,1990-05-01,Forced labour,NL,Actual victim of trafficking,B"] * 2
    lines += [
        "2021-03-04,Feminine,1990-05-01,Sexual exploitation,RO,Possible victim of trafficking,C"
    ]
    lines += [
        "2022-03-04,Feminine,1990-05-01,Sexual exploitation,RO,Actual victim of trafficking,D"
    ]
    data = read_return(
        write_csv(tmp_path / "c.csv", lines),
        CheckOptions(layout=load_layout(cases_layout(tmp_path))),
    )
    result = file_result(data)
    assert (result.rows_read, result.rows_rejected) == (5, 4)  # never a negative rows_stored
    kept = data.observations[data.observations["readable"]]
    assert set(kept["year"]) == {2022}
    (mixed,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert "several definitions" in mixed.message and len(mixed.cells) == 4


def test_case_ages_that_cannot_be_right_are_not_counted(tmp_path):
    layout = tmp_path / "ca.yaml"
    layout.write_text(
        "layout: ca\nprovider: national\ncompilation: true\nformats: [csv]\nshape: cases\n"
        "header: {find: [Year, Sex], within: 3}\ncolumns: {}\n"
        "cases: {year: Year, age: Age, sex: Sex, min_count: 1}\n"
        "fixed: {country: NLD, definition: IDENTIFIED}\n"
        "labels:\n  sex: {Woman: F}\n",
        encoding="utf-8",
    )
    lines = [
        "Sex,Age,Year",
        "Woman,30,2021",
        "Woman,17.0,2021",
        "Woman,200,2021",
        "Woman,17 years,2021",
        "Woman,-1,2021",
        "Woman,,2021",
    ]
    data = read_return(
        write_csv(tmp_path / "a.csv", lines), CheckOptions(layout=load_layout(layout))
    )
    kept = data.observations[data.observations["readable"]]
    assert set(kept["definition"].dropna()) == {"IDENTIFIED"}  # fixed, without a status column
    total = kept[
        (kept["sex"] == "_T")
        & (kept["age"] == "_T")
        & (kept["exploitation"] == "_T")
        & (kept["citizenship"] == "_T")
    ]
    assert total["value"].tolist() == [3]  # 30, 17.0 and the blank age
    assert file_result(data).rows_rejected == 3
    ages = {f.text for f in data.findings if f.rule == "LABEL_UNKNOWN"}
    assert ages == {
        "an age of 200",
        "the age '17 years', which is no age nor band",
        "the age '-1', which is no age nor band",
    }
