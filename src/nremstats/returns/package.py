"""What a workbook's package holds, looked at before any cell is read.

An xlsx file is a zip of XML parts. python-calamine reads a sheet into one dense block, from
its first used cell to its last: one stray cell at ``XFD1048576`` asks for 17 billion cells,
and a part that inflates to gigabytes (a zip bomb) is inflated whole. Before calamine opens
the file, :func:`inspect` inflates each worksheet part in bounded steps (never more than the
size the zip declares for it, checked by its CRC) and measures it against the limits of
``schemas/limits.yaml``: the inflated size of the whole package, and each sheet's used area
(rows x columns) and cell count.

The same pass finds what calamine would read as an empty cell although the sheet shows
something else: a formula saved without its value (a file written by a program, never
opened in a spreadsheet) and an error value (``#DIV/0!``, ``#REF!``). They are returned by
sheet and cell so the reader can put the formula or the error in the cell's place, where
the value parser refuses it at its cell. Macros and links to other workbooks are noted
(never run, never opened).

What no spreadsheet program writes, and a reader would still read wrongly or expensively,
is refused as damaged (:class:`Damaged`): a cell written without its place or in another
form than ``<c r="B5" ...>``, a row beyond 1048576 (a 32-bit wrap) or a column beyond XFD, a
cell given twice in a small sheet, more shared strings claimed than their part can hold.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from nremstats.core import codes

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
# searches that begin with a literal (fast: the regex engine skips to it)
_DIGITS = {d: re.compile(rb' r="[A-Z]{0,3}\d{%d}"' % d) for d in range(1, 8)}
_TITLE = re.compile(rb"<dc:title>([^<]*)</dc:title>")
_SIX_OR_MORE = re.compile(rb' r="[A-Z]{0,3}\d{6,}"')
_EIGHT_OR_MORE = re.compile(rb' r="[A-Z]{0,3}\d{8,}"')
_ROWS_OF = {d: re.compile(rb' r="[A-Z]{0,3}(\d{%d})"' % d) for d in range(1, 8)}
_WIDE = re.compile(rb' r="[A-Z]{2}')  # a column of two letters or more
_COLUMNS = re.compile(rb' r="([A-Z]+)\d')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_UNIQUE = re.compile(rb'\buniqueCount\s*=\s*["\']?(\d+)')
_REF = re.compile(rb'\sr="([A-Z]{1,3}\d{1,7})"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_STR_TYPE = re.compile(rb"""\st\s*=\s*["']str["']""")
_HAS_VALUE = re.compile(rb"<(?:\w+:)?v[\s/>]")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
_MB = 1 << 20
#: A part this small is read for each cell's reference (a template's sheet is 30-60 kB).
_SMALL = 4 * _MB
_CHUNK = 1 << 22


@dataclass(frozen=True)
class Limits:
    """What a received file may ask of the machine (``schemas/limits.yaml``)."""

    file_mb: int
    inflated_mb: int
    cells_per_sheet: int


def limits(**raised: int | None) -> Limits:
    """The declared limits, with those given (not None) in their place."""
    declared = codes.load_declaration("limits.yaml")
    values = {name: int(declared[name]) for name in ("file_mb", "inflated_mb", "cells_per_sheet")}
    values.update({name: int(v) for name, v in raised.items() if v is not None})
    return Limits(**values)


class TooLarge(Exception):
    """A file beyond a limit, with the message that says which and how to raise it (and
    the sheet, when one is)."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.sheet = sheet


class Damaged(Exception):
    """A package that no spreadsheet program writes (a cell beyond the sheet, a cell given
    twice, more strings claimed than the part can hold), with where it is when known."""

    def __init__(self, message: str, sheet: str | None = None, cell: str | None = None):
        super().__init__(message)
        self.sheet, self.cell = sheet, cell


@dataclass
class Package:
    """What :func:`inspect` found: by sheet name, the state of each hidden sheet, and the
    cells calamine reads as empty with what they hold instead (``=`` and the formula, or the
    error value); notes on macros and links."""

    states: dict[str, str] = field(default_factory=dict)
    unread: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the workbook's title (its document properties), "" when it has none
    title: str = ""


def inspect(name: str, data: bytes, bounds: Limits) -> Package:
    """Look at a workbook before it is read (see the module docstring).

    Raises:
        TooLarge: the package or a sheet is beyond ``bounds``.
        Damaged: a package no spreadsheet program writes (see the module docstring).
        zipfile.BadZipFile: a damaged package (a part longer than it says, a bad CRC).
    """
    found = Package()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = package.infolist()
        declared = sum(part.file_size for part in parts)
        if declared > bounds.inflated_mb * _MB or len(parts) > 100_000:
            raise TooLarge(
                f"{name} inflates to {declared / _MB:,.0f} MB in {len(parts):,} parts, more "
                f"than the limit of {bounds.inflated_mb:,} MB (a workbook of returns is a few "
                "MB; this may be a zip bomb). If the file is genuine, raise the limit with "
                "--max-inflated-mb."
            )
        names = {part.filename for part in parts}
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            found.notes.append(f"{name} holds macros: they are never run, only cells are read.")
        if any(n.startswith("xl/externalLinks/") for n in names):
            found.notes.append(
                f"{name} links to other workbooks: they are never opened; a linked cell is "
                "read as the value the file saved for it."
            )
        if "docProps/core.xml" in names:
            title = _TITLE.search(_read_small(package, "docProps/core.xml"))
            found.title = html.unescape(title[1].decode("utf-8", "replace")) if title else ""
        if "xl/sharedStrings.xml" in names:
            _strings(package, name, bounds)
        by_lower = {n.lower(): n for n in names}
        titles = {}
        for sheet, (target, state) in _sheets(package, names).items():
            if state != "visible":
                found.states[sheet] = state
            titles[by_lower.get(target.lower(), target)] = sheet
        # every part a reader could take for a sheet is measured, named or not
        for part in sorted(names):
            lower = part.lower()
            if lower.startswith(("xl/worksheets/", "xl/chartsheets/")) and lower.endswith(".xml"):
                sheet = titles.get(part, part)
                unread = _measure(package, part, name, sheet, bounds)
                if unread:
                    found.unread[sheet] = unread
    return found


def _strings(package: zipfile.ZipFile, name: str, bounds: Limits) -> None:
    """The shared strings a workbook claims (calamine reserves room for them all) cannot be
    more than its part could hold (a string takes 5 bytes at least: ``<si/>``); ``count``
    is the number of cells using them, not reserved."""
    info = package.getinfo("xl/sharedStrings.xml")
    with package.open(info) as handle:
        head = handle.read(4096)
    tag = head[: head.find(b">", head.find(b"sst")) + 1]
    claimed = max((int(n) for n in _UNIQUE.findall(tag)), default=0)
    if claimed > info.file_size // 5 + 1 or claimed > bounds.cells_per_sheet * 10:
        raise Damaged(
            f"{name} claims {claimed:,} shared strings but its part holds at most "
            f"{info.file_size // 5:,}"
        )


def _read_small(package: zipfile.ZipFile, part: str) -> bytes:
    with package.open(part) as handle:
        return handle.read(16 * _MB)


def _sheets(package: zipfile.ZipFile, names: set[str]) -> dict[str, tuple[str, str]]:
    """{sheet name: (its worksheet part, its state)} from the workbook part."""
    if "xl/workbook.xml" not in names:
        return {}
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for found in _RELATION.finditer(_read_small(package, "xl/_rels/workbook.xml.rels")):
            attributes = _attributes(found[1])
            target = html.unescape(attributes.get(b"Target", b"").decode("utf-8", "replace"))
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[attributes.get(b"Id", b"")] = path
    sheets = {}
    for found in _SHEET.finditer(_read_small(package, "xl/workbook.xml")):
        attributes = {key.split(b":")[-1]: v for key, v in _attributes(found[1]).items()}
        title = html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
        state = attributes.get(b"state", b"visible").decode("ascii", "replace")
        sheets[title] = (targets.get(attributes.get(b"id", b""), ""), state)
    return sheets


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return {key: one or other for key, one, other in _ATTRIBUTE.findall(tag)}


def _measure(
    package: zipfile.ZipFile, part: str, name: str, sheet: str, bounds: Limits
) -> dict[str, str]:
    """Check one worksheet part against the limits; return its cells without a value."""
    chunks, size = [], 0
    with package.open(part) as handle:  # never more than the declared size (CRC checked)
        while block := handle.read(_CHUNK):
            size += len(block)
            chunks.append(block)
    data = b"".join(chunks)
    cells = data.count(b"<c")  # cells, and a few other tags (<cols>): a bound from above
    _plain_cells(data, name, sheet)
    # the deepest row: a cell's or a row's number of the most digits, then the largest
    digits = _most_digits(data, name, sheet)
    rows = max(10**digits - 1, data.count(b"<row"))
    width = 26
    if _WIDE.search(data):  # columns of two letters or more: the widest named
        width = max((_column(c) for c in _COLUMNS.findall(data)), default=1)
        if width > 16384:
            raise Damaged(
                f"{name}, sheet '{sheet}': a cell beyond the sheet's last column (XFD)", sheet
            )
    if rows * width > bounds.cells_per_sheet:  # a bound too coarse to refuse on
        named = _ROWS_OF[digits].findall(data) if digits else []
        rows = max([int(r) for r in named] + [data.count(b"<row")])
        width = max((_column(c) for c in _COLUMNS.findall(data)), default=1)
    area = max(rows * width, _merged_area(data))
    if cells > bounds.cells_per_sheet or area > bounds.cells_per_sheet:
        raise TooLarge(
            f"{name}, sheet '{sheet}': {max(cells, area):,} cells ({rows:,} rows x {width:,} "
            f"columns used), more than the limit of {bounds.cells_per_sheet:,} cells a "
            "sheet. A stray entry far below or right of the table makes a sheet this large: "
            "delete the rows and columns after the table, save and send the file again (or "
            "raise the limit with --max-cells).",
            sheet,
        )
    if size <= _SMALL:  # a template's sheet: each cell given once (calamine keeps the last)
        _given_once(data, name, sheet)
    return _unread(data)


def _given_once(data: bytes, name: str, sheet: str) -> None:
    refs = _REF.findall(data)
    if len(refs) != len(set(refs)):
        twice = next(r for r, n in Counter(refs).items() if n > 1).decode()
        raise Damaged(
            f"{name}, sheet '{sheet}': cell {twice} is given twice in the file (a workbook "
            "edited by a program, or damaged); a spreadsheet shows one of its values",
            sheet,
            twice,
        )


def _unread(data: bytes) -> dict[str, str]:
    """The cells calamine reads as empty: formulas without a value, error values."""
    unread: dict[str, str] = {}
    for at in _occurrences(data, b"<f"):
        if data[at + 2 : at + 3] in (b">", b" ", b"/"):  # a formula (not <filterColumn>)
            cell, ref = _cell_around(data, at)
            if ref and not _value_of(cell) and not _empty_text(cell):
                formula = _FORMULA.search(cell)
                text = formula[1] if formula and formula[1] else b"(shared formula)"
                unread[ref] = "=" + html.unescape(text.decode("utf-8", "replace")).lstrip("=")
    for at in _occurrences(data, b't="e"'):
        cell, ref = _cell_around(data, at)
        if ref:
            error = _value_of(cell)
            unread[ref] = html.unescape(error.decode("utf-8", "replace")) or "#ERROR"
    return unread


_CELL_TAG = re.compile(rb"<c[\s/>]")
_PREFIXED_CELL_TAG = re.compile(rb"<\w{1,16}:c[\s/>]")
_LOWER_REF = re.compile(rb'<(?:\w{1,16}:)?c r="[a-z]')


def _plain_cells(data: bytes, name: str, sheet: str) -> None:
    """Every cell written as spreadsheet programs write it, ``<c r="B5" ...>`` (its place
    in capitals, double-quoted, first): the measure above reads those. A cell without its
    place (a reader counts it along its row), or one written otherwise, would escape it."""
    written = len(_CELL_TAG.findall(data))
    plain = data.count(b'<c r="')
    if b":c" in data:
        written += len(_PREFIXED_CELL_TAG.findall(data))
        plain += len(re.findall(rb'<\w{1,16}:c r="', data))
    if written != plain or _LOWER_REF.search(data):
        raise Damaged(
            f"{name}, sheet '{sheet}': {abs(written - plain) or 'some'} cell(s) written without "
            "their place (B5) or in a form spreadsheet programs do not write",
            sheet,
        )


def _merged_area(data: bytes) -> int:
    """The cells the merged ranges of a part cover (a spreadsheet makes one for each)."""
    if b"mergeCell" not in data:
        return 0
    area = 0
    for first_col, first_row, last_col, last_row in _MERGE.findall(data):
        rows = int(last_row or first_row) - int(first_row) + 1
        cols = _column(last_col or first_col) - _column(first_col) + 1
        area += max(rows, 1) * max(cols, 1)
    return area


def _most_digits(data: bytes, name: str, sheet: str) -> int:
    """The most digits of a row number in the part (each search is one pass over it)."""
    if _SIX_OR_MORE.search(data):
        if _EIGHT_OR_MORE.search(data):
            raise Damaged(
                f"{name}, sheet '{sheet}': a row beyond the sheet's last (1048576)", sheet
            )
        return 7 if _DIGITS[7].search(data) else 6
    return next((d for d in (5, 4, 3, 2, 1) if _DIGITS[d].search(data)), 0)


def _occurrences(data: bytes, tag: bytes) -> list[int]:
    out, at = [], data.find(tag)
    while at >= 0:
        out.append(at)
        at = data.find(tag, at + 1)
    return out


def _cell_around(data: bytes, at: int) -> tuple[bytes, str | None]:
    """The XML of the cell holding position ``at``, and its reference."""
    back = max(0, at - 65536)
    start = max(data.rfind(b"<c ", back, at + 1), data.rfind(b":c ", back, at + 1))
    if start < 0:
        return b"", None
    head_end = data.find(b">", start)
    if head_end < 0:
        return b"", None
    head = data[start : head_end + 1]
    ref = _REF.search(head)
    if head.endswith(b"/>"):  # an empty cell: no formula, no value of its own
        return head, ref[1].decode() if ref else None
    end = data.find(b"c>", head_end)
    if end < 0:
        return b"", None
    return data[start : end + 2], ref[1].decode() if ref else None


def _empty_text(cell: bytes) -> bool:
    """A formula whose saved value is the empty text (``t="str"`` and an empty ``<v>``, as
    a spreadsheet writes ``=IF(..., "")``); a number cell's empty ``<v/>`` is no value (as
    programs write formulas they did not compute)."""
    head = cell[: cell.find(b">") + 1]
    return bool(_STR_TYPE.search(head)) and bool(_HAS_VALUE.search(cell))


def _value_of(cell: bytes) -> bytes:
    value = _VALUE.search(cell)
    return value[1].strip() if value else b""


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
