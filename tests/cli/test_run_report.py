"""The text reports of validate and ingest: the summary for people (a terminal), the lines
for grep (elsewhere); ``--fail-on`` and the file statuses it reads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from nremstats.cli import render
from nremstats.core.findings import finding
from nremstats.returns.pipeline import validate_files
from nremstats.returns.results import FileResult, RunResult, describe_submissions
from tests.conftest import ROOT, golden, invoke, write_csv

GLOTIP = ROOT / "tests" / "data" / "unodc_data_glotip_2023-05-30.xlsx"
ERRORS = sorted(
    p.name for p in (ROOT / "sample_data" / "errors").iterdir() if p.suffix in (".xlsx", ".csv")
)
#: one line a finding: FILE:SHEET!CELL: severity RULE message (no frame, no wrapping)
LINE = re.compile(r"^(?P<place>[^ ]+): (?P<severity>error|warning|info) (?P<rule>[A-Z0-9_]+) \S")


@pytest.fixture
def error_run(monkeypatch):
    monkeypatch.chdir(ROOT)  # file names in reports are the paths as given
    return validate_files([f"sample_data/errors/{name}" for name in ERRORS])


def printed(run: RunResult, fmt: str, terminal: bool, **options) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=80, color_system=None)
    render.print_run(run, "validate", fmt, console=console, **options)
    return out.getvalue()


def test_golden_summary_on_a_terminal(error_run, update_golden):
    text = printed(error_run, "text", terminal=True)
    assert text == golden("sample_errors.summary.txt", text, update_golden)
    assert max(map(len, text.splitlines())) <= 80
    assert not any(line.endswith(" ") for line in text.splitlines())
    # every rule once, with its count; the message of its first finding
    for rule in {f.rule for f in error_run.findings}:
        count = sum(f.rule == rule for f in error_run.findings)
        assert re.search(rf"^(error|warning|info) {rule}: {count}\b", text, re.M), rule
    assert "KEN_2023_bad_cells.xlsx: Victims!C6 'twelve'" in text


def test_golden_lines_off_a_terminal(error_run, update_golden):
    text = printed(error_run, "text", terminal=False)
    assert text == golden("sample_errors.lines.txt", text, update_golden)
    body = text.splitlines()
    findings = [line for line in body if LINE.match(line)]
    assert len(findings) == len(error_run.findings)  # one line each, none wrapped
    items = [(r.file, item) for r in error_run.files for item in r.findings]
    for line, (file, item) in zip(findings, items, strict=True):
        match = LINE.match(line)
        assert match["rule"] == item.rule and match["severity"] == item.severity
        where = "!".join(filter(None, [item.sheet, item.cell]))
        assert match["place"] == (f"{file}:{where}" if where else file)
    assert "sample_data/errors/KEN_2023_bad_cells.xlsx:Victims!C6: error VALUE_UNPARSEABLE" in text
    assert "│" not in text and "─" not in text  # no frames


def test_the_summary_lists_every_finding_with_all_and_n_cells_with_limit(error_run):
    everything = printed(error_run, "summary", terminal=False, everything=True)
    for item in error_run.findings:
        place = "!".join(filter(None, [item.sheet, item.cell]))
        assert place in everything
    cut = printed(error_run, "summary", terminal=True, limit=1)
    blank = [f for f in error_run.findings if f.rule == "COMPLETENESS_BLANK"]
    assert f"and {len(blank) - 1} more" in cut
    assert "--all lists every finding" in cut


def test_lines_keep_a_finding_on_one_line_and_escape_controls() -> None:
    item = finding(
        "VALUE_UNPARSEABLE",
        "ret\x1b[31m.csv",
        "'a\nb' is not a count.\r\nWrite a number.",
        cell="H2",
        text="a\nb",
    )
    run = RunResult([FileResult("ret\x1b[31m.csv", 1, 0, 1, findings=[item])])
    text = printed(run, "lines", terminal=True)
    first = text.splitlines()[0]
    assert first == (
        "ret\\x1b[31m.csv:H2: error VALUE_UNPARSEABLE 'a b' is not a count. Write a number."
    )
    assert "\x1b" not in text


def test_lines_limit_cuts_with_a_notice(error_run):
    text = printed(error_run, "lines", terminal=False, limit=2)
    assert sum(bool(LINE.match(line)) for line in text.splitlines()) == 2
    assert "Report cut: 2 of" in text


def test_the_cli_writes_lines_when_not_a_terminal(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        [
            "country,year,indicator,sex,age,exploitation,citizenship,value",
            "NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,twelve",
        ],
    )
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:H2: error VALUE_UNPARSEABLE 'twelve'" in result.stdout
    summary = invoke("validate", str(path), "--format", "summary").stdout
    assert summary.startswith("validate: 1 file(s) (1 invalid)")
    assert "error VALUE_UNPARSEABLE: 1" in summary


def test_submissions_in_one_line() -> None:
    ids = [f"UNODC-{c}-{y}-0123456789ab" for c in ("AGO", "ALB") for y in (2003, 2010, 2022)]
    assert describe_submissions(ids) == "6 UNODC submission(s), 2 countries, 2003-2022"
    assert describe_submissions(["ARG-ARG-2021-fea54d9bb9a7"]) == "1 submission(s): ARG 2021"
    assert describe_submissions(["odd"]) == "1 submission(s)"


def test_glotip_summary_is_short_and_lines_are_one_a_finding(tmp_path: Path) -> None:
    """The 2023 GLOTIP export (3,969 findings): under 200 lines on a terminal, stored in
    part; one line a finding elsewhere."""
    from nremstats.ingest import ingest_files

    run = ingest_files([GLOTIP], tmp_path / "store")
    summary = printed(run, "text", terminal=True)
    assert len(summary.splitlines()) < 200
    assert "stored_in_part" in summary
    assert "2,201 UNODC submission(s), 186 countries, 2003-2021" in summary
    lines = printed(run, "text", terminal=False).splitlines()
    assert sum(bool(LINE.match(line)) for line in lines) == len(run.findings)


# --- --fail-on ---------------------------------------------------------------------------


def _run(*files: tuple[int, int, int, list[str]]) -> RunResult:
    """Files as (rows read, stored, rejected, severities of their findings)."""
    out = []
    for n, (read, stored, rejected, severities) in enumerate(files):
        rule = {"error": "VALUE_UNPARSEABLE", "warning": "BALANCE_TOTAL_EXCEEDS_PARTS"}
        items = [finding(rule[s], f"f{n}", "m", severity=s) for s in severities]  # type: ignore[arg-type]
        out.append(FileResult(f"f{n}", read, stored, rejected, findings=items))
    return RunResult(out)


COMPILATION = (100, 93, 7, ["error"])  # rows rejected one by one
NATIONAL_BAD = (10, 0, 10, ["error"])  # rejected whole
CLEAN = (10, 10, 0, [])
WARNED = (10, 10, 0, ["warning"])


@pytest.mark.parametrize(
    ("files", "fail_on", "code"),
    [
        ((COMPILATION,), "error", 1),  # today's behaviour
        ((COMPILATION,), "invalid", 0),  # a compilation stored in part passes
        ((COMPILATION, NATIONAL_BAD), "invalid", 1),  # a national return with errors fails
        ((COMPILATION,), "never", 0),
        ((NATIONAL_BAD,), "never", 0),
        ((WARNED,), "error", 0),
        ((WARNED,), "invalid", 0),
        ((WARNED,), "warning", 1),
        ((CLEAN,), "warning", 0),
        (((10, 0, 10, []),), "invalid", 1),  # nothing stored fails unless --allow-empty
    ],
)
def test_fail_on(files, fail_on: str, code: int) -> None:
    assert _run(*files).exit_code(fail_on=fail_on) == code


def test_statuses() -> None:
    assert [f.status for f in _run(COMPILATION, NATIONAL_BAD, CLEAN, WARNED).files] == [
        "stored_in_part",
        "invalid",
        "valid",
        "warnings",
    ]
    assert _run((10, 0, 10, [])).exit_code(allow_empty=True, fail_on="invalid") == 0
    assert _run(WARNED).exit_code(strict=True, fail_on="invalid") == 1  # --strict: warning
    with pytest.raises(ValueError, match="fail_on"):
        _run(CLEAN).exit_code(fail_on="errors")


def test_fail_on_through_the_cli(tmp_path: Path) -> None:
    good = write_csv(
        tmp_path / "good.csv",
        [
            "country,year,indicator,sex,age,exploitation,citizenship,value",
            "NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,12",
            "NLD,2023,VICTIMS_DETECTED,F,_T,_T,_T,5",
        ],
    )
    store = str(tmp_path / "store")
    warned = invoke("ingest", str(good), "--store", store, "--fail-on", "warning")
    assert warned.exit_code == 1  # the total exceeds its parts: a warning
    assert invoke("ingest", str(good), "--store", store, "--fail-on", "error").exit_code == 0
    bad = invoke("validate", str(good), "--fail-on", "sometimes")
    assert bad.exit_code == 2


# --- --help ------------------------------------------------------------------------------


def test_help_shows_every_default_and_flags_as_flags() -> None:
    """Every option that takes a value shows its default (Typer's, or a ``[default: ...]``
    in its help that rich markup must not eat); flags show no ``<bool>``."""
    import typer

    from nremstats.cli.main import app

    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        text = invoke(name, "--help", env={"COLUMNS": "250"}).stdout
        assert "<bool>" not in text, name
        for param in command.params:
            if param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            if param.required:
                continue
            shown = param.default is not None and param.show_default is not False
            assert shown or "[default:" in (param.help or ""), (name, param.opts)
        assert text.count("[default:") >= sum(
            p.param_type_name == "option" and not p.required and not getattr(p, "is_flag", False)
            for p in command.params
        ), name
    ingest = invoke("ingest", "--help", env={"COLUMNS": "250"}).stdout
    assert "[default: $NREMSTATS_STORE or ./nremstats-store]" in ingest
    assert "[default: error]" in ingest  # --fail-on
    assert "<bool>" not in invoke("--help").stdout
