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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nremstats.core.errors import InputFileNotFound
from nremstats.core.findings import Finding, finding

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
    _texts: dict[str, list[list[str]]] = field(default_factory=dict, repr=False)
    _decoded: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

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
            text = self.data.decode("utf-8-sig")
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


def read_source(path: Path) -> tuple[Source | None, list[Finding]]:
    """Read one received file.

    Returns:
        ``(source, [])`` when the file could be read, else ``(None, [finding])`` with a
        ``FILE_UNSUPPORTED`` or ``FILE_UNREADABLE`` error naming the file and the fix.

    Raises:
        InputFileNotFound: the path does not exist or is not a file (a usage error).
    """
    path = require_file(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if data.startswith(ZIP_MAGIC) and suffix not in CSV_SUFFIXES:
        return _read_xlsx(path, digest, data)
    if suffix in CSV_SUFFIXES:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, [
                finding(
                    "FILE_UNREADABLE",
                    path.name,
                    f"{path.name} is not UTF-8 text (byte {exc.start}). Save it as "
                    "'CSV UTF-8' and send it again.",
                )
            ]
        return Source(path=path, sha256=digest, kind="csv", data=data), []
    return None, [
        finding(
            "FILE_UNSUPPORTED",
            path.name,
            f"{path.name} is neither an xlsx workbook nor a CSV file. Send the return as the "
            "nremstats template (.xlsx) or as a canonical long CSV (.csv).",
        )
    ]


def _read_xlsx(path: Path, digest: str, data: bytes) -> tuple[Source | None, list[Finding]]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = {
            name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in workbook.sheet_names
        }
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        return None, [
            finding(
                "FILE_UNREADABLE",
                path.name,
                f"{path.name} cannot be opened as a workbook ({type(exc).__name__}: {exc}). "
                "Open it in a spreadsheet program, save it as .xlsx and send it again.",
            )
        ]
    return Source(path=path, sha256=digest, kind="xlsx", data=data, raw=sheets), []
