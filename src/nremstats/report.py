"""Every rendering for people and scripts: rich text, JSON, progress. The only rich importer.

Core modules return data (:class:`~nremstats.models.RunReport`,
:class:`~nremstats.query.ComparisonTable`); this module turns it into text. Colour follows
``NO_COLOR``; progress bars appear only when standard error is a terminal.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from nremstats.models import RunReport

if TYPE_CHECKING:
    from nremstats.query import ComparisonTable

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {"valid": "green", "warnings": "yellow", "invalid": "bold red"}


def stdout() -> Console:
    return Console(soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True)


def run_json(run: RunReport) -> str:
    """The contract's JSON object for ``validate``/``ingest``."""
    data = run.to_dict()
    for entry, report in zip(data["files"], run.files, strict=True):
        if report.already_stored:
            entry["already_stored"] = True
    return json.dumps(data, indent=2, ensure_ascii=False)


def findings_table(run: RunReport, limit: int | None = None) -> list[Table]:
    """One rich table per file that has findings (severity, rule, place, text, message)."""
    tables = []
    for report in run.files:
        if not report.findings:
            continue
        table = Table(
            title=f"{report.file} — {report.status}",
            title_justify="left",
            show_lines=False,
            expand=False,
        )
        for column in ("severity", "rule", "sheet", "cell", "text", "message"):
            table.add_column(column, overflow="fold")
        for finding in report.findings[:limit]:
            table.add_row(
                f"[{SEVERITY_STYLE[finding.severity]}]{finding.severity}[/]",
                finding.rule,
                finding.sheet or "",
                finding.cell or "",
                finding.text or "",
                finding.message,
            )
        tables.append(table)
    return tables


def files_table(run: RunReport, action: str) -> Table:
    """Summary of each file: status, rows read, stored and rejected, submissions."""
    table = Table(title=f"{action}: {len(run.files)} file(s)", title_justify="left")
    for column in ("file", "status", "rows read", "stored", "rejected", "submissions"):
        table.add_column(
            column, justify="right" if column in ("rows read", "stored", "rejected") else "left"
        )
    for report in run.files:
        subs = ", ".join(report.submissions)
        if report.already_stored:
            subs += " (already stored: nothing new written)"
        table.add_row(
            Path(report.file).name,
            f"[{STATUS_STYLE[report.status]}]{report.status}[/]",
            str(report.rows_read),
            str(report.rows_stored),
            str(report.rows_rejected),
            subs,
        )
    return table


def counts_line(run: RunReport) -> str:
    counts = run.counts
    return (
        f"{counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info; {sum(r.status == 'invalid' for r in run.files)} of "
        f"{len(run.files)} file(s) invalid"
    )


def print_run(run: RunReport, action: str, fmt: str, console: Console | None = None) -> None:
    """Print a validate/ingest report on standard output as text or JSON."""
    console = console or stdout()
    if fmt == "json":
        console.file.write(run_json(run) + "\n")
        return
    console.print(files_table(run, action))
    for table in findings_table(run):
        console.print(table)
    console.print(counts_line(run))


def comparison(table: ComparisonTable) -> Table:
    """A comparison table as a rich table, with footnotes as its caption."""
    out = Table(
        title=f"{table.title} ({table.indicator})",
        title_justify="left",
        caption="\n".join(f"[{n}] {text}" for n, text in enumerate(table.footnotes, start=1))
        or None,
        caption_justify="left",
    )
    header, *body = table.rows()
    for i, name in enumerate(header):
        out.add_column(name, justify="right" if i >= 2 else "left")
    for row in body:
        out.add_row(*row)
    return out


def print_comparison(table: ComparisonTable, console: Console | None = None) -> None:
    (console or stdout()).print(comparison(table))


def message(text: str, style: str = "") -> None:
    """A message for people, on standard error."""
    stderr().print(text, style=style or None, highlight=False)


def error(text: str) -> None:
    stderr().print(f"[bold red]Error:[/] {text}", highlight=False)


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator[object]:
    """Yield a callback advancing a progress bar on a terminal; a no-op elsewhere."""
    console = stderr()
    if not console.is_terminal or total < 2:
        yield lambda _path: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(path: Path) -> None:
            bar.update(task, advance=1, description=f"{label} {Path(path).name}")

        yield advance


__all__ = ["print_run", "print_comparison", "progress", "run_json"]
