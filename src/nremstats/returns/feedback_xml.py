"""The feedback workbook written by editing the package, not by loading it: fast on large
files (the GLOTIP export's 626,000 cells in seconds, where openpyxl takes most of a minute
to read and write them) and faithful (every part it does not touch is copied as it was).

What it changes, as :mod:`nremstats.returns.feedback` describes: ``styles.xml`` gains the
three fills and, for each style an offending cell had, a copy of it with the fill; each
offending cell's ``s`` attribute names that copy (a blank cell is written, in its row, in
column order); each sheet with findings gains a comments part and its VML drawing (the
notes Excel and LibreOffice show), with their relationships; a ``Findings`` sheet (inline
strings, links to the cells) becomes the first, active sheet (``localSheetId`` of the
defined names moved by one). A package this does not know how to edit safely (a sheet
with comments already, styles without ``cellXfs``, a strict OOXML file) raises
:class:`Unsupported`, and the caller writes the copy with openpyxl instead.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from html import escape
from pathlib import Path, PurePosixPath

from nremstats.core.findings import Finding
from nremstats.core.inert import inert

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
#: What may follow ``legacyDrawing`` in a worksheet (CT_Worksheet's order).
AFTER_LEGACY = ("<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects", "<controls",
                "<webPublishItems", "<tableParts", "<extLst", "</worksheet>")  # fmt: skip
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(/?)>')
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(/?)>')
_STYLE = re.compile(rb'\bs="(\d+)"')


#: The columns of the Findings sheet.
LIST_COLUMNS = ("severity", "rule", "sheet", "cell", "text", "message")


def list_row(finding: Finding) -> list[str | None]:
    """A finding as a row of the Findings sheet (:data:`LIST_COLUMNS`)."""
    return [
        finding.severity,
        finding.rule,
        finding.sheet,
        finding.cell,
        finding.text,
        finding.message,
    ]


class Unsupported(Exception):
    """A package this module does not edit (the caller falls back to openpyxl)."""


def text(value: object) -> str:
    """A value as XML text: escaped, what XML cannot carry written ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", escape(str(value), quote=True))


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _split(ref: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if match is None:
        raise Unsupported(f"cell {ref}")
    return match[1], int(match[2])


class _Styles:
    """``styles.xml`` with the fills added and the styles copied with them."""

    def __init__(self, xml: str, fills: dict[str, str]) -> None:
        fills_at = re.search(r"<fills\b[^>]*>(.*?)</fills>", xml, re.S)
        xfs_at = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
        fonts_at = re.search(r"<fonts\b[^>]*>(.*?)</fonts>", xml, re.S)
        if not (fills_at and xfs_at and fonts_at):
            raise Unsupported("styles without fills, fonts or cellXfs")
        self.xml = xml
        count = len(re.findall(r"<fill\b", fills_at[1]))
        self.fill_id = {sev: count + n for n, sev in enumerate(fills)}
        self.new_fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
            for rgb in fills.values()
        )
        self.xfs = re.findall(r"<xf\b[^>]*/>|<xf\b[^>]*>.*?</xf>", xfs_at[1], re.S)
        self.bold_font = len(re.findall(r"<font\b", fonts_at[1]))
        self.added: list[str] = []
        self.copies: dict[tuple[int, str], int] = {}

    def filled(self, base: int, severity: str) -> int:
        """The index of style ``base`` with the fill of ``severity``."""
        key = (base, severity)
        if key not in self.copies:
            xf = self.xfs[base] if base < len(self.xfs) else self.xfs[0]
            xf = re.sub(r'\s(fillId|applyFill)="[^"]*"', "", xf)
            fill = self.fill_id[severity]
            xf = re.sub(r"^<xf\b", f'<xf fillId="{fill}" applyFill="1"', xf)
            self.copies[key] = len(self.xfs) + len(self.added)
            self.added.append(xf)
        return self.copies[key]

    def bold(self) -> int:
        """A style of bold text (the Findings header)."""
        key = (-1, "bold")
        if key not in self.copies:
            self.copies[key] = len(self.xfs) + len(self.added)
            self.added.append(
                f'<xf numFmtId="0" fontId="{self.bold_font}" fillId="0" borderId="0" xfId="0" '
                'applyFont="1"/>'
            )
        return self.copies[key]

    def write(self) -> str:
        xml = self.xml
        xml = re.sub(
            r"(<fills\b[^>]*>)(.*?)</fills>",
            lambda m: (
                _recount(m[1], len(self.fill_id) + len(re.findall(r"<fill\b", m[2])))
                + m[2]
                + self.new_fills
                + "</fills>"
            ),
            xml,
            count=1,
            flags=re.S,
        )
        xml = re.sub(
            r"(<fonts\b[^>]*>)(.*?)</fonts>",
            lambda m: (
                _recount(m[1], self.bold_font + 1)
                + m[2]
                + '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            ),
            xml,
            count=1,
            flags=re.S,
        )
        return re.sub(
            r"(<cellXfs\b[^>]*>)(.*?)</cellXfs>",
            lambda m: (
                _recount(m[1], len(self.xfs) + len(self.added))
                + m[2]
                + "".join(self.added)
                + "</cellXfs>"
            ),
            xml,
            count=1,
            flags=re.S,
        )


def _recount(tag: str, count: int) -> str:
    if 'count="' in tag:
        return re.sub(r'count="\d+"', f'count="{count}"', tag, count=1)
    return tag[:-1] + f' count="{count}">'


def _mark_cells(
    xml: bytes, marks: dict[tuple[str, int], str], filled: Callable[[int, str], int]
) -> bytes:
    """The sheet XML with each cell of ``marks`` (column, row -> severity) given its style
    filled (``filled(base style, severity)``), written where it is blank; only the rows
    concerned are rewritten."""
    rows: dict[int, dict[str, str]] = {}
    for (col, row), severity in marks.items():
        rows.setdefault(row, {})[col] = severity
    start = xml.find(b"<sheetData")
    if start < 0:
        raise Unsupported("no sheetData")
    opened = xml.index(b">", start)
    if xml[opened - 1 : opened] == b"/":  # <sheetData/>: no row at all
        xml = xml[:start] + b"<sheetData></sheetData>" + xml[opened + 1 :]
    end = xml.rfind(b"</sheetData>")
    out, at, pending = [], 0, sorted(rows)

    def mark(body: bytes, row: int) -> bytes:
        return _mark_row(body, row, rows[row], filled)

    for match in _ROW.finditer(xml, start, end):
        number = int(match[1])
        while pending and pending[0] < number:  # rows not in the file: written
            row = pending.pop(0)
            out += [xml[at : match.start()], f'<row r="{row}">'.encode(), mark(b"", row), b"</row>"]
            at = match.start()
        if not pending or pending[0] != number:
            continue
        pending.pop(0)
        if match[2]:  # <row .../>: empty
            close = match.end()
            body = b""
            head = xml[match.start() : match.end() - 2] + b">"
        else:
            close = xml.index(b"</row>", match.end()) + len(b"</row>")
            body = xml[match.end() : close - len(b"</row>")]
            head = xml[match.start() : match.end()]
        out += [xml[at : match.start()], head, mark(body, number), b"</row>"]
        at = close
    tail = [f'<row r="{row}">'.encode() + mark(b"", row) + b"</row>" for row in pending]
    out += [xml[at:end], *tail, xml[end:]]
    return b"".join(out)


def _mark_row(
    body: bytes, row: int, wanted: dict[str, str], filled: Callable[[int, str], int]
) -> bytes:
    """A row's cells, those ``wanted`` (column -> severity) styled, the blank ones added in
    column order."""
    missing = sorted(wanted, key=column_number)

    def blank(col: str) -> bytes:
        return f'<c r="{col}{row}" s="{filled(0, wanted[col])}"/>'.encode()

    out, at = [], 0
    for match in _CELL.finditer(body):
        col = match[1].decode()
        number = column_number(col)
        while missing and column_number(missing[0]) < number:
            out += [body[at : match.start()], blank(missing.pop(0))]
            at = match.start()
        if col not in wanted:
            continue
        if missing and missing[0] == col:
            missing.pop(0)
        tag = match[0]
        found = _STYLE.search(tag)
        style = f's="{filled(int(found[1]) if found else 0, wanted[col])}"'.encode()
        new = (
            _STYLE.sub(style, tag, count=1)
            if found
            else tag.replace(b"<c ", b"<c " + style + b" ", 1)
        )
        out += [body[at : match.start()], new]
        at = match.end()
    out.append(body[at:])
    out += [blank(col) for col in missing]
    return b"".join(out)


def _comments(notes: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{text(body)}</t>'
        "</text></comment>"
        for ref, body in notes
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}">'
        f"<authors><author>nremstats</author></authors><commentList>{items}</commentList>"
        "</comments>"
    )


