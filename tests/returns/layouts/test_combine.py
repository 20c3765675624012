"""Several source rows mapped to one figure: summed when declared, stored once when identical,
refused otherwise (issue: foreign files, defect 1).

Age bands ``0 to 14`` = 3 and ``15 to 17`` = 3, both labelled ``Y_LT18``, used to be stored as
``Y_LT18 = 3`` ("repeats an earlier row"); with unequal values both were rejected as
duplicates. A layout now says how such rows combine, and what it does not say is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nremstats.returns.layouts.declaration import LayoutFileError, load_layout
from nremstats.returns.pipeline import CheckOptions, file_result, read_return
from tests.conftest import write_csv

AGES = """\
layout: ages
provider: MINISTRY
compilation: true
formats: [csv]
fixed: {{indicator: VICTIMS_DETECTED, definition: IDENTIFIED}}
columns: {{country: Country, year: Year, age: Age, value: Victims}}
ignore: [Agency, Source]
labels:
  age: {{Total: _T, 0 to 14: Y_LT18, 15 to 17: Y_LT18, 18 and over: Y_GE18}}
{extra}"""

HEADER = "Country,Agency,Year,Age,Victims,Source"


def read(tmp_path: Path, rows: list[str], extra: str = ""):
    layout = tmp_path / "ages.yaml"
    layout.write_text(AGES.format(extra=extra), encoding="utf-8")
    table = write_csv(tmp_path / "ages.csv", [HEADER, *rows])
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    result = file_result(data)
    # every row accounted for: stored (alone or as a part of a figure) or rejected
    assert result.rows_read == len(rows)
    assert stored_rows(data) + result.rows_rejected == len(rows)
    return data, result


def stored_rows(data) -> int:
    """The source rows behind the figures kept (a sum or a repeated figure: all its rows)."""
    obs = data.observations
    return 0 if obs is None else int(obs.loc[obs["readable"], "sources"].sum())


def figure(data, age: str):
    obs = data.observations
    rows = obs[(obs["age"] == age) & obs["readable"]]
    assert len(rows) <= 1
    return rows.iloc[0] if len(rows) else None


def test_nested_bands_with_the_same_value_are_never_stored_once(tmp_path):
    data, result = read(tmp_path, ["NLD,Police,2022,0 to 14,3,A", "NLD,Police,2022,15 to 17,3,A"])
    assert figure(data, "Y_LT18") is None  # not 3: neither row is stored
    assert result.rows_rejected == 2
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert dup.cells == ("E2", "E3") and dup.severity == "error"
    assert "'0 to 14'" in dup.message and "'15 to 17'" in dup.message
    assert "combine: {sum: [Age]}" in dup.message  # how to declare it


def test_nested_bands_with_unequal_values_are_refused_naming_both(tmp_path):
    data, result = read(tmp_path, ["NLD,Police,2022,0 to 14,3,A", "NLD,Police,2022,15 to 17,4,A"])
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert dup.cells == ("E2", "E3") and "E2: 3" in dup.message and "E3: 4" in dup.message
    assert result.rows_rejected == 2


def test_declared_sum_adds_the_parts_with_every_cell(tmp_path):
    rows = [
        "NLD,Police,2022,0 to 14,3,A",
        "NLD,Police,2022,15 to 17,3,A",
        "NLD,Police,2022,18 and over,10,A",
    ]
    data, result = read(tmp_path, rows, "combine: {sum: [age]}")
    children = figure(data, "Y_LT18")
    assert children["value"] == 6 and children["obs_status"] == "A"
    assert children["cell"] == "E2" and "E2, E3" in children["note"]
    assert figure(data, "Y_GE18")["value"] == 10
    assert (result.rows_read, result.rows_rejected, stored_rows(data)) == (3, 0, 3)
    assert len(data.observations) == 2  # one record for the two bands


def test_a_sum_over_a_small_count_is_a_range_and_over_a_missing_part_is_missing(tmp_path):
    rows = [
        "NLD,Police,2022,0 to 14,3,A",
        "NLD,Police,2022,15 to 17,<5,A",
        "NLD,Police,2023,0 to 14,..,A",
        "NLD,Police,2023,15 to 17,2,A",
        "NLD,Police,2021,0 to 14,2 p,A",
        "NLD,Police,2021,15 to 17,1,A",
    ]
    data, _ = read(tmp_path, rows, "combine: {sum: [Age]}")
    obs = data.observations[data.observations["readable"] & (data.observations["age"] == "Y_LT18")]
    by_year = {int(r["year"]): r for _, r in obs.iterrows()}
    ranged = by_year[2022]
    assert ranged["value"] is pd_na() and ranged["obs_status"] == "Q"
    assert (ranged["lower"], ranged["upper"]) == (3, 7)  # 3 + (0 to 4): never a number
    assert by_year[2023]["value"] is pd_na() and by_year[2023]["obs_status"] == "L"
    assert by_year[2021]["value"] == 3 and by_year[2021]["obs_status"] == "P"


def pd_na():
    import pandas as pd

    return pd.NA


def test_several_agencies_of_one_country_are_summed_only_when_declared(tmp_path):
    rows = ["NLD,Police,2022,Total,7,A", "NLD,Labour inspectorate,2022,Total,2,A"]
    data, result = read(tmp_path, rows)
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert "Agency ('Police', 'Labour inspectorate')" in dup.message
    assert result.rows_rejected == 2
    data, result = read(tmp_path, rows, "combine: {sum: [Agency]}")
    assert figure(data, "_T")["value"] == 9 and result.rows_rejected == 0


def test_a_sum_refuses_rows_that_also_differ_elsewhere_or_repeat_a_part(tmp_path):
    # the same band from two sources is no pair of parts: adding them would count twice
    data, _ = read(
        tmp_path,
        ["NLD,Police,2022,0 to 14,3,A", "NLD,Police,2022,15 to 17,3,B"],
        "combine: {sum: [Age]}",
    )
    assert figure(data, "Y_LT18") is None
    assert (
        "Source ('A', 'B')" in next(f for f in data.findings if f.rule == "KEY_DUPLICATE").message
    )
    data, _ = read(
        tmp_path,
        ["NLD,Police,2022,0 to 14,3,A", "NLD,Police,2022,0 to 14,4,A"],
        "combine: {sum: [Age]}",
    )
    assert figure(data, "Y_LT18") is None
    assert "differ only in their values" in data.findings[0].message


def test_an_exact_repeat_is_stored_once_and_anything_less_is_not(tmp_path):
    row = "NLD,Police,2022,Total,7,A"
    data, result = read(tmp_path, [row, row])
    assert figure(data, "_T")["value"] == 7
    (repeat,) = [f for f in data.findings if f.rule == "KEY_REPEATED"]
    assert repeat.cells == ("E3",) and repeat.severity == "info"
    assert result.rows_read == 2 and result.rows_rejected == 1  # the repeat is not stored
    # the same key and value from another agency is not a repeat of the row
    data, _ = read(tmp_path, [row, "NLD,Customs,2022,Total,7,A"])
    assert figure(data, "_T") is None
    assert {f.rule for f in data.findings} >= {"KEY_DUPLICATE"}


def test_declared_same_stores_one_figure_given_twice_and_refuses_a_contradiction(tmp_path):
    rows = ["NLD,Police,2022,Total,7,A", "NLD,Police,2022,Total,7,B"]
    data, result = read(tmp_path, rows, "combine: {same: [Source]}")
    total = figure(data, "_T")
    assert total["value"] == 7 and "E2, E3" in total["note"]
    assert result.rows_rejected == 0
    data, result = read(
        tmp_path,
        ["NLD,Police,2022,Total,7,A", "NLD,Police,2022,Total,8,B"],
        "combine: {same: [Source]}",
    )
    assert figure(data, "_T") is None and result.rows_rejected == 2


def test_several_columns_for_one_code_are_summed_in_a_wide_table(tmp_path):
    layout = tmp_path / "wide.yaml"
    layout.write_text(
        "layout: wide-ages\nprovider: MINISTRY\ncompilation: true\nformats: [csv]\nshape: wide\n"
        "fixed: {indicator: PERSONS_CONVICTED}\ncolumns: {country: Country, year: Year}\n"
        "across: {field: age, columns: ['0-14', '15-17', '18+']}\n"
        "labels:\n  age: {'0-14': Y_LT18, '15-17': Y_LT18, '18+': Y_GE18}\n{extra}",
        encoding="utf-8",
    )
    table = write_csv(tmp_path / "wide.csv", ["Country,Year,0-14,15-17,18+", "NLD,2022,4,5,20"])

    def run(extra: str):
        text = layout.read_text(encoding="utf-8").replace("{extra}", extra)
        path = tmp_path / f"w{len(extra)}.yaml"
        path.write_text(text, encoding="utf-8")
        return read_return(table, CheckOptions(layout=load_layout(path)))

    refused = run("")
    assert figure(refused, "Y_LT18") is None
    assert (
        "age ('0-14', '15-17')"
        in next(f for f in refused.findings if f.rule == "KEY_DUPLICATE").message
    )
    summed = run("combine: {sum: [age]}")
    children = figure(summed, "Y_LT18")
    assert children["value"] == 9 and "C2, D2" in children["note"]
    assert file_result(summed).rows_read == 3 and file_result(summed).rows_rejected == 0


@pytest.mark.parametrize(
    "extra",
    ["combine: sum", "combine: {sum: []}", "combine: {add: [Age]}", "combine: {sum: Age}"],
)
def test_a_bad_combine_declaration_is_refused_with_its_line(tmp_path, extra):
    layout = tmp_path / "ages.yaml"
    layout.write_text(AGES.format(extra=extra), encoding="utf-8")
    with pytest.raises(LayoutFileError, match=r"line \d+"):
        load_layout(layout)


def test_a_combine_column_missing_from_the_file_is_a_structure_error(tmp_path):
    data, _ = read(tmp_path, ["NLD,Police,2022,Total,7,A"], "combine: {sum: [Region]}")
    assert [f.rule for f in data.findings] == ["STRUCTURE_MISSING_COLUMN"]
    assert "Region" in data.findings[0].message


def test_an_extension_adds_to_the_combine_of_the_layout_it_extends(tmp_path):
    own = tmp_path / "glotip-mine.yaml"
    own.write_text("extends: glotip\nlayout: glotip-mine\ncombine: {sum: [Category]}\n")
    layout = load_layout(own)
    assert layout.same_over == ["Dimension"] and layout.sum_over == ["Category"]


def test_a_refusal_says_where_to_declare(tmp_path):
    rows = ["NLD,Police,2022,Total,7,A", "NLD,Customs,2022,Total,2,A"]
    data, _ = read(tmp_path, rows)
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert str(tmp_path / "ages.yaml") in dup.message  # the user's own file
    from tests.returns.test_rules import GLOTIP_HEADER, g

    other = g(value="4")
    other[-1] = "Police report"  # the Source column
    lines = [",".join(GLOTIP_HEADER), ",".join(g(value="3")), ",".join(other)]
    shipped = read_return(write_csv(tmp_path / "glotip.csv", lines))
    (dup,) = [f for f in shipped.findings if f.rule == "KEY_DUPLICATE"]
    assert "Source ('GLOTIP', 'Police report')" in dup.message
    assert "a layout file of your own (with 'extends: glotip'" in dup.message  # never the package


# --- a declared sum is refused when its rows cannot be parts (review of the first version) ---


def refused(data) -> str:
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    return dup.message


def test_overlapping_age_bands_are_never_added(tmp_path):
    layout_extra = "combine: {sum: [Age]}"  # '0 to 17' nests in Y_LT18 without a label
    rows = [
        "NLD,Police,2022,0 to 14,3,A",
        "NLD,Police,2022,15 to 17,4,A",
        "NLD,Police,2022,0 to 17,7,A",
    ]
    data, result = read(tmp_path, rows, layout_extra)
    assert figure(data, "Y_LT18") is None and result.rows_rejected == 3  # never 14
    assert "overlap" in refused(data)


def test_a_total_row_is_never_added_to_its_parts(tmp_path):
    rows = ["NLD,Police,2022,Total,7,A", "NLD,Labour,2022,Total,2,A", "NLD,Total,2022,Total,9,A"]
    data, _ = read(tmp_path, rows, "combine: {sum: [Agency]}")
    assert figure(data, "_T") is None and "is a total ('total')" in refused(data)
    rows[2] = "NLD,All agencies,2022,Total,9,A"  # a total by another name: 9 = 7 + 2
    data, _ = read(tmp_path, rows, "combine: {sum: [Agency]}")
    assert figure(data, "_T") is None and "sum of the others" in refused(data)


def test_one_label_written_twice_is_not_two_parts(tmp_path):
    data, _ = read(
        tmp_path,
        ["NLD,Police,2022,Total,7,A", "NLD,police,2022,Total,7,A"],
        "combine: {sum: [Agency]}",
    )
    assert figure(data, "_T") is None  # never 14
    assert "given twice" in refused(data)


def test_parts_of_different_definitions_are_never_added(tmp_path):
    layout = tmp_path / "defs.yaml"
    layout.write_text(
        "layout: defs\nprovider: MINISTRY\ncompilation: true\nformats: [csv]\n"
        "fixed: {indicator: VICTIMS_DETECTED}\n"
        "columns: {country: Country, year: Year, value: Victims, definition: Source}\n"
        "ignore: [Agency, Age]\ncombine: {sum: [Agency]}\n"
        "labels:\n  definition: {A: IDENTIFIED, B: PRESUMED}\n",
        encoding="utf-8",
    )
    table = write_csv(
        tmp_path / "defs.csv", [HEADER, "NLD,Police,2022,Total,7,A", "NLD,NGO,2022,Total,5,B"]
    )
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert figure(data, "_T") is None
    assert "different definitions" in refused(data)


def test_a_blank_part_rejects_the_sum_and_statuses_are_kept(tmp_path):
    rows = ["NLD,Police,2022,0 to 14,,A", "NLD,Police,2022,15 to 17,4,A"]
    data, result = read(tmp_path, rows, "combine: {sum: [Age]}")
    assert figure(data, "Y_LT18") is None and result.rows_rejected == 2
    assert any("is blank" in f.message for f in data.findings)
    marked = ["NLD,Police,2022,0 to 14,12*,A", "NLD,Police,2022,15 to 17,4,A"]
    data, _ = read(tmp_path, marked, "combine: {sum: [Age]}")
    children = figure(data, "Y_LT18")
    assert children["value"] == 16 and "E2: *" in children["note"]  # the mark is kept
    ranged = ["NLD,Police,2022,0 to 14,12 p,A", "NLD,Police,2022,15 to 17,<5,A"]
    data, _ = read(tmp_path, ranged, "combine: {sum: [Age]}")
    children = figure(data, "Y_LT18")
    assert (children["lower"], children["upper"]) == (12, 16) and "provisional" in children["note"]


def test_same_compares_what_values_say_not_how_they_are_written(tmp_path):
    rows = ["NLD,Police,2022,Total,1282,A", 'NLD,Police,2022,Total,"1,282",B']
    data, _ = read(tmp_path, rows, "combine: {same: [Source]}")
    assert figure(data, "_T")["value"] == 1282


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("combine: {sum: [value]}", "value is what is combined"),
        ("combine: {sum: [Victims]}", "is the value column"),
        ("combine: {sum: [Age], same: [Age]}", "in both sum and same"),
        ("unit: {column: Unit, counts: []}", "unit takes column"),
    ],
)
def test_combine_and_unit_declarations_that_make_no_sense_are_refused(tmp_path, extra, says):
    layout = tmp_path / "ages.yaml"
    layout.write_text(AGES.format(extra=extra), encoding="utf-8")
    with pytest.raises(LayoutFileError, match=says):
        load_layout(layout)


def test_a_fraction_in_one_countrys_series_rejects_that_series_only(tmp_path):
    rows = [
        "NLD,Police,2022,Total,1.37,A",
        "NLD,Police,2021,Total,0,A",
        "BEL,Police,2022,Total,12,A",
        "BEL,Police,2021,Total,9,A",
    ]
    data, result = read(tmp_path, rows)
    kept = data.observations[data.observations["readable"]]
    assert sorted(kept["value"].tolist()) == [9, 12] and set(kept["country"]) == {"BEL"}
    assert result.rows_rejected == 2  # NLD's 0 is a rate too


def test_a_key_written_twice_in_a_layout_is_refused_with_its_line(tmp_path):
    layout = tmp_path / "ages.yaml"
    layout.write_text(AGES.format(extra="labels:\n  sex: {Total: _T}"), encoding="utf-8")
    with pytest.raises(LayoutFileError, match=r"line 10: 'labels' is written twice"):
        load_layout(layout)


# --- what an attacker who read only the docs found (second review) ----------------------------

MIN = """\
layout: ministry
provider: MINX
compilation: true
formats: [csv]
header: {{find: [Country, Year, Age, Value], within: 5}}
columns: {{country: {{column: Country, codes: iso3}}, year: Year, age: Age, value: Value{more}}}
fixed: {{indicator: PERSONS_CONVICTED}}
combine: {{sum: [age]}}
"""


def ministry(tmp_path: Path, lines: list[str], more: str = ""):
    layout = tmp_path / "min.yaml"
    layout.write_text(MIN.format(more=more), encoding="utf-8")
    data = read_return(
        write_csv(tmp_path / "t.csv", lines), CheckOptions(layout=load_layout(layout))
    )
    return data, file_result(data)


def test_a_quarter_that_is_not_one_is_never_read_as_the_year(tmp_path):
    lines = [
        "Country,Year,Quarter,Age,Value",
        "NLD,2021,H2,Total,7",
        "NLD,2022,Q4 (revised),Total,5",
    ]
    data, result = ministry(tmp_path, lines, ", quarter: Quarter")
    assert not data.observations["readable"].any() and result.rows_rejected == 2
    assert {f.text for f in data.findings if f.rule == "LABEL_UNKNOWN"} == {"H2", "Q4 (revised)"}


def test_a_sum_with_a_part_rejected_for_its_label_is_not_stored(tmp_path):
    lines = [
        "Country,Year,Age,Value",
        "NLD,2021,0 to 14,6",
        "NLD,2021,15 to 17 yrs old,6",
        "NLD,2021,Total,20",
        "NLD,2022,0 to 14,6",
        "NLD,2022,15 to 17,5",
    ]
    data, result = ministry(tmp_path, lines)
    kept = data.observations[data.observations["readable"]]
    pairs = sorted(
        zip(kept["year"].tolist(), kept["age"].tolist(), kept["value"].tolist(), strict=True)
    )
    assert pairs == [(2021, "_T", 20), (2022, "Y_LT18", 11)]  # 2021's Y_LT18 is not 6
    (incomplete,) = [f for f in data.findings if f.rule == "SUM_INCOMPLETE"]
    assert incomplete.cells == ("D2",) and "C3" in incomplete.message
    assert result.rows_read == 5 and result.rows_rejected == 2


def test_a_blank_cell_of_a_wide_sum_is_a_blank_part_not_an_absent_one(tmp_path):
    layout = tmp_path / "wa.yaml"
    layout.write_text(
        "layout: wa\nprovider: MINX\ncompilation: true\nformats: [csv]\nshape: wide\n"
        "fixed: {indicator: PERSONS_CONVICTED}\ncolumns: {country: Country, year: Year}\n"
        "across: {field: age, columns: ['0-14', '15-17', '18+', Total]}\n"
        "labels:\n  age: {'0-14': Y_LT18, '15-17': Y_LT18, '18+': Y_GE18}\n"
        "combine: {sum: [age]}\n",
        encoding="utf-8",
    )
    table = write_csv(
        tmp_path / "wa.csv",
        ["Country,Year,0-14,15-17,18+,Total", "NLD,2023,,4,10,14", "NLD,2022,1,2,,3"],
    )
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    kept = data.observations[data.observations["readable"]]
    triples = sorted(
        zip(kept["year"].tolist(), kept["age"].tolist(), kept["value"].tolist(), strict=True)
    )
    assert triples == [(2022, "Y_LT18", 3), (2022, "_T", 3), (2023, "Y_GE18", 10), (2023, "_T", 14)]
    assert any("is blank" in f.message for f in data.findings)  # 2023's Y_LT18 is not 4
    result = file_result(data)  # the blank 18+ of 2022 is no cell read; 2023's 0-14 is
    assert (result.rows_read, result.rows_rejected) == (7, 2)


def test_two_columns_of_one_name_are_two_cells_not_a_repeat(tmp_path):
    layout = tmp_path / "wa.yaml"
    layout.write_text(
        "layout: wa\nprovider: MINX\ncompilation: true\nformats: [csv]\nshape: wide\n"
        "fixed: {indicator: PERSONS_CONVICTED}\ncolumns: {country: Country, year: Year}\n"
        "across: {field: age, columns: ['0-14', '15-17', Total]}\n"
        "labels:\n  age: {'0-14': Y_LT18, '15-17': Y_LT18}\ncombine: {sum: [age]}\n",
        encoding="utf-8",
    )
    table = write_csv(
        tmp_path / "wa.csv", ["Country,Year,0-14,15-17,15-17,Total", "NLD,2021,3,4,4,11"]
    )
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert figure(data, "Y_LT18") is None  # never 7
    assert "KEY_REPEATED" not in {f.rule for f in data.findings}
    (dup,) = [f for f in data.findings if f.rule == "KEY_DUPLICATE"]
    assert {"D2", "E2"} <= set(dup.cells)


def test_wide_column_names_match_as_labels_do(tmp_path):
    layout = tmp_path / "wide.yaml"
    layout.write_text(
        "layout: w\nprovider: MINX\ncompilation: true\nformats: [csv]\nshape: wide\n"
        "fixed: {indicator: PERSONS_CONVICTED}\ncolumns: {country: Country, year: Year}\n"
        "across: {field: sex, columns: [Female, Male, Total]}\n",
        encoding="utf-8",
    )
    table = write_csv(tmp_path / "w.csv", ["Country,Year,Female,male ,Total", "NLD,2021,3,4,7"])
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert sorted(data.observations["value"].tolist()) == [3, 4, 7]


def test_a_quarter_refused_names_every_row_behind_it(tmp_path):
    lines = ["Country,Year,Quarter,Age,Value"]
    for q in ("Q1", "Q2", "Q3", "Q4"):
        first = "<5" if q == "Q3" else "2"
        lines += [f"NLD,2022,{q},0 to 14,{first}", f"NLD,2022,{q},15 to 17,3"]
    data, result = ministry(tmp_path, lines, ", quarter: Quarter")
    (quarters,) = [f for f in data.findings if f.rule == "QUARTERS_INCOMPLETE"]
    assert sorted(quarters.cells) == sorted(f"E{n}" for n in range(2, 10))
    assert result.rows_rejected == 8


def test_a_part_of_zero_does_not_make_two_equal_parts_look_like_a_total(tmp_path):
    rows = ["NLD,Police,2022,Total,5,A", "NLD,Customs,2022,Total,5,A", "NLD,Labour,2022,Total,0,A"]
    data, result = read(tmp_path, rows, "combine: {sum: [Agency]}")
    assert figure(data, "_T")["value"] == 10 and result.rows_rejected == 0
