"""Is a returned template still the template? Checked before its figures are read.

A figure is read from the cell where the template put its input: a row deleted, inserted or
moved, cells merged over inputs, a second sheet carrying the same marker (hidden or not)
would file figures under the wrong category or country without any error. So:

- each marker is on exactly one sheet, and no marked sheet is hidden (what the sender never
  saw is not what they sent); other hidden sheets with content are noted, never read;
- every fixed row's label and every column's heading is the template's (in any of its
  languages), else ``STRUCTURE_GRID_CHANGED`` at the cell;
- no merged range covers an input cell (``STRUCTURE_MERGED_CELLS``);
- cells with content outside the template's cells are listed (``STRUCTURE_OUTSIDE_GRID``);
- the metadata country is the one the file name, the sheet titles and the workbook's title
  name, when they name one (``STRUCTURE_COUNTRY_MISMATCH``; ``--country`` confirms).
"""

from __future__ import annotations

import re
from functools import cache

from nremstats.core import codes, labels
from nremstats.core.findings import Finding, finding
from nremstats.returns.located import a1, text_at
from nremstats.returns.read import Source
from nremstats.template.grid import (
    FIRST_COL,
    LISTS_SHEET,
    METADATA_MARKER,
    GridLayout,
    SheetLayout,
    metadata_rows,
)

_TITLE_COUNTRY = re.compile(r"\u2014\s*([A-Z]{3})\s+\d{4}\s*$")
_WORD = re.compile(r"[^\W\d_]+")


def duplicates(source: Source, marked: dict[str, list[str]]) -> list[Finding]:
    """An error for each marker on more than one sheet (the file cannot say which counts)."""
    return [
        finding(
            "STRUCTURE_DUPLICATE_SHEET",
            source.name,
            f"The sheets {' and '.join(repr(s) for s in sheets)} both carry the marker "
            f"'{marker}' (cell A1){_states(source, sheets)}: nremstats cannot tell which holds "
            "the figures. Delete the copy, or fill a fresh template, and send it again.",
            sheet=sheets[1],
            cell="A1",
            text=marker,
        )
        for marker, sheets in marked.items()
        if len(sheets) > 1
    ]


def _states(source: Source, sheets: list[str]) -> str:
    hidden = [f"'{s}' is {source.states[s]}" for s in sheets if s in source.states]
    return f" ({', '.join(hidden)})" if hidden else ""


def hidden_sheets(source: Source, marked: dict[str, str]) -> list[Finding]:
    """An error for a hidden sheet that carries a marker; a note for any other hidden sheet
    with content (other than the template's own lists)."""
    out = []
    carriers = {sheet: marker for marker, sheet in marked.items()}
    for sheet, state in source.states.items():
        if sheet in carriers:
            out.append(
                finding(
                    "STRUCTURE_HIDDEN_SHEET",
                    source.name,
                    f"Sheet '{sheet}' ({carriers[sheet]}) is {state}: its figures are not what "
                    "the sender sees. Unhide it, check its figures and send the file again.",
                    sheet=sheet,
                    cell="A1",
                )
            )
        elif sheet != LISTS_SHEET and any(any(v != "" for v in r) for r in source.raw[sheet]):
            out.append(
                finding(
                    "STRUCTURE_HIDDEN_CONTENT",
                    source.name,
                    f"Sheet '{sheet}' is {state} and holds cells: nremstats does not read it. "
                    "If it holds figures for the return, copy them into the template's sheets.",
                    sheet=sheet,
                )
            )
    return out


def layout_sheet(source: Source, sheets: list[str], layout: str) -> list[Finding]:
    """Errors when a foreign layout's table is on several sheets (which holds the figures?)
    or on a hidden one."""
    if len(sheets) > 1:
        return [
            finding(
                "STRUCTURE_DUPLICATE_SHEET",
                source.name,
                f"The sheets {' and '.join(repr(s) for s in sheets)} both hold the {layout} "
                f"table{_states(source, sheets)}: nremstats cannot tell which holds the "
                "figures. Delete the copy and send the file again.",
                sheet=sheets[1],
            )
        ]
    if sheets and sheets[0] in source.states:
        return [
            finding(
                "STRUCTURE_HIDDEN_SHEET",
                source.name,
                f"Sheet '{sheets[0]}', which holds the {layout} table, is "
                f"{source.states[sheets[0]]}: its figures are not what the sender sees. "
                "Unhide it, check its figures and send the file again.",
                sheet=sheets[0],
            )
        ]
    return []


