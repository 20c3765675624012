"""A passing and a failing fixture for every rule of the catalogue, and rules files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from nremstats.core.codes import rules
from nremstats.ingest import ingest_files
from nremstats.returns.package import Limits
from nremstats.returns.pipeline import CheckOptions, read_return
from nremstats.returns.rules import RuleSet, RulesFileError, load_rules
from nremstats.store.store import open_store
from nremstats.template.grid import sheet_layouts
from nremstats.template.workbook import fill_return, write_template
from tests.conftest import HEADER, write_csv

FULL = HEADER + ",obs_status,lower,upper,definition"
GOOD = "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"
Fixture = Callable[[Path], tuple[Path, CheckOptions | None]]


def csv(*rows: str, header: str = HEADER) -> Fixture:
    return lambda tmp: (write_csv(tmp / "r.csv", [header, *rows]), None)


def raw(name: str, data: bytes) -> Fixture:
    def make(tmp: Path):
        (tmp / name).write_bytes(data)
        return tmp / name, None

    return make


def template(values=None, metadata=None, edit=None) -> Fixture:
    def make(tmp: Path):
        path = write_template(tmp / "t.xlsx", "NLD", 2023)
        fill_return(
            path,
            values or {("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): 5},
            metadata={"definition": "PRESUMED", **(metadata or {})},
        )
        if edit:
            wb = load_workbook(path)
            edit(wb)
            wb.save(path)
        return path, None

    return make


def with_options(fixture: Fixture, **options) -> Fixture:
    return lambda tmp: (fixture(tmp)[0], CheckOptions(**options))


def plain_workbook(tmp: Path):
    wb = Workbook()
    wb.active.append(["Victims", 12])
    wb.save(tmp / "own.xlsx")
    return tmp / "own.xlsx", None


def complete_template() -> Fixture:
    """Every total the template asks for is answered (with '..' where not available)."""
    values = {}
    for layout in sheet_layouts():
        for grid in layout.grids:
            first_row = grid.rows[0][1]
            for index, (_, code) in enumerate(grid.rows):
                if code is None:
                    continue
                for col_index, (_, col_code) in enumerate(grid.cols):
                    if col_index == 0 or (index == 0 and code == "_T"):
                        dims = grid.dims(code, col_code)
                        key = (
                            layout.indicator,
                            dims["sex"],
                            dims["age"],
                            dims["exploitation"],
                            dims["citizenship"],
                        )
                        values[key] = ".."
            assert first_row is not None
    return template(values)


def with_part(fixture: Fixture, part: str, data: bytes) -> Fixture:
    """A workbook with one more part in its package (macros, links)."""

    def make(tmp: Path):
        import zipfile

        path, options = fixture(tmp)
        with zipfile.ZipFile(path, "a") as package:
            package.writestr(part, data)
        return path, options

    return make


def hidden_copy(wb) -> None:
    copy = wb.copy_worksheet(wb["Convicted"])
    copy.sheet_state = "hidden"


def hide_convicted(wb) -> None:
    wb["Convicted"].sheet_state = "veryHidden"


def hidden_notes(wb) -> None:
    sheet = wb.create_sheet("Working")
    sheet["B2"] = 41
    sheet.sheet_state = "hidden"


def delete_female_row(wb) -> None:
    wb["Convicted"].delete_rows(6)


def merge_inputs(wb) -> None:
    wb["Convicted"].merge_cells("C5:D5")


def figure_outside(wb) -> None:
    wb["Convicted"]["K40"] = 12


def remove_marker(wb) -> None:
    wb["Offences"]["A1"] = "edited"


def blank_code_row(wb) -> None:
    grid = next(g for g in sheet_layouts()[0].grids if g.row_dim == "citizenship")
    row = next(r for r, c in grid.rows if c is None)
    wb["Victims"].cell(row, grid.cols[0][0]).value = 6


V = "NLD,{year},VICTIMS_DETECTED,_T,_T,_T,_T,{value},,,,{definition}"

GLOTIP_HEADER = [
    "Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex",
    "Age", "Year", "Unit of measurement", "txtVALUE", "Source",
]  # fmt: skip


def g(dim="Total", cat="Total", value="5", ind="Persons convicted", unit="Counts") -> list[str]:
    """One row of a GLOTIP export (Netherlands, 2021, totals unless told)."""
    return [
        "NLD", "Netherlands", "Europe", "Western Europe", ind, dim, cat, "Total", "Total",
        "2021", unit, value, "GLOTIP",
    ]  # fmt: skip


def glotip(*rows: list[str], **options) -> Fixture:
    import csv as csv_module

    def make(tmp: Path):
        path = tmp / "glotip.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv_module.writer(handle)
            writer.writerows([["UNODC", "unodc_ddds@un.org"], ["30/05/2023"], GLOTIP_HEADER])
            writer.writerows(rows or [g()])
        return path, CheckOptions(**options) if options else None

    return make


def glotip_bare(**options) -> Fixture:
    """A GLOTIP export without its preamble (no extraction date), read with ``options``."""
    import csv as csv_module

    def make(tmp: Path):
        path = tmp / "glotip.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv_module.writer(handle).writerows([GLOTIP_HEADER, g()])
        return path, CheckOptions(**options)

    return make


def nrm(*rows: str) -> Fixture:
    """A UK NRM referrals table (Year, Quarter, Age at exploitation, NRM referrals)."""
    header = "Year,Quarter,Age at exploitation,NRM referrals"
    return lambda tmp: (write_csv(tmp / "nrm.csv", [header, *rows]), None)


def twin_layout():
    from nremstats.returns.layouts.declaration import load_layout

    twin = load_layout("glotip")
    twin.name = "glotip-twin"
    return twin


def ages_summed(*rows: str) -> Fixture:
    """A ministry's table by age band, its bands declared as parts of one figure."""

    def make(tmp: Path):
        from nremstats.returns.layouts.declaration import load_layout

        layout = tmp / "ages.yaml"
        layout.write_text(
            "layout: ages\nprovider: MINISTRY\ncompilation: true\nformats: [csv]\n"
            "fixed: {indicator: PERSONS_CONVICTED}\n"
            "columns: {country: Country, year: Year, age: Age, value: Value}\n"
            "combine: {sum: [age]}\n",
            encoding="utf-8",
        )
        path = write_csv(tmp / "ages.csv", ["Country,Year,Age,Value", *rows])
        return path, CheckOptions(layout=load_layout(layout))

    return make


