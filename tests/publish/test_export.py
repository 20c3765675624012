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
    assert [c.value for c in ws[2]][:3] == ["country", "name", 2021]  # years are numbers
    cells = {ws.cell(r, 1).value: list(ws[r]) for r in range(3, ws.max_row + 1)}
    assert cells["ARG"][2].value == 1384 and cells["ARG"][2].number_format == '#,##0" [1]"'
    assert cells["ARG"][3].value is None  # empty means empty
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


#: A text beginning with each character a spreadsheet evaluates (OWASP "CSV Injection").
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def formula_store(tmp_path):
    """A store of one return per file, each file named and each note begun with one of
    FORMULAS (the reader strips a note's tab or carriage return, not a file name's), and a
    plain file whose note is -5."""
    from nremstats.ingest import ingest_files

    files = []
    for n, text in enumerate([*FORMULAS, "plain"]):
        name = "plain.csv" if text == "plain" else f"{text[0]}r.csv"
        note = "-5" if text == "plain" else text
        row = f'NLD,{2001 + n},PERSONS_CONVICTED,_T,_T,_T,_T,{11 + n},"{note}"'
        files.append(write_csv(tmp_path / name, [HEADER + ",note", row]))
    assert ingest_files(files, tmp_path / "store").ok
    return tmp_path / "store"


def test_long_csv_texts_are_inert_and_its_numbers_numbers(sample_store):
    import io

    from nremstats.core.inert import restore

    texts = [*FORMULAS, "-5", "plain", "late\r=HYPERLINK(1)"]
    obs = open_store(sample_store).observations().head(len(texts))
    obs = obs.assign(
        note=pd.array(texts, dtype="string"),
        source_file=pd.array(texts[::-1], dtype="string"),
        value=pd.array([-5, *range(len(texts) - 1)], dtype="Int64"),  # numbers stay numbers
    )
    text = export_long(obs, "csv")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    quoted = ["'" + t if t in FORMULAS else t for t in texts]
    assert list(back["note"]) == quoted and list(back["source_file"]) == quoted[::-1]
    assert [restore(t) for t in back["note"]] == texts  # the guard is reversible
    assert list(back["value"]) == ["-5", *map(str, range(len(texts) - 1))]
    assert pd.read_csv(io.StringIO(text))["value"].dtype.kind == "i"


def test_cli_export_long_of_files_and_notes_beginning_with_a_formula(tmp_path):
    import io

    from tests.conftest import invoke

    result = invoke("export", "--long", "--store", str(formula_store(tmp_path)))
    assert result.exit_code == 0, result.stderr
    back = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert len(back) == len(FORMULAS) + 1  # a carriage return started no row of its own
    files = [f"'{text[0]}r.csv" for text in FORMULAS] + ["plain.csv"]
    notes = ["'" + text.strip() for text in FORMULAS] + ["-5"]
    assert list(back["source_file"]) == files and list(back["note"]) == notes
    assert list(back["value"]) == [str(11 + n) for n in range(len(FORMULAS) + 1)]


def test_xlsx_table_notes_are_strings_never_formulas(tmp_path):
    out = tmp_path / "t.xlsx"
    table = comparison_table(open_store(formula_store(tmp_path)), "PERSONS_CONVICTED")
    export_table(table, "xlsx", out)
    notes = {c.value: c.data_type for c in load_workbook(out)["Notes"]["B"][1:] if c.value}
    for text in FORMULAS:
        assert notes["'" + text.strip()] == "s"
    assert notes["-5"] == "s" and not any(str(v).startswith("=") for v in notes)
    cells = [c for row in load_workbook(out)["PERSONS_CONVICTED"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
