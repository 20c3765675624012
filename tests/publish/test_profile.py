"""The country profile: one country's indicators over time, shares of the latest year,
sources and revisions, definitions and open findings; html (rendered by chromium where it
is installed) and xlsx; a release like the report."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nremstats.ingest import ingest_files
from nremstats.publish.profile import build_profile, profile_html
from nremstats.publish.publication import build_report
from nremstats.store.store import open_store
from tests.conftest import HEADER, chromium, invoke, write_csv

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def revised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NLD 2021-2023 (2023 sent twice: a revision), with notes, definitions that change,
    a small count; BEL beside it."""
    folder = tmp_path_factory.mktemp("profile")
    head = f"{HEADER},definition"
    first = write_csv(
        folder / "NLD_first.csv",
        [
            head,
            "NLD,2021,VICTIMS_DETECTED,_T,_T,_T,_T,958,PRESUMED",
            "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,1001,PRESUMED",
            "NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,1040,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,F,_T,_T,_T,700,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,M,_T,_T,_T,337,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,_U,_T,_T,_T,3,IDENTIFIED",
            "NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,88,",
        ],
    )
    second = write_csv(
        folder / "NLD_second.csv",
        [
            head,
            "NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,1042,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,F,_T,_T,_T,702,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,M,_T,_T,_T,337,IDENTIFIED",
            "NLD,2023,VICTIMS_DETECTED,_U,_T,_T,_T,3,IDENTIFIED",
            "NLD,2023,PERSONS_CONVICTED,_T,_T,_T,_T,90,",
        ],
    )
    other = write_csv(folder / "BEL.csv", [head, "BEL,2023,VICTIMS_DETECTED,_T,_T,_T,_T,231,"])
    store = folder / "store"
    for path in (first, other, second):
        assert ingest_files([path], store).ok
    return store


def test_the_profile_of_one_country(revised: Path) -> None:
    profile = build_profile(open_store(revised), "nld")
    pub = profile.publication
    assert profile.country == "NLD" and pub.years == [2021, 2022, 2023]
    for table in pub.tables:
        assert {c for c, _ in table.cells} == {"NLD"}
        used = {n for cell in table.cells.values() for n in cell.notes}
        assert used == set(range(1, len(table.footnotes) + 1))  # no other country's notes
    victims = next(t for t in pub.tables if t.indicator == "VICTIMS_DETECTED")
    assert victims.cells[("NLD", 2023)].value == 1042  # the revision is current
    assert [(y, changed) for y, _, changed in profile.definitions()] == [
        (2021, False),
        (2022, False),
        (2023, True),
    ]
    states = sorted(state for *_, state in profile.revisions())
    assert states == ["current", "current", "current", "superseded"]  # 2023 sent twice
    sources = {(year, sub) for year, _, _, sub, _, _ in profile.sources()}
    assert len({sub for _, sub in sources}) == 3 and all(
        year in (2021, 2022, 2023) for year, _ in sources
    )
    # the latest year's shares only, as the report prints them: the 3 of unknown sex hidden
    (sex,) = [s for s in profile.shares() if s.spec.name == "female"]
    assert sex.years == [2023]
    full = build_report(open_store(revised), [2021, 2022, 2023])
    whole = next(t for t in full.tables if t.indicator == "VICTIMS_DETECTED")
    assert all(victims.cells[k].mark == whole.cells[k].mark for k in victims.cells)


def test_the_latest_returns_findings_are_listed(revised: Path) -> None:
    profile = build_profile(open_store(revised), "NLD")
    assert profile.latest_return is not None and profile.latest_return.startswith("NLD-NLD-2023")
    assert profile.findings, "the second return has findings (no definition of convicted...)"
    html = profile_html(profile)
    for finding in profile.findings:
        assert finding.rule in html


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang", "")
        for name in ("href", "src"):
            if name in found and not str(found[name]).startswith(("data:", "#")):
                self.links.append(found[name])


def test_profile_files_through_the_cli(revised: Path, tmp_path: Path) -> None:
    html, book = tmp_path / "nld.html", tmp_path / "nld.xlsx"
    store = ["--store", str(revised)]
    assert invoke("profile", "NLD", "-o", str(html), *store, "--draft").exit_code == 0
    text = html.read_text(encoding="utf-8")
    page = _Links()
    page.feed(text)
    assert page.links == [] and page.lang == "en"  # self-contained
    assert text.count("data:image/svg+xml;base64,") >= 2  # a trend chart per indicator
    assert "Netherlands (NLD)" in text and "Sources and revisions" in text
    assert invoke("profile", "NLD", "-o", str(book), "--years", "2022-2023", *store).exit_code == 0
    wb = load_workbook(book)
    assert {"VICTIMS_DETECTED", "Data", "Shares", "Sources", "Revisions", "Findings"} <= set(
        wb.sheetnames
    )
    header = [c.value for c in wb["VICTIMS_DETECTED"][2]]
    assert header[2:] == [2022, 2023]
    nld = list(wb["VICTIMS_DETECTED"][3])
    assert nld[3].value == 1042 and nld[3].data_type == "n"
    bad = invoke("profile", "XXX", "-o", str(tmp_path / "x.html"), *store)
    assert bad.exit_code == 2 and "No figure of XXX" in bad.stderr
    suffix = invoke("profile", "NLD", "-o", str(tmp_path / "x.pdf"), *store)
    assert suffix.exit_code == 2 and not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_profile_renders_in_headless_chromium(revised: Path, tmp_path: Path) -> None:
    from PIL import Image

    html = tmp_path / "nld.html"
    assert (
        invoke("profile", "NLD", "-o", str(html), "--store", str(revised), "--draft").exit_code == 0
    )
    shot, dom = chromium(html, tmp_path, "1000,1600")
    image = Image.open(shot).convert("L")
    assert image.getextrema()[0] < 100  # text and charts drawn
    assert re.search(r"Open findings of the latest return", dom)
    assert dom.count("<table") >= 4