FIXTURES: dict[str, tuple[Fixture, Fixture]] = {
    "FILE_UNSUPPORTED": (csv(GOOD), raw("r.pdf", b"%PDF-1.4")),
    "FILE_UNREADABLE": (csv(GOOD), raw("r.csv", (HEADER + "\n").encode() + b"\xe9\xff\n")),
    "STRUCTURE_NOT_TEMPLATE": (template(), plain_workbook),
    "STRUCTURE_TEMPLATE_VERSION": (template(), template(metadata={"template_version": "0.9"})),
    "STRUCTURE_MISSING_SHEET": (template(), template(edit=remove_marker)),
    "FILE_TOO_LARGE": (template(), with_options(template(), limits=Limits(200, 200, 10))),
    "FILE_ACTIVE_CONTENT": (template(), with_part(template(), "xl/vbaProject.bin", b"\0")),
    "STRUCTURE_DUPLICATE_SHEET": (template(), template(edit=hidden_copy)),
    "STRUCTURE_HIDDEN_SHEET": (template(), template(edit=hide_convicted)),
    "STRUCTURE_HIDDEN_CONTENT": (template(), template(edit=hidden_notes)),
    "STRUCTURE_GRID_CHANGED": (template(), template(edit=delete_female_row)),
    "STRUCTURE_MERGED_CELLS": (template(), template(edit=merge_inputs)),
    "STRUCTURE_OUTSIDE_GRID": (template(), template(edit=figure_outside)),
    "STRUCTURE_COUNTRY_MISMATCH": (template(), template(metadata={"country": "BEL"})),
    "STRUCTURE_MISSING_COLUMN": (csv(GOOD), csv("NLD,2021", header="country,year")),
    "STRUCTURE_UNKNOWN_COLUMN": (csv(GOOD), csv(GOOD + ",x", header=HEADER + ",region")),
    "STRUCTURE_IGNORED_COLUMN": (
        with_options(csv(GOOD), ignore_unknown_columns=True),
        with_options(csv(GOOD + ",x", header=HEADER + ",region"), ignore_unknown_columns=True),
    ),
    "STRUCTURE_EMPTY": (csv(GOOD), csv()),
    "METADATA_MISSING": (template(), template(metadata={"year": ""})),
    "COUNTRY_NOT_ISO3": (csv(GOOD), csv(GOOD.replace("NLD", "XXK"))),
    "YEAR_RANGE": (csv(GOOD), csv(GOOD.replace("2021", "1985"))),
    "CODE_UNKNOWN": (csv(GOOD), csv(GOOD.replace("_T,_T,_T,_T", "W,_T,_T,_T"))),
    "VALUE_UNPARSEABLE": (csv(GOOD), csv(GOOD.replace(",5", ",abc"))),
    "VALUE_NEGATIVE": (csv(GOOD), csv(GOOD.replace(",5", ",-5"))),
    "VALUE_DASH": (csv(GOOD), csv(GOOD.replace(",5", ",-"))),
    "VALUE_STATUS_CONFLICT": (
        csv(GOOD + ",P", header=HEADER + ",obs_status"),
        csv(GOOD + ",L", header=HEADER + ",obs_status"),
    ),
    "BOUNDS_INVALID": (
        csv("NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,Q,3,7,", header=FULL),
        csv("NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,Q,7,3,", header=FULL),
    ),
    "KEY_DUPLICATE": (csv(GOOD), csv(GOOD, GOOD.replace(",5", ",6"))),
    "CITIZENSHIP_CODE_MISSING": (template(), template(edit=blank_code_row)),
    "DEFINITION_MISSING": (
        csv(V.format(year=2021, value=5, definition="PRESUMED"), header=FULL),
        csv(V.format(year=2021, value=5, definition=""), header=FULL),
    ),
    "DEFINITION_NOT_APPLICABLE": (
        csv(GOOD + ",,,,", header=FULL),
        csv(GOOD + ",,,,IDENTIFIED", header=FULL),
    ),
    "BALANCE_PARTS_EXCEED_TOTAL": (
        csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,5"),
        csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,6"),
    ),
    "BALANCE_TOTAL_EXCEEDS_PARTS": (
        csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,5"),
        csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,4"),
    ),
    "PLAUSIBILITY_FUNNEL": (
        csv(GOOD, "NLD,2021,PERSONS_PROSECUTED,_T,_T,_T,_T,9"),
        csv(GOOD, "NLD,2021,PERSONS_PROSECUTED,_T,_T,_T,_T,3"),
    ),
    "PLAUSIBILITY_YEAR_CHANGE": (
        csv(GOOD, "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,14"),
        csv(GOOD, "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,40"),
    ),
    "DEFINITION_CHANGED": (
        csv(
            V.format(year=2021, value=5, definition="PRESUMED"),
            V.format(year=2022, value=6, definition="PRESUMED"),
            header=FULL,
        ),
        csv(
            V.format(year=2021, value=5, definition="PRESUMED"),
            V.format(year=2022, value=6, definition="IDENTIFIED"),
            header=FULL,
        ),
    ),
    "COMPLETENESS_BLANK": (complete_template(), template()),
    "MAGNITUDE_IMPLAUSIBLE": (
        csv("AND,2022,PERSONS_CONVICTED,_T,_T,_T,_T,12"),
        csv("AND,2022,PERSONS_CONVICTED,_T,_T,_T,_T,6112022"),  # a questionnaire code
    ),
    "STRUCTURE_LAYOUT_AMBIGUOUS": (
        glotip(),
        lambda tmp: glotip(layouts=(twin_layout(), twin_layout()))(tmp),
    ),
    "STRUCTURE_LAYOUT_MISMATCH": (
        lambda tmp: glotip(layout=twin_layout())(tmp),
        lambda tmp: with_options(csv(GOOD), layout=twin_layout())(tmp),
    ),
    "LABEL_UNKNOWN": (
        glotip(g(dim="by citizenship", cat="Romanian")),
        glotip(g(dim="by citizenship", cat="Atlantis")),
    ),
    "LAYOUT_UNEXPECTED": (glotip(), glotip(g(dim="Total", cat="Female"))),
    "SUM_INCOMPLETE": (
        ages_summed("NLD,2022,0 to 14,3", "NLD,2022,15 to 17,4"),
        ages_summed("NLD,2022,0 to 14,3", "NLD,2022,15 to 17 yrs old,4"),
    ),
    "STRUCTURE_VINTAGE_MISSING": (glotip(storing=True), glotip_bare(storing=True)),
    "UNIT_NOT_COUNT": (glotip(), glotip(g(unit="Rate per 100,000 population"))),
    "PERIOD_NOT_A_YEAR": (csv(GOOD), csv("NLD,2014-2018,PERSONS_CONVICTED,_T,_T,_T,_T,5")),
    "LAYOUT_ROW_SKIPPED": (
        glotip(),
        glotip(
            g(ind="Detected trafficking victims", dim="by country of repatriation", cat="Abroad")
        ),
    ),
    "KEY_REPEATED": (glotip(g(), g(dim="by citizenship", cat="Nationals")), glotip(g(), g())),
    "QUARTERS_INCOMPLETE": (
        nrm(*[f"2022,{q},Adult (18 or over),5" for q in ("Q1", "Q2", "Q3", "Q4")]),
        nrm(*[f"2022,{q},Adult (18 or over),5" for q in ("Q1", "Q2", "Q4")]),
    ),
    "AGE_BAND_STRADDLES": (
        nrm(*[f"2022,{q},0-17,5" for q in ("Q1", "Q2", "Q3", "Q4")]),
        nrm(*[f"2022,{q},15-24,5" for q in ("Q1", "Q2", "Q3", "Q4")]),
    ),
}


