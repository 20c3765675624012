"""The pipeline: read -> locate -> map -> validate, then (for ingest) store.

:func:`read_return` gives one file's observations and findings; :func:`validate_files` runs
it over many files and writes nothing; :func:`ingest_files` also publishes every valid
return to the store in one atomic step. A national return with any error is rejected whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nremstats.locate import constant_column, locate
from nremstats.mapping import map_observations
from nremstats.models import OBSERVATION_COLUMNS, FileReport, Finding, RunReport
from nremstats.read import read_source, require_file
from nremstats.rules import RuleSet, load_rules
from nremstats.store import Store, Submission, now_iso, open_store
from nremstats.validate import check_completeness, check_observations

if TYPE_CHECKING:
    import pandas as pd

ProgressCallback = Callable[[Path], None]
HistoryLoader = Callable[[set[str]], "pd.DataFrame"]


@dataclass(frozen=True)
class CheckOptions:
    """How returns are checked.

    Attributes:
        ruleset: the rule catalogue with a user's changes (default: the catalogue).
        history: gives the store's current observations of some countries, for the
            year-on-year rules (``None``: no store to compare with).
        ignore_unknown_columns: a CSV column the format does not define is ignored.
    """

    ruleset: RuleSet | None = None
    history: HistoryLoader | None = None
    ignore_unknown_columns: bool = False


def check_options(
    rules: str | Path | RuleSet | None = None,
    store: Store | None = None,
    ignore_unknown_columns: bool = False,
) -> CheckOptions:
    """Build :class:`CheckOptions` from a rules file (or set) and an optional store."""
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    history = store.observations if store is not None else None
    return CheckOptions(ruleset, history, ignore_unknown_columns)


_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass
class ReturnData:
    """One received file after reading and checking.

    ``observations`` has the columns of the observation format (provenance except
    ``submission_id``) or is ``None`` when nothing could be read; ``findings`` holds every
    finding; ``rows_read`` counts the source rows or filled value cells.
    """

    file: Path
    sha256: str | None
    kind: str | None
    observations: pd.DataFrame | None
    findings: list[Finding]
    rows_read: int
    template_version: str | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple, Finding] = {}
    for f in findings:
        seen.setdefault((f.rule, f.sheet, f.cell, f.message), f)
    return list(seen.values())


def read_return(path: str | Path, options: CheckOptions | None = None) -> ReturnData:
    """Read and check one return (xlsx template or canonical long CSV); write nothing.

    Raises:
        InputFileNotFound: the path is not a file.
    """
    path = Path(path)
    options = options or CheckOptions()
    ruleset = options.ruleset or RuleSet.default()
    source, findings = read_source(path)
    if source is None:
        return ReturnData(path, None, None, None, ruleset.apply(findings), 0)
    located = locate(source, ignore_unknown_columns=options.ignore_unknown_columns)
    if located.records is None or any(f.severity == "error" for f in located.findings):
        findings = [*located.findings, *check_completeness(located, ruleset)]
        return ReturnData(
            path, source.sha256, source.kind, None, ruleset.apply(_dedupe(findings)),
            located.rows_read, located.template_version,
        )  # fmt: skip
    mapped = map_observations(located)
    frame = mapped.frame
    history = None
    if options.history is not None:
        history = options.history(set(frame["country"].dropna().astype(str)))
    checks = check_observations(
        frame, located, ruleset, history=history, multiple_counting=mapped.multiple_counting
    )
    frame["source_file"] = constant_column(source.name, frame.index)
    frame["source_sha256"] = constant_column(source.sha256, frame.index)
    if located.kind == "csv":
        frame["sheet"] = constant_column(None, frame.index)
    frame["submission_id"] = constant_column(None, frame.index)
    return ReturnData(
        file=path,
        sha256=source.sha256,
        kind=source.kind,
        observations=frame[[*OBSERVATION_COLUMNS, "row", "readable"]],
        findings=ruleset.apply(_dedupe([*located.findings, *mapped.findings, *checks])),
        rows_read=located.rows_read,
        template_version=located.template_version,
    )


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (f.sheet or "", f.row or 0, _SEVERITY_RANK[f.severity], f.rule),
    )


def _report(data: ReturnData) -> FileReport:
    """The file's report; rows rejected are all rows when the return has an error, else the
    rows that could not be read (possible only when a rules file relaxed a reading rule)."""
    report = FileReport(
        file=str(data.file), rows_read=data.rows_read, findings=_sorted(data.findings)
    )
    if not data.ok or data.observations is None:
        report.rows_rejected = data.rows_read
    else:
        report.rows_rejected = int((~data.observations["readable"]).sum())
    return report


def validate_files(
    paths: Iterable[str | Path],
    on_file: ProgressCallback | None = None,
    *,
    options: CheckOptions | None = None,
) -> RunReport:
    """Check returns without writing anything; the report says what ingest would do."""
    paths = [require_file(p) for p in paths]  # all checked before anything is done
    run = RunReport()
    for path in paths:
        if on_file:
            on_file(path)
        run.files.append(_report(read_return(path, options)))
    return run


def submissions_of(data: ReturnData, received_at: str) -> list[tuple[Submission, pd.DataFrame]]:
    """Split a valid return into submissions, one per provider, country and year."""
    assert data.observations is not None and data.sha256 is not None
    frame = data.observations
    if not frame["readable"].all():
        frame = frame[frame["readable"]]
    out = []
    counts = {s: sum(f.severity == s for f in data.findings) for s in _SEVERITY_RANK}
    for (provider, country, year), part in frame.groupby(
        ["provider", "country", "year"], sort=True
    ):
        sub_id = f"{provider}-{country}-{year}-{data.sha256[:12]}"
        part = part.assign(submission_id=constant_column(sub_id, part.index))
        submission = Submission(
            submission_id=sub_id,
            provider=str(provider),
            country=str(country),
            years=[int(year)],
            file=data.file.name,
            sha256=data.sha256,
            received_at=received_at,
            status="warnings" if counts["warning"] else "valid",
            template_version=data.template_version,
            layout="template" if data.kind == "xlsx" else "canonical-csv",
            rows=len(part),
            counts=counts,
        )
        out.append((submission, part))
    return out


def ingest_files(
    paths: Iterable[str | Path],
    store: Store | str | Path | None = None,
    *,
    on_file: ProgressCallback | None = None,
    on_wait: Callable[[], None] | None = None,
    rules: str | Path | RuleSet | None = None,
    ignore_unknown_columns: bool = False,
) -> RunReport:
    """Check returns and store the valid ones; a return with errors is rejected whole.

    Returns are checked against the store's earlier years (year-on-year rules) and with the
    rules of ``rules`` (a rules file or a :class:`RuleSet`; default the catalogue).

    All valid returns of the call are published together, in one atomic manifest update
    under the store's lock. Identical bytes already in the store are a no-op, reported as
    ``already_stored``.

    Raises:
        StoreError: the store path cannot be used.
        InputFileNotFound: a path is not a file (checked before anything is written).
    """
    paths = [require_file(p) for p in paths]  # all checked before anything is done
    target = store if isinstance(store, Store) else open_store(store, create=True)
    options = check_options(rules, target, ignore_unknown_columns)
    run = RunReport()
    batch = []
    received_at = now_iso()
    for path in paths:
        if on_file:
            on_file(path)
        data = read_return(path, options)
        report = _report(data)
        run.files.append(report)
        if data.ok and data.observations is not None:
            for submission, part in submissions_of(data, received_at):
                batch.append((report, submission, part, data.findings))
    with target.lock(on_wait=on_wait):
        published = set(target.publish([(sub, part, findings) for _, sub, part, findings in batch]))
    for report, submission, part, _ in batch:
        report.submissions.append(submission.submission_id)
        report.rows_stored += len(part)
        if submission.submission_id not in published:
            report.already_stored = True
    return run
