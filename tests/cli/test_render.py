"""Report formats: golden JSON and JUnit for the sample error returns, limits, feedback."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from nremstats.cli.render import run_json, run_junit
from nremstats.core.codes import rules
from nremstats.returns.feedback import LIST_SHEET, write_feedback
from nremstats.returns.pipeline import validate_files
from tests.conftest import ROOT, copy_sample, golden

ERRORS = sorted(
    p.name for p in (ROOT / "sample_data" / "errors").iterdir() if p.suffix in (".xlsx", ".csv")
)


@pytest.fixture
def error_run(monkeypatch):
    monkeypatch.chdir(ROOT)  # file names in reports are the paths as given
    return validate_files([f"sample_data/errors/{name}" for name in ERRORS])


def test_golden_json(error_run, update_golden):
    text = run_json(error_run) + "\n"
    assert text == golden("sample_errors.json", text, update_golden)
    data = json.loads(text)
    for entry in data["files"]:
        assert entry["rows_stored"] == 0 and entry["status"] == "invalid"


def test_golden_junit(error_run, update_golden):
    text = run_junit(error_run, sorted(rules()))
    assert text == golden("sample_errors.junit.xml", text, update_golden)
    root = ET.fromstring(text)
    suites = root.findall("testsuite")
    assert len(suites) == len(ERRORS)
    for suite, report in zip(suites, error_run.files, strict=True):
        cases = suite.findall("testcase")
        assert {c.get("name") for c in cases} >= set(rules())  # one testcase per rule
        failures = [f for c in cases for f in c.findall("failure")]
        assert len(failures) == sum(f.severity == "error" for f in report.findings)
        assert int(suite.get("failures")) == len(failures)


def test_limit_cuts_with_a_notice(error_run):
    data = json.loads(run_json(error_run, limit=3))
    assert len(data["findings"]) == 3
    assert data["truncated"] == {"shown": 3, "total": len(error_run.findings)}
    assert data["counts"] == error_run.counts  # counts stay whole
    root = ET.fromstring(run_junit(error_run, sorted(rules()), limit=2))
    assert len(root.findall(".//failure")) == 2


def test_feedback_workbook_puts_comments_on_the_cells(tmp_path):
    source = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    before = source.read_bytes()
    report = validate_files([source]).files[0]
    out = write_feedback(report, source, tmp_path / "feedback")
    assert source.read_bytes() == before  # the received file is never modified
    wb = load_workbook(out)
    assert wb.sheetnames[0] == LIST_SHEET
    expected = {
        ("Victims", "C6"): "VALUE_UNPARSEABLE",
        ("Suspected", "C5"): "VALUE_NEGATIVE",
        ("Victims", "B29"): "COUNTRY_NOT_ISO3",
        ("Victims", "B31"): "CITIZENSHIP_CODE_MISSING",
    }
    for (sheet, cell), rule in expected.items():
        comment = wb[sheet][cell].comment
        assert comment is not None and rule in comment.text, (sheet, cell)
        assert wb[sheet][cell].fill.fgColor.rgb.endswith("F4CCCC")
    assert wb["Victims"]["C5"].comment is None  # a clean cell stays clean
    listing = wb[LIST_SHEET]
    rows = list(listing.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(report.findings)
    links = {
        listing.cell(r, 4).hyperlink.location
        for r in range(2, listing.max_row + 1)
        if listing.cell(r, 4).hyperlink
    }
    assert "'Victims'!C6" in links


def test_feedback_for_a_balance_marks_every_cell(tmp_path):
    from nremstats.template.workbook import fill_return, write_template

    path = write_template(tmp_path / "t.xlsx", "NLD", 2023)
    fill_return(
        path,
        {
            ("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): 5,
            ("PERSONS_CONVICTED", "F", "_T", "_T", "_T"): 4,
            ("PERSONS_CONVICTED", "M", "_T", "_T", "_T"): 3,
        },
    )
    report = validate_files([path]).files[0]
    out = write_feedback(report, path, tmp_path / "fb")
    ws = load_workbook(out)["Convicted"]
    for cell in ("C5", "C6", "C7"):
        assert "BALANCE_PARTS_EXCEED_TOTAL" in ws[cell].comment.text


def test_no_feedback_for_csv(tmp_path):
    source = copy_sample("errors/SWE_2023_bad_rows.csv", tmp_path)
    report = validate_files([source]).files[0]
    assert write_feedback(report, source, tmp_path / "fb") is None


def test_texts_from_a_file_are_printed_as_they_are_and_junit_stays_xml(tmp_path) -> None:
    """A cell holding terminal markup (``[/]``, ``[bold]``) or control characters: the text
    report prints it literally (no crash after files were stored), JUnit stays well-formed."""
    import xml.etree.ElementTree as ET

    from tests.conftest import HEADER, invoke, write_csv

    path = write_csv(
        tmp_path / "[bold]odd[i].csv",
        [
            HEADER,
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,[/]",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,\x01\x00x",
        ],
    )
    result = invoke("validate", str(path))
    assert result.exit_code == 1, result.stderr
    assert "[/]" in result.stdout and "[bold]odd[i].csv" in result.stdout
    junit = invoke("validate", str(path), "--format", "junit").stdout
    root = ET.fromstring(junit.split("\n", 1)[1] if junit.startswith("<?xml") else junit)
    messages = [f.get("message") for f in root.iter("failure")]
    assert any("\\x01\\x00x" in (f.text or "") for f in root.iter("failure")), messages


def test_csv_rows_are_inert_and_numbers_stay_numbers() -> None:
    """``--format csv`` of status, history, diff, reconcile: a text beginning with a
    character a spreadsheet evaluates gets ``'`` in front; numbers and plain texts do not."""
    import csv
    import io

    from nremstats.cli.render import rows_csv

    formulas = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    rows = [["file", "value", "note"], *([text, -5, "-5"] for text in formulas)]
    rows.append(["plain", -1.5, "plain"])
    back = list(csv.reader(io.StringIO(rows_csv(rows), newline="")))
    assert back[1:] == [["'" + text, "-5", "-5"] for text in formulas] + [
        ["plain", "-1.5", "plain"]
    ]