def test_every_rule_has_fixtures():
    assert set(FIXTURES) == set(rules())


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_rule_passes_and_fails(rule, tmp_path):
    passing, failing = FIXTURES[rule]
    (tmp_path / "pass").mkdir()
    (tmp_path / "fail").mkdir()
    good = read_return(*passing(tmp_path / "pass"))
    bad = read_return(*failing(tmp_path / "fail"))
    assert rule not in {f.rule for f in good.findings}
    hits = [f for f in bad.findings if f.rule == rule]
    assert hits, [f.rule for f in bad.findings]
    for finding in hits:
        assert finding.severity == rules()[rule]["severity"] or rule == "BALANCE_PARTS_EXCEED_TOTAL"
        assert finding.message and finding.file == failing(tmp_path / "fail")[0].name


def test_year_change_and_definition_break_against_the_store(tmp_path):
    store = tmp_path / "store"
    first = write_csv(
        tmp_path / "2021.csv", [FULL, V.format(year=2021, value=12, definition="PRESUMED")]
    )
    assert ingest_files([first], store).ok
    second = write_csv(
        tmp_path / "2022.csv", [FULL, V.format(year=2022, value=90, definition="IDENTIFIED")]
    )
    run = ingest_files([second], store)
    found = {f.rule: f for f in run.findings}
    assert {"PLAUSIBILITY_YEAR_CHANGE", "DEFINITION_CHANGED"} <= set(found)
    assert (
        "12" in found["PLAUSIBILITY_YEAR_CHANGE"].message
        and "2021.csv" in found["PLAUSIBILITY_YEAR_CHANGE"].message
    )
    assert found["DEFINITION_CHANGED"].cell == "L2" and "B" in found["DEFINITION_CHANGED"].message
    # without the store there is nothing to compare with
    alone = read_return(second)
    assert not {"PLAUSIBILITY_YEAR_CHANGE", "DEFINITION_CHANGED"} & {f.rule for f in alone.findings}
    with_store = read_return(second, CheckOptions(history=open_store(store).observations))
    assert "PLAUSIBILITY_YEAR_CHANGE" in {f.rule for f in with_store.findings}


