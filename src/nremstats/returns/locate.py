"""Find the figures in a received file: template grids or canonical CSV columns.

The result is a :class:`~nremstats.returns.located.Located` table of *texts* (nothing parsed
yet) with the place of every value (sheet, A1 cell, source row) and the place of every field,
so later stages can point a finding at the exact cell. Structural problems become findings
here.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.findings import finding
from nremstats.core.model import TOTAL
from nremstats.returns import integrity
from nremstats.returns.located import (
    OPTIONAL_CSV,
    REQUIRED_CSV,
    TEXT_FIELDS,
    Located,
    a1,
    column_letter,
    constant_column,
    text_at,
)
from nremstats.returns.read import Source
from nremstats.template.grid import (
    MARKER_PREFIX,
    METADATA_MARKER,
    GridLayout,
    metadata_rows,
    sheet_layouts,
)

if TYPE_CHECKING:
    import pandas as pd


def locate(
    source: Source, *, ignore_unknown_columns: bool = False, country: str | None = None
) -> Located:
    """Locate the figures of a received file (template workbook or canonical CSV).

    ``ignore_unknown_columns`` turns a CSV's unknown columns from errors into info findings;
    ``country`` confirms the country of a template whose names disagree (``--country``).
    """
    if source.kind == "csv":
        return locate_csv(source, ignore_unknown_columns=ignore_unknown_columns)
    return locate_template(source, country)


# --- canonical long CSV -------------------------------------------------------------------


def _layout_hint() -> str:
    return (
        f" It matches none of the known layouts ({', '.join(codes.layout_names())}) either: if it "
        "has one of them, choose it with --layout NAME; otherwise draft a layout file with "
        "'nremstats map FILE -o my-layout.yaml', check it (docs/layouts.md) and pass "
        "--layout my-layout.yaml."
    )


def read_csv_text(text: str) -> pd.DataFrame:
    """Read CSV text with every field as text ('' when empty), one row per line after the
    header, so that row i is line i + 2.

    pyarrow's reader is 4-5x faster than pandas' own; files it cannot take with that
    guarantee (blank lines, repeated column names) go through pandas' reader, keeping blank
    lines as rows.
    """
    import csv

    import pandas as pd

    first = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first]), [])
    blank_lines = "\n\n" in text or "\n\r\n" in text
    if header and len(set(header)) == len(header) and not blank_lines:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        try:
            table = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise ValueError(str(exc).replace("CSV parse error: ", "")) from None
        return table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    return pd.read_csv(
        io.StringIO(text),
        dtype="string",
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
    )


def locate_csv(source: Source, *, ignore_unknown_columns: bool = False) -> Located:
    """Read a canonical long CSV: required and optional columns, any order, all as text."""
    import pandas as pd

    name = source.name
    first = source.text().split("\n", 1)[0]
    if ";" in first and set(REQUIRED_CSV) <= {c.strip().strip('"') for c in first.split(";")}:
        message = (
            f"{name} is semicolon-separated (as a spreadsheet writes CSV where the comma is "
            "the decimal mark): the canonical CSV is comma-separated. Nothing was read, since "
            "its numbers may use a decimal comma or a thousands point. Save it as 'CSV UTF-8 "
            "(comma delimited)', check the figures, and send it again."
        )
        problem = finding("FILE_UNREADABLE", name, message, cell="A1", row=1)
        return Located(name, "csv", None, [problem])
    try:
        frame = read_csv_text(source.text())
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        message = f"{name} cannot be read as CSV ({exc}). Check quoting and separators (commas)."
        return Located(name, "csv", None, [finding("FILE_UNREADABLE", name, message)])
    frame.columns = [str(c).strip() for c in frame.columns]
    letters = {col: column_letter(i) for i, col in enumerate(frame.columns)}
    missing = [col for col in REQUIRED_CSV if col not in frame.columns]
    if len(missing) == len(REQUIRED_CSV):
        message = (
            f"{name} is not a canonical long CSV: none of its columns "
            f"({', '.join(frame.columns[:8])}{', ...' if len(frame.columns) > 8 else ''}) is a "
            f"column of the observation format. The header row must name: "
            f"{', '.join(REQUIRED_CSV)} (and optionally {', '.join(OPTIONAL_CSV)})."
            + _layout_hint()
        )
        problem = finding("STRUCTURE_MISSING_COLUMN", name, message, cell="A1", row=1)
        return Located(name, "csv", None, [problem], rows_seen=len(frame))
    unknown_rule = (
        "STRUCTURE_IGNORED_COLUMN" if ignore_unknown_columns else ("STRUCTURE_UNKNOWN_COLUMN")
    )
    findings = [
        finding(
            unknown_rule,
            name,
            f"Column '{col}' is not a column of the observation format"
            + (
                "; ignored as asked (--ignore-unknown-columns)."
                if ignore_unknown_columns
                else f". Rename it to one of: {', '.join(TEXT_FIELDS)}; remove it; or pass "
                "--ignore-unknown-columns."
            ),
            cell=f"{letters[col]}1",
            row=1,
            text=col,
        )
        for col in frame.columns
        if col not in TEXT_FIELDS
    ]
    if missing:
        findings.append(
            finding(
                "STRUCTURE_MISSING_COLUMN",
                name,
                f"Required column(s) {', '.join(missing)} missing. Add them to the header row "
                f"(line 1); required: {', '.join(REQUIRED_CSV)}.",
                row=1,
            )
        )
    if missing or not ignore_unknown_columns and findings:
        return Located(name, "csv", None, findings, rows_seen=len(frame))
    for col in OPTIONAL_CSV:
        if col not in frame.columns:
            frame[col] = constant_column(None, frame.index)
    records = frame[list(TEXT_FIELDS)].copy()
    records["row"] = pd.RangeIndex(2, len(frame) + 2)
    if (frame.iloc[:, 0] == "").any():  # blank lines kept for numbering, then dropped
        records = records[(frame != "").any(axis=1).to_numpy()]
    records["sheet"] = ""
    records["cell"] = letters["value"] + records["row"].astype(str)
    if records.empty:
        findings.append(finding("STRUCTURE_EMPTY", name, f"{name} has a header but no rows."))
    field_cells: dict[str, str | tuple[str, str]] = {
        col: letters[col] for col in TEXT_FIELDS if col in letters
    }
    return Located(name, "csv", records, findings, field_cells=field_cells)


# --- template workbook ----------------------------------------------------------------------


def is_template(source: Source) -> bool:
    """True when a workbook has any sheet marked as a template sheet."""
    return bool(_marked_sheets(source))


def is_canonical_csv(source: Source) -> bool:
    """True when a CSV's first line names most columns of the observation format (a file
    naming few of them is left to the layouts, then reported as a canonical CSV)."""
    import csv

    first = source.text().split("\n", 1)[0]
    names = {name.strip() for name in next(csv.reader([first]), [])}
    return len(names & set(REQUIRED_CSV)) >= len(REQUIRED_CSV) // 2


def _marked_sheets(source: Source) -> dict[str, str]:
    """{marker: the sheet carrying it} (the first, when several carry one)."""
    return {marker: sheets[0] for marker, sheets in _markers(source).items()}


def _markers(source: Source) -> dict[str, list[str]]:
    marked: dict[str, list[str]] = {}
    for sheet in source.sheets:
        rows = source.head(sheet, 1)
        if rows and rows[0] and rows[0][0].startswith(MARKER_PREFIX):
            marked.setdefault(rows[0][0], []).append(sheet)
    return marked


def _read_metadata(source: Source, sheet: str, located: Located) -> None:
    rows = source.sheets[sheet]
    for key, row in metadata_rows().items():
        located.metadata[key] = text_at(rows, row, 3)
        located.field_cells[key] = (sheet, a1(row, 3))
    version = located.metadata.get("template_version", "")
    readable = [str(v) for v in codes.template_spec()["readable_versions"]]
    sheet_, cell = located.field_cells["template_version"]  # type: ignore[misc]
    if version not in readable:
        located.findings.append(
            finding(
                "STRUCTURE_TEMPLATE_VERSION",
                located.file,
                f"Template version '{version}' is not one this release reads "
                f"({', '.join(readable)}). Fill a new template: nremstats template --country "
                "ISO3 --year YYYY.",
                sheet=sheet_,
                cell=cell,
                text=version,
            )
        )
    located.template_version = version


def _asked(grid: GridLayout, row_index: int, col_index: int, code: str | None) -> bool:
    """The template asks for every total: the Total column, and a grid's Total row."""
    if code is None:
        return False
    return col_index == 0 or (row_index == 0 and code == TOTAL)


