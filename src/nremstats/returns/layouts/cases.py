"""Count case-level records (one row per person, HTCDS field names) into observations.

A layout of shape ``cases`` (``schemas/layouts/htcds.yaml``) names the columns of the year
(a date or a year), the birth date or age, the sex, citizenship, forms of exploitation and
trafficking status. Each person is mapped once; persons are then counted by year and
definition in the template's breakdowns (sex x age, form x sex, citizenship x sex, with
their totals). A person with several forms counts as ``MIXED``; a foreign citizen counts in
``FOR`` and in their own citizenship. A count below ``min_count`` (default 5) is stored as
status ``Q`` with bounds 1 to min_count - 1, never as the number. A person who cannot be
placed (an unknown label, no year) is rejected with a finding and counted nowhere.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from nremstats.core import labels
from nremstats.core.model import DIMENSIONS, TOTAL
from nremstats.core.values import period_problem
from nremstats.returns.layouts.declaration import Layout
from nremstats.returns.layouts.rows import RowMapper
from nremstats.returns.located import TEXT_FIELDS
from nremstats.returns.read import text_of

if TYPE_CHECKING:
    import pandas as pd

#: The breakdowns persons are counted in, as the template asks for them.
FAMILIES = (("sex", "age"), ("exploitation", "sex"), ("citizenship", "sex"))
DEFAULT_MIN_COUNT = 5


def min_count(layout: Layout) -> int:
    return int(layout.cases.get("min_count", DEFAULT_MIN_COUNT))


def count_cases(
    layout: Layout,
    header: dict[str, int],
    body: list[list[Any]],
    numbers: np.ndarray,
    table: RowMapper,
) -> dict[str, Any]:
    """Map each person and count them; returns the record columns (``TEXT_FIELDS`` plus
    ``readable``, ``cell``, ``row``) with rejected persons as unreadable records."""
    import pandas as pd

    spec = layout.cases
    country = layout.fixed["country"]

    def column(name: str) -> list[Any]:
        key = spec.get(name)
        if key is None or key not in header:
            return [""] * len(body)
        i = header[key]
        return [row[i] for row in body]

    years = [_year(v) for v in column("year")]
    persons = pd.DataFrame(
        {
            "year": [year for year, _ in years],
            "sex": _map(table, "sex", column("sex"), layout, "_U"),
            "age": _ages(table, column("birthdate"), column("age"), column("year"), layout),
            "exploitation": _forms(table, column("exploitation"), layout, spec.get("separator")),
            "definition": _map(
                table, "definition", column("status"), layout, layout.fixed.get("definition")
            ),
        }
    )
    citizenship = _map(table, "citizenship", column("citizenship"), layout, "_U")
    citizenship = [("NAT" if c == country else c) for c in citizenship]
    persons["citizenship"] = citizenship
    dated = column("year")
    by_why: dict[str, list[int]] = {}
    for i, (_, why) in enumerate(years):  # one pass, whatever the number of reasons
        if why:
            by_why.setdefault(why, []).append(i)
    for why, rows in by_why.items():
        text = text_of(dated[rows[0]]).strip()
        message = (
            f"The case's date '{text}' is {why}: a case is counted in the calendar year "
            "it came in, which this date does not give; it is not counted"
        )
        table.reject_rows(rows, "PERIOD_NOT_A_YEAR", "year", text, message)
    no_year = persons["year"].isna().to_numpy() & table.readable
    if no_year.any():
        message = "The case has no year (no date in the year column); it is not counted"
        table.reject(no_year, "YEAR_RANGE", "year", "", message)
    _one_definition_a_year(persons, table)
    persons["row"] = numbers
    counted = persons[table.readable]
    groups = _group(counted)
    return _records(groups, persons, table, layout, numbers)


def _one_definition_a_year(persons: pd.DataFrame, table: RowMapper) -> None:
    """A year's victims are one figure a breakdown, on one definition: persons of a year
    counted on several definitions (actual and possible victims) are not counted, with one
    finding, never two figures for one key."""
    live = persons[table.readable]
    mixed = live.groupby("year")["definition"].nunique(dropna=False)
    for year in mixed[mixed > 1].index.tolist():
        rows = live.index[live["year"] == year].tolist()
        kinds = sorted(str(d) for d in live.loc[rows, "definition"].unique())
        message = (
            f"The cases of {int(year)} are counted on several definitions ({', '.join(kinds)}): "
            "a year's victims are one figure on one definition. Keep one status (keep:), or "
            "map the statuses to one definition under labels: definition:; none is counted"
        )
        table.reject_rows(rows, "KEY_DUPLICATE", "value", str(int(year)), message)


def _group(persons: pd.DataFrame) -> pd.DataFrame:
    """One row per (person, key) in every breakdown; duplicates across breakdowns dropped."""
    import pandas as pd

    frames = []
    detail = persons.assign(person=range(len(persons)))
    foreign = detail[~detail["citizenship"].isin(["NAT", "_U", TOTAL])]
    detail = pd.concat([detail, foreign.assign(citizenship="FOR")], ignore_index=True)
    for a, b in FAMILIES:
        for keep_a in (True, False):
            for keep_b in (True, False):
                part = detail.copy()
                for dim in DIMENSIONS:
                    if not ((dim == a and keep_a) or (dim == b and keep_b)):
                        part[dim] = TOTAL
                frames.append(part)
    every = pd.concat(frames, ignore_index=True)
    keys = ["year", "definition", *DIMENSIONS]
    every = every.drop_duplicates(["person", *keys])
    return every.groupby(keys, dropna=False).agg(count=("person", "size"), row=("row", "min"))


def _records(
    groups: pd.DataFrame,
    persons: pd.DataFrame,
    table: RowMapper,
    layout: Layout,
    numbers: np.ndarray,
) -> dict[str, Any]:
    k = min_count(layout)
    out: dict[str, list[Any]] = {f: [] for f in (*TEXT_FIELDS, "readable", "cell", "row")}
    letter = table.letters["value"]
    for (year, definition, *dims), (count, row) in groups.iterrows():
        record = dict.fromkeys(TEXT_FIELDS)
        record.update(zip(DIMENSIONS, dims, strict=True))
        small = count < k
        record.update(
            country=layout.fixed["country"],
            year=str(int(year)),
            indicator="VICTIMS_DETECTED",
            definition=None if definition is None or definition != definition else definition,
            value="" if small else str(count),
            obs_status="Q" if small else None,
            lower="1" if small else None,
            upper=str(k - 1) if small else None,
            note=f"count of case records (counts under {k} are shown as a range)",
        )
        for name in TEXT_FIELDS:
            out[name].append(record[name])
        out["readable"].append(True)
        out["cell"].append(f"{letter}{row}")
        out["row"].append(int(row))
    for i in np.flatnonzero(~table.readable).tolist():  # rejected persons: counted nowhere
        for name in TEXT_FIELDS:
            out[name].append(layout.fixed.get("country") if name == "country" else None)
        out["readable"].append(False)
        out["cell"].append(f"{letter}{numbers[i]}")
        out["row"].append(int(numbers[i]))
    return out


def _year(value: Any) -> tuple[int | None, str | None]:
    """The calendar year of a case's date, or why the date gives none (a band of years,
    a fiscal year); (None, None) when it holds no year at all."""
    if isinstance(value, dt.date | dt.datetime):
        return value.year, None
    text = text_of(value).strip()
    why = period_problem(text, within_year=True)
    if why:
        return None, why
    if compact := re.fullmatch(r"((?:19|20)\d\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])", text):
        return int(compact[1]), None  # 20200115
    years = set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text))
    if len(years) > 1:
        return None, f"several years ({', '.join(sorted(years))}), not one"
    return (int(years.pop()), None) if years else (None, None)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_of(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _map(
    table: RowMapper,
    dim: str,
    values: list[Any],
    layout: Layout,
    blank: str | None,
    reject: bool = True,
) -> list:
    """Map one field's labels, each distinct text once; unknown texts reject their persons."""
    index = (
        labels.dimension_index(dim, layout.labels.get(dim))
        if dim != "citizenship"
        else {labels.fold(k): v for k, v in layout.labels.get(dim, {}).items()}
    )
    mapping: dict[str, str | None] = {}
    out = []
    for value in values:
        text = text_of(value).strip()
        if text not in mapping:
            code = blank if not text else index.get(labels.fold(text))
            if code is None and text and dim == "citizenship":
                code = labels.iso2_code(text) if len(text) == 2 else labels.country_code(text)
            mapping[text] = code
            if code is None and text and reject:
                mask = np.asarray([text_of(v).strip() == text for v in values])
                table.reject(mask, "LABEL_UNKNOWN", dim, text, table.unknown(dim, text))
        out.append(mapping[text])
    return out


