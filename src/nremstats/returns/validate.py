"""Check observations: code lists, ranges and key uniqueness (pandera), then balances.

Results are data: every check returns :class:`~nremstats.core.findings.Finding` objects placed at
the cells involved. Nothing here raises on bad data.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.core.findings import Finding, finding
from nremstats.core.model import CODED_FIELDS, DIMENSIONS, KEY_COLUMNS
from nremstats.returns.balance import GroupIds, check_balances
from nremstats.returns.located import Located, place_finding
from nremstats.returns.magnitude import check_magnitude
from nremstats.returns.plausibility import (
    check_definition_change,
    check_funnel,
    check_year_change,
    totals,
)
from nremstats.returns.rules import RuleSet

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

CHECKED_COLUMNS = (*KEY_COLUMNS, "conf_status", "definition")


@cache
def observation_schema() -> pa.DataFrameSchema:
    """Build the pandera schema of observations from the declarations in ``schemas/``."""
    import pandera.pandas as pa

    countries = sorted(codes.country_codes())

    def coded(dim: str, extra: list[str] | None = None, nullable: bool = False) -> pa.Column:
        allowed = sorted(codes.codes(dim)) + (extra or [])
        return pa.Column("string", pa.Check.isin(allowed), nullable=nullable)

    # "string" is the dtype the pipeline builds (pandas nullable strings); checking it costs
    # a third of what a coercible `str` does on small returns. value, lower, upper and
    # obs_status are not re-checked here: the one value parser only ever gives counts >= 0
    # and known statuses, and an explicit obs_status column is checked when it is applied.
    return pa.DataFrameSchema(
        {
            "provider": pa.Column("string", pa.Check.str_matches(r"^[A-Z][A-Z0-9_]{1,19}$")),
            "country": pa.Column("string", pa.Check.isin(countries)),
            "year": pa.Column("Int64", pa.Check.in_range(1990, 2100)),
            "indicator": coded("indicator"),
            # a citizenship is a special code (NAT, FOR, ...) or a country
            **{dim: coded(dim, countries if dim == "citizenship" else None) for dim in DIMENSIONS},
            "conf_status": coded("conf_status", nullable=True),
            "definition": coded("definition", nullable=True),
        },
        unique=list(KEY_COLUMNS),
        report_duplicates="all",
        name="observation",
    )


def _rule_for(column: str, failure: Any) -> tuple[str, str]:
    text = str(failure)
    if column == "country" or (column == "citizenship" and len(text) == 3 and text.isalpha()):
        return "COUNTRY_NOT_ISO3", (
            f"'{text}' is not an ISO 3166-1 alpha-3 country code. Write the code, e.g. NLD, "
            "GBR or NGA (see https://www.iso.org/obp/ui/#search)."
        )
    if column == "year":
        return "YEAR_RANGE", f"Year {text} is outside 1990-2100; write the reference year."
    if column == "provider":
        return "CODE_UNKNOWN", (
            f"Provider '{text}' is not an upper-case identifier (ISO3 or an agency code such "
            "as UNODC)."
        )
    dim = "indicator" if column == "indicator" else column
    known = codes.ordered_codes(dim)
    hint = ""
    guess = codes.map_label(dim, text) if dim in CODED_FIELDS else None
    if guess:
        hint = f" Did you mean '{guess}' ({codes.label(dim, guess)})?"
    return "CODE_UNKNOWN", f"'{text}' is not a {column} code ({', '.join(known)}).{hint}"


def check_schema(frame: pd.DataFrame, located: Located) -> tuple[list[Finding], set[Any]]:
    """Run the pandera schema lazily; return placed findings and the index of failing rows."""
    import pandera.errors

    data = frame[list(CHECKED_COLUMNS)]
    try:
        observation_schema().validate(data, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return [], set()
    findings: list[Finding] = []
    failing = set(cases["index"].dropna())
    dup = cases["check"].astype(str).str.contains("uniqueness|unique", regex=True)
    for _, case in cases[~dup].iterrows():
        column = str(case["column"])
        if case["index"] is None or column not in frame.columns:
            continue
        record = frame.loc[case["index"]].to_dict()
        rule, message = _rule_for(column, case["failure_case"])
        text = record["text"] if column == "value" else record[column]
        findings.append(place_finding(located, record, column, rule, message, text))
    if dup.any():
        findings += _duplicates(frame, located)
        failing |= set(frame.index[frame.duplicated(list(KEY_COLUMNS), keep=False)])
    return findings, failing


def _duplicates(frame: pd.DataFrame, located: Located) -> list[Finding]:
    import numpy as np

    keys = list(KEY_COLUMNS)
    dups = frame[frame.duplicated(keys, keep=False)]
    gid = dups.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    order = np.argsort(gid, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(gid[order]) != 0])
    names = [*keys, "text", "sheet", "cell", "row"]
    names += [c for c in dups.columns if str(c).endswith("_cell")]
    columns = {n: dups[n].to_numpy(dtype=object, na_value=None) for n in names}
    findings = []
    for start, end in zip(starts, [*starts[1:], len(order)], strict=True):
        rows = order[start:end]
        first = {n: values[rows[0]] for n, values in columns.items()}
        values = ", ".join(f"{c}={first[c]}" for c in keys)
        places = [str(c) for c in columns["cell"][rows]]
        message = (
            f"The key ({values}) appears {len(rows)} times, at {', '.join(places)}. "
            "Keep one value per breakdown cell."
        )
        findings.append(
            place_finding(
                located,
                first,
                "value",
                "KEY_DUPLICATE",
                message,
                first["text"],
                cells=tuple(places),
            )
        )
    return findings


def check_definitions(frame: pd.DataFrame, located: Located) -> list[Finding]:
    """Victim counts need a definition; other indicators must not carry one."""
    findings = []
    victims = frame["indicator"] == "VICTIMS_DETECTED"
    missing = frame[victims & frame["definition"].isna()]
    if len(missing):
        record = missing.iloc[0].to_dict()
        message = (
            f"{len(missing)} victim count(s) do not say which definition of victim they use "
            "(IDENTIFIED, PRESUMED or REGISTERED). Fill the definition"
            + (" in the metadata sheet." if located.kind == "xlsx" else " column.")
        )
        findings.append(place_finding(located, record, "definition", "DEFINITION_MISSING", message))
    wrong = frame[~victims & frame["definition"].notna()]
    for _, row in wrong.iterrows():
        record = row.to_dict()
        message = (
            f"A definition ('{record['definition']}') is given for {record['indicator']}; only "
            "VICTIMS_DETECTED carries one. Leave it empty."
        )
        findings.append(
            place_finding(
                located,
                record,
                "definition",
                "DEFINITION_NOT_APPLICABLE",
                message,
                record["definition"],
            )
        )
    return findings


def check_completeness(located: Located, ruleset: RuleSet) -> list[Finding]:
    """Template cells asked for (every total) left blank without a mark: one info a sheet."""
    rule = "COMPLETENESS_BLANK"
    if not ruleset.enabled(rule) or not located.blank_cells:
        return []
    filled = set() if located.records is None else set(located.records["sheet"])
    by_sheet: dict[tuple[str, str], list[str]] = {}
    for sheet, indicator, cell in located.blank_cells:
        if ruleset.applies(rule, indicator):
            by_sheet.setdefault((sheet, indicator), []).append(cell)
    findings = []
    for (sheet, indicator), cells in by_sheet.items():
        if sheet in filled:
            what = f"{len(cells)} total(s) asked for are blank ({', '.join(cells[:12])}"
            what += ", ...)" if len(cells) > 12 else ")"
        else:
            what = f"nothing is reported for {indicator}"
        message = (
            f"{indicator}: {what}. Write the figure, 0 when there were none, or a mark such as "
            "'..' (not available) so the blank is not mistaken for a figure not sent."
        )
        findings.append(
            finding(rule, located.file, message, sheet=sheet, cell=cells[0], cells=cells)
        )
    return findings


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The readable rows (the frame itself when all are: a filter copies every column)."""
    return frame if frame["readable"].all() else frame[frame["readable"]]


