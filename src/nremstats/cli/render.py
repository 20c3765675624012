"""The one terminal renderer: rich text, JSON, JUnit, progress. The only rich importer.

The library returns data (:class:`~nremstats.returns.results.RunResult`,
:class:`~nremstats.publish.tables.ComparisonTable`, rows); this module turns it into text.
Colour follows ``NO_COLOR``; progress bars appear only when standard error is a terminal.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from nremstats.cli import run_report
from nremstats.core import codes
from nremstats.core.findings import SEVERITY_RANK, Finding
from nremstats.core.inert import csv_text, inert_row
from nremstats.returns.results import RunResult

if TYPE_CHECKING:
    from nremstats.publish.tables import ComparisonTable


#: Characters a terminal acts on (NUL, ESC, BEL, DEL, C1 controls): never printed as they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """A text from a file as text: rich markup escaped, control characters as ``\\xNN``."""
    return _escape_markup(_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text))


def stdout() -> Console:
    return Console(soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True)


def _cut(run: RunResult, limit: int | None) -> tuple[list[Finding], int]:
    """The findings a report shows: all, or the ``limit`` most severe (in report order)."""
    findings = run.findings
    if limit is None or len(findings) <= limit:
        return findings, len(findings)
    rank = SEVERITY_RANK
    chosen = sorted(range(len(findings)), key=lambda i: (rank[findings[i].severity], i))[:limit]
    return [findings[i] for i in sorted(chosen)], len(findings)


def cut_notice(shown: int, total: int) -> str:
    return (
        f"Report cut: {shown} of {total} findings shown (--limit {shown}). "
        "Raise --limit or drop it to see them all."
    )


def run_json(run: RunResult, limit: int | None = None) -> str:
    """The contract's JSON object for ``validate``/``ingest`` (``truncated`` when cut)."""
    data = run.to_dict()
    shown, total = _cut(run, limit)
    if len(shown) < total:
        data["findings"] = [f.to_dict() for f in shown]
        data["truncated"] = {"shown": len(shown), "total": total}
    return json.dumps(data, indent=2, ensure_ascii=False)


def run_junit(run: RunResult, rules: list[str], limit: int | None = None) -> str:
    """JUnit XML: one testsuite per file, one testcase per rule, a failure per error."""
    import xml.etree.ElementTree as ET

    shown = set(map(id, _cut(run, limit)[0]))
    root = ET.Element("testsuites", name="nremstats")
    total_failures = 0
    for result in run.files:
        by_rule: dict[str, list[Finding]] = {}
        for finding in result.findings:
            if id(finding) in shown:
                by_rule.setdefault(finding.rule, []).append(finding)
        names = sorted(set(rules) | set(by_rule))
        failures = sum(f.severity == "error" for f in result.findings if id(f) in shown)
        total_failures += failures
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml(result.file),
            tests=str(len(names)),
            failures=str(failures),
            errors="0",
        )
        for rule in names:
            case = ET.SubElement(suite, "testcase", classname=_xml(result.file), name=rule)
            notes = []
            for finding in by_rule.get(rule, []):
                place = "!".join(filter(None, [finding.sheet, finding.cell])) or result.file
                if finding.severity == "error":
                    failure = ET.SubElement(
                        case, "failure", type=rule, message=_xml(f"{place}: {finding.message}")
                    )
                    failure.text = _xml(f"{place} {finding.text or ''}".strip())
                else:
                    notes.append(f"{finding.severity}: {place}: {finding.message}")
            if notes:
                ET.SubElement(case, "system-out").text = _xml("\n".join(notes))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(total_failures))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


