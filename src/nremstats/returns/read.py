"""Read received files: bytes once (for the hash), then xlsx cells or CSV text.

python-calamine reads workbooks (5-9x faster than openpyxl); every cell becomes text (when
its sheet or column is first used) so that one value parser (:mod:`nremstats.core.values`) serves
every layout and the original text is kept for the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nremstats.core.errors import InputFileNotFound
from nremstats.core.findings import Finding, finding
from nremstats.returns.package import Damaged, Limits, TooLarge, inspect, limits

ZIP_MAGIC = b"PK\x03\x04"
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class Source:
    """One received file: its name, hash and raw content, before any interpretation."""

    path: Path
    sha256: str
    kind: str  # "xlsx" or "csv"
    data: bytes
    #: For xlsx: {sheet name: rows of cell values as calamine gives them}, in sheet order.
    raw: dict[str, list[list[object]]] = field(default_factory=dict)
    #: For xlsx: the state of each sheet that is not visible (``hidden``, ``veryHidden``).
    states: dict[str, str] = field(default_factory=dict)
    #: For xlsx: each sheet's merged ranges, ((first row, first col), (last row, last col)),
    #: 0-based.
    merged: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = field(default_factory=dict)
    #: For xlsx: the workbook's title (its document properties).
    title: str = ""
    _texts: dict[str, list[list[str]]] = field(default_factory=dict, repr=False)
    _decoded: str | None = field(default=None, repr=False)
    #: For text: how its bytes are decoded (UTF-8, a BOM allowed; or UTF-16 with its BOM).
    encoding: str = "utf-8-sig"

    @property
    def name(self) -> str:
        return display_name(self.path)

    @property
    def sheets(self) -> Mapping[str, list[list[str]]]:
        """For xlsx: {sheet name: rows of cell texts ('' for an empty cell)}, each sheet
        converted when first asked for."""
        return _TextSheets(self)

    def head(self, sheet: str, rows: int) -> list[list[str]]:
        """The first rows of a sheet as texts (without converting the whole sheet)."""
        if sheet in self._texts:
            return self._texts[sheet][:rows]
        return [[text_of(v) for v in row] for row in self.raw[sheet][:rows]]

    def text(self) -> str:
        """Return the CSV content decoded as UTF-8 (a BOM is allowed), decoded once; lines
        ended by CR alone (Excel for Mac) read as lines."""
        if self._decoded is None:
            text = self.data.decode(self.encoding)
            if "\r" in text and "\n" not in text:
                text = text.replace("\r", "\n")
            self._decoded = text
        return self._decoded


class _TextSheets(Mapping[str, list[list[str]]]):
    def __init__(self, source: Source) -> None:
        self.source = source

    def __getitem__(self, name: str) -> list[list[str]]:
        texts = self.source._texts
        if name not in texts:
            texts[name] = [[text_of(v) for v in row] for row in self.source.raw[name]]
        return texts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.source.raw)

    def __len__(self) -> int:
        return len(self.source.raw)


def csv_rows(source: Source, limit: int | None = None, delimiter: str = ",") -> list[list[str]]:
    """The rows of a text source as lists of fields (all of them, or the first ``limit``)."""
    reader = csv.reader(io.StringIO(source.text()), delimiter=delimiter)
    return list(itertools.islice(reader, limit)) if limit else list(reader)


def text_of(value: object) -> str:
    """:func:`cell_text`, with the usual cells (text, numbers) answered without a call."""
    if type(value) is str:
        return value
    return _NUMBER[value] if type(value) is float else cell_text(value)  # type: ignore[index]


class _Numbers(dict[float, str]):
    """The text of number cells (``2021.0`` -> ``2021``), computed once per number."""

    def __missing__(self, value: float) -> str:
        if len(self) > 100_000:
            self.clear()
        text = self[value] = cell_text(value)
        return text


_NUMBER = _Numbers()


def cell_text(value: object) -> str:
    """Return a calamine cell as the text a person sees (``12.0`` -> ``12``)."""
    if type(value) is float:  # the usual case: numbers come as floats
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def require_file(path: str | Path) -> Path:
    """Return the path, or raise :class:`InputFileNotFound` when it is not a file."""
    path = Path(path)
    if not path.is_file():
        raise InputFileNotFound(f"{path}: no such file. Check the path and try again.")
    return path


def read_source(path: Path, bounds: Limits | None = None) -> tuple[Source | None, list[Finding]]:
    """Read one received file, within ``bounds`` (default: ``schemas/limits.yaml``).

    Returns:
        ``(source, notes)`` when the file could be read (notes: macros, links), else
        ``(None, [finding])`` with a ``FILE_UNSUPPORTED``, ``FILE_UNREADABLE`` or
        ``FILE_TOO_LARGE`` error naming the file and the fix.

    Raises:
        InputFileNotFound: the path does not exist or is not a file (a usage error).
    """
    path = require_file(path)
    bounds = bounds or limits()
    size = path.stat().st_size
    if size > bounds.file_mb << 20:
        message = (
            f"{display_name(path)} is {size / (1 << 20):,.0f} MB, more than the limit of "
            f"{bounds.file_mb:,} MB for a received file. Split it, or raise the limit with "
            "--max-file-mb."
        )
        return None, [finding("FILE_TOO_LARGE", display_name(path), message)]
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if data.startswith(ZIP_MAGIC) and suffix not in CSV_SUFFIXES:
        return _read_xlsx(path, digest, data, bounds)
    if suffix in CSV_SUFFIXES:
        return _read_text(path, digest, data)
    name = display_name(path)
    return None, [
        finding(
            "FILE_UNSUPPORTED",
            name,
            f"{name} is neither an xlsx workbook nor a CSV file. Send the return as the "
            "nremstats template (.xlsx) or as a canonical long CSV (.csv).",
        )
    ]


def _read_text(path: Path, digest: str, data: bytes) -> tuple[Source | None, list[Finding]]:
    """A text file in UTF-8 (a BOM allowed) or UTF-16 with its byte-order mark; any other
    encoding is refused with the one it looks like (never read as a guess)."""
    name = display_name(path)
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            looks = "UTF-16 text with a broken character"
        elif b"\x00" in data[:4096]:
            looks = "UTF-16 text without a byte-order mark"
        else:
            byte = data[exc.start]
            looks = (
                f"byte 0x{byte:02X}: Windows-1252 or Latin-1 text, as a plain 'CSV' from "
                "Excel is written"
            )
        message = (
            f"{name} is not UTF-8 text (at byte {exc.start}; {looks}). Nothing was guessed: "
            "save it as 'CSV UTF-8 (comma delimited)' and send it again."
        )
        return None, [finding("FILE_UNREADABLE", name, message)]
    return Source(path=path, sha256=digest, kind="csv", data=data, encoding=encoding), []


def _read_xlsx(
    path: Path, digest: str, data: bytes, bounds: Limits
) -> tuple[Source | None, list[Finding]]:
    import python_calamine

    name = display_name(path)
    try:
        package = inspect(name, data, bounds)
    except TooLarge as exc:
        return None, [finding("FILE_TOO_LARGE", name, str(exc), sheet=exc.sheet)]
    except Damaged as exc:
        message = (
            f"{exc}. Nothing was read: open it in a spreadsheet program, save it as .xlsx and "
            "send it again."
        )
        return None, [finding("FILE_UNREADABLE", name, message, sheet=exc.sheet, cell=exc.cell)]
    except Exception as exc:  # zipfile raises many types for damaged headers
        return None, [_unreadable(name, exc)]
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets, merged = {}, {}
        for title in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(title)
            sheets[title] = sheet.to_python(skip_empty_area=False)
            merged[title] = list(sheet.merged_cell_ranges or [])
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        return None, [_unreadable(name, exc)]
    for title, cells in package.unread.items():
        if title in sheets:
            _fill(sheets[title], cells)
    notes = [finding("FILE_ACTIVE_CONTENT", name, note) for note in package.notes]
    source = Source(
        path=path,
        sha256=digest,
        kind="xlsx",
        data=data,
        raw=sheets,
        states={t: s for t, s in package.states.items() if t in sheets},
        merged=merged,
        title=package.title,
    )
    return source, notes


def _unreadable(name: str, exc: Exception) -> Finding:
    return finding(
        "FILE_UNREADABLE",
        name,
        f"{name} cannot be opened as a workbook ({type(exc).__name__}: {exc}). "
        "Open it in a spreadsheet program, save it as .xlsx and send it again.",
    )


def _fill(rows: list[list[object]], cells: dict[str, str]) -> None:
    """Put in their cells what calamine read as empty: a formula saved without its value
    (``=`` and the formula) or an error value (``#DIV/0!``), so that reading the cell
    refuses it there."""
    for ref, text in cells.items():
        match = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
        if not match:
            continue
        col = 0
        for letter in match[1]:
            col = col * 26 + ord(letter) - 64
        row, col = int(match[2]) - 1, col - 1
        while len(rows) <= row:
            rows.append([""] * (len(rows[0]) if rows else 0))
        line = rows[row]
        if len(line) <= col:
            line.extend([""] * (col + 1 - len(line)))
        line[col] = text


def display_path(path: Path) -> str:
    """A path as text, as :func:`display_name` writes a name."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def display_name(path: Path) -> str:
    """A file's name as text: bytes that are not UTF-8 (a name from another system) are
    written ``\\xNN``, never a crash when the name is printed or stored."""
    return path.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