def _grid_records(
    rows: list[list[str]], sheet: str, indicator: str, grid, out: list, blanks: list
) -> None:
    for row_index, (row, code) in enumerate(grid.rows):
        code_text = text_at(rows, row, grid.label_col) if code is None else code
        note = text_at(rows, row, grid.note_col)
        for col_index, (col, col_code) in enumerate(grid.cols):
            text = text_at(rows, row, col)
            if not text:
                if _asked(grid, row_index, col_index, code):
                    blanks.append((sheet, indicator, a1(row, col)))
                continue
            dims = grid.dims(code_text, col_code)
            out.append(
                {
                    **dict.fromkeys(TEXT_FIELDS, ""),
                    "indicator": indicator,
                    **dims,
                    "value": text,
                    "note": note,
                    "sheet": sheet,
                    "cell": a1(row, col),
                    "row": row,
                    "citizenship_cell": a1(row, grid.label_col) if code is None else "",
                }
            )


def locate_template(source: Source, confirmed: str | None = None) -> Located:
    """Read a filled return template: metadata, then every grid of every indicator sheet,
    after the checks of :mod:`nremstats.returns.integrity` (``confirmed``: the country the
    user says the file is from, ``--country``)."""
    import pandas as pd

    name = source.name
    located = Located(name, "xlsx", None)
    marked = _marked_sheets(source)
    if METADATA_MARKER not in marked:
        located.findings.append(
            finding(
                "STRUCTURE_NOT_TEMPLATE",
                name,
                f"{name} is not an nremstats return template (no metadata sheet marked "
                f"'{METADATA_MARKER}' in cell A1; sheets: {', '.join(source.sheets)}). "
                "Ask the sender to fill the template made by 'nremstats template', or convert "
                "the figures to the canonical long CSV." + _layout_hint(),
            )
        )
        return located
    located.findings += integrity.duplicates(source, _markers(source))
    if located.findings:  # which sheet holds the figures? the file cannot say
        return located
    _read_metadata(source, marked[METADATA_MARKER], located)
    if located.findings:
        return located
    located.findings += integrity.hidden_sheets(source, marked)
    country = located.metadata.get("country", "")
    if country or confirmed:
        located.findings += integrity.country_check(source, marked, country, confirmed)
    out: list[dict[str, object]] = []
    for layout in sheet_layouts():
        if layout.marker not in marked:
            located.findings.append(
                finding(
                    "STRUCTURE_MISSING_SHEET",
                    name,
                    f"The sheet for {layout.indicator} (marked '{layout.marker}' in A1) is "
                    "missing. Fill a fresh template rather than deleting or copying sheets.",
                )
            )
            continue
        sheet = marked[layout.marker]
        changes = integrity.grid_changes(source, sheet, layout)
        located.findings += changes
        if any(f.rule == "STRUCTURE_GRID_CHANGED" for f in changes):
            continue  # its figures would be filed under other categories
        for grid in layout.grids:
            _grid_records(
                source.sheets[sheet], sheet, layout.indicator, grid, out, located.blank_cells
            )
    records = pd.DataFrame(out, columns=[*TEXT_FIELDS, "sheet", "cell", "row", "citizenship_cell"])
    records["row"] = records["row"].astype("int64")
    for key in ("country", "year", "definition"):
        records[key] = located.metadata.get(key, "")
    if records.empty and not located.findings:
        located.findings.append(
            finding(
                "STRUCTURE_EMPTY",
                name,
                f"{name} holds no figure: every input cell is blank. Fill the yellow cells.",
            )
        )
    located.records = records
    return located
