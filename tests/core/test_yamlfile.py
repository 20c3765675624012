"""A user's YAML read within limits, checked on the parser's events before anything walks it."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from nremstats.core.errors import UsageError, YamlFileError
from nremstats.core.yamlfile import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_EXPANSION, read_yaml


def billion_laughs(levels: int = 9) -> str:
    """About 1 kB that describes 9^levels strings once its aliases are expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefghij", "bcdefghijk"[: levels - 1], strict=False):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_plain_yaml_with_a_few_aliases_and_a_merge_key_is_read(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(
        "base: &base {sex: _T, age: _T}\nmine:\n  <<: *base\n  age: Y_LT18\n"
        "list: &l [1, 2]\nagain: *l\nwhen: 2024-05-01\ntext: !!str 12\n",
        encoding="utf-8",
    )
    document = read_yaml(path)
    assert document.data["mine"] == {"sex": "_T", "age": "Y_LT18"}
    assert document.data["again"] == [1, 2] and document.data["text"] == "12"
    assert document.root.value[0][0].start_mark.line == 0  # the node graph, for lines


def test_billion_laughs_is_refused_at_its_line_in_little_time_and_memory(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert path.stat().st_size < 1_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(YamlFileError) as caught:
        read_yaml(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # a: 10 nodes; the aliases of b add 9 x 10, of c 9 x 91, of d 9 x 820 (8,289 in all),
    # of e 9 x 7,381: over 10,000 on line 5, the rest never looked at
    assert f"{path}, line 5:" in str(caught.value) and "10,000 nodes" in str(caught.value)
    assert elapsed < 0.25 and peak < 2_000_000, (elapsed, peak)


def test_the_limits_are_exact(tmp_path):
    path = tmp_path / "limits.yaml"
    path.write_text("a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(MAX_ALIASES)), "utf-8")
    assert len(read_yaml(path).data) == MAX_ALIASES + 1
    path.write_text(path.read_text("utf-8") + "one_more: *a\n", "utf-8")
    with pytest.raises(YamlFileError, match=f"line {MAX_ALIASES + 2}: more than 100 aliases"):
        read_yaml(path)
    items = ", ".join(["x"] * (MAX_EXPANSION - 1))
    path.write_text(f"a: &a [{items}]\nb: *a\n", "utf-8")  # exactly the budget
    assert len(read_yaml(path).data["b"]) == MAX_EXPANSION - 1
    path.write_text(f"a: &a [{items}, x]\nb: *a\n", "utf-8")
    with pytest.raises(YamlFileError, match="line 2: aliases expand"):
        read_yaml(path)
    deepest = MAX_DEPTH - 1  # in the top mapping
    path.write_text("a: " + "[" * deepest + "]" * deepest + "\n", "utf-8")
    assert read_yaml(path).data["a"] is not None
    path.write_text("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", "utf-8")
    with pytest.raises(YamlFileError, match="line 1: lists and mappings nested more than"):
        read_yaml(path)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('a: 1\nb: !!python/object/apply:os.system ["echo pwned"]\n', 2, "!!python/object/apply"),
        ("a: !!python/name:os.system\n", 1, "!!python/name:os.system"),
        ("a: !custom {x: 1}\n", 1, "!custom"),
        ("a: 1\nb: &b {c: *b}\n", 2, "inside its own anchor (a loop)"),
        ("a: *nowhere\n", 1, "names no anchor"),
        ("a: 1\nb: [\n", 3, "not valid YAML"),
        ("a: 1\n---\nb: 2\n", 2, "not valid YAML"),
    ],
)
def test_what_is_not_plain_yaml_is_refused_with_its_line(tmp_path, text, line, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlFileError) as caught:
        read_yaml(path)
    assert f"{path}, line {line}:" in str(caught.value) and words in str(caught.value)
    assert "<unicode string>" not in str(caught.value)


def test_size_and_encoding_are_checked_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\nb: 2\nc: '" + b"x" * MAX_BYTES + b"'\n")
    with pytest.raises(YamlFileError, match=r"big.yaml, line 3: the file passes 1,000,000 bytes"):
        read_yaml(path)
    path.write_bytes(b"a: 1\ntitle: caf\xe9\n")
    with pytest.raises(YamlFileError, match=r"line 2: not UTF-8 \(byte 0xe9\)"):
        read_yaml(path)


def test_a_device_that_never_ends_is_read_only_up_to_the_limit():
    with pytest.raises(YamlFileError, match="passes 1,000,000 bytes"):
        read_yaml(Path("/dev/zero"))


def test_the_caller_chooses_its_usage_error(tmp_path):
    class MyFileError(UsageError):
        pass

    path = tmp_path / "bad.yaml"
    path.write_text("a: !!python/object:builtins.object {}\n", encoding="utf-8")
    with pytest.raises(MyFileError):
        read_yaml(path, MyFileError)
    with pytest.raises(MyFileError, match="cannot be read"):
        read_yaml(tmp_path / "missing.yaml", MyFileError)


@pytest.mark.parametrize("value", ["!!int abc", "!!timestamp abc", "2023-02-30", "1" * 5000])
def test_a_value_that_cannot_be_built_is_refused_at_its_line(tmp_path, value):
    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n  X:\n    since: {value}\n", encoding="utf-8")
    with pytest.raises(YamlFileError, match="line 3"):
        read_yaml(path)
