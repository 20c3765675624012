"""Write comparison tables (csv, md, xlsx) and the long observations (csv, parquet).

Registries map a format name to its writer; the CLI builds its choices from them. A writer
returns the text for standard output when no path is given (binary formats need one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.inert import csv_text, inert_frame, inert_row
from nremstats.core.model import OBSERVATION_COLUMNS
from nremstats.publish.disclosure import threshold
from nremstats.publish.release import audit_release, release_from_store
from nremstats.publish.tables import (
    LEGEND,
    ComparisonTable,
    comparison_table,
    observations,
    refs,
)
from nremstats.publish.xlsx import Book, Figure, Sheet
from nremstats.store.manifest import arrow_schema

if TYPE_CHECKING:
    import pandas as pd

    from nremstats.publish.sdmx import Structure
    from nremstats.store.store import Store


def table_csv(table: ComparisonTable) -> str:
    """The comparison table as CSV; a last ``notes`` column spells out each row's footnotes.
    Every cell is inert (:mod:`nremstats.core.inert`)."""
    header, *body = table.rows()
    rows = [[*header, "notes"], *([*row, table.row_notes(row[0])] for row in body)]
    return csv_text(list(map(inert_row, rows)))


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_md(table: ComparisonTable) -> str:
    """The comparison table as Markdown, with numbered footnotes and the legend of marks."""
    header, *body = table.rows(people=True)
    lines = [f"## {table.heading()}", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---", "---", *["---:"] * (len(header) - 2)]) + "|")
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in body]
    if table.footnotes:
        lines += ["", "Notes:", ""]
        lines += [f"{n}. {_md_escape(text)}" for n, text in enumerate(table.footnotes, start=1)]
    lines += ["", "Marks: " + "; ".join(f"`{m}` {meaning}" for m, meaning in LEGEND), ""]
    return "\n".join(lines)


def table_sheet(book: Book, table: ComparisonTable, notes: bool = False) -> Sheet:
    """Write a comparison table on a new sheet: title, header, one row per country, frozen
    header and country columns. Every figure is a number (its status flag and notes shown
    by its number format: ``303 p [2]`` sums as 303), years are numbers, a mark (``<5``,
    ``c``, ``..``) is text and a cell with no figure is empty. A note every cell carries is
    stated once with the title, one every cell of a year carries in the year's heading;
    ``notes``: the footnotes written under the table."""
    whole, by_year = table.shared_notes()
    sheet = book.sheet(table.indicator, widths={1: 32}, freeze=(2, 2))
    sheet.append([table.heading()], "title")
    sheet.counts(
        ["country", "name"], [(y, refs(by_year.get(y, []))) for y in table.years], "0", bold=True
    )
    get = table.cells.get
    for country in table.countries:
        figures: list[Figure] = []
        for year in table.years:
            cell = get((country, year))
            stated = [*whole, *by_year.get(year, [])]
            if cell is None:
                figures.append(None)
            elif cell.value is not None:
                figures.append((cell.value, cell.suffix(stated)))
            else:
                figures.append(cell.text_without(stated))
        sheet.counts([country, codes.country_name(country) or country], figures)
    if notes:  # the footnotes under the table
        sheet.append()
        for n, text in enumerate(table.footnotes, start=1):
            sheet.append([f"[{n}]", text])
    return sheet


#: The columns of a workbook's Data sheet: one row a figure, to compute with.
DATA_COLUMNS = (
    "indicator", "country", "name", "year", "value", "lower", "upper", "obs_status", "mark",
    "notes", "provider", "definition",
)  # fmt: skip


def data_sheet(book: Book, tables: list[ComparisonTable]) -> None:
    """The figures of ``tables`` one a row (:data:`DATA_COLUMNS`): value, and a range's
    bounds, as numbers in columns of their own, the status code and mark, the note numbers;
    what a table sheet shows, to sum, filter and pivot."""
    sheet = book.sheet("Data", widths={2: 24, 9: 10, 10: 12, 11: 12}, freeze=(1, 0))
    sheet.append(DATA_COLUMNS, "bold")
    for table in tables:
        for (country, year), cell in sorted(table.cells.items()):
            name = codes.country_name(country) or country
            notes = ",".join(map(str, cell.notes))
            numbers = [
                (v, "") if v is not None else None for v in (cell.value, cell.lower, cell.upper)
            ]
            sheet.counts([table.indicator, country, name, year], numbers)
            sheet.row -= 1  # the texts after the numbers, on the same row
            texts = [cell.obs_status, cell.mark, notes, cell.provider, cell.definition or ""]
            sheet.append([None] * 7 + texts)


def table_xlsx(table: ComparisonTable, path: Path) -> None:
    """The comparison table as a workbook: the table sheet, its figures one a row (Data),
    then notes and legend."""
    with Book(path) as book:
        table_sheet(book, table)
        data_sheet(book, [table])
        notes = book.sheet("Notes", widths={1: 90})
        notes.append(["Note", "Text"], "bold")
        for n, text in enumerate(table.footnotes, start=1):
            notes.append([n, text])
        notes.append()
        notes.append(["Mark", "Meaning"], "bold")
        for mark, meaning in LEGEND:
            notes.append([mark, meaning])


def long_csv(frame: pd.DataFrame) -> str:
    """The observations in the columns of the observation format, as CSV: the text columns
    inert (a text a spreadsheet would evaluate gets ``'`` in front, see
    :mod:`nremstats.core.inert`), the number columns as they are."""
    frame = inert_frame(frame[list(OBSERVATION_COLUMNS)])
    text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" in text:  # a text holding a carriage return, which to_csv leaves unquoted
        columns = [frame[name].to_numpy(dtype=object, na_value=None) for name in frame]
        text = csv_text([list(frame.columns), *zip(*columns, strict=True)])
    return text


def long_parquet(frame: pd.DataFrame, path: Path) -> None:
    """The observations as one Parquet file with the store's schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(
        frame[list(OBSERVATION_COLUMNS)], schema=arrow_schema(), preserve_index=False
    )
    pq.write_table(table, path, compression="zstd")


