"""When a compilation was extracted: its vintage (an ISO date). A layout declares where its
files carry it (``vintage: {cell: A2, format: "%d/%m/%Y"}``: a cell above the header;
``vintage: {name: "(?P<date>\\d{4}-\\d{2}-\\d{2})"}``: the file name), or ``--vintage DATE``
gives it. Between submissions of one provider for a country-year, the newer vintage is
current whatever the order they were ingested in (:mod:`nremstats.store.manifest`). See
docs/layouts.md.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from nremstats.core.errors import OptionError

#: What a ``vintage`` declaration may hold.
KEYS = ("cell", "format", "name")
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


def parse_vintage(raw: Any, fail: Any) -> dict[str, str] | None:
    """A layout's ``vintage`` declaration, checked (``fail(keys, message)`` makes the
    error naming the layout file and line)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise fail(("vintage",), "vintage must be a mapping with cell (and format) or name.")
    for key, value in raw.items():
        if key not in KEYS:
            raise fail(("vintage", key), f"unknown key '{key}'. Vintage keys: {', '.join(KEYS)}.")
        if not isinstance(value, str) or not value:
            raise fail(("vintage", key), f"vintage {key} must be a text.")
    if "cell" in raw and not _CELL.match(raw["cell"]):
        raise fail(("vintage", "cell"), f"'{raw['cell']}' is not a cell address such as A2.")
    if "format" in raw and "%" not in raw["format"]:
        raise fail(("vintage", "format"), "format must be a date format such as %d/%m/%Y.")
    if "name" in raw:
        try:
            groups = re.compile(raw["name"]).groupindex
        except re.error as exc:
            raise fail(("vintage", "name"), f"not a regular expression ({exc}).") from exc
        if "date" not in groups:
            raise fail(("vintage", "name"), "the expression needs a group (?P<date>...).")
    if "cell" not in raw and "name" not in raw:
        raise fail(("vintage",), "vintage needs a cell (above the header) or a file name name.")
    return {str(k): str(v) for k, v in raw.items()}


def read_vintage(spec: dict[str, str], rows: list[list[Any]], file_name: str) -> str | None:
    """The vintage a file carries where ``spec`` says (``rows``: the rows above its header),
    as an ISO date; None when the file does not carry one there.

    Raises:
        ValueError: the cell holds something that is not a date in the declared format
            (its message names the cell and the text).
    """
    if "cell" in spec:
        letters, number = _CELL.match(spec["cell"]).groups()  # type: ignore[union-attr]
        row, column = int(number) - 1, _column(letters)
        value = rows[row][column] if row < len(rows) and column < len(rows[row]) else None
        if isinstance(value, dt.datetime):
            return _past(value.date(), f"cell {spec['cell']}")
        if isinstance(value, dt.date):
            return _past(value, f"cell {spec['cell']}")
        text = "" if value is None else str(value).strip()
        if text:
            try:
                day = dt.datetime.strptime(text, spec.get("format", "%Y-%m-%d")).date()
            except ValueError:
                raise ValueError(
                    f"cell {spec['cell']} holds '{text}', not a date written "
                    f"{spec.get('format', '%Y-%m-%d')}"
                ) from None
            return _past(day, f"cell {spec['cell']}")
    if "name" in spec:
        match = re.search(spec["name"], file_name)
        if match:
            try:
                day = dt.date.fromisoformat(match.group("date"))
            except ValueError:
                raise ValueError(
                    f"the file name says '{match.group('date')}', not a date written YYYY-MM-DD"
                ) from None
            return _past(day, "the file name")
    return None


def _past(day: dt.date, where: str) -> str:
    """The date as ISO, refused when it is after today (no figure is extracted later)."""
    if day > dt.datetime.now(dt.UTC).date():
        raise ValueError(f"{where} says {day.isoformat()}, a day still to come")
    return day.isoformat()


def vintage_option(text: str) -> str:
    """A vintage given as an ISO date (``--vintage 2025-04-14``), checked.

    Raises:
        OptionError: not an ISO date.
    """
    try:
        return _past(dt.date.fromisoformat(text.strip()), "--vintage")
    except ValueError as exc:
        said = str(exc) if "still to come" in str(exc) else "not a date written YYYY-MM-DD"
        raise OptionError(
            f"--vintage {text}: {said} (the day the figures were extracted, e.g. 2025-04-14)."
        ) from None


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1
