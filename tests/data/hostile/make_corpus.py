"""Write the hostile input corpus of tests/test_hostile.py (issue 15), deterministically.

Run from the repository root with the project's interpreter:

    .venv/bin/python tests/data/hostile/make_corpus.py

Every workbook starts from a filled return (sample_data/NLD_2023_en.xlsx), changed with
openpyxl the way a ministry would change it, or at the zip/XML level the way a damaged or
crafted file arrives; every CSV starts from the canonical sample
(sample_data/DEU_2021-2023_canonical.csv). Zip entries carry a fixed date and the document
properties a fixed time, so running the script twice gives the same bytes. README.md lists
each case, what it attacks and the outcome the issue demands.

Some cases need a file name that does not travel well in git (bytes that are not UTF-8, a
leading tab or carriage return): their content is written here under a plain name and the
test copies it under the hostile name at run time.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
SAMPLE_XLSX = ROOT / "sample_data" / "NLD_2023_en.xlsx"
SAMPLE_CSV = ROOT / "sample_data" / "DEU_2021-2023_canonical.csv"

FIXED_DATE = (2024, 1, 1, 0, 0, 0)
FIXED_TIME = "2024-01-01T00:00:00Z"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = "country,year,indicator,sex,age,exploitation,citizenship,value"

Parts = list[tuple[str, bytes]]


# ---------------------------------------------------------------------------------------
# zip and workbook helpers


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _normalise_core(data: bytes) -> bytes:
    text = data.decode("utf-8")
    for tag in ("created", "modified"):
        text = re.sub(
            rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{FIXED_TIME}\g<2>", text
        )
    return text.encode("utf-8")


def read_parts(data: bytes) -> Parts:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def write_parts(path: Path, parts: Parts) -> None:
    with zipfile.ZipFile(path, "w", compresslevel=6) as archive:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = _normalise_core(data)
            archive.writestr(_info(name), data)


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def save(wb: openpyxl.Workbook, path: Path) -> None:
    write_parts(path, read_parts(workbook_bytes(wb)))


def load_sample() -> openpyxl.Workbook:
    return openpyxl.load_workbook(SAMPLE_XLSX)


def get(parts: Parts, name: str) -> bytes:
    return dict(parts)[name]


def put(parts: Parts, name: str, data: bytes) -> Parts:
    """``parts`` with ``name`` replaced by ``data`` (appended when absent)."""
    if any(n == name for n, _ in parts):
        return [(n, data if n == name else d) for n, d in parts]
    return [*parts, (name, data)]


def sheet_part(parts: Parts, title: str) -> str:
    """The zip path of the worksheet titled ``title``."""
    workbook = get(parts, "xl/workbook.xml").decode()
    rels = get(parts, "xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(title)}"[^>]*r:id="(rId\d+)"', workbook).group(1)
    target = re.search(rf'Target="([^"]+)" Id="{rid}"', rels).group(1)
    return target.lstrip("/")


def edit(parts: Parts, name: str, change: Callable[[str], str]) -> Parts:
    before = get(parts, name).decode("utf-8")
    after = change(before)
    assert after != before, f"no change made to {name}"
    return put(parts, name, after.encode("utf-8"))


def add_content_type(parts: Parts, xml: str) -> Parts:
    return edit(parts, "[Content_Types].xml", lambda t: t.replace("</Types>", xml + "</Types>"))


def add_workbook_rel(parts: Parts, rid: str, rel_type: str, target: str) -> Parts:
    rel = f'<Relationship Type="{rel_type}" Target="{target}" Id="{rid}" />'
    return edit(
        parts,
        "xl/_rels/workbook.xml.rels",
        lambda t: t.replace("</Relationships>", rel + "</Relationships>"),
    )


def to_shared_strings(parts: Parts) -> Parts:
    """Store every inline string in a shared string table, as Excel saves a workbook."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def share(match: re.Match) -> str:
        attrs, text = match.group(1), match.group(2)
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c{attrs} t="s"><v>{index[text]}</v></c>'

    cell = re.compile(r'<c([^>]*?) t="inlineStr"><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S)
    out: Parts = []
    for name, data in parts:
        if name.startswith("xl/worksheets/sheet"):
            data = cell.sub(share, data.decode("utf-8")).encode("utf-8")
        out.append((name, data))
    items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
    table = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        f"{items}</sst>"
    )
    out.append(("xl/sharedStrings.xml", table.encode("utf-8")))
    out = add_content_type(
        out,
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" />',
    )
    return add_workbook_rel(out, "rIdSST", f"{REL_NS}/sharedStrings", "/xl/sharedStrings.xml")