@cache
def _labels(dim: str, code: str) -> frozenset[str]:
    languages = codes.template_spec()["languages"]
    return frozenset(codes.normalise_label(codes.label(dim, code, lang)) for lang in languages)


def grid_changes(source: Source, sheet: str, layout: SheetLayout) -> list[Finding]:
    """``STRUCTURE_GRID_CHANGED`` for each heading or fixed row label that is not the
    template's, ``STRUCTURE_MERGED_CELLS`` for merged ranges over inputs and
    ``STRUCTURE_OUTSIDE_GRID`` for content outside the template's cells."""
    rows = source.sheets[sheet]
    out: list[Finding] = []
    own: set[tuple[int, int]] = {(1, 1), (1, FIRST_COL)}
    inputs: set[tuple[int, int]] = set()
    for grid in layout.grids:
        own |= {(grid.title_row, FIRST_COL), (grid.header_row, FIRST_COL)}
        own |= {(grid.header_row, col) for col, _ in grid.cols} | {(grid.header_row, grid.note_col)}
        for col, code in grid.cols:
            out += _heading(source, sheet, rows, grid, grid.header_row, col, grid.col_dim, code)
        for row, code in grid.rows:
            cells = {(row, col) for col, _ in grid.cols} | {(row, grid.note_col)}
            inputs |= cells | ({(row, FIRST_COL)} if code is None else set())
            own |= cells | {(row, FIRST_COL)}
            if code is not None:
                out += _heading(source, sheet, rows, grid, row, FIRST_COL, grid.row_dim, code)
    out += _merged(source, sheet, inputs)
    outside = [
        (r + 1, c + 1, text)
        for r, line in enumerate(rows)
        for c, text in enumerate(line)
        if text.strip() and (r + 1, c + 1) not in own
    ]
    if outside:
        shown = ", ".join(f"{a1(r, c)} '{t[:20]}'" for r, c, t in outside[:8])
        more = f" and {len(outside) - 8} more" if len(outside) > 8 else ""
        out.append(
            finding(
                "STRUCTURE_OUTSIDE_GRID",
                source.name,
                f"Sheet '{sheet}' has {len(outside)} cell(s) outside the template's cells, "
                f"not read: {shown}{more}. If they are figures, move them into the grid.",
                sheet=sheet,
                cell=a1(outside[0][0], outside[0][1]),
                text=outside[0][2],
            )
        )
    return out


def _heading(
    source: Source,
    sheet: str,
    rows: list[list[str]],
    grid: GridLayout,
    row: int,
    col: int,
    dim: str,
    code: str,
) -> list[Finding]:
    found = text_at(rows, row, col)
    if codes.normalise_label(found) in _labels(dim, code):
        return []
    other = next(
        (c for c in codes.ordered_codes(dim) if codes.normalise_label(found) in _labels(dim, c)),
        None,
    )
    what = "row" if col == FIRST_COL else "column"
    moved = f" (the label of {other})" if other else ""
    return [
        finding(
            "STRUCTURE_GRID_CHANGED",
            source.name,
            f"The {what} for {code} ('{codes.label(dim, code)}') of the grid '{grid.name}' reads "
            f"'{found}'{moved}: a row or column was deleted, inserted or moved, so the figures "
            "beside it would be filed under another category. Nothing was read from this "
            "sheet: copy the figures into a fresh template (nremstats template) and send it.",
            sheet=sheet,
            cell=a1(row, col),
            text=found,
        )
    ]


