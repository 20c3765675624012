"""One received file through the stages: read -> locate -> map -> validate.

:func:`read_return` gives one file's observations and findings (a template, a canonical CSV
or a foreign layout, chosen by :func:`choose_layout`); :func:`validate_files` runs it over
many files and writes nothing. A national return with any error is rejected whole; an
agency compilation's unreadable rows are rejected one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nremstats.core import codes
from nremstats.core.findings import Finding, finding, report_order
from nremstats.core.memory import gc_paused
from nremstats.core.model import OBSERVATION_COLUMNS
from nremstats.returns.layouts.declaration import Layout, load_layout
from nremstats.returns.layouts.detect import detect
from nremstats.returns.layouts.locate import locate_layout
from nremstats.returns.layouts.vintage import vintage_option
from nremstats.returns.locate import is_canonical_csv, is_template, locate
from nremstats.returns.located import Located, constant_column
from nremstats.returns.mapping import map_observations
from nremstats.returns.package import Limits
from nremstats.returns.read import Source, display_path, read_source, require_file
from nremstats.returns.results import FileResult, RunResult
from nremstats.returns.rules import RuleSet, load_rules
from nremstats.returns.validate import check_completeness, check_observations

if TYPE_CHECKING:
    import pandas as pd

ProgressCallback = Callable[[Path], None]
HistoryLoader = Callable[[set[str]], "pd.DataFrame"]


class History(Protocol):
    """What returns are compared with for the year-on-year rules (a store)."""

    def observations(self, countries: set[str]) -> pd.DataFrame: ...


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
    #: The date the figures were extracted (``--vintage``), for files that do not say.
    vintage: str | None = None
    #: The files are read to be stored: a compilation whose layout declares a vintage
    #: must have one (``validate`` does not need it).
    storing: bool = False
    #: The country the user says the returns are from (``--country``): confirms a template
    #: whose file name or titles name another country than its metadata.
    country: str | None = None
    #: What a file may ask of the machine (default: ``schemas/limits.yaml``).
    limits: Limits | None = None


def check_options(
    rules: str | Path | RuleSet | None = None,
    store: History | None = None,
    ignore_unknown_columns: bool = False,
    layout: str | Path | Layout | None = None,
    vintage: str | None = None,
    storing: bool = False,
    country: str | None = None,
    limits: Limits | None = None,
) -> CheckOptions:
    """Build :class:`CheckOptions` from a rules file (or set), an optional store and layout.

    Raises:
        RulesFileError, LayoutFileError: a rules or layout file is wrong (usage errors).
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    history = store.observations if store is not None else None
    if layout is not None and not isinstance(layout, Layout):
        layout = load_layout(layout)
    vintage = vintage_option(vintage) if vintage is not None else None
    return CheckOptions(
        ruleset,
        history,
        ignore_unknown_columns,
        layout,
        vintage=vintage,
        storing=storing,
        country=country,
        limits=limits,
    )


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
    #: The date the figures were extracted (ISO), when known (:mod:`.layouts.vintage`).
    vintage: str | None = None
    #: What read the file (:func:`reading_of`): with the bytes, a submission's identity.
    reading: str | None = None

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
    source, findings = read_source(path, options.limits)
    if source is None:
        return ReturnData(path, None, None, None, ruleset.apply(findings), 0)
    layout, problem = choose_layout(source, options)
    if problem is not None:
        return ReturnData(path, source.sha256, source.kind, None, [problem], 0)
    if layout is not None:
        ruleset = layout.ruleset(ruleset)
        located = locate_layout(source, layout)
    else:
        located = locate(
            source, ignore_unknown_columns=options.ignore_unknown_columns, country=options.country
        )
    located.findings[:0] = findings  # what reading noted (macros, links)
    vintage = _vintage(located, layout, options.vintage, options.storing)
    row_level = layout is not None and layout.compilation
    blocking = any(f.severity == "error" for f in located.findings) and not row_level
    blocking |= any(f.rule == "STRUCTURE_VINTAGE_MISSING" for f in located.findings)
    if located.records is None or blocking:
        findings = [*located.findings, *check_completeness(located, ruleset)]
        return ReturnData(
            path,
            source.sha256,
            source.kind,
            None,
            ruleset.apply(_dedupe(findings)),
            located.rows_read,
            located.template_version,
            layout,
        )
    mapped = map_observations(located)
    frame = mapped.frame
    history = None
    if options.history is not None:
        history = options.history({str(c) for c in frame["country"].dropna().unique().tolist()})
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
    if row_level:  # an agency compilation: a row with a reading error is never stored
        findings = _recorded_content(findings, ruleset)
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
        vintage=vintage,
        reading=reading_of(layout, ruleset),
    )