def sample_parts() -> Parts:
    return read_parts(workbook_bytes(load_sample()))


def number_cells(ws) -> list:
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]


# ---------------------------------------------------------------------------------------
# workbooks


def control_xlsx(path: Path) -> None:
    save(load_sample(), path)


def control_shared_strings(path: Path) -> None:
    write_parts(path, to_shared_strings(sample_parts()))


def _hidden_copy(before: bool) -> openpyxl.Workbook:
    wb = load_sample()
    copy = wb.copy_worksheet(wb["Victims"])
    copy.title = "Victims (old)"
    copy.sheet_state = "hidden"
    for cell in number_cells(copy):
        cell.value = cell.value + 7000
    copy["C5"] = 8042
    if before:
        wb.move_sheet(copy, offset=wb.index(wb["Victims"]) - wb.index(copy))
    return wb


def marker_twice_hidden_after(path: Path) -> None:
    save(_hidden_copy(before=False), path)


def marker_twice_hidden_before(path: Path) -> None:
    save(_hidden_copy(before=True), path)


def marker_twice_visible(path: Path) -> None:
    wb = load_sample()
    copy = wb.copy_worksheet(wb["Victims"])
    copy.title = "Victims 2"
    for cell in number_cells(copy):
        cell.value = cell.value * 2
    copy["C5"] = 2084
    save(wb, path)


def metadata_veryhidden_bel(path: Path) -> None:
    wb = load_sample()
    copy = wb.copy_worksheet(wb["Metadata"])
    copy.title = "Metadata (BEL)"
    copy["C3"] = "BEL"
    copy.sheet_state = "veryHidden"
    save(wb, path)


def country_contradicted(path: Path) -> None:
    wb = load_sample()
    wb["Metadata"]["C3"] = "BEL"
    save(wb, path)


