"""The text reports of ``validate`` and ``ingest``: one for people, one for grep.

:func:`summary` is for a person at a terminal: what happened to the files first (rows read,
stored and rejected, the submissions in one line: "2,201 UNODC submissions, 199 countries,
2003-2022"), then the findings grouped by rule, most severe first, each rule with its
count, its first cells and the message of the first (``per_rule`` cells; ``everything``:
every finding with its message). :func:`lines` is for grep, editors and CI logs: one line
a finding, ``FILE:SHEET!CELL: severity RULE message``, as compilers and linters write
them, never framed or wrapped, then a line a file and the counts.

Both return lines; :mod:`nremstats.cli.render` prints them (the summary's lines carry rich
markup, escaped where they quote a file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from nremstats.core.findings import SEVERITY_RANK, Finding
from nremstats.returns.results import FileResult, RunResult, describe_submissions

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {
    "valid": "green",
    "warnings": "yellow",
    "stored_in_part": "yellow",
    "invalid": "bold red",
    "nothing_stored": "bold yellow",
}
#: Files listed one by one in the summary when they are more: only those not valid.
FILES_LISTED = 20
#: Cells a rule lists in the summary unless ``--limit`` says how many.
PER_RULE = 5

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def plain(text: str) -> str:
    """A text on one line: line breaks as spaces, control characters as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", _BREAKS.sub(" ", text))


def place(finding: Finding, file: str | None = None) -> str:
    """``FILE:SHEET!CELL`` (the parts there are; ``file`` None: without the file)."""
    where = "!".join(filter(None, [finding.sheet, finding.cell]))
    if file is None:
        return where
    return f"{file}:{where}" if where else file


def lines(run: RunResult, shown: list[Finding] | None = None) -> Iterator[str]:
    """The report for grep: a line a finding (``shown``, default all) led by the file's
    path as given, a line a file, then the counts."""
    keep = None if shown is None else set(map(id, shown))
    for result in run.files:
        for finding in result.findings:
            if keep is None or id(finding) in keep:
                yield (
                    f"{plain(place(finding, result.file))}: {finding.severity} "
                    f"{finding.rule} {plain(finding.message)}"
                )
    for result in run.files:
        yield f"{plain(result.file)}: {result.status}, {_rows(result)}{_story(result, '; ')}"
    yield counts_line(run)


def summary(
    run: RunResult,
    action: str,
    escape: Callable[[str], str],
    per_rule: int | None = None,
    everything: bool = False,
) -> list[tuple[int, str]]:
    """The report for people: lines of rich markup (``escape`` makes a file's text safe in
    it), each with its indent (a long line wraps under itself)."""
    out = [(0, _headline(run, action))]
    files = run.files
    listed = files
    if len(files) > FILES_LISTED and not everything:
        listed = [r for r in files if r.status not in ("valid", "warnings")][:FILES_LISTED]
    for result in listed:
        style = STATUS_STYLE[result.status]
        name = escape(Path(result.file).name)
        out.append((2, f"{name}: [{style}]{result.status}[/] — {_rows(result)}"))
        story = _story(result, "")
        if story:
            out.append((4, escape(story)))
    if len(listed) < len(files):
        rest = len(files) - len(listed)
        out.append((2, f"… {rest:,} more file(s) valid or with warnings only (--all lists them)"))
    findings = run.findings
    if findings:
        out += _by_rule(findings, escape, per_rule or PER_RULE, everything)
    out.append((0, counts_line(run)))
    if findings and not everything:
        out.append(
            (
                0,
                "[dim]--all lists every finding; --format lines writes one line each (as "
                "without a terminal), --format json all of them as data.[/]",
            )
        )
    return out


