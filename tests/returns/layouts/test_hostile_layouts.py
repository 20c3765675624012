"""Hostile layout files (issue 15): each is a usage error (exit 2) naming the file and the line,
never a traceback, a hang, an exit 3 or a file written where its name points."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from nremstats.returns.layouts.declaration import LayoutFileError, load_layout
from tests.conftest import invoke, write_csv

#: Four valid lines: a national layout of the ministry's own table.
HEAD = (
    "provider: MINX\n"
    "fixed: {country: NLD, definition: PRESUMED}\n"
    "columns: {year: year, indicator: indicator, value: value}\n"
)
BOMB_LABELS = (  # 9 x 9 x ... mappings: 9^8 labels once expanded, 713 bytes written
    "labels:\n"
    "  a: &a {x1: 1, x2: 1, x3: 1, x4: 1, x5: 1, x6: 1, x7: 1, x8: 1, x9: 1}\n"
    + "".join(
        f"  {name}: &{name} {{{', '.join(f'{name}{i}: *{previous}' for i in range(1, 10))}}}\n"
        for previous, name in zip("abcdefg", "bcdefgh", strict=True)
    )
)


def table(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "ministry.csv", ["year,indicator,value", "2022,Victims,12"])


def refused(result, path: Path, line: int, words: str) -> str:
    """Assert exit 2 with the file and line and ``words`` on standard error; its text."""
    said = " ".join(result.stderr.split())  # as printed, unwrapped
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert f"{path}, line {line}:" in said and words in said, said
    assert "Traceback" not in result.output and "internal failure" not in said
    return said


CASES = {
    # name: (files written {file name: text}, the file given to --layout, line, words)
    "alias bomb": (
        {"mine.yaml": "layout: mine\n" + HEAD + BOMB_LABELS},
        "mine.yaml",
        9,  # d: the 9 aliases of its mapping pass 10,000 nodes
        "by more than 10,000 nodes",
    ),
    "python tag": (
        {
            "mine.yaml": "layout: mine\n"
            + HEAD
            + 'title: !!python/object/apply:os.system ["touch pwned"]\n'
        },
        "mine.yaml",
        5,
        "the tag !!python/object/apply:os.system is not read",
    ),
    "extends itself": (
        {"mine.yaml": "extends: mine\nlayout: mine\n" + HEAD},
        "mine.yaml",
        1,
        "extends 'mine', which comes back to itself (mine.yaml -> mine.yaml)",
    ),
    "two-file cycle": (
        {
            "a.yaml": "layout: a\nextends: b\n" + HEAD,
            "b.yaml": "# the base\nlayout: b\nextends: a\n" + HEAD,
        },
        "a.yaml",
        3,  # b.yaml's extends closes the loop (the message names b.yaml)
        "extends 'a', which comes back to itself (a.yaml -> b.yaml -> a.yaml)",
    ),
    "over-size": (
        {"mine.yaml": "layout: mine\n" + HEAD + "title: '" + "x" * 1_000_000 + "'\n"},
        "mine.yaml",
        5,
        "the file passes 1,000,000 bytes here",
    ),
    "name with ../": (
        {"mine.yaml": HEAD + "compilation: true\nlayout: ../../escaped\n"},
        "mine.yaml",
        5,
        "layout '../../escaped' is not a plain name",
    ),
    "name with /": (
        {"mine.yaml": "layout: ministry/2023\n" + HEAD},
        "mine.yaml",
        1,
        "layout 'ministry/2023' is not a plain name",
    ),
    "extends a path": (
        {"mine.yaml": "layout: mine\nextends: ../layouts/glotip\n" + HEAD},
        "mine.yaml",
        2,
        "extends '../layouts/glotip': not a layout name",
    ),
    "alias loop": (
        {"mine.yaml": "layout: mine\n" + HEAD + "labels: &l {sex: *l}\n"},
        "mine.yaml",
        5,
        "the alias *l is inside its own anchor",
    ),
    "not UTF-8": (
        {"mine.yaml": "layout: mine\n" + HEAD + "title: Minist\xe8re\n"},
        "mine.yaml",
        5,
        "not UTF-8",
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["validate", "ingest"])
def test_a_hostile_layout_is_a_usage_error_naming_the_file_and_line(
    tmp_path, monkeypatch, case, command
):
    files, given, line, words = CASES[case]
    for name, text in files.items():
        encoding = "latin-1" if case == "not UTF-8" else "utf-8"
        (tmp_path / name).write_text(text, encoding=encoding)
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "store"
    before = time.perf_counter()
    where = ["--store", str(store)] if command == "ingest" else []
    result = invoke(command, str(table(tmp_path)), "--layout", str(tmp_path / given), *where)
    assert time.perf_counter() - before < 5
    in_message = tmp_path / ("b.yaml" if case == "two-file cycle" else given)
    refused(result, in_message, line, words)
    assert not (tmp_path / "pwned").exists()
    assert not list(tmp_path.glob("escaped*")) and not list(tmp_path.parent.glob("escaped*"))
    assert not (store / "observations" / "ministry").exists()
    assert not store.exists() or not list((store / "observations").iterdir())


def test_the_alias_bomb_is_refused_in_little_time_and_memory(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("layout: mine\n" + HEAD + BOMB_LABELS, encoding="utf-8")
    assert path.stat().st_size < 1_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(LayoutFileError, match="line 9: aliases expand"):
        load_layout(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.25 and peak < 2_000_000, (elapsed, peak)


@pytest.mark.parametrize("name", ["../layouts/glotip", "./../layouts/uk-nrm"])
def test_a_layout_name_that_is_a_path_is_no_known_layout(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)  # where none of these is a file
    data = table(tmp_path)
    result = invoke("validate", str(data), "--layout", name)
    assert result.exit_code == 2 and "no such layout. Known layouts" in result.stderr


def test_a_layout_may_extend_a_file_beside_it_by_its_file_name(tmp_path):
    (tmp_path / "base.yaml").write_text("layout: base\n" + HEAD, encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(
        "extends: base.yaml\nlayout: mine\nlabels: {indicator: {Victims: VICTIMS_DETECTED}}\n",
        encoding="utf-8",
    )
    layout = load_layout(tmp_path / "mine.yaml")
    assert (layout.name, layout.provider, layout.fixed["country"]) == ("mine", "MINX", "NLD")