def _vml(notes: list[tuple[str, str]]) -> str:
    """The VML shapes of the notes (what Excel and LibreOffice draw a comment with)."""
    shapes = []
    for n, (ref, _) in enumerate(notes):
        col, row = _split(ref)
        c, r = column_number(col) - 1, row - 1
        shapes.append(
            f'<v:shape id="_x0000_s{1025 + n}" type="#_x0000_t202" style="position:absolute;'
            f"margin-left:60pt;margin-top:2pt;width:315pt;height:165pt;z-index:{n + 1};"
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{c + 1}, 15, {r}, 2, {c + 6}, 15, {r + 12}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{r}</x:Row><x:Column>{c}</x:Column>"
            "</x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _findings_sheet(
    findings: list[Finding], sheets: set[str], styles: _Styles, quote: Callable[[str], str]
) -> str:
    """The Findings sheet: a row a finding (inline strings), a link to its cell."""
    header = LIST_COLUMNS
    bold = styles.bold()
    rows = [
        '<row r="1">'
        + "".join(
            f'<c r="{col}1" t="inlineStr" s="{bold}"><is><t>{name}</t></is></c>'
            for col, name in zip("ABCDEF", header, strict=True)
        )
        + "</row>"
    ]
    links = []
    for n, finding in enumerate(findings, start=2):
        values = list_row(finding)
        cells = []
        for col, value in zip("ABCDEF", values, strict=True):
            if value is None or value == "":
                continue
            style = f' s="{styles.filled(0, finding.severity)}"' if col == "A" else ""
            cells.append(
                f'<c r="{col}{n}" t="inlineStr"{style}><is><t xml:space="preserve">'
                f"{text(inert(str(value)))}</t></is></c>"
            )
        rows.append(f'<row r="{n}">' + "".join(cells) + "</row>")
        if finding.sheet in sheets and finding.cell:
            where = text(f"{quote(finding.sheet)}!{finding.cell}")
            links.append(
                f'<hyperlink ref="D{n}" location="{where}" display="{text(finding.cell)}"/>'
            )
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate((10, 30, 14, 8, 14, 110), start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
        f'xmlns:r="{REL}"><sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        f"</sheetView></sheetViews><cols>{widths}</cols><sheetData>{''.join(rows)}</sheetData>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + "</worksheet>"
    )


