def test_a_csv_with_lines_ended_by_cr_alone_reads_as_lines(tmp_path) -> None:
    """Excel for Mac ends lines with CR alone: the rows are read, each at its own line."""
    from nremstats.returns.pipeline import read_return
    from tests.conftest import HEADER

    path = tmp_path / "mac.csv"
    rows = [
        HEADER,
        "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,12",
        "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,abc",
    ]
    path.write_bytes("\r".join(rows).encode("utf-8") + b"\r")
    data = read_return(path)
    assert data.rows_read == 2
    assert [(f.rule, f.cell) for f in data.findings if f.severity == "error"] == [
        ("VALUE_UNPARSEABLE", "H3")
    ]