def _forms(table: RowMapper, values: list[Any], layout: Layout, separator: str | None) -> list:
    """One form -> its code; several -> MIXED; none -> unknown."""
    singles: list[list[str]] = [
        [
            t.strip()
            for t in (text_of(v).split(separator) if separator else [text_of(v)])
            if t.strip()
        ]
        for v in values
    ]
    flat = sorted({t for forms in singles for t in forms})
    found_codes = _map(table, "exploitation", flat, layout, "_U", reject=False)
    codes_of = dict(zip(flat, found_codes, strict=True))
    for text, code in codes_of.items():
        if code is None:  # reject every person naming it
            mask = np.asarray([text in forms for forms in singles])
            table.reject(
                mask, "LABEL_UNKNOWN", "exploitation", text, table.unknown("exploitation", text)
            )
    out = []
    for forms in singles:
        found = {codes_of[t] for t in forms if codes_of.get(t)}
        out.append("_U" if not found else found.pop() if len(found) == 1 else "MIXED")
    return out


#: The oldest age read as an age (older is a mistake).
MAX_AGE = 120


def _ages(
    table: RowMapper, births: list[Any], ages: list[Any], years: list[Any], layout: Layout
) -> list[str]:
    """Age at the case's date from the birth date, or an age (or band) column; else _U."""
    out = []
    wrong: dict[str, list[int]] = {}  # why -> persons
    for i, (birth, age, when) in enumerate(zip(births, ages, years, strict=True)):
        born, seen = _date(birth), _date(when)
        if born is not None and seen is not None:
            years_old = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
            if not 0 <= years_old <= MAX_AGE:
                wrong.setdefault(f"born {born.isoformat()}, {years_old} at the case", []).append(i)
            out.append("Y_LT18" if years_old < 18 else "Y_GE18")
            continue
        text = text_of(age).strip()
        whole = re.fullmatch(r"(\d+)(?:\.0)?", text)
        if whole:
            if int(whole[1]) > MAX_AGE:
                wrong.setdefault(f"an age of {whole[1]}", []).append(i)
            out.append("Y_LT18" if int(whole[1]) < 18 else "Y_GE18")
        elif not text:
            out.append("_U")
        else:
            code = labels.age_code(text)
            if code is None and labels.age_band(text) is None:
                wrong.setdefault(f"the age '{text}', which is no age nor band", []).append(i)
            out.append(code or "")
    for why, rows in wrong.items():
        message = f"The person's age cannot be right ({why}); the person is not counted"
        table.reject_rows(rows, "LABEL_UNKNOWN", "age", why, message)
    for band in sorted(
        {a for a in ages if labels.age_band(text_of(a)) and not labels.age_code(text_of(a))},
        key=text_of,
    ):
        mask = np.asarray([text_of(a) == text_of(band) for a in ages])
        table.reject(
            mask,
            "AGE_BAND_STRADDLES",
            "age",
            text_of(band),
            f"The age band '{text_of(band)}' straddles 18: the person is neither a "
            "child nor an adult by it, and is not counted",
        )
    del layout
    return out
