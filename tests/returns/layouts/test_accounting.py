"""Every row accounted for: for every file, rows_read is the number of data rows in the file
and every one of them is stored (alone, or as a part of a figure) or rejected with a finding
that names its cell (issue: foreign files, defect 3).

Checked over every real file in ``tests/data`` and over generated tables and layouts, the
many-to-one declarations, units and periods included. The data rows are counted here from the
file itself, without the reader.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nremstats.returns.layouts.declaration import load_layout
from nremstats.returns.pipeline import CheckOptions, file_result, read_return
from tests.conftest import DATA

REAL = {
    "unodc_data_glotip_2023-05-30.xlsx": ("xlsx", "txtVALUE"),
    "unodc_data_glotip_2025-04-14.xlsx": ("xlsx", "txtVALUE"),
    "uk_nrm_referrals_longitudinal.csv": ("csv", "Age at exploitation"),
    "uk_nrm_referrals_ngo_2023_q4.csv": ("csv", "Age at exploitation"),
}


def data_rows(path: Path, kind: str, header_cell: str) -> int:
    """The non-blank rows under the row that holds ``header_cell`` (counted independently)."""
    if kind == "xlsx":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_index(0).to_python()
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    head = next(i for i, row in enumerate(rows) if header_cell in [str(c) for c in row])
    return sum(1 for row in rows[head + 1 :] if any(str(c).strip() for c in row))


def accounted(data) -> tuple[int, int, int]:
    """(rows read, source rows stored, rows rejected); stored + rejected must be read."""
    result = file_result(data)
    obs = data.observations
    if obs is None:
        return result.rows_read, 0, result.rows_rejected
    sources = obs["sources"] if "sources" in obs else 1
    stored = int((obs["readable"] * sources).sum()) if data.ok or data.layout else 0
    return result.rows_read, stored, result.rows_rejected


def rejected_cells_are_named(data) -> None:
    """Every record not stored is in a finding (its cell, or its row for a whole-file
    error)."""
    obs = data.observations
    named = {c for f in data.findings for c in f.cells}
    rows = {int(re.sub(r"^[A-Z]+", "", c)) for c in named if re.match(r"^[A-Z]+\d+$", c)}
    for _, record in obs[~obs["readable"]].iterrows():
        assert record["cell"] in named or int(record["row"]) in rows, record.to_dict()


@pytest.mark.parametrize("name", sorted(REAL))
def test_every_row_of_a_real_file_is_stored_or_rejected(name):
    path = DATA / name
    data = read_return(path)
    read, stored, rejected = accounted(data)
    assert read == data_rows(path, *REAL[name])
    assert stored + rejected == read
    rejected_cells_are_named(data)


def test_every_case_record_of_the_htcds_template_is_accounted_for(tmp_path):
    layout = tmp_path / "htcds-nld.yaml"
    layout.write_text("extends: htcds\nlayout: htcds-nld\nfixed: {country: NLD}\n")
    data = read_return(
        DATA / "htcds_excel_template_single_select_validation_v2.0.xlsx",
        CheckOptions(layout=load_layout(layout)),
    )
    read, stored, rejected = accounted(data)
    assert (read, stored, rejected) == (0, 0, 0)  # row numbers only: no record


def note(record) -> str:
    import pandas as pd

    return "" if pd.isna(record["note"]) else str(record["note"])


# --- generated tables and layouts -------------------------------------------------------------

LAYOUT = """\
layout: generated
provider: AGENCY
compilation: true
formats: [csv]
fixed: {{indicator: PERSONS_CONVICTED}}
columns: {{country: Country, year: Year, sex: Sex, age: Age, value: Value}}
ignore: [Agency]
labels:
  sex: {{Total: _T, Female: F, Male: M}}
  age: {{Total: _T, 0 to 14: Y_LT18, 15 to 17: Y_LT18, Adults: Y_GE18}}
{extra}"""

# Rows come in families sharing country, year, sex and unit and differing in age, agency and
# value: rows that map to one figure (parts, repeats, contradictions) are frequent.
family = st.tuples(
    st.tuples(
        st.sampled_from(["NLD", "NLD", "BEL", "XXX"]),
        st.sampled_from(["2022", "2022", "2021", "2014-2018", "2019/20"]),
        st.sampled_from(["Total", "Total", "Female", "Unknown sex"]),
        st.sampled_from(["Number", "Number", "Number", "Rate per 100,000"]),
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["Total", "0 to 14", "15 to 17", "Adults", "15-24"]),
            st.sampled_from(["Police", "Labour inspectorate"]),
            st.sampled_from(
                ["3", "0", "7", "<5", "..", "x", "12 p", "1.000", "abc", "-2", "1,282", ""]
            ),
        ),
        min_size=1,
        max_size=5,
    ),
)
extras = st.sampled_from(
    [
        "",
        "combine: {sum: [Age]}",
        "combine: {sum: [Agency]}",
        "combine: {same: [Agency]}",
        "combine: {sum: [Age, Agency]}",
        "combine: {sum: [Age], same: [Agency]}",
    ]
)
units = st.sampled_from(["", "unit: {column: Unit, counts: [Number]}"])


@given(st.lists(family, min_size=1, max_size=8), extras, units)
@example(  # two parts of one figure, a repeat of one of them, and a contradiction
    [
        (
            ("NLD", "2022", "Total", "Number"),
            [("0 to 14", "Police", "3"), ("15 to 17", "Police", "7")],
        ),
        (
            ("NLD", "2022", "Total", "Number"),
            [("15 to 17", "Police", "7"), ("Adults", "Police", "1,282")],
        ),
        (
            ("NLD", "2021", "Female", "Number"),
            [("Adults", "Police", "4"), ("Adults", "Police", "5")],
        ),
    ],
    "combine: {sum: [Age]}",
    "",
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_every_row_of_a_generated_table_is_stored_or_rejected(
    tmp_path_factory, families, extra, unit
):
    rows = [
        (country, year, sex, age, agency, unit_text, value)
        for (country, year, sex, unit_text), members in families
        for age, agency, value in members
    ]
    folder = tmp_path_factory.mktemp("generated")
    layout = folder / "generated.yaml"
    layout.write_text(LAYOUT.format(extra="\n".join([extra, unit])), encoding="utf-8")
    table = folder / "table.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Country", "Year", "Sex", "Age", "Agency", "Unit", "Value"])
        writer.writerows(rows)
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    read, stored, rejected = accounted(data)
    assert read == len(rows)  # every row has an agency: none is blank
    assert stored + rejected == read
    rejected_cells_are_named(data)
    kept = data.observations[data.observations["readable"]]
    assert not kept["year"].isna().any() and set(kept["year"]) <= {2021, 2022}
    for _, record in kept.iterrows():  # each figure is its row's count, or its rows' sum
        numbers = [int(n) for n in re.findall(r"[A-Z]+(\d+)", note(record))]
        written = [rows[n - 2][6] for n in (numbers or [int(record["row"])])]
        if record["obs_status"] in ("A", "P"):
            counts = [int(re.sub(r"[ ,p]", "", text)) for text in written]
            same = "same figure" in note(record)
            assert record["value"] == (counts[0] if same else sum(counts)), (record, written)
