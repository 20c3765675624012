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

from nremstats import codes
from nremstats.layout import Layout, detect, load_layout
from nremstats.locate import constant_column, is_canonical_csv, is_template, locate
from nremstats.locate_layout import locate_layout
from nremstats.mapping import map_observations
from nremstats.memory import gc_paused
from nremstats.models import OBSERVATION_COLUMNS, FileReport, Finding, RunReport
from nremstats.read import Source, read_source, require_file
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
        layout: read every file with this layout; ``None`` detects each file's layout.
        layouts: the layouts detection chooses from (default: the shipped ones).
    """

    ruleset: RuleSet | None = None
    history: HistoryLoader | None = None
    ignore_unknown_columns: bool = False
    #: Read every file with this layout (``--layout``); else each file is detected.
    layout: Layout | None = None
    #: The layouts detection chooses from (default: the shipped ones).
    layouts: tuple[Layout, ...] | None = None


def check_options(
    rules: str | Path | RuleSet | None = None,
    store: Store | None = None,
    ignore_unknown_columns: bool = False,
    layout: str | Path | Layout | None = None,
) -> CheckOptions:
    """Build :class:`CheckOptions` from a rules file (or set), an optional store and layout.

    Raises:
        RulesFileError, LayoutFileError: a rules or layout file is wrong (usage errors).
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    history = store.observations if store is not None else None
    if layout is not None and not isinstance(layout, Layout):
        layout = load_layout(layout)
    return CheckOptions(ruleset, history, ignore_unknown_columns, layout)


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
    #: The foreign layout the file was read with (None: template or canonical CSV).
    layout: Layout | None = None

    @property
    def ok(self) -> bool:
        """True when the return can be stored: no error, or (for an agency compilation,
        whose unreadable rows are rejected one by one) some rows could be read."""
        if self.layout is not None and self.layout.compilation:
            return self.observations is not None and bool(self.observations["readable"].any())
        return not any(f.severity == "error" for f in self.findings)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple, Finding] = {}
    for f in findings:
        seen.setdefault((f.rule, f.sheet, f.cell, f.message), f)
    return list(seen.values())


def read_return(path: str | Path, options: CheckOptions | None = None) -> ReturnData:
    """Read and check one return (xlsx template, canonical long CSV or a foreign layout);
    write nothing.

    Raises:
        InputFileNotFound: the path is not a file.
    """
    with gc_paused():
        return _read_return(Path(path), options)


def _read_return(path: Path, options: CheckOptions | None) -> ReturnData:
    options = options or CheckOptions()
    ruleset = options.ruleset or RuleSet.default()
    source, findings = read_source(path)
    if source is None:
        return ReturnData(path, None, None, None, ruleset.apply(findings), 0)
    layout, problem = choose_layout(source, options)
    if problem is not None:
        return ReturnData(path, source.sha256, source.kind, None, [problem], 0)
    if layout is not None:
        ruleset = layout.ruleset(ruleset)
        located = locate_layout(source, layout)
    else:
        located = locate(source, ignore_unknown_columns=options.ignore_unknown_columns)
    row_level = layout is not None and layout.compilation
    blocking = any(f.severity == "error" for f in located.findings) and not row_level
    if located.records is None or blocking:
        findings = [*located.findings, *check_completeness(located, ruleset)]
        return ReturnData(
            path, source.sha256, source.kind, None, ruleset.apply(_dedupe(findings)),
            located.rows_read, located.template_version, layout,
        )  # fmt: skip
    mapped = map_observations(located)
    frame = mapped.frame
    history = None
    if options.history is not None:
        history = options.history(set(frame["country"].dropna().astype(str)))
    checks = check_observations(
        frame,
        located,
        ruleset,
        history=history,
        multiple_counting=mapped.multiple_counting,
        row_level=row_level,
    )
    frame["source_file"] = constant_column(source.name, frame.index)
    frame["source_sha256"] = constant_column(source.sha256, frame.index)
    if located.kind == "csv" or source.kind == "csv":
        frame["sheet"] = constant_column(None, frame.index)
    frame["submission_id"] = constant_column(None, frame.index)
    findings = ruleset.apply(_dedupe([*located.findings, *mapped.findings, *checks]))
    if row_level:  # an agency compilation: a row with an error is never stored
        _reject_error_rows(frame, findings)
    extra = ["sources"] if "sources" in frame else []
    return ReturnData(
        file=path,
        sha256=source.sha256,
        kind=source.kind,
        observations=frame[[*OBSERVATION_COLUMNS, "row", "readable", *extra]],
        findings=findings,
        rows_read=located.rows_read,
        template_version=located.template_version,
        layout=layout,
    )


def _reject_error_rows(frame: pd.DataFrame, findings: list[Finding]) -> None:
    """Mark unreadable every row whose cell an error finding names (after the rules file and
    the layout set the severities): in a compilation, errors reject rows, not the file."""
    cells = {(f.sheet, c) for f in findings if f.severity == "error" for c in f.cells}
    if not cells:
        return
    sheets = frame["sheet"].astype(object).where(frame["sheet"].notna(), None)
    hit = [(s, c) in cells for s, c in zip(sheets, frame["cell"], strict=True)]
    frame.loc[hit, "readable"] = False


