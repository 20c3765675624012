"""A workbook's package looked at before it is read: limits, formulas, errors, encodings."""

from __future__ import annotations

import re
import resource
import zipfile
from pathlib import Path

import pytest

from nremstats.returns.package import Limits, limits
from nremstats.returns.pipeline import CheckOptions, read_return
from nremstats.returns.read import read_source
from nremstats.template.workbook import fill_return, write_template
from tests.conftest import HEADER


def filled(tmp: Path, name: str = "NLD_2023.xlsx") -> Path:
    path = write_template(tmp / name, "NLD", 2023)
    return fill_return(
        path,
        {
            ("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): 7,
            ("PERSONS_CONVICTED", "F", "_T", "_T", "_T"): 3,
        },
        metadata={"definition": "PRESUMED"},
    )


def edit_sheet(path: Path, sheet_name: str, change) -> Path:
    """Rewrite the XML of one worksheet of the package (by the sheet's name)."""
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    workbook = parts["xl/workbook.xml"].decode()
    rid = re.search(rf'<sheet[^>]*name="{sheet_name}"[^>]*r:id="(rId\d+)"', workbook)[1]
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels)
    target = (
        target[1] if target else re.search(rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{rid}"', rels)[1]
    )
    part = f"xl/{target}"
    parts[part] = change(parts[part].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def cell_xml(ref: str, inner: str, attributes: str = "") -> str:
    return f'<c r="{ref}"{attributes}>{inner}</c>'


def add_cell(xml: str, row: int, cell: str) -> str:
    """Put a cell in ``row`` (a new row at the end when the sheet has none there)."""
    found = re.search(rf'<row r="{row}"[^>]*>', xml)
    if found:
        return xml[: found.end()] + cell + xml[found.end() :]
    return xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')


def replace_cell(xml: str, ref: str, cell: str) -> str:
    new, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', cell, xml, count=1)
    return new if n else add_cell(xml, int(re.sub(r"\D", "", ref)), cell)


@pytest.mark.parametrize("ref", ["XFD1048576", "AZ1048576", "B900000"])
def test_a_stray_cell_far_away_is_refused_before_the_sheet_is_read(tmp_path, ref):
    row = int(re.sub(r"\D", "", ref))
    path = edit_sheet(
        filled(tmp_path), "Convicted", lambda x: add_cell(x, row, cell_xml(ref, "<v>1</v>"))
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = read_return(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert data.observations is None
    [found] = [f for f in data.findings if f.rule == "FILE_TOO_LARGE"]
    assert "Convicted" in found.message and "--max-cells" in found.message
    assert grown_mb < 200


def test_a_limit_raised_reads_what_it_refused(tmp_path):
    path = filled(tmp_path)
    small = Limits(file_mb=200, inflated_mb=200, cells_per_sheet=50)
    assert {f.rule for f in read_return(path, CheckOptions(limits=small)).findings} >= {
        "FILE_TOO_LARGE"
    }
    assert read_return(path, CheckOptions(limits=limits(cells_per_sheet=10_000))).ok


def test_a_package_inflating_beyond_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(filled(tmp_path)) as source, zipfile.ZipFile(path, "w") as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
        bomb.writestr("xl/media/padding.bin", b"\0" * (3 << 20), zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    source, findings = read_source(path, Limits(file_mb=200, inflated_mb=2, cells_per_sheet=10**6))
    assert source is None
    assert findings[0].rule == "FILE_TOO_LARGE" and "--max-inflated-mb" in findings[0].message


def test_a_part_longer_than_it_says_is_unreadable(tmp_path):
    """A zip whose part inflates to more than its declared size (a lying zip bomb): the
    bounded read stops at the declared size and the CRC refuses it."""
    path = filled(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as package:
        info = package.getinfo("xl/worksheets/sheet6.xml")
    # the declared size, in the central directory and the local header, cut to 100 bytes
    for header in (b"PK\x01\x02", b"PK\x03\x04"):
        at = data.find(header)
        while at >= 0:
            offset = 24 if header == b"PK\x01\x02" else 22
            name_at = 46 if header == b"PK\x01\x02" else 30
            length = int.from_bytes(data[at + offset + 4 : at + offset + 6], "little")
            if header == b"PK\x03\x04":
                length = int.from_bytes(data[at + 26 : at + 28], "little")
            else:
                length = int.from_bytes(data[at + 28 : at + 30], "little")
            if data[at + name_at : at + name_at + length] == info.filename.encode():
                data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
            at = data.find(header, at + 4)
    path.write_bytes(bytes(data))
    source, findings = read_source(path)
    assert source is None and findings[0].rule == "FILE_UNREADABLE"


def test_a_formula_saved_without_its_value_is_refused_at_its_cell(tmp_path):
    path = edit_sheet(
        filled(tmp_path),
        "Convicted",
        lambda x: replace_cell(x, "C6", cell_xml("C6", "<f>C5-4</f>")),
    )
    data = read_return(path)
    assert not data.ok
    [found] = [f for f in data.findings if f.cell == "C6" and f.rule == "VALUE_UNPARSEABLE"]
    assert found.sheet == "Convicted" and "=C5-4" in found.message and "save it" in found.message


@pytest.mark.parametrize("error", ["#DIV/0!", "#REF!", "#N/A"])
def test_an_error_value_is_refused_at_its_cell(tmp_path, error):
    path = edit_sheet(
        filled(tmp_path),
        "Convicted",
        lambda x: replace_cell(x, "C6", cell_xml("C6", f"<v>{error}</v>", ' t="e"')),
    )
    data = read_return(path)
    assert not data.ok
    [found] = [f for f in data.findings if f.cell == "C6"]
    assert found.rule == "VALUE_UNPARSEABLE" and error in found.message


def test_a_formula_with_its_value_is_read_as_the_value(tmp_path):
    path = edit_sheet(
        filled(tmp_path),
        "Convicted",
        lambda x: replace_cell(x, "C6", cell_xml("C6", "<f>C5-4</f><v>3</v>")),
    )
    data = read_return(path)
    assert data.ok
    assert sorted(data.observations["value"].dropna().astype(int).tolist()) == [3, 7]


def test_utf16_csv_is_read_and_legacy_text_is_refused_naming_its_encoding(tmp_path):
    text = HEADER + "\nNLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,1282\n"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    data = read_return(utf16)
    assert data.ok and data.observations["value"].tolist() == [1282]
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(
        (text + "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,\n").encode() + "é".encode("cp1252")
    )
    found = read_return(legacy).findings
    assert found[0].rule == "FILE_UNREADABLE" and "Windows-1252" in found[0].message
    bare16 = tmp_path / "bare16.csv"
    bare16.write_bytes(text.encode("utf-16-le") + b"\xff")
    assert "UTF-16" in read_return(bare16).findings[0].message


def test_a_file_name_that_is_not_utf8_is_kept_escaped(tmp_path):
    import os

    name = os.fsdecode(b"NLD_2023_\xe9t\xe9.csv")
    path = tmp_path / name
    path.write_text(HEADER + "\nNLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12\n", encoding="utf-8")
    data = read_return(path)
    assert data.ok
    assert data.observations["source_file"].tolist() == ["NLD_2023_\\xe9t\\xe9.csv"]
    data.observations["source_file"].iloc[0].encode("utf-8")  # printable, storable


# --- forms a spreadsheet program does not write, which calamine still reads ---------------

_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_FAR = (
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
)


def package_with(path: Path, rows: str, rels: str = _RELS) -> Path:
    """A one-sheet package whose sheet holds ``rows`` as written."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    root = _RELS.replace("worksheets/sheet1.xml", "xl/workbook.xml").replace(
        "relationships/worksheet", "relationships/officeDocument"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", root)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", rels)
        package.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.mark.parametrize(
    "rows, rels",
    [
        ('<row r="190000">' + "<c><v>1</v></c>" * 16384 + "</row>", _RELS),
        (_FAR.replace('"', "'"), _RELS),
        (_FAR.replace("XFD1048576", "xfd1048576").replace('<row r="1048576">', "<row>"), _RELS),
        (_FAR.replace(' r="', '\tr="'), _RELS),
        (_FAR, _RELS.replace('Target="worksheets/sheet1.xml"', "Target='worksheets/sheet1.xml'")),
        (_FAR, _RELS.replace('Target="worksheets/sheet1.xml"', 'Target="Worksheets/Sheet1.xml"')),
    ],
    ids=["cells-without-r", "single-quotes", "lower-case", "tab", "rels-quotes", "rels-case"],
)
def test_the_area_check_is_not_escaped_by_another_way_of_writing_cells(tmp_path, rows, rels):
    """Each of these made calamine ask for 100-550 GB (found by review)."""
    path = package_with(tmp_path / "far.xlsx", rows, rels)
    source, findings = read_source(path)
    assert source is None and findings[0].rule in ("FILE_TOO_LARGE", "FILE_UNREADABLE")


def test_an_empty_error_cell_takes_no_value_of_the_next_cell():
    from nremstats.returns.package import _unread

    xml = b'<row r="1"><c r="D1" t="e"/><c r="E1"><v>5</v></c></row>'
    assert _unread(xml) == {"D1": "#ERROR"}


def test_a_formula_saved_with_an_empty_text_is_read_as_empty():
    from nremstats.returns.package import _unread

    assert _unread(b'<row r="1"><c r="B1" t="str"><f>IF(A1&gt;0,A1,"")</f><v></v></c></row>') == {}


def test_formulas_are_found_in_one_pass_over_many():
    from nremstats.returns.package import _unread

    rows = "".join(f'<row r="{r}"><c r="B{r}"><f>A{r}*2</f></c></row>' for r in range(1, 20001))
    found = _unread(rows.encode())
    assert len(found) == 20000 and found["B20000"] == "=A20000*2"


def test_a_narrow_long_sheet_is_measured_by_its_columns(tmp_path):
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>'
        for r in range(1, 200_001)
    )
    source, findings = read_source(package_with(tmp_path / "long.xlsx", rows))
    assert source is not None and findings == []


def test_a_zip_header_flagged_encrypted_is_unreadable_not_a_crash(tmp_path):
    path = filled(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8] |= 1  # each central directory entry's "encrypted" bit
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    source, findings = read_source(path)
    assert source is None and findings[0].rule == "FILE_UNREADABLE"


def test_glotip_shared_strings_count_is_not_taken_for_their_number(tmp_path):
    source, findings = read_source(Path("tests/data/unodc_data_glotip_2023-05-30.xlsx"))
    assert source is not None and findings == []
