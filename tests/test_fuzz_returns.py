"""Fuzzing returns (issue 15): mutated workbooks and CSV files never crash ingest, and what
is stored is a number the file holds.

Hypothesis mutates the filled control return (tests/data/hostile/control_NLD_2023.xlsx) the
way people and programs damage workbooks -- odd texts and numbers typed into cells, sheets
deleted, renamed, hidden or copied, rows and columns inserted or deleted, cells merged, then
maybe bytes flipped, inserted or deleted in the zip -- and the canonical CSV
(tests/data/hostile/control_DEU.csv) -- fields replaced, lines deleted or repeated, another
delimiter, line ending or encoding, bytes flipped, inserted or deleted. Each mutated file is
ingested in-process (``nremstats.ingest.ingest_files``, docs/python-api.md) into a fresh
store; it must

- raise nothing but ``NremstatsError`` (a usage error: exit 2); an exit code is 0 or 1;
- keep the contract's arithmetic: rows_stored + rows_rejected = rows_read, a JSON report;
- store only values that are numbers written in the mutated file (every digit run of its
  text, thousands separators removed), never a number made up by the reader.

The examples are derandomized (the same every run) and bounded to stay within a minute.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parent / "data" / "hostile"
CONTROL_XLSX = (CORPUS / "control_NLD_2023.xlsx").read_bytes()
CONTROL_CSV = (CORPUS / "control_DEU.csv").read_bytes()

SHEETS = ["Instructions", "Metadata", "Victims", "Suspected", "Prosecuted", "Convicted",
          "Offences", "_lists"]  # fmt: skip
FIVE_THOUSAND_DIGITS = "7" * 5000
ODD_TEXTS = [
    "", " ", "1.000", "1,5", "1 282", "1\u00a0282", "1'282", "12 p", "<5", "..", "x", "-",
    "-3", "+12", "1e308", "1e3", "NaN", "inf", "\u0663\u0664", "\uff11\uff12", "1\u00b2",
    "[/]", "[bold]12", "=1+1", "=SUM(C6:C9)", "#REF!", "#DIV/0!", "TRUE", "2023-01-01",
    "12345678901234567890123", FIVE_THOUSAND_DIGITS, "NLD", "BEL", "nremstats:VICTIMS_DETECTED",
    "nremstats:METADATA", "0.9", "1.0", "Male", "Total", "\u200b12",
]  # fmt: skip
SEPARATORS = re.compile(r"(?<=\d)[,\u00a0\u202f' ](?=\d{3}(?!\d))")
DIGITS = re.compile(r"\d+")


def numbers_in(text: str) -> set[int]:
    """Every whole number written in ``text``: digit runs, and with separators removed."""
    found = {int(d) for d in DIGITS.findall(text) if len(d) <= 30}
    found |= {int(d) for d in DIGITS.findall(SEPARATORS.sub("", text)) if len(d) <= 30}
    return found


def numbers_in_bytes(data: bytes) -> set[int]:
    found: set[int] = set()
    for encoding in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1252"):
        found |= numbers_in(data.decode(encoding, errors="ignore"))
    return found


def numbers_in_workbook(data: bytes) -> set[int]:
    found = numbers_in_bytes(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                try:
                    with archive.open(info) as part:
                        found |= numbers_in_bytes(part.read(50_000_000))
                except Exception:  # a damaged part: its digits cannot be stored either
                    continue
    except zipfile.BadZipFile:
        pass
    return found


def ingest_and_check(name: str, data: bytes, allowed: set[int]) -> None:
    from nremstats import observations, open_store
    from nremstats.core.errors import NremstatsError
    from nremstats.ingest import ingest_files

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        store = Path(folder) / "store"
        try:
            run = ingest_files([path], store)
        except NremstatsError:
            return  # a usage error, exit 2: allowed
        assert run.exit_code() in (0, 1)
        report = json.loads(json.dumps(run.to_dict()))
        for entry in report["files"]:
            assert entry["rows_stored"] + entry["rows_rejected"] == entry["rows_read"], entry
        if not (store / "manifest.json").exists():
            assert all(e["rows_stored"] == 0 for e in report["files"]), report["files"]
            return
        frame = observations(open_store(store))
        values = [int(v) for v in frame["value"].dropna()]
        made_up = sorted({v for v in values if v not in allowed})
        assert not made_up, f"stored numbers the file does not hold: {made_up[:10]}"
        assert all(v >= 0 for v in values)


# ---------------------------------------------------------------------------------------
# workbooks

sheet = st.sampled_from(SHEETS)
cell_value = st.one_of(
    st.sampled_from(ODD_TEXTS),
    st.integers(min_value=-(10**6), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just(datetime.datetime(2023, 1, 1)),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
)
workbook_op = st.one_of(
    st.tuples(st.just("set"), sheet, st.integers(1, 45), st.integers(1, 10), cell_value),
    st.tuples(st.just("set"), sheet, st.integers(1, 45), st.integers(1, 10), cell_value),
    st.tuples(st.just("delete_sheet"), sheet),
    st.tuples(
        st.just("rename_sheet"), sheet, st.sampled_from(["Victims", "Sheet1", "Victimes", "X"])
    ),
    st.tuples(st.just("hide_sheet"), sheet, st.sampled_from(["hidden", "veryHidden", "visible"])),
    st.tuples(st.just("copy_sheet"), sheet),
    st.tuples(st.just("move_sheet"), sheet, st.integers(-3, 3)),
    st.tuples(st.just("insert_rows"), sheet, st.integers(1, 40), st.integers(1, 3)),
    st.tuples(st.just("delete_rows"), sheet, st.integers(1, 40), st.integers(1, 3)),
    st.tuples(st.just("insert_cols"), sheet, st.integers(1, 8), st.integers(1, 2)),
    st.tuples(st.just("merge"), sheet, st.integers(3, 30), st.integers(3, 7), st.integers(1, 2)),
)
byte_op = st.tuples(
    st.sampled_from(["flip", "insert", "delete"]), st.floats(0, 1), st.integers(0, 255)
)


def apply_workbook_op(wb, op) -> None:
    kind, title, *args = op
    if title not in wb.sheetnames:
        return
    ws = wb[title]
    if kind == "set":
        row, column, value = args
        ws.cell(row=row, column=column).value = value
    elif kind == "delete_sheet" and len(wb.sheetnames) > 1:
        wb.remove(ws)
    elif kind == "rename_sheet":
        ws.title = args[0]
    elif kind == "hide_sheet":
        ws.sheet_state = args[0]
    elif kind == "copy_sheet":
        wb.copy_worksheet(ws)
    elif kind == "move_sheet":
        wb.move_sheet(ws, offset=args[0])
    elif kind == "insert_rows":
        ws.insert_rows(*args)
    elif kind == "delete_rows":
        ws.delete_rows(*args)
    elif kind == "insert_cols":
        ws.insert_cols(*args)
    elif kind == "merge":
        row, column, width = args
        ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + width)


def apply_byte_ops(data: bytes, ops) -> bytes:
    buffer = bytearray(data)
    for kind, where, value in ops:
        if not buffer:
            break
        at = min(int(where * len(buffer)), len(buffer) - 1)
        if kind == "flip":
            buffer[at] ^= value or 1
        elif kind == "insert":
            buffer.insert(at, value)
        else:
            del buffer[at]
    return bytes(buffer)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: it can take minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ops=st.lists(workbook_op, min_size=1, max_size=4),
    damage=st.one_of(st.just([]), st.lists(byte_op, min_size=1, max_size=3)),
)
def test_mutated_workbook_never_crashes_nor_invents_numbers(ops, damage) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(CONTROL_XLSX))
    for op in ops:
        try:
            apply_workbook_op(wb, op)
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # openpyxl refuses it (a title taken, an illegal character...)
    buffer = io.BytesIO()
    try:
        wb.save(buffer)
    except (ValueError, TypeError, KeyError, IndexError):
        return  # openpyxl cannot write what the mutations made
    data = apply_byte_ops(buffer.getvalue(), damage)
    ingest_and_check("NLD_2023_en.xlsx", data, numbers_in_workbook(data))


# ---------------------------------------------------------------------------------------
# CSV files

csv_field = st.one_of(
    st.integers(min_value=0, max_value=10**4).map(str),
    st.integers(min_value=-(10**6), max_value=10**25).map(str),
    st.sampled_from(ODD_TEXTS),
    st.text(max_size=10),
)
csv_op = st.one_of(
    st.tuples(st.just("field"), st.integers(0, 22), st.integers(0, 11), csv_field),
    st.tuples(st.just("field"), st.integers(0, 22), st.integers(0, 11), csv_field),
    st.tuples(st.just("delete_line"), st.integers(0, 22)),
    st.tuples(st.just("repeat_line"), st.integers(0, 22)),
    st.tuples(st.just("delimiter"), st.sampled_from([";", "\t", "|"])),
    st.tuples(st.just("line_end"), st.sampled_from(["\r\n", "\r", "\n\n"])),
    st.tuples(st.just("quote"), st.integers(0, 22)),
)


def apply_csv_ops(text: str, ops) -> str:
    lines = text.split("\n")
    delimiter, line_end = ",", "\n"
    for op in ops:
        kind, *args = op
        if kind == "field":
            number, column, value = args
            if number < len(lines):
                fields = lines[number].split(",")
                if column < len(fields):
                    fields[column] = value
                lines[number] = ",".join(fields)
        elif kind == "delete_line" and args[0] < len(lines):
            del lines[args[0]]
        elif kind == "repeat_line" and args[0] < len(lines):
            lines.insert(args[0], lines[args[0]])
        elif kind == "delimiter":
            delimiter = args[0]
        elif kind == "line_end":
            line_end = args[0]
        elif kind == "quote" and args[0] < len(lines):
            lines[args[0]] = '"' + lines[args[0]]
    return line_end.join(line.replace(",", delimiter) for line in lines)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: it can take minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ops=st.lists(csv_op, min_size=1, max_size=3),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    damage=st.one_of(st.just([]), st.lists(byte_op, min_size=1, max_size=3)),
)
def test_mutated_csv_never_crashes_nor_invents_numbers(ops, encoding, damage) -> None:
    text = apply_csv_ops(CONTROL_CSV.decode("utf-8"), ops)
    data = apply_byte_ops(text.encode(encoding, errors="replace"), damage)
    ingest_and_check("DEU_2021-2023.csv", data, numbers_in_bytes(data))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,282 and 1 282", {1282}),
        ("12 p", {12}),
        ("<5", {5}),
        ("1.000", {1, 0}),
        ("\u0663\u0664", {34}),
    ],
)
def test_numbers_in(text: str, expected: set[int]) -> None:
    assert expected <= numbers_in(text)
