"""Check observations: code lists, ranges and key uniqueness (pandera), then balances.

Results are data: every check returns :class:`~nremstats.models.Finding` objects placed at
the cells involved. Nothing here raises on bad data.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from nremstats import codes
from nremstats.locate import Located, field_place
from nremstats.models import DIMENSIONS, KEY_COLUMNS, Finding

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

EXACT_STATUSES = ("A", "P", "E", "B")
BALANCED_DIMENSIONS = {"sex": "BALANCE_SEX", "age": "BALANCE_AGE"}
CHECKED_COLUMNS = (
    *KEY_COLUMNS,
    "value",
    "obs_status",
    "lower",
    "upper",
    "conf_status",
    "definition",
)


@cache
def observation_schema() -> pa.DataFrameSchema:
    """Build the pandera schema of observations from the declarations in ``schemas/``."""
    import pandera.pandas as pa

    countries = sorted(codes.country_codes())

    def coded(dim: str, extra: list[str] | None = None, nullable: bool = False) -> pa.Column:
        allowed = sorted(codes.codes(dim)) + (extra or [])
        return pa.Column("string", pa.Check.isin(allowed), nullable=nullable)

    # "string" is the dtype the pipeline builds (pandas nullable strings); checking it costs
    # a third of what a coercible `str` does on small returns.
    count = pa.Column("Int64", pa.Check.ge(0), nullable=True)
    return pa.DataFrameSchema(
        {
            "provider": pa.Column("string", pa.Check.str_matches(r"^[A-Z][A-Z0-9_]{1,19}$")),
            "country": pa.Column("string", pa.Check.isin(countries)),
            "year": pa.Column("Int64", pa.Check.in_range(1990, 2100)),
            "indicator": coded("indicator"),
            "sex": coded("sex"),
            "age": coded("age"),
            "exploitation": coded("exploitation"),
            "citizenship": coded("citizenship", countries),
            "value": count,
            "obs_status": coded("obs_status"),
            "lower": count,
            "upper": count,
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
    if column in ("value", "lower", "upper"):
        return "VALUE_NEGATIVE", f"{column} {text} is negative; a count is 0 or more."
    if column == "provider":
        return "CODE_UNKNOWN", (
            f"Provider '{text}' is not an upper-case identifier (ISO3 or an agency code such "
            "as UNODC)."
        )
    dim = "indicator" if column == "indicator" else column
    known = codes.ordered_codes(dim)
    hint = ""
    guess = codes.map_label(dim, text) if dim in codes.CODED_DIMENSIONS + ("indicator",) else None
    if guess:
        hint = f" Did you mean '{guess}' ({codes.label(dim, guess)})?"
    return "CODE_UNKNOWN", f"'{text}' is not a {column} code ({', '.join(known)}).{hint}"


def check_schema(frame: pd.DataFrame, located: Located) -> list[Finding]:
    """Run the pandera schema lazily and turn its failure cases into placed findings."""
    import pandera.errors

    data = frame[list(CHECKED_COLUMNS)]
    try:
        observation_schema().validate(data, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    findings: list[Finding] = []
    dup = cases["check"].astype(str).str.contains("uniqueness|unique", regex=True)
    for _, case in cases[~dup].iterrows():
        column = str(case["column"])
        if case["index"] is None or column not in frame.columns:
            continue
        record = frame.loc[case["index"]].to_dict()
        rule, message = _rule_for(column, case["failure_case"])
        text = record["text"] if column == "value" else record[column]
        findings.append(_place(rule, located, record, column, message, text))
    if dup.any():
        findings += _duplicates(frame, located)
    return findings


def _place(rule: str, located: Located, record: dict, column: str, message: str, text=None):
    sheet, cell = field_place(located, record, column)
    return Finding(
        rule=rule,
        severity=codes.severity(rule),  # type: ignore[arg-type]
        file=located.file,
        sheet=sheet or None,
        cell=cell or None,
        row=int(record["row"]),
        text=None if text is None else str(text),
        message=message,
    )


def _duplicates(frame: pd.DataFrame, located: Located) -> list[Finding]:
    keys = list(KEY_COLUMNS)
    dups = frame[frame.duplicated(keys, keep=False)]
    findings = []
    for key, group in dups.groupby(keys, sort=True, dropna=False):
        first = group.iloc[0].to_dict()
        values = ", ".join(f"{c}={v}" for c, v in zip(keys, key, strict=True))
        places = [str(c) for c in group["cell"]]
        message = (
            f"The key ({values}) appears {len(group)} times, at {', '.join(places)}. "
            "Keep one value per breakdown cell."
        )
        finding = _place("KEY_DUPLICATE", located, first, "value", message, first["text"])
        findings.append(Finding(**{**finding.__dict__, "cells": tuple(places)}))
    return findings


def _bounds(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Return (low, high) of each observation: exact values, ranges, or 0..inf when unknown."""
    import numpy as np

    exact = frame["value"].notna()
    low = frame["value"].where(exact, frame["lower"]).fillna(0).astype("float64")
    high = frame["value"].where(exact, frame["upper"]).astype("float64").fillna(np.inf)
    return low, high


