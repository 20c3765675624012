"""Turn located texts into observations: parse values, map labels, apply the metadata.

Every problem becomes a finding at the cell it came from; nothing is repaired silently.
The result keeps one row per located value, in the columns of the observation format plus
``row`` and the helper place columns, and a boolean ``readable`` column that is false where
a value or code could not be read (those rows carry an error finding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nremstats.core import codes, labels
from nremstats.core.findings import Finding, finding
from nremstats.core.model import CODED_FIELDS
from nremstats.core.values import parse_series, period_problem
from nremstats.returns.located import Located, place_finding

if TYPE_CHECKING:
    import pandas as pd

MISSING_STATUSES = {"L", "M", "Q"}
YEAR = re.compile(r"^\d{4}(?:\.0+)?$")


@dataclass
class Mapped:
    """Observations built from one located file, with the findings made on the way."""

    frame: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    multiple_counting: bool | None = None


class _Findings:
    """Collects findings for records, placing each at the cell its field came from."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.items: list[Finding] = []

    def add(self, rule: str, record: dict, name: str, message: str, text: object = None) -> None:
        self.items.append(place_finding(self.located, record, name, rule, message, text))


def _blank_to_na(series: pd.Series) -> pd.Series:
    series = series.astype("string").str.strip()
    return series.mask(series == "")


def _metadata(located: Located, out: _Findings, frame: pd.DataFrame) -> bool | None:
    """Map the template's metadata (definition label, multiple counting); report blanks."""
    meta = located.metadata
    for key in ("country", "year"):
        if not meta.get(key):
            sheet, cell = located.field_cells[key]  # type: ignore[misc]
            out.items.append(
                finding(
                    "METADATA_MISSING",
                    located.file,
                    f"The metadata field '{key}' is blank. Fill it in {sheet}!{cell}.",
                    sheet=sheet,
                    cell=cell,
                )
            )
    # Labels in any language (the dropdown's) become codes; an unknown text is kept as
    # written, so the schema check reports it at the metadata cell.
    text = meta.get("definition", "")
    code = (codes.map_label("definition", text) or text) if text else ""
    country = meta.get("country", "")
    frame["country"] = labels.country_code(country) or country
    victims = frame["indicator"] == "VICTIMS_DETECTED"
    frame.loc[victims, "definition"] = code
    frame.loc[~victims, "definition"] = ""
    answer = codes.normalise_label(meta.get("multiple_counting", ""))
    yes = {codes.normalise_label(t["yes_no"][0]) for t in codes.template_spec()["text"].values()}
    no = {codes.normalise_label(t["yes_no"][1]) for t in codes.template_spec()["text"].values()}
    return True if answer in yes else False if answer in no else None


def _citizenship_codes(frame: pd.DataFrame, out: _Findings) -> None:
    """Map codes typed in the template's single-citizenship rows (ISO3, or a country's name
    or demonym: :func:`nremstats.core.labels.country_code`)."""
    typed = frame["citizenship_cell"] != ""
    if not typed.any():
        return
    texts = frame.loc[typed, "citizenship"].astype(str).str.strip()
    lookup = {text: labels.country_code(text) or text for text in texts.unique()}
    frame.loc[typed, "citizenship"] = texts.map(lookup)
    for idx in texts.index[texts == ""]:
        record = frame.loc[idx].to_dict()
        out.add(
            "CITIZENSHIP_CODE_MISSING",
            record,
            "citizenship",
            f"Counts were written in row {record['row']} but its citizenship code cell is "
            "blank. Write the ISO 3166 alpha-3 code (e.g. ROU) or clear the counts.",
        )
        frame.loc[idx, "readable"] = False


def _status_column(frame: pd.DataFrame, parsed: pd.DataFrame, out: _Findings) -> None:
    """Apply an explicit obs_status column, which wins over the written form when consistent."""
    given = _blank_to_na(frame["obs_status"])
    has = given.notna()
    known = codes.codes("obs_status")
    for idx in frame.index[has]:
        status = given[idx]
        record = frame.loc[idx].to_dict()
        value = parsed.at[idx, "value"]
        has_number = not _is_na(value)
        if status not in known:
            out.add(
                "CODE_UNKNOWN",
                record,
                "obs_status",
                f"obs_status '{status}' is not in CL_OBS_STATUS ({', '.join(sorted(known))}).",
                status,
            )
            frame.loc[idx, "readable"] = False
        elif has_number and status in MISSING_STATUSES:
            out.add(
                "VALUE_STATUS_CONFLICT",
                record,
                "obs_status",
                f"Value {value} has obs_status {status} (missing); remove the number or "
                "set the status to A, P, E or B.",
                status,
            )
            frame.loc[idx, "readable"] = False
        elif not has_number and status not in MISSING_STATUSES and str(record["value"]).strip():
            out.add(
                "VALUE_STATUS_CONFLICT",
                record,
                "obs_status",
                f"'{record['value']}' holds no number but obs_status is {status}; write the "
                "number or set the status to L, M or Q.",
                status,
            )
            frame.loc[idx, "readable"] = False
        else:
            parsed.loc[idx, "obs_status"] = status