def _attrs(tag: str) -> dict[str, str]:
    from html import unescape

    return {k: unescape(v) for k, v in re.findall(r'([\w:]+)="([^"]*)"', tag)}


def _resolve(base: str, target: str) -> str:
    """A relationship's target as a part name (``base``: the folder of the part it is of)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in f"{base}/{target}".split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _relative(source: str, target: str) -> str:
    up = len(PurePosixPath(source).parent.parts)
    return "../" * up + target if up else target


def _rels_file(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / f"{path.name}.rels")


def _add_rels(rels: str | None, entries: list[tuple[str, str, str]]) -> str:
    """A relationships part with ``entries`` (id, type, target) added."""
    if rels is None:
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        rels = f'{head}<Relationships xmlns="{PKG_REL}"></Relationships>'
    added = "".join(
        f'<Relationship Id="{rid}" Type="{REL}/{kind}" Target="{text(target)}"/>'
        for rid, kind, target in entries
    )
    if "</Relationships>" not in rels:
        raise Unsupported("relationships")
    return rels.replace("</Relationships>", added + "</Relationships>", 1)


def write_feedback_xml(
    source: Path,
    target: Path,
    findings: list[Finding],
    fills: dict[str, str],
    list_sheet: str,
    quote: Callable[[str], str],
) -> None:
    """Write the feedback copy of ``source`` to ``target`` (see module docstring).

    Raises:
        Unsupported: a package this module does not edit (nothing is written).
    """
    with zipfile.ZipFile(source) as zin:
        package = _Package(zin, fills)
        by_cell: dict[tuple[str, str], list[Finding]] = {}
        for finding in findings:
            if finding.sheet in package.sheets:
                for cell in finding.cells or ((finding.cell,) if finding.cell else ()):
                    by_cell.setdefault((finding.sheet, cell), []).append(finding)
        for n, (sheet, part) in enumerate(sorted(package.sheets.items()), start=1):
            marks = {k[1]: v for k, v in by_cell.items() if k[0] == sheet}
            package.mark_sheet(n, sheet, part, marks)
        package.add_list(list_sheet, findings, quote)
        package.save(target)


class _Package:
    """The parts of a workbook being edited: those read, those written anew."""

    def __init__(self, zin: zipfile.ZipFile, fills: dict[str, str]) -> None:
        self.zin, self.read = zin, zin.read
        self.names = set(zin.namelist())
        if "xl/workbook.xml" not in self.names or "xl/_rels/workbook.xml.rels" not in self.names:
            raise Unsupported("no workbook part where expected")
        self.workbook = self.read("xl/workbook.xml").decode("utf-8")
        if "purl.oclc.org/ooxml" in self.workbook or f'xmlns:r="{REL}"' not in self.workbook:
            raise Unsupported("strict OOXML or another prefix")
        self.book_rels = self.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        self.types = self.read("[Content_Types].xml").decode("utf-8")
        tags = re.findall(r"<Relationship\b[^>]*>", self.book_rels)
        self.rel_of = {a["Id"]: a for a in map(_attrs, tags)}
        styles = [r for r in self.rel_of.values() if r.get("Type", "").endswith("/styles")]
        if len(styles) != 1:
            raise Unsupported("no styles part")
        self.styles_part = _resolve("xl", styles[0]["Target"])
        self.styles = _Styles(self.read(self.styles_part).decode("utf-8"), fills)
        self.sheets: dict[str, str] = {}
        for tag in re.findall(r"<sheet\b[^>]*>", self.workbook):
            found = _attrs(tag)
            rel = self.rel_of.get(found.get("r:id", ""))
            if rel is None:
                raise Unsupported("a sheet without its relationship")
            self.sheets[found["name"]] = _resolve("xl", rel["Target"])
        self.written: dict[str, bytes] = {}
        self.overrides: list[tuple[str, str]] = []

    def mark_sheet(self, n: int, sheet: str, part: str, marks: dict[str, list[Finding]]) -> None:
        """Fill the offending cells of a sheet and give them notes; unselect its tab."""
        from nremstats.core.findings import most_severe

        xml = self.read(part)
        head_end = xml.find(b"<sheetData")
        if b'tabSelected="1"' in xml[:head_end]:
            xml = xml[:head_end].replace(b'tabSelected="1"', b'tabSelected="0"') + xml[head_end:]
            self.written[part] = xml
        if not marks:
            return
        if b"<legacyDrawing" in xml:
            raise Unsupported(f"sheet {sheet} has comments already")
        cells = {_split(ref): most_severe(items) or "info" for ref, items in marks.items()}
        xml = _mark_cells(xml, cells, self.styles.filled)
        order = sorted(marks, key=lambda ref: (_split(ref)[1], column_number(_split(ref)[0])))
        notes = [
            (ref, "\n\n".join(f"{f.rule} ({f.severity}): {f.message}" for f in marks[ref]))
            for ref in order
        ]
        notes = [(ref, body[:30000]) for ref, body in notes]
        comments = f"xl/comments_nremstats{n}.xml"
        vml = f"xl/drawings/vmlDrawing_nremstats{n}.vml"
        rels_part = _rels_file(part)
        old = self.read(rels_part).decode("utf-8") if rels_part in self.names else None
        entries = [
            ("rIdNremstatsComments", "comments", _relative(part, comments)),
            ("rIdNremstatsVml", "vmlDrawing", _relative(part, vml)),
        ]
        self.written[rels_part] = _add_rels(old, entries).encode("utf-8")
        tail = xml.rfind(b"</sheetData>")
        at = min(i for i in (xml.find(t.encode(), tail) for t in AFTER_LEGACY) if i >= 0)
        declared = f'xmlns:r="{REL}"'.encode() in xml[:head_end]
        prefix = b"" if declared else f' xmlns:r="{REL}"'.encode()
        xml = xml[:at] + b"<legacyDrawing" + prefix + b' r:id="rIdNremstatsVml"/>' + xml[at:]
        self.written[part] = xml
        self.written[comments] = _comments(notes).encode("utf-8")
        self.written[vml] = _vml(notes).encode("utf-8")
        self.overrides.append((comments, COMMENTS_TYPE))

    def add_list(self, wanted: str, findings: list[Finding], quote: Callable[[str], str]) -> None:
        """The Findings sheet, first and active (defined names of the others moved by one)."""
        name = wanted
        while name in self.sheets:
            name = f"{wanted}{len(name) - len(wanted) + 1}"
        part = "xl/worksheets/sheet_nremstats_findings.xml"
        sheet = _findings_sheet(findings, set(self.sheets), self.styles, quote)
        self.written[part] = sheet.encode("utf-8")
        self.overrides.append((part, SHEET_TYPE))
        target = "worksheets/sheet_nremstats_findings.xml"
        self.book_rels = _add_rels(self.book_rels, [("rIdNremstatsFindings", "worksheet", target)])
        book = self.workbook
        ids = [int(i) for i in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', book)]
        entry = (
            f'<sheet name="{text(name)}" sheetId="{max(ids, default=0) + 1}" '
            'r:id="rIdNremstatsFindings"/>'
        )
        book = book.replace("<sheets>", "<sheets>" + entry, 1)
        book = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m[1]) + 1}"', book)
        book = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", book)
        self.workbook = re.sub(r"<workbookView\b", '<workbookView activeTab="0"', book, count=1)

    def save(self, target: Path) -> None:
        """Write the package: every part as it was but those written anew; the calculation
        chain left out (the spreadsheet rebuilds it, as openpyxl leaves it out)."""
        calc = [r for r in self.rel_of.values() if r.get("Type", "").endswith("/calcChain")]
        rels, types = self.book_rels, self.types
        for rel in calc:
            rels = re.sub(rf'<Relationship\b[^>]*Id="{rel["Id"]}"[^>]*/>', "", rels)
        dropped = {_resolve("xl", r["Target"]) for r in calc}
        for part in dropped:
            types = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", types)
        added = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in self.overrides)
        if 'Extension="vml"' not in types:
            added += f'<Default Extension="vml" ContentType="{VML_TYPE}"/>'
        written = dict(self.written)
        written["[Content_Types].xml"] = types.replace("</Types>", added + "</Types>", 1).encode()
        written["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
        written["xl/workbook.xml"] = self.workbook.encode("utf-8")
        written[self.styles_part] = self.styles.write().encode("utf-8")
        tmp = target.with_name(f".tmp-{target.name}")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
                for info in self.zin.infolist():
                    if info.filename not in dropped:
                        data = written.pop(info.filename, None)
                        zout.writestr(info.filename, data or self.read(info.filename))
                for part, data in written.items():
                    zout.writestr(part, data)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