# --- rules files ---------------------------------------------------------------------------


def rules_file(tmp_path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_file_changes_severity_params_and_switches_off(tmp_path):
    path = rules_file(
        tmp_path,
        "rules:\n  COMPLETENESS_BLANK: off\n"
        "  BALANCE_TOTAL_EXCEEDS_PARTS: {severity: info, tolerance: 2}\n"
        "  PLAUSIBILITY_YEAR_CHANGE:\n    factor: 10\n",
    )
    ruleset = load_rules(path)
    assert not ruleset.enabled("COMPLETENESS_BLANK")
    assert ruleset.severity("BALANCE_TOTAL_EXCEEDS_PARTS") == "info"
    assert ruleset.param("BALANCE_TOTAL_EXCEEDS_PARTS", "tolerance") == 2
    assert ruleset.param("PLAUSIBILITY_YEAR_CHANGE", "factor") == 10.0
    data = read_return(
        *csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,1")(tmp_path),
    )
    assert [f.severity for f in data.findings] == ["warning"]
    relaxed = read_return(
        csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,1")(tmp_path)[0], CheckOptions(ruleset)
    )
    assert [(f.rule, f.severity) for f in relaxed.findings] == [
        ("BALANCE_TOTAL_EXCEEDS_PARTS", "info")
    ]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("rules:\n  NOPE: off\n", 2, "unknown rule 'NOPE'"),
        ("rules:\n  VALUE_DASH: off\n  YEAR_RANGE: {severity: fatal}\n", 3, "severity 'fatal'"),
        (
            "rules:\n  PLAUSIBILITY_YEAR_CHANGE:\n    factor: 3\n    speed: 2\n",
            4,
            "no parameter 'speed'",
        ),
        ("rules:\n  PLAUSIBILITY_YEAR_CHANGE:\n    factor: 0.5\n", 3, "out of range"),
        ("rules:\n  BALANCE_TOTAL_EXCEEDS_PARTS: {tolerance: 1.5}\n", 2, "whole number"),
        ("rules:\n  BALANCE_TOTAL_EXCEEDS_PARTS: {tolerance: many}\n", 2, "must be a number"),
        ("rules:\n  PLAUSIBILITY_YEAR_CHANGE:\n    factor: .nan\n", 3, "finite number"),
        ("rules:\n  MAGNITUDE_IMPLAUSIBLE: {factor: .inf}\n", 2, "finite number"),
        ("rules: [1, 2]\n", 1, "mapping"),
    ],
)
def test_bad_rules_files_name_the_line(tmp_path, text, line, words):
    path = rules_file(tmp_path, text)
    with pytest.raises(RulesFileError) as info:
        load_rules(path)
    assert f"line {line}" in str(info.value) and words in str(info.value)
    assert str(path) in str(info.value)


def test_relaxed_reading_rule_still_never_stores_the_row(tmp_path):
    relaxed = RuleSet.default().merged({"VALUE_UNPARSEABLE": {"severity": "warning"}}, "t")
    path = csv(GOOD, "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,abc")(tmp_path)[0]
    run = ingest_files([path], tmp_path / "store", rules=relaxed)
    report = run.files[0]
    assert report.status == "warnings"
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (2, 1, 1)
    assert open_store(tmp_path / "store").observations()["sex"].tolist() == ["_T"]
