from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from nremstats.core.errors import OptionError
from nremstats.core.model import OBSERVATION_COLUMNS
from nremstats.publish.export import export_long, export_table
from nremstats.publish.tables import comparison_table, status_mark
from nremstats.store.store import open_store
from tests.conftest import GOLDEN, HEADER, write_csv


@pytest.mark.parametrize("fmt", ["csv", "md"])
@pytest.mark.parametrize("indicator", ["VICTIMS_DETECTED", "PERSONS_PROSECUTED"])
def test_comparison_table_golden(sample_store, fmt, indicator, update_golden):
    text = export_table(comparison_table(open_store(sample_store), indicator), fmt)
    golden = GOLDEN / f"comparison_{indicator}.{fmt}"
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "status", "lower", "upper", "mark"),
    [
        (791, "A", None, None, "791"),
        (12, "P", None, None, "12 p"),
        (12, "E", None, None, "12 e"),
        (12, "B", None, None, "12 b"),
        (None, "L", None, None, ".."),
        (None, "M", None, None, "z"),
        (None, "Q", 0, 4, "<5"),
        (None, "Q", 3, 7, "3-7"),
        (None, "Q", None, None, "c"),
    ],
)
def test_status_marks(value, status, lower, upper, mark):
    assert status_mark(value, status, lower, upper) == mark


def test_marks_and_notes_are_never_dropped(tmp_path, store_dir):
    from nremstats.ingest import ingest_files

    path = write_csv(
        tmp_path / "r.csv",
        [
            HEADER + ",obs_status,note,provider",
            "AGO,2018,PERSONS_CONVICTED,_T,_T,_T,_T,<5,,,",
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,,L,court data late,",
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,14 p,,,",
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,15,,,UNODC",
            "BRA,2022,PERSONS_CONVICTED,_T,_T,_T,_T,33,,,UNODC",
        ],
    )
    ingest_files([path], store_dir)
    table = comparison_table(open_store(store_dir), "PERSONS_CONVICTED")
    rows = {row[0]: row for row in table.rows()}
    assert rows["AGO"][2] == "<5"
    assert rows["NLD"][3].startswith("..") and rows["NLD"][4] == "14 p"  # national first
    assert rows["BRA"][4].startswith("33 [")
    assert "figure provided by UNODC, not the national return" in table.footnotes
    assert "court data late" in table.footnotes
    unodc_first = comparison_table(open_store(store_dir), "PERSONS_CONVICTED", "UNODC")
    assert {r[0]: r for r in unodc_first.rows()}["NLD"][4].startswith("15 [")
    csv_text = export_table(table, "csv")
    assert "court data late" in csv_text and "<5" in csv_text


def test_xlsx_table(sample_store, tmp_path):
    out = tmp_path / "t.xlsx"
    export_table(comparison_table(open_store(sample_store), "VICTIMS_DETECTED"), "xlsx", out)
    wb = load_workbook(out)
    ws = wb["VICTIMS_DETECTED"]
    assert [c.value for c in ws[2]][:3] == ["country", "name", "2021"]
    values = {ws.cell(r, 1).value: [c.value for c in ws[r]] for r in range(3, ws.max_row + 1)}
    assert values["ARG"][2] == "1384 [1]"
    notes = [row[1].value for row in wb["Notes"].iter_rows(min_row=2)]
    assert any("Presumed" in str(n) for n in notes) and "suppressed small count" in str(notes)


def test_xlsx_needs_output():
    from nremstats.publish.tables import ComparisonTable

    with pytest.raises(OptionError, match="-o FILE"):
        export_table(ComparisonTable("VICTIMS_DETECTED", [], [], {}, [], []), "xlsx")


def test_unknown_indicator_and_format(sample_store):
    with pytest.raises(OptionError, match="unknown"):
        comparison_table(open_store(sample_store), "VICTIMS")
    table = comparison_table(open_store(sample_store), "VICTIMS_DETECTED")
    with pytest.raises(OptionError, match="csv, md, xlsx"):
        export_table(table, "pdf")


def test_long_csv_and_parquet_columns(sample_store, tmp_path):
    obs = open_store(sample_store).observations()
    text = export_long(obs, "csv")
    assert text.splitlines()[0] == ",".join(OBSERVATION_COLUMNS)
    out = tmp_path / "long.parquet"
    export_long(obs, "parquet", out)
    back = pd.read_parquet(out)
    assert list(back.columns) == list(OBSERVATION_COLUMNS) and len(back) == len(obs)