def _merged(source: Source, sheet: str, inputs: set[tuple[int, int]]) -> list[Finding]:
    out = []
    for (r0, c0), (r1, c1) in source.merged.get(sheet, []):
        covered = sorted(
            (r, c) for r in range(r0 + 1, r1 + 2) for c in range(c0 + 1, c1 + 2) if (r, c) in inputs
        )
        if covered:
            span = f"{a1(r0 + 1, c0 + 1)}:{a1(r1 + 1, c1 + 1)}"
            out.append(
                finding(
                    "STRUCTURE_MERGED_CELLS",
                    source.name,
                    f"Cells {span} are merged over {len(covered)} input cell(s): a merged "
                    "figure shows in one cell but stands for several categories. Unmerge them, "
                    "write each figure in its own cell and send the file again.",
                    sheet=sheet,
                    cell=a1(*covered[0]),
                )
            )
    return out


def countries_named(source: Source, marked: dict[str, str]) -> dict[str, set[str]]:
    """The countries the file names outside its metadata: {where: ISO3 codes}. A file name
    names a country by its first word, an ISO3 code in capitals (``NLD_2023_en.xlsx``, the
    template's own naming) or a country's English name (``Netherlands 2023.xlsx``); a title
    by a country's name anywhere in it (the longest: ``Guinea-Bissau`` is not Guinea)."""
    named: dict[str, set[str]] = {}
    stem = source.name.rsplit(".", 1)[0]
    first = _WORD.findall(stem)[:1]
    if first and len(first[0]) == 3 and first[0].isupper() and first[0] in codes.country_codes():
        named["the file name"] = {first[0]}
    elif found := _names_in(stem, leading=True):
        named["the file name"] = found
    if found := _names_in(source.title, leading=False):
        named["the workbook's title"] = found
    for marker, sheet in marked.items():
        if marker == METADATA_MARKER:
            continue
        if match := _TITLE_COUNTRY.search(text_at(source.sheets[sheet], 1, FIRST_COL)):
            if match[1] in codes.country_codes():
                named.setdefault("the sheet titles", set()).add(match[1])
    return named


def _words(text: str) -> str:
    return " " + " ".join(w.casefold() for w in _WORD.findall(text)) + " "


def _names_in(text: str, leading: bool) -> set[str]:
    """Country names in a text, as whole words, the longest first (a name inside a longer
    one found is not counted); ``leading``: only at its start."""
    words, found, taken = _words(text), set(), []
    for name, code in _names():
        at = words.find(f" {name} ")
        if at < 0 or (leading and at != 0):
            continue
        span = (at, at + len(name) + 1)
        if not any(s <= span[0] and span[1] <= e for s, e in taken):
            taken.append(span)
            found.add(code)
    return found


@cache
def _names() -> list[tuple[str, str]]:
    """English country names as words (``guinea bissau`` -> GNB), the longest first."""
    out = []
    for code in codes.country_codes():
        name = _words(codes.country_name(code) or "").strip()
        if len(name) > 3:
            out.append((name, code))
    return sorted(out, key=lambda item: (-len(item[0]), item[0]))


def country_check(
    source: Source, marked: dict[str, str], country: str, confirmed: str | None
) -> list[Finding]:
    """An error when the file names a country other than its metadata's, unless
    ``confirmed`` (``--country``) is the metadata's; an error when ``confirmed`` is another."""
    sheet = marked[METADATA_MARKER]
    cell = f"C{metadata_rows()['country']}"
    country = labels.country_code(country) or country  # a name written for the code
    if confirmed:
        if confirmed.upper() == country.upper():
            return []
        message = (
            f"The metadata names {country}, but --country says {confirmed.upper()}. Correct "
            "the metadata, or the option, and send the file again."
        )
    else:
        named = countries_named(source, marked)
        others = {where: found for where, found in named.items() if country not in found}
        if not others:
            return []
        said = " and ".join(
            f"{where} {'say' if where.endswith('s') else 'says'} {', '.join(sorted(found))}"
            for where, found in others.items()
        )
        message = (
            f"The metadata names {country}, but {said}. A return filed under the wrong "
            "country would replace that country's figures: correct the metadata, or confirm "
            f"the country with --country {country}."
        )
    return [
        finding(
            "STRUCTURE_COUNTRY_MISMATCH", source.name, message, sheet=sheet, cell=cell, text=country
        )
    ]