def check_observations(
    frame: pd.DataFrame,
    located: Located,
    ruleset: RuleSet | None = None,
    *,
    history: pd.DataFrame | None = None,
    multiple_counting: bool | None = None,
    row_level: bool = False,
) -> list[Finding]:
    """Run every check on the readable observations of one return; return the findings.

    Rows that fail the schema are marked unreadable in ``frame`` (they are never stored).
    Content rules (balances, plausibility, definition breaks) run only when the schema found
    no error, since their sums would mean nothing on unreadable codes or duplicate keys.
    ``history`` holds the store's current observations of the same countries, for the
    year-on-year rules. With ``row_level`` (an agency compilation, whose unreadable rows are
    rejected one by one) the content rules run on the readable rows in any case.
    """
    ruleset = ruleset or RuleSet.default()
    findings, failing = check_schema(_readable(frame), located)
    frame.loc[list(failing), "readable"] = False  # never stored, even if a rule is relaxed
    readable = _readable(frame)
    ids = GroupIds(readable) if not readable.empty else None
    magnitude, implausible = check_magnitude(readable, located, ruleset, history, ids)
    if implausible:  # not counts: never stored, and left out of the sums below
        findings += magnitude
        frame.loc[implausible, "readable"] = False
        readable = _readable(frame)
        ids = None  # other rows now: the group ids are made again
    findings += check_definitions(readable, located)
    if (row_level or all(f.severity != "error" for f in findings)) and not readable.empty:
        findings += check_balances(readable, located, ruleset, multiple_counting, ids)
        whole = totals(readable)
        findings += check_funnel(whole, located, ruleset)
        findings += check_year_change(whole, located, ruleset, history)
        findings += check_definition_change(whole, located, ruleset, history)
    return findings + check_completeness(located, ruleset)


__all__ = ["check_observations", "observation_schema"]
