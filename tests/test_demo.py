"""Each sample error return yields its documented findings at its documented cells."""

from __future__ import annotations

import json

import pytest

from nremstats.demo import run_demo, sample_files
from nremstats.returns.pipeline import read_return

from .conftest import SAMPLES

EXPECTED = json.loads((SAMPLES / "errors" / "expected.json").read_text(encoding="utf-8"))
FILES = sorted(k for k in EXPECTED if not k.startswith("_"))


def test_every_error_file_is_documented():
    assert sorted(p.name for p in sample_files(SAMPLES / "errors")) == FILES
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in FILES:
        assert name in readme


@pytest.mark.parametrize("name", FILES)
def test_documented_findings(name):
    data = read_return(SAMPLES / "errors" / name)
    found = {(f.rule, f.sheet, f.cell, f.text) for f in data.findings}
    for item in EXPECTED[name]:
        assert (item["rule"], item["sheet"], item["cell"], item["text"]) in found
    assert not data.ok


def test_good_samples_cover_eight_countries_and_three_languages():
    files = sample_files(SAMPLES)
    templates = [p for p in files if p.suffix == ".xlsx"]
    assert len({p.name[:3] for p in templates}) >= 8
    assert {p.stem.rsplit("_", 1)[1] for p in templates} == {"en", "fr", "es"}
    assert any(p.suffix == ".csv" for p in files)
    for path in files:
        assert read_return(path).ok, path


def test_demo_runs_as_designed(tmp_path):
    result = run_demo(store=tmp_path / "store")
    assert result.as_designed
    assert len(result.table.countries) >= 8
    assert set(result.table.years) == {2021, 2022, 2023, 2024}
