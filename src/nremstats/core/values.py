"""The one parser of written statistical values, shared by every layout.

It turns what a cell says (``1,282``, ``<5``, ``12 p``, ``..``) into a value, an SDMX
observation status, bounds, a confidentiality status and a footnote mark, following the
table in docs/observation-format.md. It never guesses: what it cannot read becomes a
problem (rule code + message) for the caller to turn into a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_SEP = "[,\u00a0\u202f ]"
# ``1282.0`` is a whole number as a program writes it; ``1.000`` or ``0.00`` is not read
_INT = rf"(?:\d{{1,3}}(?:{_SEP}\d{{3}})+|\d+)(?:\.0)?"
_DECIMAL = re.compile(r"^\d[\d,\u00a0\u202f ]*[.,]\d+$")
_NUMBER = re.compile(rf"^(?P<num>{_INT})$")
_FLAGGED = re.compile(rf"^(?P<num>{_INT})\s+(?P<flag>[pebPEB])$")
_MARKED = re.compile(rf"^(?P<num>{_INT})\s*(?P<mark>\*+|\([A-Za-z0-9]{{1,3}}\))$")
_LESS_THAN = re.compile(r"^<\s*(?P<num>\d+)$")
_NEGATIVE = re.compile(rf"^[-\u2212]\s*{_INT}$")
_MISSING = {"..", ":", "n/a"}
_SPREADSHEET_ERROR = re.compile(r"^#(?:[A-Z/0]+[!?]|N/A|GETTING_DATA|SPILL!|CALC!)$")
_CONFIDENTIAL = {"x", "c", ": c", ":c"}
_DASHES = {"-", "\u2013", "\u2014"}
_FLAG_STATUS = {"p": "P", "e": "E", "b": "B"}


@dataclass(frozen=True)
class ParsedValue:
    """What one written value means.

    ``blank`` is true for an empty cell, which is no observation at all (never zero).
    ``rule``/``problem`` are set when the text is not a valid value (or needs a warning).
    """

    value: int | None = None
    obs_status: str | None = None
    lower: int | None = None
    upper: int | None = None
    conf_status: str | None = None
    mark: str | None = None
    blank: bool = False
    rule: str | None = None
    problem: str | None = None


BLANK = ParsedValue(blank=True)


def _to_int(text: str) -> int:
    digits = re.sub(_SEP, "", text)
    return int(digits.split(".", 1)[0])


#: No count of persons is larger: a figure beyond it is refused (a code, a typing slip),
#: never stored or overflowed.
MAX_COUNT = 10**9


def parse_value(text: object) -> ParsedValue:
    """Parse one written value (see the table in docs/observation-format.md).

    Args:
        text: the cell's text; ``None`` or whitespace is a blank cell.

    Returns:
        A :class:`ParsedValue`; its ``rule`` is set when the text is an error or warrants
        a warning, with a message saying what to write instead.
    """
    found = _parse_value(text)
    if any(v is not None and v > MAX_COUNT for v in (found.value, found.lower, found.upper)):
        return ParsedValue(
            rule="VALUE_UNPARSEABLE",
            problem=(
                f"'{str(text).strip()}' is beyond any plausible count (more than "
                f"{MAX_COUNT:,}): correct the figure."
            ),
        )
    return found


def _parse_value(text: object) -> ParsedValue:
    if text is None:
        return BLANK
    raw = str(text).strip()
    if not raw:
        return BLANK
    if sum(c.isdigit() for c in raw[:64]) > 40:  # no count has so many digits (nor int())
        return ParsedValue(
            rule="VALUE_UNPARSEABLE",
            problem=(
                f"'{raw[:24]}...' ({len(raw):,} characters) is beyond any plausible count: "
                "correct the figure."
            ),
        )
    if match := _NUMBER.match(raw):
        return ParsedValue(value=_to_int(match["num"]), obs_status="A")
    folded = raw.casefold()
    if folded in _MISSING:
        return ParsedValue(obs_status="L")
    if folded in _CONFIDENTIAL:
        return ParsedValue(obs_status="Q", conf_status="C")
    if match := _LESS_THAN.match(raw):
        bound = int(match["num"])
        if bound < 1:
            return ParsedValue(
                rule="VALUE_UNPARSEABLE",
                problem=f"'{raw}' is not a possible count range: write '<N' with N of 1 or more.",
            )
        return ParsedValue(obs_status="Q", lower=0, upper=bound - 1)
    if match := _FLAGGED.match(raw):
        status = _FLAG_STATUS[match["flag"].lower()]
        return ParsedValue(value=_to_int(match["num"]), obs_status=status)
    if match := _MARKED.match(raw):
        return ParsedValue(value=_to_int(match["num"]), obs_status="A", mark=match["mark"])
    return _not_a_count(raw)


def _not_a_count(raw: str) -> ParsedValue:
    """What a text that is no written count is: a dash, a decimal, a negative, or nothing."""
    if raw in _DASHES:
        return ParsedValue(
            obs_status="L",
            rule="VALUE_DASH",
            problem=(
                f"'{raw}' was read as 'not available'. If it means zero, write 0; "
                "if not available, write '..' to make it unambiguous."
            ),
        )
    if _DECIMAL.match(raw):
        return ParsedValue(
            rule="UNIT_NOT_COUNT",
            problem=(
                f"'{raw}' is not a whole number: a count of persons has no decimals. If it is "
                "a rate, a share or a percentage, it cannot be stored as a count; if the point "
                "separates thousands, write the number without it (e.g. 1000 or 1,000)."
            ),
        )
    if raw.startswith("=") or _SPREADSHEET_ERROR.match(raw):
        what = (
            "a formula the file holds without its value (saved by a program, never opened in "
            "a spreadsheet)"
            if raw.startswith("=")
            else "a spreadsheet error value"
        )
        return ParsedValue(
            rule="VALUE_UNPARSEABLE",
            problem=(
                f"'{raw}' is {what}, not a count. Correct it, open the file in Excel or "
                "LibreOffice, save it and send it again."
            ),
        )
    if _NEGATIVE.match(raw):
        return ParsedValue(
            rule="VALUE_NEGATIVE",
            problem=f"'{raw}' is negative; a count is 0 or more. Correct the figure.",
        )
    return ParsedValue(
        rule="VALUE_UNPARSEABLE",
        problem=(
            f"'{raw}' is not a count. Write a whole number (e.g. 12 or 1,282), or a mark: "
            "'..' not available, 'x' confidential, '<5' small count, '12 p' provisional."
        ),
    )


PARSED_COLUMNS = ("value", "obs_status", "lower", "upper", "conf_status", "mark", "rule", "problem")


def parse_series(texts: pd.Series) -> pd.DataFrame:
    """Parse a column of written values at once (same results as :func:`parse_value`).

    Each distinct text is parsed once (plain digits in one vectorised step, the rest by
    :func:`parse_value`), then the results are spread back by position. Returns a frame on
    the same index with the columns of :data:`PARSED_COLUMNS`: ``value``, ``lower`` and
    ``upper`` as nullable ``Int64``, the others as nullable strings; a blank text is missing
    everywhere.
    """
    import numpy as np
    import pandas as pd

    positions, distinct = pd.factorize(texts.astype("string").str.strip(), use_na_sentinel=True)
    distinct = pd.Series(distinct, dtype="string")
    size = len(distinct) + 1  # the last slot is the blank text (position -1)
    plain = distinct.str.fullmatch(r"\d{1,18}").fillna(False).to_numpy(dtype=bool)
    plain[plain] = distinct[plain].astype("int64").to_numpy() <= MAX_COUNT  # else refused
    numbers = {name: np.zeros(size, dtype="int64") for name in _INT_COLUMNS}
    absent = {name: np.ones(size, dtype=bool) for name in _INT_COLUMNS}
    strings = {
        name: np.full(size, None, dtype=object)
        for name in PARSED_COLUMNS
        if name not in _INT_COLUMNS
    }
    numbers["value"][:-1][plain] = distinct[plain].astype("int64").to_numpy()
    absent["value"][:-1][plain] = False
    strings["obs_status"][:-1][plain] = "A"
    for i in np.flatnonzero(~plain):
        parsed = parse_value(distinct.iat[i])
        for name in _INT_COLUMNS:
            if getattr(parsed, name) is not None:
                numbers[name][i] = getattr(parsed, name)
                absent[name][i] = False
        for name in strings:
            strings[name][i] = getattr(parsed, name)
    positions = np.where(positions < 0, size - 1, positions)
    columns = {}
    for name in PARSED_COLUMNS:
        if name in _INT_COLUMNS:
            columns[name] = pd.arrays.IntegerArray(
                numbers[name][positions], absent[name][positions]
            )
        else:  # build the few distinct strings once, then gather (no per-row objects)
            columns[name] = pd.array(strings[name], dtype="string").take(positions)
    return pd.DataFrame(columns, index=texts.index)


_INT_COLUMNS = ("value", "lower", "upper")


_SPAN = re.compile(
    r"^(?:FY\s*)?(?P<first>(?:19|20)\d\d)\s*(?P<sep>[-/\u2013\u2014]|to)\s*(?P<second>\d{4}|\d{2})$",
    re.IGNORECASE,
)
_FISCAL = re.compile(r"^FY\s*'?(?:\d{4}|\d{2})$", re.IGNORECASE)
_QUARTER = re.compile(
    r"^(?:(?:19|20)\d\d\s*[-/ ]?\s*Q[1-4]|Q[1-4]\s*[-/ ]?\s*(?:19|20)\d\d)$", re.IGNORECASE
)
_MONTH_FIRST = re.compile(r"^(?:0?[1-9]|1[0-2])\s*[-/.]\s*(?:19|20)\d\d$")


def period_problem(text: object, *, within_year: bool = False) -> str | None:
    """What a written period is when it is not one calendar year, else None.

    ``2014-2018`` is a band of years, ``2014/15`` or ``FY2015`` a fiscal year, ``2015Q1`` a
    quarter, ``2015-03`` a month. With ``within_year`` (a case's date), a quarter or a month
    is in one calendar year and is not a problem. A text that is no period at all (``abc``)
    is None too: the caller says it is not a year.
    """
    raw = str(text or "").strip()
    if match := _SPAN.match(raw):
        first, second = int(match["first"]), match["second"]
        if len(second) == 4:
            if int(second) == first:
                return None if within_year else "a year written twice"
            return f"the years {first} to {second}, not one year"
        if within_year and match["sep"] == "-" and 1 <= int(second) <= 12:
            return None  # a case's date: 2011-12 is December 2011
        if int(second) == (first + 1) % 100:
            return f"a fiscal or split year ({first}-{first + 1}), not one calendar year"
        if match["sep"] == "-" and 1 <= int(second) <= 12:
            return "a month, not a year"
        return "a period of several years, not one calendar year"
    if _FISCAL.match(raw):
        return "a fiscal year, not a calendar year"
    if _QUARTER.match(raw) or _MONTH_FIRST.match(raw):
        return None if within_year else "a part of a year, not the whole year"
    return None