def reading_of(layout: Layout | None, ruleset: RuleSet) -> str:
    """A fingerprint of what reads a file (its layout's declaration and the rules, with a
    user's changes): the same bytes read with a changed layout or rules are another
    submission (:func:`nremstats.ingest.ingest_files`)."""
    import hashlib

    said = {k: v for k, v in vars(layout).items() if k != "path"} if layout else None
    # the rules as changed from the catalogue (a release that adds a rule reads the same)
    default = RuleSet.default()
    rules = sorted(
        (code, ruleset.enabled(code), ruleset.severity(code), ruleset.params_by_rule.get(code))
        for code in {*ruleset.enabled_rules, *ruleset.severities, *ruleset.params_by_rule}
        if (ruleset.enabled(code), ruleset.severity(code), ruleset.params_by_rule.get(code))
        != (default.enabled(code), default.severity(code), default.params_by_rule.get(code))
    )
    text = repr((said, rules, sorted(ruleset.overridden)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _vintage(
    located: Located, layout: Layout | None, given: str | None, storing: bool
) -> str | None:
    """The file's vintage: the one it carries where its layout says, else ``given``
    (``--vintage``). A file whose layout declares one is refused (a finding: the order of
    the provider's vintages would be a guess) when it carries another than the one given,
    or, to be stored (``storing``), when it carries none there and none is given."""
    carried = located.metadata.get("vintage")
    if layout is None or not layout.compilation:
        return None  # a national return: ordered as received (--vintage is for compilations)
    if not layout.vintage:
        return given
    where = layout.vintage.get("cell")
    place = f"cell {where} above the header" if where else "the file name"
    if carried and given and carried != given:
        message = (
            f"{located.file} says it was extracted on {carried}, --vintage says {given}: "
            "leave --vintage out, or give the file's own date."
        )
    elif not carried and not given and storing:
        found = located.metadata.get("vintage_problem")
        what = f"its {found}" if found else "this file does not carry it there"
        message = (
            f"{located.file}: the {layout.name} layout reads the date the figures were "
            f"extracted from {place}, and {what}. Give it with --vintage YYYY-MM-DD (the "
            "export's extraction date)."
        )
    else:
        return carried or given or None
    located.findings.append(
        finding("STRUCTURE_VINTAGE_MISSING", located.file, message, sheet=None, cell=where)
    )
    return None


def _recorded_content(findings: list[Finding], ruleset: RuleSet) -> list[Finding]:
    """A compilation's content findings (balances, plausibility, definitions) are recorded,
    never blocking: an error among them counts as a warning, unless a rules file or the layout
    set that rule's severity."""
    content = codes.content_rules()
    return [
        replace(f, severity="warning")
        if f.rule in content and f.severity == "error" and f.rule not in ruleset.overridden
        else f
        for f in findings
    ]


def _reject_error_rows(frame: pd.DataFrame, findings: list[Finding]) -> None:
    """Mark unreadable every row whose cell a reading error names (after the rules file and
    the layout set the severities): in a compilation, errors reject rows, not the file, and a
    content rule (a balance, a plausibility check) never rejects a row, whatever its severity."""
    content = codes.content_rules()
    cells = {
        (f.sheet, c)
        for f in findings
        if f.severity == "error" and f.rule not in content
        for c in f.cells
    }
    if not cells:
        return
    import pandas as pd

    sheets = frame["sheet"].astype(object).where(frame["sheet"].notna(), None)
    hit = pd.Series(False, index=frame.index)
    for sheet in {s for s, _ in cells}:
        named = {c for s, c in cells if s == sheet}
        on_sheet = sheets.isna() if sheet is None else sheets == sheet
        hit |= on_sheet & frame["cell"].isin(named)
    frame.loc[hit.to_numpy(dtype=bool), "readable"] = False


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
    return None, finding("STRUCTURE_LAYOUT_AMBIGUOUS", source.name, message)


def file_result(data: ReturnData) -> FileResult:
    """The file's result; rows rejected are all rows when the return has an error, else the
    rows that could not be read (one by one in a compilation, or where a rules file relaxed
    a reading rule)."""
    result = FileResult(
        file=display_path(data.file),
        path=data.file,
        rows_read=data.rows_read,
        findings=sorted(data.findings, key=report_order),
    )
    if not data.ok or data.observations is None:
        result.rows_rejected = data.rows_read
    else:
        unread = ~data.observations["readable"]
        if "sources" in data.observations:  # a rejected sum stands for all its rows
            result.rows_rejected = int(data.observations.loc[unread, "sources"].sum())
        else:
            result.rows_rejected = int(unread.sum())
    return result


def validate_files(
    paths: Iterable[str | Path],
    on_file: ProgressCallback | None = None,
    *,
    options: CheckOptions | None = None,
) -> RunResult:
    """Check returns without writing anything; the result says what ingest would do."""
    paths = [require_file(p) for p in paths]  # all checked before anything is done
    run = RunResult()
    for path in paths:
        if on_file:
            on_file(path)
        run.files.append(file_result(read_return(path, options)))
    return run