#: Characters XML 1.0 cannot carry (control characters but tab and line ends, NUL,
#: surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """``text`` with what XML cannot carry written as ``\\xNN`` (the report stays
    well-formed; a received file's control characters stay visible)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def print_run(
    run: RunResult,
    action: str,
    fmt: str,
    *,
    limit: int | None = None,
    quiet: bool = False,
    everything: bool = False,
    console: Console | None = None,
) -> None:
    """Print a validate/ingest report on standard output: ``json``, ``junit``, ``summary``
    (for people), ``lines`` (for grep) or ``text`` (the summary on a terminal, the lines
    elsewhere; :mod:`nremstats.cli.run_report`).

    ``limit`` cuts the findings of json, junit and lines, with a notice in the report and
    on standard error, and is the cells listed per rule in the summary (``everything``:
    every finding, and every file); ``quiet`` drops the text reports (json and junit are
    data and always printed).
    """
    console = console or stdout()
    if fmt == "text":
        fmt = "summary" if console.is_terminal else "lines"
    shown, total = _cut(run, None if fmt == "summary" else limit)
    if len(shown) < total:
        message(cut_notice(len(shown), total), style="yellow")
    if fmt == "json":
        console.file.write(run_json(run, limit) + "\n")
        return
    if fmt == "junit":
        console.file.write(run_junit(run, sorted(codes.rules()), limit))
        return
    if quiet:
        return
    if fmt == "lines":
        out = console.file
        for line in run_report.lines(run, shown):
            out.write(line + "\n")
        if len(shown) < total:
            out.write(cut_notice(len(shown), total) + "\n")
        return
    from rich.text import Text

    for indent, line in run_report.summary(run, action, escape, limit, everything):
        text = Text.from_markup(line)
        # wrapped under itself, without the trailing spaces a padding would write
        for piece in text.wrap(console, max(20, console.width - indent)):
            piece.rstrip()
            console.print(Text(" " * indent) + piece, highlight=False)


def width() -> int:
    """The width of standard output (80 when it is not a terminal, or ``COLUMNS``)."""
    return stdout().width


def print_lines(lines: list[str]) -> None:
    """Plain lines on standard output, as they are (control characters escaped)."""
    out = stdout().file
    for line in lines:
        out.write(_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", line) + "\n")


def rows_table(rows: list[list[str]], title: str) -> Table:
    """A plain rich table from text rows (header first)."""
    header, *body = rows
    out = Table(title=escape(title), title_justify="left")
    for name in header:
        out.add_column(escape(str(name)), overflow="fold")
    for row in body:
        out.add_row(*(escape(str(c)) for c in row))
    return out


def rows_csv(rows: list[list[Any]]) -> str:
    """Rows as CSV, every text inert (:mod:`nremstats.core.inert`), numbers as they are."""
    return csv_text(list(map(inert_row, rows)))


def print_rows(rows: list[list[Any]], title: str, fmt: str, data: Any) -> None:
    """Print a table as text (rich), csv, or ``data`` as JSON, on standard output."""
    console = stdout()
    if fmt == "json":
        console.file.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        console.file.write(rows_csv(rows))
    else:
        console.print(rows_table(rows, title))


def comparison(table: ComparisonTable) -> Table:
    """A comparison table as a rich table, with footnotes as its caption."""
    out = Table(
        title=escape(table.heading()),
        title_justify="left",
        caption="\n".join(f"[{n}] {text}" for n, text in enumerate(table.footnotes, start=1))
        or None,
        caption_justify="left",
    )
    header, *body = table.rows(people=True)
    for i, name in enumerate(header):
        out.add_column(escape(name), justify="right" if i >= 2 else "left", no_wrap=i >= 2)
    for row in body:
        out.add_row(*map(escape, row))
    return out


def print_comparison(table: ComparisonTable, console: Console | None = None) -> None:
    (console or stdout()).print(comparison(table))


def message(text: str, style: str = "", quiet: bool = False) -> None:
    """A message for people, on standard error (dropped under ``quiet``)."""
    if not quiet:
        stderr().print(escape(text), style=style or None, highlight=False)


def error(text: str) -> None:
    stderr().print(f"[bold red]Error:[/] {escape(text)}", highlight=False)


@contextlib.contextmanager
def progress(total: int, label: str, quiet: bool = False) -> Iterator[object]:
    """Yield a callback advancing a progress bar on a terminal; a no-op elsewhere."""
    console = stderr()
    if quiet or not console.is_terminal or total < 2:
        yield lambda _path: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(path: Path) -> None:
            bar.update(task, advance=1, description=f"{label} {Path(path).name}")

        yield advance


__all__ = ["print_comparison", "print_run", "progress", "run_json", "run_junit"]
