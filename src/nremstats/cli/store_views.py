"""The text views of the store for people: ``status``, ``history`` and ``diff`` that fit
the terminal (80 columns and up).

Codes never wrap: columns are as wide as their widest code, and what does not fit is
moved, not folded: ``status`` pages its years (as many as the width holds, each page a
block of its own), ``history`` shortens the file name (the last column), ``diff`` puts what
its rows share (country, year, provider, indicator) in headings. A missing value is blank,
a range is written as the tables write it (``<5``, ``3-7``). The views return lines;
:mod:`nremstats.cli.render` prints them. ``--format csv`` and ``json`` are data and do not
come here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The status of a current submission as one character in ``status`` (valid: none).
STATUS_MARK = {"valid": "", "warnings": "!", "stored_in_part": "~"}
GAP = 2


def aligned(rows: Sequence[Sequence[str]], right: set[int] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Rows as lines of columns as wide as their widest text (``right``: right-aligned)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            text.rjust(width) if i in right else text.ljust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ]
        out.append((" " * GAP).join(cells).rstrip())
    return out


def coverage_lines(data: dict[str, Any], width: int) -> list[str]:
    """``status``: countries x years in pages of the years that fit ``width``; a cell is
    the providers of the country-year (``N`` the national return, the others by the letters
    that tell them apart) with the status mark of each, and for several providers ``=``
    (their shared figures agree) or ``≠n`` (n differ). A legend follows."""
    countries, years = data["countries"], data["years"]
    if not countries:
        return ["The store holds no current submission."]
    cells = data["cells"]
    providers = sorted(
        {s["provider"] for c in cells for s in c["submissions"] if s["provider"] != c["country"]}
    )
    short = _abbreviations(providers)
    text: dict[tuple[str, int], str] = {}
    for cell in cells:
        marks = "".join(
            ("N" if s["provider"] == cell["country"] else short[s["provider"]])
            + STATUS_MARK.get(s["status"], "?")
            for s in cell["submissions"]
        )
        if cell["providers_agree"] is not None:
            marks += "=" if cell["providers_agree"] else f"≠{cell['discrepancies']}"
        text[(cell["country"], cell["year"])] = marks
    column = max([4, *map(len, text.values())])
    lead = max(7, *map(len, countries))
    per_page = max(1, (width - lead) // (column + GAP))
    pages = [years[i : i + per_page] for i in range(0, len(years), per_page)]
    out: list[str] = []
    for n, page in enumerate(pages, start=1):
        span = f"{page[0]}" if len(page) == 1 else f"{page[0]}-{page[-1]}"
        more = f" (page {n} of {len(pages)})" if len(pages) > 1 else ""
        out.append(f"coverage {span}{more}")
        rows = [["country", *map(str, page)]]
        rows += [[c, *(text.get((c, y), "") for y in page)] for c in countries]
        out += aligned(rows)
        out.append("")
    legend = ["N national return", *(f"{short[p]} {p}" for p in providers)]
    legend_text = (
        "; ".join(legend) + ". After a provider: ! warnings, ~ stored in part, ? other. "
        "= providers agree, ≠n n figures differ (nremstats reconcile)."
    )
    return out + textwrap.wrap(legend_text, max(40, width), break_on_hyphens=False)


def _abbreviations(providers: list[str]) -> dict[str, str]:
    """The shortest prefix of each provider's code that tells it from the others and from
    ``N`` (the national return)."""
    out = {}
    for provider in providers:
        for size in range(1, len(provider) + 1):
            prefix = provider[:size]
            others = [p for p in providers if p != provider]
            if prefix != "N" and not any(p.startswith(prefix) for p in others):
                out[provider] = prefix
                break
        else:
            out[provider] = provider
    return out


def history_lines(country: str, subs: list[dict[str, Any]], width: int) -> list[str]:
    """``history``: one line a submission, oldest first: id, years, when received (and the
    vintage of a compilation), status, state, and the file's name, shortened to fit (the
    time of receipt shortened to its date, then left out, before the name is)."""
    if not subs:
        return [f"The store holds no submission of {country}."]
    vintages = any(s.get("vintage") for s in subs)
    # what fits beside a file name of 12: the time of receipt, its date, or neither
    for received in (16, 10, 0):
        header = ["submission", "years", *(["received"] if received else [])]
        header += [*(["vintage"] if vintages else []), "status", "state"]
        rows = [header]
        for s in subs:
            row = [s["submission_id"], year_span(s["years"])]
            row += [_when(s["received_at"])[:received]] if received else []
            row += [s.get("vintage") or ""] if vintages else []
            rows.append([*row, s["status"], s["state"]])
        body = aligned(rows)
        used = max(map(len, body))
        if used + GAP + 12 <= width:
            break
    room = width - used - GAP
    if room < 12:  # no room for the file's name: the JSON and CSV have it
        return [f"history of {country}", *body]
    names = ["file", *(Path(str(s["file"])).name for s in subs)]
    out = [f"history of {country}"]
    for line, name in zip(body, names, strict=True):
        short = name if len(name) <= room else name[: room - 1] + "…"
        out.append(line.ljust(used) + " " * GAP + short)
    return out


def year_span(years: Sequence[int]) -> str:
    """``2022``, ``2021-2023`` (every year between), or ``2019,2021``."""
    years = sorted(years)
    if len(years) > 1 and years[-1] - years[0] == len(years) - 1:
        return f"{years[0]}-{years[-1]}"
    return ",".join(map(str, years))


def _when(stamp: str | None) -> str:
    """An ISO 8601 time to the minute, ``2026-12-02 18:40`` (the JSON keeps it whole)."""
    return "" if not stamp else str(stamp)[:16].replace("T", " ")


def diff_lines(data: dict[str, Any], keys: Sequence[str], mark: Any) -> list[str]:
    """``diff``: the changes under a heading for each country, year, provider and
    indicator, one line each: the breakdown codes, the change, the old and new figure
    (``mark(value, obs_status, lower, upper)``: as the tables write it; blank when none)."""
    changes = data["changes"]
    title = f"{data['from']} -> {data['to']}: {len(changes):,} change(s)"
    if not changes:
        return [title]
    shown = [k for k in keys if k not in ("provider", "indicator")]
    out = [title]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for change in changes:
        where = (change["country"], change["year"], change["provider"], change["indicator"])
        groups.setdefault(where, []).append(change)
    for (country, year, provider, indicator), group in groups.items():
        out += ["", f"{country} {year} {indicator} (provider {provider})"]
        rows = [[*shown, "change", "old", "new"]]
        for change in group:
            old, new = change["old"] or {}, change["new"] or {}
            rows.append(
                [
                    *(str(change[k]) for k in shown),
                    change["change"],
                    _figure(old, mark),
                    _figure(new, mark),
                ]
            )
        size = len(rows[0])
        out += aligned(rows, right={size - 2, size - 1})
    return out


def _figure(side: dict[str, Any], mark: Any) -> str:
    if not side:
        return ""
    status = side.get("obs_status") or "A"
    return mark(side.get("value"), status, side.get("lower"), side.get("upper"))