def choose_layout(source: Source, options: CheckOptions) -> tuple[Layout | None, Finding | None]:
    """The layout to read ``source`` with: the one asked for; none for the template and the
    canonical CSV; else the one known layout that matches. Several matches are a finding
    that lists them (no match is left to the template and CSV readers, which say so)."""
    if options.layout is not None:
        return options.layout, None
    if source.kind == "xlsx" and is_template(source):
        return None, None
    if source.kind == "csv" and is_canonical_csv(source):
        return None, None
    matches = detect(source, options.layouts)
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        return None, None
    names = ", ".join(layout.name for layout in matches)
    message = (
        f"{source.name} matches several layouts ({names}). Choose one: "
        f"nremstats ingest {source.name} --layout {matches[0].name}"
    )
    rule = "STRUCTURE_LAYOUT_AMBIGUOUS"
    return None, Finding(rule=rule, severity=codes.severity(rule), file=source.name,  # type: ignore[arg-type]
                         message=message)  # fmt: skip


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


#: Submissions stored in one data file, with their rows and the findings of their file.
DataUnit = tuple[list[Submission], "pd.DataFrame", list[Finding]]


def submissions_of(data: ReturnData, received_at: str) -> list[DataUnit]:
    """Split a valid return into submissions, one per provider, country and year.

    A national return gives one data file per submission; the country-years of an agency
    compilation share one data file (one write and one hash for the whole received file).
    """
    assert data.observations is not None and data.sha256 is not None
    frame = data.observations
    if not frame["readable"].all():
        frame = frame[frame["readable"]]
    counts = {s: sum(f.severity == s for f in data.findings) for s in _SEVERITY_RANK}
    if data.layout is not None:
        layout_name = data.layout.name
    else:
        layout_name = "template" if data.kind == "xlsx" else "canonical-csv"
    shared = f"{layout_name}-{data.sha256[:12]}" if data.layout is not None else None
    keys = ["provider", "country", "year"]
    ids = (frame["provider"] + "-" + frame["country"] + "-" + frame["year"].astype("string")
           + "-" + data.sha256[:12])  # fmt: skip
    frame = frame.assign(submission_id=ids.astype("string"))
    subs = []
    for (provider, country, year), rows in frame.groupby(keys, sort=True).size().items():
        subs.append(Submission(
            submission_id=f"{provider}-{country}-{year}-{data.sha256[:12]}",
            provider=str(provider), country=str(country), years=[int(year)],
            file=data.file.name, sha256=data.sha256, received_at=received_at,
            status="warnings" if counts["warning"] else "valid",
            template_version=data.template_version, layout=layout_name, rows=int(rows),
            counts=counts, data=shared,
        ))  # fmt: skip
    if shared:
        return [(subs, frame, data.findings)]
    parts = dict(tuple(frame.groupby("submission_id", sort=False)))
    return [([sub], parts[sub.submission_id], data.findings) for sub in subs]


def ingest_files(
    paths: Iterable[str | Path],
    store: Store | str | Path | None = None,
    *,
    on_file: ProgressCallback | None = None,
    on_wait: Callable[[], None] | None = None,
    rules: str | Path | RuleSet | None = None,
    ignore_unknown_columns: bool = False,
    layout: str | Path | Layout | None = None,
) -> RunReport:
    """Check returns and store the valid ones; a return with errors is rejected whole.

    Returns are checked against the store's earlier years (year-on-year rules) and with the
    rules of ``rules`` (a rules file or a :class:`RuleSet`; default the catalogue). Each file
    is read with ``layout`` (a name, a layout file or a :class:`Layout`) when given, else as
    the template, the canonical CSV or the one known layout it matches.

    All valid returns of the call are published together, in one atomic manifest update
    under the store's lock. Identical bytes already in the store are a no-op, reported as
    ``already_stored``.

    Raises:
        StoreError: the store path cannot be used.
        InputFileNotFound: a path is not a file (checked before anything is written).
        RulesFileError, LayoutFileError: a rules or layout file is wrong (checked first too).
    """
    paths = [require_file(p) for p in paths]  # all checked before anything is done
    rules = rules if isinstance(rules, RuleSet) else load_rules(rules)
    if layout is not None and not isinstance(layout, Layout):
        layout = load_layout(layout)
    target = store if isinstance(store, Store) else open_store(store, create=True)
    options = check_options(rules, target, ignore_unknown_columns, layout)
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
            batch += [(report, unit) for unit in submissions_of(data, received_at)]
    with target.lock(on_wait=on_wait), gc_paused():
        published = set(target.publish([unit for _, unit in batch]))
    for report, (subs, _, _) in batch:
        for submission in subs:
            report.submissions.append(submission.submission_id)
            if submission.submission_id not in published:
                report.already_stored = True
        report.rows_stored = report.rows_read - report.rows_rejected  # sums count each row
    return run
