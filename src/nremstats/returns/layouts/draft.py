"""Draft a layout file for a workbook or CSV nremstats does not know (``nremstats map``).

The draft finds the header row, guesses which column carries which field from the column
names and from the values (ISO codes, years, counts, labels that map to a code list), maps
the labels it can, and lists everything it could not decide, each with the closest known
labels. It never guesses a label: an undecided one is written as a comment to fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nremstats.core import codes, labels
from nremstats.core.model import CODED_FIELDS
from nremstats.returns.read import Source, csv_rows, read_source, require_file, text_of

NAME_HINTS = {
    "country": r"iso|country|pays|pa[ií]s|geo|state",
    "year": r"year|ann[ée]e|a[ñn]o|time|period|date",
    "value": r"value|count|number|nombre|n[uú]mero|total|people|persons|referrals|obs",
}
SAMPLE = 2_000


@dataclass
class Draft:
    """A drafted layout: its YAML text and what it could not decide."""

    text: str
    columns: dict[str, str] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)


def _table(source: Source) -> tuple[str | None, list[list[str]], int]:
    """The sheet, its rows as text, and the header row: the first of the first 20 rows with
    the most filled text cells."""
    if source.kind == "csv":
        delimiter = "\t" if source.text().split("\n", 1)[0].count("\t") else ","
        sheets = {None: csv_rows(source, delimiter=delimiter)}
    else:
        sheets = {name: source.sheets[name] for name in source.sheets}
    best: tuple[int, str | None, int] = (-1, None, 0)
    for name, rows in sheets.items():
        for i, row in enumerate(rows[:20]):
            texts = sum(1 for c in row if c.strip() and not re.fullmatch(r"[\d.,\s]+", c))
            if texts > best[0]:
                best = (texts, name, i)
    return best[1], sheets[best[1]], best[2]


def _share(values: list[str], test: Any) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _guess(header: list[str], columns: list[list[str]]) -> tuple[dict[str, str], dict[str, Any]]:
    """Field -> column, and for each label dimension its {label: code or None}."""
    found: dict[str, str] = {}
    mapped: dict[str, dict[str, str | None]] = {}
    known = codes.country_codes()
    for name, values in zip(header, columns, strict=True):
        distinct = sorted({v.strip() for v in values if v.strip()})
        if not name or not distinct:
            continue
        scores = {
            "country": _share(distinct, lambda v: v.upper() in known and len(v) == 3)
            + 0.5 * bool(re.search(NAME_HINTS["country"], name, re.I)),
            "year": _share(distinct, lambda v: bool(re.fullmatch(r"(19|20)\d\d(\.0)?", v)))
            + 0.5 * bool(re.search(NAME_HINTS["year"], name, re.I)),
            "value": _share(distinct, lambda v: bool(re.fullmatch(r"[<\d][\d,.\s]*[a-z]?", v)))
            + 0.5 * bool(re.search(NAME_HINTS["value"], name, re.I)),
        }
        for dim in CODED_FIELDS:
            share = _share(distinct, lambda v, dim=dim: _code(dim, v) is not None)
            if dim == "citizenship" and re.search(NAME_HINTS["country"], name, re.I):
                share *= bool(re.search(r"citizen|national", name, re.I))  # names of a country
            # labels must mostly map: a column name alone does not make a dimension
            scores[dim] = share + 0.25 * bool(re.search(dim[:4], name, re.I)) if share >= 0.5 else 0
        field_, score = max(scores.items(), key=lambda item: item[1])
        if score >= 0.6 and field_ not in found:
            found[field_] = name
            if field_ in CODED_FIELDS:
                mapped[field_] = {v: _code(field_, v) for v in distinct[:200]}
    return found, mapped


def _code(dim: str, text: str) -> str | None:
    """The code a label maps to by the code lists (and country names, age bands), else None."""
    code = labels.dimension_index(dim).get(labels.fold(text))
    if code is None and dim == "citizenship":
        code = labels.country_code(text)
    if code is None and dim == "age":
        code = labels.age_code(text)
    return code


def draft_layout(path: str, name: str | None = None) -> Draft:
    """Draft a layout file for ``path`` (see module docstring).

    Raises:
        InputFileNotFound: the path is not a file.
    """
    path_ = require_file(path)
    source, problems = read_source(path_)
    if source is None:
        return Draft(text="", undecided=[f.message for f in problems])
    sheet, rows, head = _table(source)
    header = [text_of(c).strip() for c in rows[head]] if rows else []
    body = rows[head + 1 : head + 1 + SAMPLE]
    columns = [[row[i] if i < len(row) else "" for row in body] for i in range(len(header))]
    found, mapped = _guess(header, columns)
    draft = Draft(text="", columns=found)
    layout = name or re.sub(r"[^a-z0-9]+", "-", path_.stem.lower()).strip("-") or "my-layout"
    lines = [
        f"# Draft layout for {path_.name}, made by 'nremstats map'. Check every line, fill the",
        "# TODOs, then: nremstats validate FILE --layout THIS.yaml  (docs/layouts.md)",
        f"layout: {layout}",
        f"title: {path_.name}",
        "provider: national   # TODO: the agency code (UNODC, ESTAT, ...) or national",
        "compilation: false   # TODO: true for an agency's compilation (rows rejected one by one)",
        f"formats: [{source.kind}]",
    ]
    if sheet:
        lines.append(f'sheet: "{sheet}"')
    lines += [
        "header:",
        f"  find: [{', '.join(_quote(found[f]) for f in found)}]",
        f"  within: {head + 5}",
        "columns:",
    ]
    for field_ in ("country", "year", *CODED_FIELDS, "value"):
        if field_ in found:
            lines.append(f"  {field_}: {_quote(found[field_])}")
        elif field_ in ("country", "year", "value"):
            lines.append(f"  # {field_}: TODO  (no column found; or fixed: {{{field_}: ...}})")
            draft.undecided.append(f"no column found for {field_}")
    unused = [h for h in header if h and h not in found.values()]
    if unused:
        lines.append(f"ignore: [{', '.join(_quote(h) for h in unused)}]  # TODO: or read them")
        draft.undecided += [f"column '{h}': not recognised" for h in unused]
    lines.append("labels:")
    for dim, values in mapped.items():
        lines.append(f"  {dim}:")
        for text, code in values.items():
            if code is not None:
                lines.append(f"    {_quote(text)}: {code}")
            else:
                near = labels.closest(text, _known(dim))
                hint = f"  closest: {', '.join(near)}" if near else ""
                lines.append(f"    # {_quote(text)}: TODO{hint}")
                draft.undecided.append(
                    f"{dim} label '{text}': no code{hint and ' (' + hint.strip() + ')'}"
                )
    draft.text = "\n".join(lines) + "\n"
    return draft


def _known(dim: str) -> list[str]:
    known = list(labels.dimension_index(dim))
    return known + list(labels.country_labels()) if dim == "citizenship" else known


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
