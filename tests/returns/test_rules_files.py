"""Hostile rules files (issue 15): each is a usage error (exit 2) naming the file and the line,
never a traceback, a hang or an exit 3. (The rules themselves: tests/returns/test_rules.py.)"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from nremstats.returns.rules import RulesFileError, load_rules
from tests.conftest import SAMPLES, invoke

BOMB = (  # a parameter whose value is 9^8 strings once expanded, in under 1 kB
    "# anchors for the rules below\n"
    "anchors:\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n"
        for previous, name in zip("abcdefg", "bcdefgh", strict=True)
    )
    + "rules:\n  PLAUSIBILITY_YEAR_CHANGE: {factor: *h}\n"
)

CASES = {
    # name: (text, line, words)
    "alias bomb": (BOMB, 7, "by more than 10,000 nodes"),  # e: 9 x 7,381 nodes
    "python tag": (
        "rules:\n  COMPLETENESS_BLANK: off\n"
        '  BALANCE_TOTAL_EXCEEDS_PARTS: !!python/object/apply:os.system ["touch pwned"]\n',
        3,
        "the tag !!python/object/apply:os.system is not read",
    ),
    "over-size": (
        "rules:\n  COMPLETENESS_BLANK: off\n# " + "x" * 1_000_000 + "\n",
        3,
        "the file passes 1,000,000 bytes here",
    ),
    "alias loop": ("rules:\n  COMPLETENESS_BLANK: &x {severity: *x}\n", 2, "inside its own anchor"),
    "not UTF-8": ("rules:\n  COMPLETENESS_BLANK: off # d\xe9sactiv\xe9\n", 2, "not UTF-8"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_rules_file_is_a_usage_error_naming_the_file_and_line(
    tmp_path, monkeypatch, case
):
    text, line, words = CASES[case]
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="latin-1" if case == "not UTF-8" else "utf-8")
    monkeypatch.chdir(tmp_path)
    sample = SAMPLES / "DEU_2021-2023_canonical.csv"
    started = time.perf_counter()
    result = invoke("validate", str(sample), "--rules", str(path))
    assert time.perf_counter() - started < 5
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert f"{path}, line {line}:" in said and words in said, said
    assert "Traceback" not in result.output and "internal failure" not in said
    assert not (tmp_path / "pwned").exists()


def test_the_alias_bomb_is_refused_in_little_time_and_memory(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert path.stat().st_size < 1_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(RulesFileError, match="line 7: aliases expand"):
        load_rules(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.25 and peak < 2_000_000, (elapsed, peak)
