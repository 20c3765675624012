"""A received file's figures as located texts, each with the place it came from.

:class:`Located` is what every reader gives the later stages (the template, the canonical
CSV, a foreign layout): one record per figure, its fields still *texts*, with the sheet, A1
cell and source row of the value and of every field, so a finding can point at the exact
cell (:func:`place_finding`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nremstats.core.findings import Finding, finding
from nremstats.core.model import CODED_FIELDS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The columns a canonical long CSV must have.
REQUIRED_CSV = ("country", "year", *CODED_FIELDS, "value")
OPTIONAL_CSV = ("provider", "obs_status", "lower", "upper", "conf_status", "definition", "note")
#: Text columns of a located table.
TEXT_FIELDS = REQUIRED_CSV + OPTIONAL_CSV


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """The A1 address of a 1-based (row, col)."""
    return f"{column_letter(col - 1)}{row}"


def text_at(rows: list[list[str]], row: int, col: int) -> str:
    """The text at a 1-based (row, col) of a sheet's rows, stripped; '' outside them."""
    if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
        return rows[row - 1][col - 1].strip()
    return ""


@dataclass
class Located:
    """The texts of one received file, with where each came from.

    ``records`` has one row per value with the text columns of :data:`TEXT_FIELDS` (missing
    text as ``""``), plus ``sheet``, ``cell`` (the value's A1 address) and ``row``. Where a
    field's text sits elsewhere than the value, ``field_cells[field]`` says where: a column
    letter (the cell is that letter plus the record's row) or a fixed ``(sheet, cell)``;
    per-record places go in a column ``<field>_cell``.
    """

    file: str
    kind: str
    records: pd.DataFrame | None
    findings: list[Finding] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    field_cells: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    template_version: str | None = None
    #: Rows seen when the records could not be built (a CSV with a wrong header).
    rows_seen: int = 0
    #: Template cells asked for (totals) but left blank: (sheet, indicator, A1 cell).
    blank_cells: list[tuple[str, str, str]] = field(default_factory=list)

    #: Source rows read when records were merged (quarters summed to a year).
    rows_total: int | None = None

    @property
    def rows_read(self) -> int:
        if self.rows_total is not None:
            return self.rows_total
        return self.rows_seen if self.records is None else len(self.records)


def constant_column(value: str | None, index: pd.Index) -> pd.Series:
    """A string column holding one value (or missing) on every row, built without per-row
    Python objects."""
    import pandas as pd
    import pyarrow as pa

    array = pa.repeat(pa.scalar(value, pa.string()), len(index))
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index)


def string_column(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string array from an object array of texts and None, by pyarrow directly (pandas'
    own conversion checks every item in Python); anything else goes the pandas way."""
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.string(), from_pandas=True))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pd.array(values, dtype="string")


def field_place(located: Located, record: dict[str, object], name: str) -> tuple[str, str]:
    """Return ``(sheet, cell)`` where a record's field ``name`` was written."""
    own = record.get(f"{name}_cell")
    if own:
        return str(record.get("sheet", "")), str(own)
    place = located.field_cells.get(name)
    if isinstance(place, tuple):
        return place
    if isinstance(place, str):
        return str(record.get("sheet", "")), f"{place}{record['row']}"
    return str(record.get("sheet", "")), str(record.get("cell", ""))


def place_finding(
    located: Located,
    record: dict[str, object],
    name: str,
    rule: str,
    message: str,
    text: object = None,
    cells: tuple[str, ...] = (),
    severity: str | None = None,
) -> Finding:
    """A finding about a record's field ``name``, placed at the cell that field came from.

    ``severity`` defaults to the rule's; ``cells`` to the field's own cell.
    """
    sheet, cell = field_place(located, record, name)
    row = record.get("row")
    return finding(
        rule,
        located.file,
        message,
        severity=severity,
        sheet=sheet or None,
        cell=cell or None,
        cells=cells or ((cell,) if cell else ()),
        row=int(row) if row not in (None, "") else None,  # type: ignore[call-overload]
        text=text,
    )