def check_balance(frame: pd.DataFrame, located: Located, dim: str) -> list[Finding]:
    """Compare each total (``_T`` in ``dim``) with the sum of its direct parts.

    Suppressed or ranged cells count by their bounds: a finding is made only when no value
    inside the bounds can make the balance hold.
    """
    import numpy as np

    rule = BALANCED_DIMENSIONS[dim]
    parts_of_total = [code for code, parent in codes.parents(dim).items() if parent == "_T"]
    is_total = (frame[dim] == "_T").to_numpy()
    is_part = frame[dim].isin(parts_of_total).to_numpy()
    if not is_total.any() or not is_part.any():
        return []
    low, high = (s.to_numpy() for s in _bounds(frame))
    group_keys = [c for c in KEY_COLUMNS if c != dim]
    gid = frame.groupby(group_keys, sort=False, dropna=False).ngroup().to_numpy()
    size = int(gid.max()) + 1
    part_low = np.bincount(gid[is_part], weights=low[is_part], minlength=size)
    part_high = np.bincount(gid[is_part], weights=high[is_part], minlength=size)
    has_parts = np.bincount(gid[is_part], minlength=size) > 0
    rows = np.flatnonzero(is_total)
    g = gid[rows]
    over = has_parts[g] & (part_low[g] > high[rows])
    under = has_parts[g] & (part_high[g] < low[rows])
    findings = []
    for i in np.flatnonzero(over | under):
        total = frame.iloc[rows[i]].to_dict()
        cells = frame["cell"].to_numpy()[is_part & (gid == g[i])]
        findings.append(
            _balance_finding(
                rule,
                located,
                dim,
                total,
                cells,
                bool(over[i]),
                _show(low[rows[i]], high[rows[i]]),
                _show(part_low[g[i]], part_high[g[i]]),
            )
        )
    return sorted(findings, key=lambda f: (f.sheet or "", f.row or 0, f.cell or ""))


def _balance_finding(
    rule: str,
    located: Located,
    dim: str,
    total: dict,
    cells: Any,
    over: bool,
    whole: str,
    summed: str,
) -> Finding:
    if over:
        what = f"the parts by {dim} add up to {summed}, more than the total {whole}"
        fix = "Check the parts, or say in the metadata that a person may be counted twice."
    else:
        what = f"the total {whole} is more than its parts by {dim}, which add up to {summed}"
        fix = "Report the rest as 'unknown' if that is what it is."
    within = ", ".join(f"{d} {total[d]}" for d in DIMENSIONS if d != dim and total[d] != "_T")
    where = f"{total['indicator']} {total['year']}" + (f" ({within})" if within else "")
    return Finding(
        rule=rule,
        severity=codes.severity(rule),  # type: ignore[arg-type]
        file=located.file,
        sheet=total["sheet"] or None,
        cell=total["cell"],
        cells=(total["cell"], *map(str, cells)),
        row=int(total["row"]),
        text=str(total["text"]),
        message=f"{where}: {what}. {fix}",
    )


def _show(low: float, high: float) -> str:
    if low == high:
        return str(int(low))
    return f"{int(low)}-{'?' if high == float('inf') else int(high)}"


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
        findings.append(_place("DEFINITION_MISSING", located, record, "definition", message))
    wrong = frame[~victims & frame["definition"].notna()]
    for _, row in wrong.iterrows():
        record = row.to_dict()
        message = (
            f"A definition ('{record['definition']}') is given for {record['indicator']}; only "
            "VICTIMS_DETECTED carries one. Leave it empty."
        )
        findings.append(
            _place(
                "DEFINITION_NOT_APPLICABLE",
                located,
                record,
                "definition",
                message,
                record["definition"],
            )
        )
    return findings


def check_observations(frame: pd.DataFrame, located: Located) -> list[Finding]:
    """Run every check of this release on readable observations; return the findings."""
    readable = frame[frame["readable"]]
    findings = check_schema(readable, located)
    findings += check_definitions(readable, located)
    if not findings or all(f.severity != "error" for f in findings):
        for dim in BALANCED_DIMENSIONS:
            findings += check_balance(readable, located, dim)
    return findings


__all__ = ["DIMENSIONS", "check_observations", "observation_schema"]
