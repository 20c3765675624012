"""The html report: self-contained, every table and chart present; the audit as JSON; and,
where Debian's chromium is installed, rendered headless without errors."""

from __future__ import annotations

import base64
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLES, chromium, invoke


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "img":
            self.images.append(found)
        for name in ("href", "src", "srcset", "action", "data"):
            if name in found and tag != "img":
                self.links.append(found[name])
        if "id" in found:
            self.ids.add(found["id"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


@pytest.fixture(scope="module")
def html_report(sample_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    population = str(SAMPLES / "reference" / "population.csv")
    result = invoke(
        "report",
        "--years",
        "2021-2024",
        "-o",
        str(out),
        "--population",
        population,
        "--store",
        str(sample_store),
    )
    assert result.exit_code == 0, result.stderr
    return out


def test_html_report_is_self_contained_with_every_table_and_chart(
    html_report, sample_store, tmp_path
):
    page = _Page()
    page.feed(html_report.read_text(encoding="utf-8"))
    # the same tables as the workbook: one per indicator, per share, and the rest
    xlsx = tmp_path / "report.xlsx"
    assert (
        invoke(
            "report",
            "--years",
            "2021-2024",
            "-o",
            str(xlsx),
            "--population",
            str(SAMPLES / "reference" / "population.csv"),
            "--store",
            str(sample_store),
        ).exit_code
        == 0
    )
    sheets = load_workbook(xlsx, read_only=True).sheetnames
    indicators = [s for s in sheets if s.isupper()]
    share_tables = 3 * 4 + 1  # female, children, foreign for 4 indicators; forms for victims
    # regions, rates, coverage, marks, definitions, providers, suppression, sources
    assert page.tags["table"] == len(indicators) + share_tables + 8
    assert {i.lower().replace("_", "-") for i in indicators} <= page.ids
    # one trend chart per indicator, one composition chart per share of the indicators
    # schemas/publication.yaml names (victims: 4 shares, persons convicted: 3)
    assert len(page.images) == len(indicators) + 4 + 3
    for image in page.images:
        assert image["src"].startswith("data:image/svg+xml;base64,") and image["alt"]
        svg = base64.b64decode(image["src"].split(",", 1)[1])
        assert b"<svg" in svg and b"<image" not in svg  # nothing fetched by the chart itself
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert all(link.startswith("#") and link[1:] in page.ids for link in page.links)
    assert "url(" not in page.style and "@import" not in page.style
    assert page.tags.get("meta", 0) >= 2  # charset and viewport (phones)


def test_report_audit_as_json_matches_the_workbook(sample_store, tmp_path):
    result = invoke(
        "report", "--years", "2021-2024", "--format", "json", "--store", str(sample_store)
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"years", "made", "as_of", "suppress_below", "suppressed", "submissions"}
    assert data["as_of"] is None  # the current state
    assert data["suppress_below"] == 5 and data["years"] == [2021, 2022, 2023, 2024]
    keys = ["indicator", "country", "year", "breakdown", "reason", "why", "interval"]
    assert data["suppressed"] and all(list(e)[:7] == keys for e in data["suppressed"])
    for entry in data["suppressed"]:  # internal: the intruder's interval of a small count
        assert entry["reason"] != "primary" or entry["interval"][0] <= 1
    xlsx = tmp_path / "r.xlsx"
    invoke("report", "--years", "2021-2024", "-o", str(xlsx), "--store", str(sample_store))
    rows = list(load_workbook(xlsx)["Suppression"].iter_rows(min_row=2, values_only=True))
    public = keys[:4]  # the published workbook never says why a cell is hidden
    assert [list(row) for row in rows] == [[e[k] for k in public] for e in data["suppressed"]]
    assert list(data["submissions"][0]) == [
        "country",
        "year",
        "provider",
        "submission_id",
        "indicators",
    ]
    out = tmp_path / "audit.json"
    assert (
        invoke(
            "report",
            "--years",
            "2021-2024",
            "-f",
            "json",
            "-o",
            str(out),
            "--store",
            str(sample_store),
        ).exit_code
        == 0
    )
    assert json.loads(out.read_text()) == data


def test_report_format_is_needed(sample_store, tmp_path):
    for args in (["-o", str(tmp_path / "r.pdf")], []):
        result = invoke("report", "--years", "2022", *args, "--store", str(sample_store))
        assert result.exit_code == 2 and "-o FILE.xlsx" in result.stderr


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_html_report_renders_in_headless_chromium(html_report, tmp_path):
    from PIL import Image

    shot, dom = chromium(html_report, tmp_path, "390,1600")
    image = Image.open(shot).convert("L")
    assert image.size == (390, 1600)
    assert image.getextrema()[0] < 100  # text and charts drawn, not a blank page
    assert dom.count("<table") >= 20
    assert "Victims of trafficking detected" in dom