def _is_na(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _bounds(frame: pd.DataFrame, parsed: pd.DataFrame, out: _Findings) -> None:
    for name in ("lower", "upper"):
        given = _blank_to_na(frame[name])
        for idx in frame.index[given.notna()]:
            text = given[idx]
            if not re.fullmatch(r"\d+", text):
                out.add(
                    "BOUNDS_INVALID",
                    frame.loc[idx].to_dict(),
                    name,
                    f"{name} '{text}' is not a whole number of 0 or more.",
                    text,
                )
                frame.loc[idx, "readable"] = False
            else:
                parsed.loc[idx, name] = int(text)
    both = parsed["lower"].notna() & parsed["upper"].notna()
    reversed_ = both & (parsed["lower"] > parsed["upper"]).fillna(False)
    outside = parsed["value"].notna() & (
        (parsed["value"] < parsed["lower"]).fillna(False)
        | (parsed["value"] > parsed["upper"]).fillna(False)
    )
    for idx in frame.index[reversed_ | outside]:
        record = frame.loc[idx].to_dict()
        out.add(
            "BOUNDS_INVALID",
            record,
            "lower",
            f"Bounds {parsed.at[idx, 'lower']}..{parsed.at[idx, 'upper']} are reversed or "
            f"do not contain the value {parsed.at[idx, 'value']}.",
            record["lower"],
        )
        frame.loc[idx, "readable"] = False


def _years(frame: pd.DataFrame, out: _Findings, skip: pd.Series | None = None) -> pd.Series:
    """Read the year column (each distinct text once); a non-number is a finding (except on
    the rows of ``skip``, already rejected with their own finding)."""
    import numpy as np
    import pandas as pd

    positions, distinct = pd.factorize(frame["year"].astype("string").str.strip())
    numbers = np.array([int(t[:4]) if YEAR.match(t) else -1 for t in distinct] + [-1])
    years = numbers[np.where(positions < 0, len(distinct), positions)]
    unread = years < 0 if skip is None else (years < 0) & ~skip.to_numpy()
    for idx in frame.index[unread]:
        record = frame.loc[idx].to_dict()
        period = period_problem(record["year"])
        if period:
            out.add(
                "PERIOD_NOT_A_YEAR",
                record,
                "year",
                f"'{record['year']}' is {period}: figures are stored by calendar year, so it "
                "is not stored. Ask for the figure of each year (quarters: a layout reads them "
                "from a quarter column and sums the four).",
                record["year"],
            )
        else:
            out.add(
                "YEAR_RANGE",
                record,
                "year",
                f"Year '{record['year']}' is not a whole number; write the reference year, "
                "e.g. 2023.",
                record["year"],
            )
        frame.loc[idx, "readable"] = False
    return pd.Series(pd.arrays.IntegerArray(np.maximum(years, 0), years < 0), index=frame.index)


def _given(located: Located, name: str) -> bool:
    """True when the received file has this optional column (templates have none of them)."""
    return located.kind in ("csv", "layout") and name in located.field_cells


def _csv_columns(located: Located, frame: pd.DataFrame, parsed: pd.DataFrame, out: _Findings):
    """Apply a CSV's obs_status, lower/upper and conf_status columns; flag blank values."""
    if _given(located, "obs_status"):
        _status_column(frame, parsed, out)
    if _given(located, "lower") or _given(located, "upper"):
        _bounds(frame, parsed, out)
    if _given(located, "conf_status"):
        conf = _blank_to_na(frame["conf_status"])
        parsed["conf_status"] = conf.fillna(parsed["conf_status"]).astype("string")
    blank = parsed["obs_status"].isna() & parsed["rule"].isna() & frame["readable"]
    for idx in frame.index[blank]:
        out.add(
            "VALUE_STATUS_CONFLICT",
            frame.loc[idx].to_dict(),
            "value",
            "The value is blank and no obs_status says why. Write the count, or a mark "
            "such as '..' (not available), or set obs_status to L, M or Q.",
            "",
        )
        frame.loc[idx, "readable"] = False


def map_observations(located: Located) -> Mapped:
    """Build observations from located texts (see module docstring)."""
    frame = located.records.copy()  # type: ignore[union-attr]
    if "readable" not in frame:  # a layout marks the rows it rejected already
        frame["readable"] = True
    out = _Findings(located)
    multiple = None
    if located.kind == "xlsx":
        multiple = _metadata(located, out, frame)
        _citizenship_codes(frame, out)
    for name in ("country", *CODED_FIELDS):
        frame[name] = frame[name].astype("string").str.strip()
    frame["country"] = frame["country"].str.upper()
    # the provider column of a CSV or a layout, else (and where blank) the country itself
    frame["provider"] = _blank_to_na(frame["provider"]).fillna(frame["country"]).astype("string")
    parsed = parse_series(frame["value"])
    for idx in frame.index[parsed["rule"].notna() & frame["readable"]]:  # not twice
        record = frame.loc[idx].to_dict()
        rule, problem = str(parsed.at[idx, "rule"]), str(parsed.at[idx, "problem"])
        out.add(rule, record, "value", problem, record["value"])
        if _is_na(parsed.at[idx, "obs_status"]):  # nothing could be read from the text
            frame.loc[idx, "readable"] = False
    if located.kind in ("csv", "layout"):
        _csv_columns(located, frame, parsed, out)
    rejected = ~frame["readable"] if located.kind == "layout" else None  # by the layout
    frame["year"] = _years(frame, out, rejected)
    note = _blank_to_na(frame["note"])  # an absent CSV column is already all missing
    mark = parsed["mark"]
    joined = (mark + " " + note).where(mark.notna() & note.notna())
    frame["note"] = joined.fillna(mark).fillna(note).astype("string")
    frame["text"] = frame["value"]  # the value as written, for reports
    for name in ("value", "obs_status", "lower", "upper", "conf_status"):
        frame[name] = parsed[name]
    frame["definition"] = _blank_to_na(frame["definition"])
    return Mapped(frame=frame, findings=out.items, multiple_counting=multiple)
