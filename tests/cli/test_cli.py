from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nremstats.returns.pipeline import validate_files
from tests.conftest import HEADER, SAMPLES, copy_sample, invoke, write_csv


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("nremstats 0.")


def test_template_writes_workbook(tmp_path):
    out = tmp_path / "t.xlsx"
    result = invoke(
        "template", "--country", "FRA", "--year", "2024", "--lang", "fr", "-o", str(out)
    )
    assert result.exit_code == 0 and out.is_file()
    assert "Wrote" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["template", "--country", "FR", "--year", "2024", "-o", "x.xlsx"],
        ["template", "--country", "FRA", "--year", "2024", "--lang", "de", "-o", "x.xlsx"],
        ["template", "--country", "FRA", "-o", "x.xlsx"],
        ["validate", "does-not-exist.xlsx"],
        ["validate"],
        ["export", "--indicator", "VICTIMS_DETECTED", "--store", "no-store-here"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_validate_json_equals_library_result():
    files = [str(p) for p in sorted((SAMPLES / "errors").glob("*.*")) if p.suffix != ".json"]
    result = invoke("validate", *files, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == validate_files(files).to_dict()
    data = json.loads(result.stdout)
    assert set(data) == {"format_version", "files", "findings", "counts"}
    assert set(data["findings"][0]) == {
        "rule",
        "severity",
        "file",
        "sheet",
        "cell",
        "cells",
        "row",
        "text",
        "message",
    }


def test_validate_text_and_strict(tmp_path):
    path = write_csv(
        tmp_path / "w.csv",
        [
            HEADER,
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,9",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,5",
        ],
    )
    result = invoke("validate", str(path))
    assert result.exit_code == 0
    assert "BALANCE_TOTAL_EXCEEDS_PARTS" in result.stdout and "1 warning(s)" in result.stdout
    assert invoke("validate", str(path), "--strict").exit_code == 1


def test_ingest_then_export(tmp_path):
    store = tmp_path / "store"
    good = copy_sample("NLD_2023_en.xlsx", tmp_path)
    bad = copy_sample("errors/SWE_2023_bad_rows.csv", tmp_path)
    result = invoke("ingest", str(good), str(bad), "--store", str(store), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [f["status"] for f in data["files"]] == ["valid", "invalid"]
    for f in data["files"]:
        assert f["rows_stored"] + f["rows_rejected"] == f["rows_read"]
    table = invoke(
        "export", "--indicator", "VICTIMS_DETECTED", "--format", "md", "--store", str(store)
    )
    assert table.exit_code == 0 and "| NLD | Netherlands | 1042 [" in table.stdout
    env_table = invoke(
        "export", "--indicator", "VICTIMS_DETECTED", env={"NREMSTATS_STORE": str(store)}
    )
    assert env_table.exit_code == 0 and env_table.stdout.startswith("country,name,2023")
    long = invoke("export", "--long", "--store", str(store))
    assert long.exit_code == 0 and long.stdout.startswith("provider,country,year")
    parquet = tmp_path / "o.parquet"
    assert (
        invoke(
            "export", "--long", "--format", "parquet", "-o", str(parquet), "--store", str(store)
        ).exit_code
        == 0
        and parquet.is_file()
    )
    xlsx = tmp_path / "o.xlsx"
    assert (
        invoke(
            "export",
            "--indicator",
            "VICTIMS_DETECTED",
            "--format",
            "xlsx",
            "-o",
            str(xlsx),
            "--store",
            str(store),
        ).exit_code
        == 0
        and xlsx.is_file()
    )
    assert invoke("export", "--long", "--format", "xlsx", "--store", str(store)).exit_code == 2
    assert invoke("export", "--store", str(store)).exit_code == 2


def test_ingest_into_store_path_that_is_a_file(tmp_path):
    store = tmp_path / "store"
    store.write_text("not a folder")
    path = copy_sample("NLD_2023_en.xlsx", tmp_path)
    result = invoke("ingest", str(path), "--store", str(store))
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert store.read_text() == "not a folder"


def test_internal_failure_exits_3(monkeypatch, tmp_path):
    import nremstats.returns.pipeline

    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(nremstats.returns.pipeline, "validate_files", boom)
    path = copy_sample("NLD_2023_en.xlsx", tmp_path)
    result = invoke("validate", str(path))
    assert result.exit_code == 3 and "internal failure" in result.stderr
    assert "Traceback" not in result.stderr
    debug = invoke("--debug", "validate", str(path))
    assert debug.exit_code == 3 and "Traceback" in debug.stderr


def test_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert "Victims of trafficking detected" in result.stdout
    assert "KEN_2023_bad_cells.xlsx" in result.stdout and "VALUE_UNPARSEABLE" in result.stdout
    assert not (tmp_path / "nremstats-store").exists()


def _entry_point() -> str:
    exe = Path(sys.executable).with_name("nremstats")
    found = str(exe) if exe.exists() else shutil.which("nremstats")
    assert found, "the nremstats console script is not installed"
    return found


def test_installed_entry_point_subprocess(tmp_path):
    env = {**os.environ, "NO_COLOR": "1"}
    bad = copy_sample("errors/UGA_2022_old_version.xlsx", tmp_path)
    proc = subprocess.run(
        [_entry_point(), "validate", str(bad), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["findings"][0]["rule"] == "STRUCTURE_TEMPLATE_VERSION"
    module = subprocess.run(
        [sys.executable, "-m", "nremstats", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert module.returncode == 0 and module.stdout.startswith("nremstats ")


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from nremstats.cli.main import app; "
        "from typer.testing import CliRunner; CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('pandas', 'pandera', 'pyarrow', 'openpyxl', 'matplotlib', "
        "'xlsxwriter', 'numpy') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_ignore_unknown_columns_option(tmp_path):
    path = write_csv(
        tmp_path / "r.csv", [HEADER + ",region", "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,Europe"]
    )
    assert invoke("validate", str(path)).exit_code == 1
    result = invoke("ingest", str(path), "--ignore-unknown-columns", "--store", str(tmp_path / "s"))
    assert result.exit_code == 0 and "STRUCTURE_IGNORED_COLUMN" in result.stdout


def test_validate_junit_limit_quiet_feedback_rules(tmp_path):
    bad = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    junit = invoke("validate", str(bad), "--format", "junit")
    assert junit.exit_code == 1 and junit.stdout.startswith("<?xml")
    cut = invoke("validate", str(bad), "--limit", "2")
    assert cut.exit_code == 1
    assert "Report cut: 2 of" in cut.stdout and "Report cut: 2 of" in cut.stderr
    quiet = invoke("validate", str(bad), "--quiet")
    assert quiet.exit_code == 1 and quiet.stdout == ""
    feedback = tmp_path / "feedback"
    result = invoke("validate", str(bad), "--feedback", str(feedback), "--format", "json")
    assert result.exit_code == 1 and (feedback / "KEN_2023_bad_cells_feedback.xlsx").is_file()
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  COMPLETENESS_BLANK: off\n  VALUE_NEGATIVE: {severity: fatal}\n")
    broken = invoke("validate", str(bad), "--rules", str(rules))
    assert broken.exit_code == 2 and "line 3" in broken.stderr
    rules.write_text("rules:\n  COMPLETENESS_BLANK: off\n")
    relaxed = invoke("validate", str(bad), "--rules", str(rules), "--format", "json")
    assert "COMPLETENESS_BLANK" not in relaxed.stdout


def test_validate_compares_with_an_existing_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = write_csv(tmp_path / "a.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,10"])
    second = write_csv(tmp_path / "b.csv", [HEADER, "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,90"])
    assert invoke("validate", str(second), "--format", "json").exit_code == 0
    assert invoke("ingest", str(first)).exit_code == 0  # ./nremstats-store
    result = invoke("validate", str(second), "--format", "json")
    assert "PLAUSIBILITY_YEAR_CHANGE" in result.stdout
    missing = invoke("validate", str(second), "--store", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2


def test_report_formats_offered_are_the_ones_written():
    from nremstats.cli.publish import PublicationFormat
    from nremstats.publish.report import FORMATS

    assert [f.value for f in PublicationFormat] == list(FORMATS)
