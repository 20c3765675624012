"""Draft a layout file for a workbook or CSV nremstats does not know (``nremstats map``).

The draft finds the header row, guesses which column carries which field from the values
first (ISO codes, years, labels that map to a code list; the value column holds mostly counts
or marks such as ``<5``, never an id, a quarter or a 0/1 flag) and the column names second,
maps the labels it can, and lists everything it could not decide, each with the closest known
labels. It proposes an indicator from the names it sees (or asks for one), ``shape: wide``
when the column names are one dimension's labels, ``shape: cases`` when the rows look like
one person each, and a shipped layout to extend when the file nearly has its columns. It
never guesses a label: an undecided one is written as a comment to fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nremstats.core import codes, labels
from nremstats.core.model import CODED_FIELDS, DIMENSIONS
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
            "value": _value_score(name, values),
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


#: A written count or statistical mark (``1,282``, ``<5``, ``..``, ``x``, ``12 p``).
_COUNT = re.compile(r"<\s*\d+|\d{1,3}(?:[,\s]\d{3})+|\d+|\.\.|:|x|c|\d+\s+[pePE]")


def _value_score(name: str, values: list[str]) -> float:
    """How much a column looks like the figures: mostly counts or marks, by its content.
    Never a column of ids (every number different, in sequence), quarters (1-4), 0/1 flags
    or years."""
    filled = [v.strip() for v in values if v.strip()]
    if not filled:
        return 0.0
    counts = _share(filled, lambda v: bool(_COUNT.fullmatch(v)))
    if counts < 0.8:
        return 0.0
    numbers = [int(re.sub(r"[,\s]", "", v)) for v in filled if re.fullmatch(r"\d[\d,\s]*", v)]
    distinct = set(numbers)
    if numbers and distinct <= {0, 1}:
        return 0.0  # a flag
    if numbers and distinct <= {1, 2, 3, 4} and re.search(r"quarter|trim|\bq\b", name, re.I):
        return 0.0
    if numbers and all(1990 <= n <= 2100 for n in distinct):
        return 0.0  # years
    in_sequence = len(distinct) == len(numbers) > 2 and max(distinct) - min(distinct) < 2 * len(
        distinct
    )
    if in_sequence or re.search(r"(^|[\W_])(id|no|nr|code)($|[\W_])", name, re.I):
        return 0.0  # an id or a code
    return counts + 0.3 * bool(re.search(NAME_HINTS["value"], name, re.I))


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
    across = _across(header, columns)
    cases = None if across else _cases(header, columns)
    if across:  # the figures are in the columns named by a dimension's labels
        keep = [i for i, h in enumerate(header) if h not in across[1]]
        found, mapped = _guess([header[i] for i in keep], [columns[i] for i in keep])
        found.pop("value", None)
        found.pop(across[0], None)
        mapped[across[0]] = {h: _code(across[0], h) for h in across[1]}
    else:
        found, mapped = _guess(header, columns)
    if cases:  # the labels are mapped, the columns read by cases:
        found = {}
    elif quarter := _quarter_column(header, columns):
        found["quarter"] = quarter
    draft = Draft(text="", columns=found)
    plain = re.sub(r"[^a-z0-9]+", "-", path_.stem.lower())[:64].strip("-")  # a plain name
    layout = name or plain or "my-layout"
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
    lines += _near(header, draft)
    used = [*found.values(), *(across[1] if across else []), *(cases or {}).values()]
    lines += ["header:", f"  find: [{', '.join(map(_quote, used[:6]))}]", f"  within: {head + 5}"]
    lines += _shape_lines(across, cases)
    lines += _column_lines(found, bool(across or cases), draft)
    if "indicator" not in found and not cases:
        lines.append(_indicator(header, sheet, path_.stem, draft))
    unused = [h for h in header if h and h not in used]
    if unused:
        lines.append(f"ignore: [{', '.join(_quote(h) for h in unused)}]  # TODO: or read them")
        draft.undecided += [f"column '{h}': not recognised" for h in unused]
    lines += _label_lines(mapped, draft)
    draft.text = "\n".join(lines) + "\n"
    return draft


def _shape_lines(across: tuple[str, list[str]] | None, cases: dict[str, str] | None) -> list[str]:
    if across:
        dim, names = across
        return [
            "shape: wide   # the figures are in the columns named by labels",
            f"across: {{field: {dim}, columns: [{', '.join(map(_quote, names))}]}}",
        ]
    if cases:
        lines = ["shape: cases   # one row per person, counted (docs/layouts.md: Case records)"]
        return [*lines, "cases:", *(f"  {key}: {_quote(col)}" for key, col in cases.items())]
    return []


def _column_lines(found: dict[str, str], reshaped: bool, draft: Draft) -> list[str]:
    """The ``columns:`` block; a field without a column is a TODO (but the value and the year
    of a wide table or of case records)."""
    lines = ["columns:" if found else "columns: {}"]
    for field_ in ("country", "year", "quarter", *CODED_FIELDS, "value"):
        if field_ in found:
            lines.append(f"  {field_}: {_quote(found[field_])}")
        elif field_ == "country" or (field_ in ("year", "value") and not reshaped):
            lines.append(f"  # {field_}: TODO  (no column found; or fixed: {{{field_}: ...}})")
            draft.undecided.append(f"no column found for {field_}")
    return lines


def _label_lines(mapped: dict[str, dict[str, str | None]], draft: Draft) -> list[str]:
    """The ``labels:`` block: the labels mapped, the others as TODO with the closest."""
    lines = ["labels:"]
    for dim, values in mapped.items():
        lines.append(f"  {dim}:")
        for text, code in values.items():
            if code is not None:
                lines.append(f"    {_quote(text)}: {code}")
                continue
            near = labels.closest(text, _known(dim))
            hint = f"  closest: {', '.join(near)}" if near else ""
            lines.append(f"    # {_quote(text)}: TODO{hint}")
            draft.undecided.append(
                f"{dim} label '{text}': no code{hint and ' (' + hint.strip() + ')'}"
            )
    return lines


#: Words that name an indicator, in the languages of the returns.
INDICATOR_HINTS = {
    "PERSONS_CONVICTED": r"convict|condena|condamn|sentenc",
    "PERSONS_PROSECUTED": r"prosecut|procesad|acusad|poursuiv|indict",
    "PERSONS_SUSPECTED": r"suspect|sospech|investigat|arrest|formal contact",
    "OFFENCES_RECORDED": r"offen[cs]e|crime|delito|infraction",
    "VICTIMS_DETECTED": r"victim|v[ií]ctima|referral|survivor",
}


def _indicator(header: list[str], sheet: str | None, stem: str, draft: Draft) -> str:
    """A ``fixed: {indicator: ...}`` line proposed from the names seen, or asked for."""
    seen = " ".join([*header, sheet or "", stem])
    hits = [code for code, hint in INDICATOR_HINTS.items() if re.search(hint, seen, re.I)]
    if len(hits) == 1:
        draft.undecided.append(f"indicator proposed: {hits[0]} (from the names); check it")
        return f"fixed: {{indicator: {hits[0]}}}   # TODO: check (proposed from the names)"
    draft.undecided.append(
        "no indicator column: write fixed: {indicator: ...} ("
        + ", ".join(codes.ordered_codes("indicator"))
        + ")"
    )
    return "# fixed: {indicator: TODO}   # which figures the table holds"


def _across(header: list[str], columns: list[list[str]]) -> tuple[str, list[str]] | None:
    """The dimension whose labels name two or more columns of counts (a wide table)."""
    for dim in (*DIMENSIONS, "indicator"):
        names = [
            h
            for h, values in zip(header, columns, strict=True)
            if h and _code(dim, h) is not None and _value_score("", values) > 0
        ]
        if len(names) >= 2:
            return dim, names
    return None


def _quarter_column(header: list[str], columns: list[list[str]]) -> str | None:
    """A column named like a quarter holding 1-4 or Q1-Q4: the four are summed to a year."""
    for name, values in zip(header, columns, strict=True):
        filled = [v.strip() for v in values if v.strip()]
        if filled and re.search(r"quarter|trimest", name, re.I):
            if _share(filled, lambda v: bool(re.fullmatch(r"[qQ]?[1-4]|total", v, re.I))) > 0.9:
                return name
    return None


#: Column names of case records (one row per person): what a ``cases:`` key reads (the
#: dimensions' keys are the dimensions' names, in the order of DIMENSIONS).
CASE_HINTS = {
    "year": r"^(?!.*(birth|naiss|nacim)).*(date|referr|identif|year|ann[ée]e|a[ñn]o)",
    "birthdate": r"birth|naissance|nacimiento|dob",
    **dict(
        zip(
            DIMENSIONS,
            (
                r"gender|sex|genre|sexo",
                r"^age$|\bage\b|edad",
                r"exploit|explot",
                r"citizen|national|nacional",
            ),
            strict=True,
        )
    ),
}


def _cases(header: list[str], columns: list[list[str]]) -> dict[str, str] | None:
    """The ``cases:`` columns when the rows look like one person each: a sex column and a
    date or age, at least four of the case fields named, and no column of counts."""
    found: dict[str, str] = {}
    for key, hint in CASE_HINTS.items():
        column = next(
            (h for h in header if h and re.search(hint, h, re.I) and h not in found.values()), None
        )
        if column is not None:
            found[key] = column
    if "sex" not in found or "year" not in found or len(found) < 4:
        return None
    dates = columns[header.index(found["year"])]
    dated = _share([v for v in dates if v.strip()], lambda v: bool(_DATE.search(v)))
    return found if "birthdate" in found or dated >= 0.5 else None


#: A date (``2022-05-01``, ``01/05/2022``), as case records give the day a case came in.
_DATE = re.compile(r"(19|20)\d\d-\d\d-\d\d|\d\d?[/.]\d\d?[/.](19|20)\d\d")


def _near(header: list[str], draft: Draft) -> list[str]:
    """A shipped layout whose columns the file nearly has: suggested, to extend."""
    from nremstats.returns.layouts.detect import shipped_layouts

    present = {h.strip() for h in header if h}
    best: tuple[float, str] = (0.0, "")
    for layout in shipped_layouts():
        wanted = {
            c for spec in layout.columns.values() for c in spec["column"] if not c.startswith("(")
        }
        wanted |= set(layout.header_find) | {c for c in layout.cases.values() if isinstance(c, str)}
        if layout.breakdown:
            wanted |= {layout.breakdown["dimension"], layout.breakdown["category"]}
        share = len(wanted & present) / len(wanted) if wanted else 0.0
        best = max(best, (share, layout.name))
    if best[0] < 0.6:
        return []
    draft.undecided.append(
        f"the file has {best[0]:.0%} of the columns of the shipped layout '{best[1]}': "
        f"try --layout {best[1]}, or write only what differs under extends: {best[1]}"
    )
    return [
        f"# extends: {best[1]}   # TODO: the file has {best[0]:.0%} of the columns of the shipped "
        f"layout {best[1]}; extending it may be all you need"
    ]


def _known(dim: str) -> list[str]:
    known = list(labels.dimension_index(dim))
    return known + list(labels.country_labels()) if dim == "citizenship" else known


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
