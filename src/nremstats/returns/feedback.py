"""Feedback workbooks: a copy of a country's own xlsx with every finding on its cell.

Each offending cell is filled (red error, amber warning, blue info) and carries a comment
with the findings; a first sheet lists every finding with a link to its cell, each text
inert (:mod:`nremstats.core.inert`: a cell's text such as ``=1+1`` is written ``'=1+1``,
never as a formula). The received file is never modified: the copy is written to the
feedback folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nremstats.core.findings import Finding, most_severe
from nremstats.core.inert import inert_row
from nremstats.returns.results import FileResult

FILLS = {"error": "F4CCCC", "warning": "FCE5CD", "info": "CFE2F3"}
LIST_SHEET = "Findings"


def feedback_path(out_dir: Path, source: Path) -> Path:
    return Path(out_dir) / f"{source.stem}_feedback.xlsx"


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def write_feedback(result: FileResult, source: Path, out_dir: Path) -> Path | None:
    """Write the feedback workbook of one xlsx return; ``None`` for other files.

    Args:
        result: the file's result (its findings are placed on their cells).
        source: the received file (read only, never changed).
        out_dir: the feedback folder (created if needed).
    """
    from nremstats.returns.feedback_xml import Unsupported, write_feedback_xml

    if source.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = feedback_path(out_dir, source)
    try:  # the package edited part by part: seconds where openpyxl takes a minute
        write_feedback_xml(source, target, result.findings, FILLS, LIST_SHEET, _quote)
        return target
    except Unsupported:  # a package that module does not edit: openpyxl writes it
        return _write_with_openpyxl(result, source, target)


def _write_with_openpyxl(result: FileResult, source: Path, target: Path) -> Path | None:
    """The feedback copy written by openpyxl (loaded whole, then saved)."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    from nremstats.returns.feedback_xml import LIST_COLUMNS, list_row

    shutil.copyfile(source, target)
    try:
        wb = load_workbook(target)
    except Exception:  # not a workbook openpyxl can open: the list alone says it all
        target.unlink()
        return None
    wb.security = None  # the copy may get a new first sheet
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for finding in result.findings:
        if finding.sheet in wb.sheetnames:
            for cell in finding.cells or ((finding.cell,) if finding.cell else ()):
                by_cell.setdefault((finding.sheet, cell), []).append(finding)
    for (sheet, cell), findings in by_cell.items():
        worst = most_severe(findings)
        target_cell = wb[sheet][cell]
        target_cell.fill = PatternFill("solid", fgColor=FILLS[worst or "info"])
        text = "\n\n".join(f"{f.rule} ({f.severity}): {f.message}" for f in findings)
        target_cell.comment = Comment(text[:30000], "nremstats", width=420, height=220)
    ws = wb.create_sheet(LIST_SHEET, 0)
    ws.append(list(LIST_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for finding in result.findings:
        ws.append(inert_row(list_row(finding)))
        if finding.sheet in wb.sheetnames and finding.cell:
            link = ws.cell(ws.max_row, 4)
            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=f"{_quote(finding.sheet)}!{finding.cell}"
            )
            link.style = "Hyperlink"
        ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=FILLS[finding.severity])
    for column, width in zip("ABCDEF", (10, 30, 14, 8, 14, 110), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.save(target)
    return target


#: Files refused before they were opened (beyond the limits, damaged): no feedback copy.
UNOPENED = frozenset({"FILE_TOO_LARGE", "FILE_UNREADABLE"})


def write_feedback_all(results: list[FileResult], out_dir: Path) -> list[Path]:
    """Write a feedback workbook for every xlsx return of a run; return the paths written."""
    written = []
    for result in results:
        if any(f.rule in UNOPENED for f in result.findings):
            continue  # a file refused unopened is not opened to write on it either
        path = write_feedback(result, result.path or Path(result.file), Path(out_dir))
        if path is not None:
            written.append(path)
    return written