def _by_rule(
    findings: list[Finding], escape: Callable[[str], str], limit: int, everything: bool
) -> list[tuple[int, str]]:
    """The findings grouped by rule, most severe and most frequent first: a rule's count,
    its first cells (by file when there are several files), the message of the first (or
    every finding with its message)."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)

    def rank(rule: str) -> tuple[int, int, str]:
        worst = min(SEVERITY_RANK[f.severity] for f in groups[rule])
        return worst, -len(groups[rule]), rule

    order = sorted(groups, key=rank)
    several = len({f.file for f in findings}) > 1
    out = [(0, ""), (0, f"{len(findings):,} finding(s) under {len(groups)} rule(s):")]
    for rule in order:
        group = groups[rule]
        severity = min((f.severity for f in group), key=SEVERITY_RANK.__getitem__)
        in_files = len({f.file for f in group})
        where = f" in {in_files:,} files" if in_files > 1 else ""
        head = f"[{SEVERITY_STYLE[severity]}]{severity}[/] [bold]{rule}[/]: {len(group):,}{where}"
        out.append((0, head))
        shown = group if everything else group[:limit]
        for file, cells in _by_file(shown):
            lead = f"{escape(Path(file).name)}: " if several else ""
            if everything:
                out += [
                    (2, f"{lead}{escape(_cell(f) or '(the file)')}: {escape(plain(f.message))}")
                    for f in cells
                ]
                continue
            said = ", ".join(c for c in map(_cell, cells) if c)
            if said or lead:
                out.append((2, lead + escape(said or "(the file)")))
        if len(group) > len(shown):
            out.append((2, f"and {len(group) - len(shown):,} more"))
        if not everything:
            out.append((4, f"[dim]{escape(plain(group[0].message))}[/]"))
    out.append((0, ""))
    return out


def _by_file(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    found: dict[str, list[Finding]] = {}
    for finding in findings:
        found.setdefault(finding.file, []).append(finding)
    return list(found.items())


def _cell(finding: Finding) -> str:
    """A finding's place with the text it read, e.g. ``Data!G12 '1.042'``."""
    where = place(finding)
    if finding.text not in (None, ""):
        text = plain(str(finding.text))
        text = text if len(text) <= 30 else text[:29] + "…"
        return f"{where} '{text}'" if where else f"'{text}'"
    return where


def _headline(run: RunResult, action: str) -> str:
    files = run.files
    read = sum(r.rows_read for r in files)
    stored = sum(r.rows_stored for r in files)
    rejected = sum(r.rows_rejected for r in files)
    statuses: dict[str, int] = {}
    for result in files:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    said = ", ".join(f"{n:,} {status}" for status, n in statuses.items())
    kept = f"{stored:,} stored" if action == "ingest" else f"{read - rejected:,} storable"
    return (
        f"[bold]{action}[/]: {len(files):,} file(s) ({said}); {read:,} rows read, {kept}, "
        f"{rejected:,} rejected"
    )


def _rows(result: FileResult) -> str:
    return (
        f"{result.rows_read:,} rows read, {result.rows_stored:,} stored, "
        f"{result.rows_rejected:,} rejected"
    )


def _story(result: FileResult, lead: str) -> str:
    """The file's submissions in one line, and what else happened to it."""
    said = []
    if result.submissions:
        said.append(describe_submissions(result.submissions))
    if result.already_stored:
        said.append("already stored: nothing new written")
    if result.reread:
        said.append("stored before, read again another way: supersedes that reading")
    if result.superseded:
        said.append(f"{len(result.superseded):,} superseded on arrival (a newer vintage)")
    if result.withdrawn:
        first = ", ".join(result.withdrawn[:5])
        more = f" and {len(result.withdrawn) - 5:,} more" if len(result.withdrawn) > 5 else ""
        said.append(f"withdrew {len(result.withdrawn):,}: {first}{more}")
    if result.partial:
        said.append(f"taken as partial: {result.partial}")
    if result.revisions is not None:
        said.append(f"revisions: {revision_counts(result.revisions)}")
    return lead + plain("; ".join(said)) if said else ""


def revision_counts(revisions: dict) -> str:
    """A file's revisions in one line: the counts (``no value changed`` when none)."""
    kinds = ("added", "changed", "removed", "withdrawn")
    said = [f"{revisions[k]:,} {k}" for k in kinds if revisions[k]]
    return ", ".join(said) if said else "no value changed"


def counts_line(run: RunResult) -> str:
    """The counts of findings and of files that failed, in one line."""
    counts = run.counts
    invalid = sum(r.status == "invalid" for r in run.files)
    partly = sum(r.status == "stored_in_part" for r in run.files)
    empty = sum(r.status == "nothing_stored" for r in run.files)
    line = (
        f"{counts['error']:,} error(s), {counts['warning']:,} warning(s), "
        f"{counts['info']:,} info; {invalid:,} of {len(run.files):,} file(s) invalid"
    )
    if partly:
        line += f", {partly:,} stored in part (their unreadable rows rejected one by one)"
    if empty:
        line += f"; {empty:,} file(s) with no row to store (--allow-empty accepts them)"
    return line