TextWriter = Callable[..., str]
TABLE_TEXT: dict[str, Callable[[ComparisonTable], str]] = {"csv": table_csv, "md": table_md}
TABLE_BINARY: dict[str, Callable[[ComparisonTable, Path], None]] = {"xlsx": table_xlsx}
LONG_TEXT: dict[str, Callable[[pd.DataFrame], str]] = {"csv": long_csv}
LONG_BINARY: dict[str, Callable[[pd.DataFrame, Path], None]] = {"parquet": long_parquet}
TABLE_FORMATS = (*TABLE_TEXT, *TABLE_BINARY)
LONG_FORMATS = (*LONG_TEXT, *LONG_BINARY)


def _write(obj, fmt: str, output: Path | None, text: dict, binary: dict, what: str) -> str | None:
    if fmt in text:
        content = text[fmt](obj)
        if output is None:
            return content
        Path(output).write_text(content, encoding="utf-8")
        return None
    if fmt in binary:
        if output is None:
            raise OptionError(f"--format {fmt} writes a binary file: give -o FILE.{fmt}.")
        binary[fmt](obj, Path(output))
        return None
    known = ", ".join((*text, *binary))
    raise OptionError(f"--format {fmt}: {what} can be written as {known}.")


def export_table(table: ComparisonTable, fmt: str, output: Path | None = None) -> str | None:
    """Write a comparison table; return the text when ``output`` is None (csv, md)."""
    return _write(table, fmt, output, TABLE_TEXT, TABLE_BINARY, "a comparison table")


def export_long(frame: pd.DataFrame, fmt: str, output: Path | None = None) -> str | None:
    """Write observations in the long format; return the text when ``output`` is None."""
    return _write(frame, fmt, output, LONG_TEXT, LONG_BINARY, "the long observations")


@dataclass
class Exported:
    """What ``nremstats export`` produced: the text for standard output (None when written
    to a file) and messages for standard error."""

    text: str | None
    messages: list[str] = field(default_factory=list)


def run_export(
    store: Store,
    *,
    indicator: str | None = None,
    long: bool = False,
    fmt: str | None = None,
    prefer: str | None = None,
    output: Path | None = None,
    as_of: str | None = None,
    layout: str | None = None,
    countries: list[str] | None = None,
    structure: Structure | None = None,
    suppress_below: int | None = None,
    record: bool = True,
) -> Exported:
    """One export: a comparison table (``indicator``, after disclosure control), every
    current observation (``long``), SDMX-CSV (``fmt="sdmx-csv"``, with ``structure``), or the
    national returns in an agency's layout (``layout``). A comparison table and SDMX-CSV are
    a release (:mod:`nremstats.publish.release`): audited, then recorded in the store unless
    ``record`` is false (a draft).

    Raises:
        OptionError: not exactly one of them, or an option they cannot take.
        DisclosureRefused: the release's audit failed (nothing written).
    """
    upto = store.resolve_as_of(as_of) if as_of else None
    if fmt == "sdmx-csv":  # the SDMX and layout writers are imported only when asked for
        from nremstats.publish.sdmx import write_sdmx

        k = threshold(suppress_below)
        wanted = [indicator] if indicator else None
        release = release_from_store(store, k, prefer, upto, indicators=wanted)
        result = write_sdmx(release, structure, output)
        if record:
            release.record(store, "sdmx-csv")
        return Exported(result.text, [result.summary()])
    if long + bool(indicator) + bool(layout) != 1:
        raise OptionError(
            "Give one of --indicator CODE (comparison table), --long, --format sdmx-csv, "
            "or --layout NAME."
        )
    if layout:
        from nremstats.publish.export_layout import export_in_layout

        wanted = {c.upper() for c in countries} if countries else None
        found = export_in_layout(observations(store, upto), layout, wanted, output)
        return Exported(found.text if output is None else None, [found.summary()])
    if long:
        return Exported(export_long(observations(store, upto), fmt or "csv", output))
    k = threshold(suppress_below)
    table = comparison_table(store, indicator or "", prefer, upto)
    release = release_from_store(store, k, prefer, upto, indicators=[table.indicator])
    audit_release(release)
    table, hidden = release.table(table)
    messages = (
        [f"{hidden} count(s) under {k} shown as <{k} (--suppress-below 1 shows every count)."]
        if hidden
        else []
    )
    text = export_table(table, fmt or "csv", output)
    if record:
        release.record(store, f"table {table.indicator}", release.totals())
    return Exported(text, messages)