def thousand_dot_text(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["C5"] = "1.042"
    save(wb, path)


def decimal_comma_text(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["D6"] = "267,5"
    wb["Victims"]["E6"] = "381,0"
    save(wb, path)


def grid_row_deleted(path: Path) -> None:
    wb = load_sample()
    wb["Victims"].delete_rows(7)  # the row of men: every row below moves up
    save(wb, path)


def grid_row_inserted(path: Path) -> None:
    wb = load_sample()
    ws = wb["Victims"]
    ws.insert_rows(6)  # a row of the ministry's own between Total and Female
    for ref, value in {"B6": "Transgender", "C6": 4, "D6": 1, "E6": 3, "F6": 0}.items():
        ws[ref] = value
    save(wb, path)


def grid_row_moved(path: Path) -> None:
    wb = load_sample()
    ws = wb["Victims"]
    for column in "BCDEFG":  # the rows of women and men swapped, labels with them
        ws[f"{column}6"].value, ws[f"{column}7"].value = (
            ws[f"{column}7"].value,
            ws[f"{column}6"].value,
        )
    save(wb, path)


def grid_column_inserted(path: Path) -> None:
    wb = load_sample()
    ws = wb["Victims"]
    ws.insert_cols(4)  # "Children under 12" before "Children (0-17)"
    ws["D4"] = "Children under 12"
    for row, value in zip(range(5, 10), (120, 80, 38, 1, 1), strict=True):
        ws[f"D{row}"] = value
    save(wb, path)


def merged_two_inputs(path: Path) -> None:
    wb = load_sample()
    wb["Victims"].merge_cells("D6:E6")  # women: children and adults in one merged cell
    save(wb, path)


def formula_no_cache(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["C5"] = "=SUM(C6:C9)"  # written by a program: no cached value
    save(wb, path)


def error_div0(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["D6"] = "#DIV/0!"  # an error cell, as Excel stores it (t="e")
    save(wb, path)


def formula_cached_ref(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["C5"] = "=SUM(#REF!)"
    parts = read_parts(workbook_bytes(wb))
    name = sheet_part(parts, "Victims")
    parts = edit(
        parts,
        name,
        lambda t: re.sub(
            r'<c r="C5"([^>]*)><f>SUM\(#REF!\)</f><v ?/></c>',
            r'<c r="C5"\1 t="e"><f>SUM(#REF!)</f><v>#REF!</v></c>',
            t,
        ),
    )
    write_parts(path, parts)


def figures_outside_grid(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["J5"] = 17
    wb["Victims"]["C45"] = 250
    wb["Offences"]["F3"] = 9
    save(wb, path)


def hidden_sheet_with_content(path: Path, state: str) -> None:
    wb = load_sample()
    ws = wb.create_sheet("Scratch" if state == "hidden" else "Calc")
    ws["A1"] = "victims, police count"
    ws["B2"] = 1107
    ws["B3"] = 699
    ws.sheet_state = state
    save(wb, path)


VBA_BYTES = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\x00" * 24
    + b'Attribute VB_Name = "ThisWorkbook"\r\nSub Workbook_Open()\r\n'
    + b'    Shell "cmd /c echo pwned > %TEMP%\\nremstats_pwned.txt"\r\nEnd Sub\r\n'
)


def with_macro(path: Path) -> None:
    parts = sample_parts()
    parts = [*parts, ("xl/vbaProject.bin", VBA_BYTES)]
    parts = edit(
        parts,
        "[Content_Types].xml",
        lambda t: t.replace(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        ),
    )
    parts = add_content_type(
        parts,
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject" />',
    )
    parts = add_workbook_rel(
        parts,
        "rIdVBA",
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        "vbaProject.bin",
    )
    write_parts(path, parts)


def external_link(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["D6"] = "=[1]Police!B7"
    parts = read_parts(workbook_bytes(wb))
    name = sheet_part(parts, "Victims")
    parts = edit(
        parts,
        name,
        lambda t: re.sub(
            r'<c r="D6"([^>]*)><f>\[1\]Police!B7</f><v ?/></c>',
            r'<c r="D6"\1><f>[1]Police!B7</f><v>267</v></c>',
            t,
        ),
    )
    link = (
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="Police" /></sheetNames>'
        '<sheetDataSet><sheetData sheetId="0"><row r="7"><cell r="B7"><v>267</v></cell>'
        "</row></sheetData></sheetDataSet></externalBook></externalLink>"
    )
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/externalLinkPath" '
        'Target="file:///\\\\ministry-fs01\\stats\\police_2023.xlsx" TargetMode="External" />'
        "</Relationships>"
    )
    parts += [
        ("xl/externalLinks/externalLink1.xml", link.encode()),
        ("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels.encode()),
    ]
    parts = add_content_type(
        parts,
        '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml" />',
    )
    parts = add_workbook_rel(
        parts, "rIdExt1", f"{REL_NS}/externalLink", "/xl/externalLinks/externalLink1.xml"
    )
    parts = edit(
        parts,
        "xl/workbook.xml",
        lambda t: t.replace(
            "</sheets>",
            '</sheets><externalReferences><externalReference r:id="rIdExt1" />'
            "</externalReferences>",
        ),
    )
    write_parts(path, parts)


def huge_numbers_xlsx(path: Path, number: float, text: str) -> None:
    wb = load_sample()
    wb["Victims"]["C5"] = number
    wb["Victims"]["D5"] = text
    save(wb, path)


def markup_in_cells(path: Path) -> None:
    wb = load_sample()
    ws = wb["Victims"]
    ws["D6"] = "[/]"
    ws["E6"] = "[bold]381"
    ws["G6"] = "[bold red]see[/] [link=file:///etc/passwd]note[/link]"
    save(wb, path)


def control_chars_xlsx(path: Path) -> None:
    wb = load_sample()
    wb["Victims"]["D6"] = "CTRL-PLACEHOLDER-1"
    wb["Victims"]["G6"] = "CTRL-PLACEHOLDER-2"
    parts = to_shared_strings(read_parts(workbook_bytes(wb)))
    parts = edit(
        parts,
        "xl/sharedStrings.xml",
        lambda t: t.replace("CTRL-PLACEHOLDER-1", "26_x0000_7_x001B_[31m_x0007_").replace(
            "CTRL-PLACEHOLDER-2", "note_x0001__x0008__x000B__x000C__x001F_]]&gt;end"
        ),
    )
    write_parts(path, parts)


def truncated_xlsx(path: Path) -> None:
    data = workbook_bytes(load_sample())
    parts = read_parts(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compresslevel=6) as archive:
        for name, part in parts:
            archive.writestr(_info(name), _normalise_core(part) if "core" in name else part)
    whole = buffer.getvalue()
    path.write_bytes(whole[: len(whole) // 2])


def ole_not_zip(path: Path) -> None:
    # The magic of an OLE compound file: an old .xls, or an encrypted (password) workbook.
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)


def malformed_sheet_xml(path: Path) -> None:
    parts = sample_parts()
    name = sheet_part(parts, "Victims")
    parts = edit(parts, name, lambda t: t.replace("</sheetData>", '<row r="41"><c r=', 1))
    write_parts(path, parts)


def _dtd_shared_strings(dtd: str, entity: str) -> Parts:
    wb = load_sample()
    wb["Victims"]["D6"] = "ENTITY-PLACEHOLDER"
    parts = to_shared_strings(read_parts(workbook_bytes(wb)))

    def change(text: str) -> str:
        text = text.replace("ENTITY-PLACEHOLDER", f"&{entity};")
        return text.replace("<sst ", f"<!DOCTYPE sst [{dtd}]>\n<sst ", 1)

    return edit(parts, "xl/sharedStrings.xml", change)


def xml_entity_bomb(path: Path) -> None:
    dtd = '<!ENTITY lol0 "lollollollollollollollollollol">'
    for level in range(1, 10):
        dtd += f'<!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">'
    write_parts(path, _dtd_shared_strings(dtd, "lol9"))


def xxe_external_entity(path: Path) -> None:
    dtd = '<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    write_parts(path, _dtd_shared_strings(dtd, "xxe"))


def _inflating(path: Path, target: Callable[[Parts], str], marker: str, megabytes: int) -> None:
    """Write the sample with part ``target`` padded after ``marker`` by ``megabytes`` MB of
    XML whitespace (valid XML that deflates about 1000 to 1)."""
    parts = sample_parts()
    name = target(parts)
    text = get(parts, name).decode("utf-8")
    head, tail = text.split(marker, 1)
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", compresslevel=9) as archive:
        for part, data in parts:
            if part == "docProps/core.xml":
                data = _normalise_core(data)
            if part != name:
                archive.writestr(_info(part), data)
                continue
            with archive.open(_info(part), "w", force_zip64=True) as stream:
                stream.write((head + marker).encode("utf-8"))
                for _ in range(megabytes):
                    stream.write(chunk)
                stream.write(tail.encode("utf-8"))


def zip_bomb_sheet(path: Path) -> None:
    _inflating(path, lambda parts: sheet_part(parts, "Victims"), "<sheetData>", 260)


def zip_bomb_styles(path: Path) -> None:
    _inflating(path, lambda parts: "xl/styles.xml", "<fonts", 260)


def stray_cell(path: Path, ref: str) -> None:
    wb = load_sample()
    wb["Victims"][ref] = 5
    save(wb, path)


def dimension_claims_huge(path: Path) -> None:
    parts = sample_parts()
    name = sheet_part(parts, "Victims")
    parts = edit(
        parts,
        name,
        lambda t: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"', t),
    )
    write_parts(path, parts)


def rows_claimed_huge(path: Path) -> None:
    # Empty rows up to the last one Excel allows, each claiming all 16,384 columns (spans).
    parts = sample_parts()
    name = sheet_part(parts, "Victims")
    rows = "".join(f'<row r="{r}" spans="1:16384" />' for r in range(1000, 1048577, 997))
    parts = edit(parts, name, lambda t: t.replace("</sheetData>", rows + "</sheetData>", 1))
    write_parts(path, parts)


def _sheet_edit(path: Path, change: Callable[[str], str], wb=None) -> None:
    parts = read_parts(workbook_bytes(wb or load_sample()))
    write_parts(path, edit(parts, sheet_part(parts, "Victims"), change))


def cell_given_twice(path: Path) -> None:
    # The XML holds C5 twice: the figure Excel would show, then another one after the grid.
    _sheet_edit(
        path,
        lambda t: t.replace(
            "</sheetData>", '<row r="41"><c r="C5"><v>9999</v></c></row></sheetData>', 1
        ),
    )


def cell_row_wraps(path: Path) -> None:
    # Row 4,294,967,301 is row 5 again in 32 bits: a hidden second C5.
    _sheet_edit(
        path,
        lambda t: t.replace(
            "</sheetData>",
            '<row r="4294967301"><c r="C4294967301"><v>9999</v></c></row></sheetData>',
            1,
        ),
    )


def cell_column_overflow(path: Path) -> None:
    # A column far beyond XFD (16,384): a reader that sizes its grid by it must not die.
    _sheet_edit(
        path,
        lambda t: t.replace(
            "</sheetData>", '<row r="41"><c r="FXSHRXX41"><v>5</v></c></row></sheetData>', 1
        ),
    )


def odd_cell_types(path: Path) -> None:
    import datetime

    wb = load_sample()
    ws = wb["Victims"]
    ws["D6"] = True  # a boolean is no count (and True == 1 in Python)
    ws["E6"] = datetime.datetime(2023, 1, 1)  # a date typed into a count cell
    ws["D7"] = 123.25  # replaced by 1e400 (infinity) below
    ws["F6"] = 456.25  # replaced by NaN below
    ws["E7"] = 0.5
    ws["E7"].number_format = "0%"  # a share shown as 50%
    ws["F7"] = 789.25  # replaced below by a sum of floats as Excel saves it: not 11, not 10

    def change(text: str) -> str:
        text = re.sub(r'(<c r="D7"[^>]*>)<v>123.25</v>', r"\1<v>1e400</v>", text)
        text = re.sub(r'(<c r="F7"[^>]*>)<v>789.25</v>', r"\1<v>10.999999999999998</v>", text)
        return re.sub(r'(<c r="F6"[^>]*>)<v>456.25</v>', r"\1<v>NaN</v>", text)

    _sheet_edit(path, change, wb)


def merge_huge_range(path: Path) -> None:
    # One merged range from an input cell to the last cell of the sheet.
    def change(text: str) -> str:
        merge = '<mergeCell ref="D6:XFD1048576" />'
        if "<mergeCells" in text:
            return re.sub(r"(<mergeCells[^>]*>)", r"\1" + merge, text, count=1)
        return text.replace("</sheetData>", f"</sheetData><mergeCells>{merge}</mergeCells>", 1)

    _sheet_edit(path, change)


def sst_count_claimed(path: Path) -> None:
    # A shared string table that claims two billion strings (a reader may reserve them).
    parts = to_shared_strings(sample_parts())
    parts = edit(
        parts,
        "xl/sharedStrings.xml",
        lambda t: re.sub(
            r'count="\d+" uniqueCount="\d+"', 'count="2000000000" uniqueCount="2000000000"', t
        ),
    )
    write_parts(path, parts)


def deflate_damaged(path: Path, control: Path) -> None:
    """The control with one byte of the Victims sheet's deflate stream changed, the first
    change from which zlib itself fails (not only the CRC check): a download cut or
    damaged in transit."""
    import struct
    import zlib

    data = control.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(sheet_part(read_parts(data), "Victims"))
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for position in range(start, start + info.compress_size):
        damaged = bytearray(data)
        damaged[position] ^= 0x55
        try:
            zlib.decompress(bytes(damaged[start : start + info.compress_size]), -15)
        except zlib.error:
            path.write_bytes(bytes(damaged))
            return
    raise AssertionError("no damaging byte found")


def zip_bomb_lying_size(path: Path) -> None:
    """The Victims sheet inflates to 260 MB while its zip headers say 60,000 bytes."""
    import struct

    parts = sample_parts()
    name = sheet_part(parts, "Victims")
    head, tail = get(parts, name).decode("utf-8").split("<sheetData>", 1)
    with zipfile.ZipFile(path, "w", compresslevel=9) as archive:
        for part, data in parts:
            if part == "docProps/core.xml":
                data = _normalise_core(data)
            if part != name:
                archive.writestr(_info(part), data)
                continue
            with archive.open(_info(part), "w") as stream:
                stream.write((head + "<sheetData>").encode("utf-8"))
                for _ in range(260):
                    stream.write(b" " * (1 << 20))
                stream.write(tail.encode("utf-8"))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    assert raw[offset : offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", raw, offset + 22, 60000)  # local header: uncompressed size
    position = raw.find(b"PK\x01\x02")
    while position >= 0:  # central directory entries
        length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + length] == name.encode():
            struct.pack_into("<I", raw, position + 24, 60000)
        position = raw.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(raw))


# ---------------------------------------------------------------------------------------
# CSV files


def sample_csv() -> str:
    return SAMPLE_CSV.read_text(encoding="utf-8")


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def one_value_csv(*values: str) -> str:
    """A canonical CSV of NLD 2022 victims by sex with ``values`` from line 2 on."""
    keys = ["_T", "F", "M", "_O", "_U"]
    lines = [HEADER + ",note"]
    for number, value in enumerate(values):
        sex = keys[number % len(keys)]
        year = 2022 - number // len(keys)
        lines.append(f'NLD,{year},VICTIMS_DETECTED,{sex},_T,_T,_T,"{value}",')
    return "\n".join(lines) + "\n"


ODD_NUMERALS = ["1\u00b2", "1_000", "0x10", "NaN", "Infinity", "1e3", "\u00bd"]

INERT_NOTES = [
    "=1+1",
    '=HYPERLINK("http://example.invalid/x","click")',
    "+SUM(A1:A2)",
    "-SUM(A1:A2)",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def inert_notes_csv() -> str:
    lines = [HEADER + ",obs_status,definition,note"]
    sexes = ["_T", "F", "M", "_O", "_U"]
    lines.append('NLD,2019,VICTIMS_DETECTED,_T,_T,_T,_T,"1,204",A,PRESUMED,"=1+1"')
    for sex, note, value in zip(sexes[1:], INERT_NOTES[1:5], (700, 480, 14, 10), strict=True):
        escaped = note.replace('"', '""')
        lines.append(f'NLD,2019,VICTIMS_DETECTED,{sex},_T,_T,_T,{value},A,PRESUMED,"{escaped}"')
    lines.append('NLD,2019,PERSONS_SUSPECTED,_T,_T,_T,_T,310,A,,"\t=1+1"')
    lines.append('NLD,2019,PERSONS_PROSECUTED,_T,_T,_T,_T,120,A,,"\r=1+1"')
    lines.append("NLD,2019,PERSONS_CONVICTED,_T,_T,_T,_T,80,A,,")
    return "\n".join(lines) + "\n"


def inert_name_csv(year: int) -> str:
    return (
        f"{HEADER},definition\nNLD,{year},VICTIMS_DETECTED,_T,_T,_T,_T,{100 + year % 100},"
        "PRESUMED\n"
    )


# ---------------------------------------------------------------------------------------
# YAML files (layouts and rules)

GLOTIP_SMALL = (
    (
        "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,"
        "Unit of measurement,txtVALUE,Source\n"
    )
    + """\
NLD,Netherlands,,,Detected trafficking victims,Total,Total,Total,Total,2021,Counts,791,GLOTIP
NLD,Netherlands,,,Detected trafficking victims,Total,Total,Female,Total,2021,Counts,571,GLOTIP
NLD,Netherlands,,,Detected trafficking victims,Total,Total,Male,Total,2021,Counts,220,GLOTIP
NLD,Netherlands,,,Persons convicted,Total,Total,Total,Total,2021,Counts,60,GLOTIP
"""
)


def alias_bomb(indent: str) -> str:
    lines = [f'{indent}- &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        refs = ",".join([f"*{previous}"] * 9)
        lines.append(f"{indent}- &{name} [{refs}]")
    return "\n".join(lines) + "\n"


LAYOUT_BILLION_LAUGHS = (
    "# A layout whose ignore list is an alias bomb: 9^9 strings once expanded.\n"
    "extends: glotip\n"
    "layout: glotip-laughs\n"
    "ignore:\n" + alias_bomb("  ")
)

RULES_BILLION_LAUGHS = (
    "# A rules file whose hierarchies are an alias bomb.\n"
    "rules:\n"
    "  BALANCE_TOTAL_EXCEEDS_PARTS:\n"
    "    hierarchies:\n" + alias_bomb("      ")
)

LAYOUT_EXTENDS_ITSELF = """\
# A layout that extends itself: its own file.
layout: glotip-self
extends: layout_extends_itself.yaml
provider: UNODC
"""

LAYOUT_LOOP_A = """\
# Two layouts that extend each other, by file.
layout: loop-a
extends: layout_loop_b.yaml
"""

LAYOUT_LOOP_B = """\
# Two layouts that extend each other, by file.
layout: loop-b
extends: layout_loop_a.yaml
"""

RULES_PYTHON_OBJECT = """\
# A rules file with a tag that runs a command under yaml.load / yaml.unsafe_load.
rules:
  COMPLETENESS_BLANK: off
  BALANCE_TOTAL_EXCEEDS_PARTS: !!python/object/apply:os.system ["echo pwned > nremstats_pwned"]
"""

LAYOUT_PYTHON_OBJECT = """\
# A layout with a tag that builds a Python object.
extends: glotip
layout: glotip-object
fixed: !!python/object/new:collections.OrderedDict [[[definition, PRESUMED]]]
labels: !!python/object/apply:os.system ["echo pwned > nremstats_pwned"]
"""

LAYOUT_NAME_DOTDOT = """\
# A layout whose name climbs out of the store: observations/<layout>-<sha12>.parquet.
extends: glotip
layout: ../../../escaped
"""

LAYOUT_NAME_SLASH = """\
# A layout whose name holds a folder separator.
extends: glotip
layout: sub/dir
"""


# ---------------------------------------------------------------------------------------


def main() -> None:
    out = HERE
    for old in out.iterdir():
        if old.name not in {"make_corpus.py", "README.md", "__pycache__"}:
            old.unlink()

    # workbooks
    control_xlsx(out / "control_NLD_2023.xlsx")
    control_shared_strings(out / "control_shared_strings.xlsx")
    marker_twice_hidden_after(out / "marker_twice_hidden_after.xlsx")
    marker_twice_hidden_before(out / "marker_twice_hidden_before.xlsx")
    marker_twice_visible(out / "marker_twice_visible.xlsx")
    metadata_veryhidden_bel(out / "metadata_veryhidden_BEL.xlsx")
    country_contradicted(out / "NLD_2023_en_country_mismatch.xlsx")
    thousand_dot_text(out / "thousand_dot_text.xlsx")
    decimal_comma_text(out / "decimal_comma_text.xlsx")
    grid_row_deleted(out / "grid_row_deleted.xlsx")
    grid_row_inserted(out / "grid_row_inserted.xlsx")
    grid_row_moved(out / "grid_row_moved.xlsx")
    grid_column_inserted(out / "grid_column_inserted.xlsx")
    merged_two_inputs(out / "merged_two_inputs.xlsx")
    formula_no_cache(out / "formula_no_cache.xlsx")
    error_div0(out / "error_div0.xlsx")
    formula_cached_ref(out / "formula_cached_ref.xlsx")
    figures_outside_grid(out / "figures_outside_grid.xlsx")
    hidden_sheet_with_content(out / "hidden_sheet_with_content.xlsx", "hidden")
    hidden_sheet_with_content(out / "veryhidden_sheet_with_content.xlsx", "veryHidden")
    with_macro(out / "macro_vba.xlsm")
    with_macro(out / "macro_vba_in_xlsx.xlsx")
    external_link(out / "external_link.xlsx")
    huge_numbers_xlsx(out / "value_23_digits.xlsx", 12345678901234567890123.0, "1" * 23)
    huge_numbers_xlsx(out / "value_1e308.xlsx", 1e308, "1e308")
    markup_in_cells(out / "markup_in_cells.xlsx")
    control_chars_xlsx(out / "control_chars.xlsx")
    (out / "empty.xlsx").write_bytes(b"")
    truncated_xlsx(out / "truncated.xlsx")
    ole_not_zip(out / "ole_not_zip.xlsx")
    malformed_sheet_xml(out / "malformed_sheet_xml.xlsx")
    xml_entity_bomb(out / "xml_entity_bomb.xlsx")
    xxe_external_entity(out / "xxe_external_entity.xlsx")
    zip_bomb_sheet(out / "zip_bomb_sheet.xlsx")
    zip_bomb_styles(out / "zip_bomb_styles.xlsx")
    stray_cell(out / "stray_cell_XFD1048576.xlsx", "XFD1048576")
    stray_cell(out / "stray_cell_AZ1048576.xlsx", "AZ1048576")
    dimension_claims_huge(out / "dimension_claims_huge.xlsx")
    rows_claimed_huge(out / "rows_claimed_huge.xlsx")
    cell_given_twice(out / "cell_given_twice.xlsx")
    cell_row_wraps(out / "cell_row_wraps.xlsx")
    cell_column_overflow(out / "cell_column_overflow.xlsx")
    odd_cell_types(out / "odd_cell_types.xlsx")
    merge_huge_range(out / "merge_huge_range.xlsx")
    sst_count_claimed(out / "sst_count_claimed.xlsx")
    zip_bomb_lying_size(out / "zip_bomb_lying_size.xlsx")
    deflate_damaged(out / "deflate_damaged.xlsx", out / "control_NLD_2023.xlsx")

    # CSV files
    canonical = sample_csv()
    write_text(out / "control_DEU.csv", canonical)
    write_text(out / "thousand_dot.csv", canonical.replace('"1,112 p"', "1.112"))
    semicolon = canonical.replace(",", ";").replace('"1;112 p"', "1,112 p")
    write_text(out / "semicolon.csv", semicolon)
    write_text(out / "thousand_dot_semicolon.csv", semicolon.replace("1,112 p", "1.112"))
    write_text(out / "cr_only_line_ends.csv", canonical.replace("\n", "\r"))
    write_text(out / "utf16_bom.csv", canonical, "utf-16")
    write_text(out / "utf16le_no_bom.csv", canonical, "utf-16-le")
    write_text(
        out / "cp1252.csv",
        canonical.replace("completed investigations only", "Schätzung – 5 € je Fall", 1),
        "cp1252",
    )
    write_text(out / "name_not_utf8.csv", canonical)
    write_text(out / "value_23_digits.csv", one_value_csv("12345678901234567890123"))
    write_text(out / "value_1e308.csv", one_value_csv("1e308"))
    write_text(out / "value_5000_digits.csv", one_value_csv("7" * 5000))
    write_text(out / "value_odd_numerals.csv", one_value_csv(*ODD_NUMERALS))
    write_text(out / "markup_in_values.csv", one_value_csv("[/]", "[bold]12", "12 [/bold]"))
    write_text(
        out / "control_chars.csv",
        one_value_csv("1\x002", "\x1b[31m12", "12\x0b", "\x07", "\x01\x02\x03"),
    )
    write_text(
        out / "country_zero_width.csv",
        one_value_csv("12", "7").replace(
            "NLD,2022,VICTIMS_DETECTED,_T", "NLD\u200b,2022,VICTIMS_DETECTED,_T", 1
        ),
    )
    write_text(
        out / "duplicate_value_column.csv",
        HEADER + ",value\nNLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,12,120\n",
    )
    write_text(out / "empty.csv", "")
    write_text(out / "header_only.csv", HEADER + "\n")
    write_text(out / "unclosed_quote.csv", one_value_csv("12").replace('"12"', '"12'))

    # outputs
    write_text(out / "inert_notes.csv", inert_notes_csv())
    for name, year in {
        "=1+1.csv": 2014,
        "+cmd.csv": 2015,
        "-cmd.csv": 2016,
        "@cmd.csv": 2017,
        "inert_tab.csv": 2012,
        "inert_cr.csv": 2013,
    }.items():
        write_text(out / name, inert_name_csv(year))

    # YAML
    write_text(out / "glotip_small.csv", GLOTIP_SMALL)
    write_text(out / "layout_billion_laughs.yaml", LAYOUT_BILLION_LAUGHS)
    write_text(out / "rules_billion_laughs.yaml", RULES_BILLION_LAUGHS)
    write_text(out / "layout_extends_itself.yaml", LAYOUT_EXTENDS_ITSELF)
    write_text(out / "layout_loop_a.yaml", LAYOUT_LOOP_A)
    write_text(out / "layout_loop_b.yaml", LAYOUT_LOOP_B)
    write_text(out / "rules_python_object.yaml", RULES_PYTHON_OBJECT)
    write_text(out / "layout_python_object.yaml", LAYOUT_PYTHON_OBJECT)
    write_text(out / "layout_name_dotdot.yaml", LAYOUT_NAME_DOTDOT)
    write_text(out / "layout_name_slash.yaml", LAYOUT_NAME_SLASH)


if __name__ == "__main__":
    main()
