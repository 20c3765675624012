"""Charts: what is drawn for exact, ranged and suppressed figures and for breaks; the files."""

from __future__ import annotations

import io

import pytest

from nremstats.core.errors import OptionError
from nremstats.publish.charts import chart_bytes, composition_chart, trend_chart
from nremstats.publish.shares import Share, ShareTable, share_specs
from nremstats.publish.tables import ComparisonTable, TableCell
from tests.conftest import invoke


def _cell(value, status="A", lower=None, upper=None, definition=None) -> TableCell:
    return TableCell(value, status, lower, upper, "X", "sub", [], definition)


def _table() -> ComparisonTable:
    cells = {
        ("NLD", 2019): _cell(100),
        ("NLD", 2020): _cell(120),
        ("NLD", 2021): _cell(130, "B"),
        ("NLD", 2022): _cell(None, "Q", 0, 4),
        ("NLD", 2023): _cell(90),
        ("BEL", 2019): _cell(50, definition="IDENTIFIED"),
        ("BEL", 2020): _cell(60, definition="PRESUMED"),
        ("BEL", 2021): _cell(None, "Q"),
    }
    return ComparisonTable(
        "VICTIMS_DETECTED", ["BEL", "NLD"], [2019, 2020, 2021, 2022, 2023], cells, [], ["NATIONAL"]
    )


def _segments(chart, style: str) -> set[tuple]:
    """The drawn segments of the lines in ``style`` (a NaN point stops a line)."""
    found = set()
    for line in chart.figure.axes[0].lines:
        if line.get_linestyle() != style:
            continue
        points = list(zip(*line.get_data(), strict=True))
        for a, b in zip(points, points[1:], strict=False):
            if a[1] == a[1] and b[1] == b[1]:  # neither is NaN
                found.add((a, b))
    return found


def test_trend_lines_join_exact_figures_only_and_never_across_breaks():
    chart = trend_chart(_table())
    solid = _segments(chart, "-")
    assert ((2019, 100), (2020, 120)) in solid
    assert not any(seg[1][0] == 2021 for seg in solid)  # 2021 is a break (b): not joined
    assert not any(seg[1][0] in (2022, 2023) for seg in solid)  # a range interrupts
    assert not any(seg[0][1] == 50 for seg in solid)  # BEL changed definition
    dotted = _segments(chart, ":")
    assert ((2020.5, 120), (2020.5, 130)) in dotted and ((2019.5, 50), (2019.5, 60)) in dotted
    # the range <5 is a bar from 0 to 4, never a point
    axes = chart.figure.axes[0]
    bars = [seg for coll in axes.collections for seg in coll.get_segments()]
    assert any((seg[0][1], seg[1][1]) == (0, 4) and seg[0][0] == 2022 for seg in bars)
    points = [
        (x, y)
        for line in axes.lines
        if line.get_marker() in ("o", "D")
        for x, y in zip(*line.get_data(), strict=True)
    ]
    assert (2022, 2) not in points and (2022, 0) not in points and (2021, 130) in points
    breaks = [line.get_data() for line in axes.lines if line.get_marker() == "D"]
    assert [(list(x), list(y)) for x, y in breaks] == [([2021], [130])]  # b: a diamond
    crosses = [line.get_data() for line in axes.lines if line.get_marker() == "x"]
    assert [(list(x), list(y)) for x, y in crosses] == [([2021], [0])]  # c: on the axis
    labels = [h.get_label() for h in axes.get_legend().legend_handles]
    assert labels[:2] == ["BEL Belgium", "NLD Netherlands"] and len(labels) == 5


def test_trend_chart_chooses_the_largest_and_checks_countries_asked_for():
    table = _table()
    caption = trend_chart(table).caption
    assert "every country" in caption and "as a range" in caption and "break" in caption
    plain = ComparisonTable(
        "VICTIMS_DETECTED",
        ["NLD"],
        [2019, 2020],
        {("NLD", 2019): _cell(1), ("NLD", 2020): _cell(2)},
        [],
        [],
    )
    assert trend_chart(plain).caption == "Victims of trafficking detected: every country."
    with pytest.raises(OptionError, match="DEU"):
        trend_chart(table, ["NLD", "DEU"])


def test_composition_bars_are_the_exact_shares_and_one_hidden_remainder():
    spec = next(s for s in share_specs() if s.name == "forms")
    share = ShareTable(spec, "VICTIMS_DETECTED")
    share.cells[("NLD", 2023)] = {
        "SEXUAL": Share(50.0, 50.0),
        "LABOUR": Share(30.0, 30.0),
        "OTHER_FORMS": Share(mark="c"),
        "_U": Share(0.0, 6.7),
    }
    share.totals[("NLD", 2023)] = 60
    share.cells[("NLD", 2022)] = {"SEXUAL": Share(10.0, 10.0)}  # an earlier year: not drawn
    share.totals[("NLD", 2022)] = 10
    axes = composition_chart(share).figure.axes[0]
    widths = [(p.get_x(), p.get_width()) for p in axes.patches]
    assert widths == [(0, 50.0), (50.0, 30.0), (80.0, 20.0)]
    assert axes.patches[-1].get_hatch() == "///"
    assert [t.get_text() for t in axes.get_yticklabels()] == ["NLD 2023 (n=60)"]


def test_render_png_and_svg_deterministic():
    from PIL import Image

    chart = trend_chart(_table())
    png = chart_bytes(chart, "png")
    assert Image.open(io.BytesIO(png)).size[0] > 600
    svg = chart_bytes(trend_chart(_table()), "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert svg == chart_bytes(trend_chart(_table()), "svg")  # the same figures, the same bytes
    assert b"Netherlands" in svg  # text stays text
    with pytest.raises(OptionError):
        chart_bytes(chart, "pdf")


def test_chart_command(sample_store, tmp_path):
    out = tmp_path / "victims.png"
    args = ["--store", str(sample_store)]
    result = invoke("chart", "--indicator", "victims_detected", "-o", str(out), *args)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    by = invoke(
        "chart",
        "--indicator",
        "VICTIMS_DETECTED",
        "--by",
        "sex",
        "--countries",
        "NLD,BEL",
        "-o",
        str(tmp_path / "sex.svg"),
        *args,
    )
    assert by.exit_code == 0, by.stderr
    assert b"NLD 2023" in (tmp_path / "sex.svg").read_bytes()
    for bad in (
        ["-o", str(tmp_path / "x.pdf")],
        ["--countries", "XXX", "-o", str(out)],
        ["--by", "colour", "-o", str(out)],
        ["--years", "1990", "-o", str(out)],
    ):
        failed = invoke("chart", "--indicator", "VICTIMS_DETECTED", *bad, *args)
        assert failed.exit_code == 2 and "Traceback" not in failed.stderr, bad
    assert not (tmp_path / "x.pdf").exists()
