from __future__ import annotations

import pytest

from nremstats.core import codes


def test_spec_codes_are_declared():
    assert codes.codes("sex") == {"F", "M", "_O", "_U", "_T"}
    assert codes.codes("age") == {"Y_LT18", "Y_GE18", "_U", "_T"}
    assert {
        "SEXUAL",
        "LABOUR",
        "ORGANS",
        "CRIMINAL",
        "BEGGING",
        "MARRIAGE",
        "OTHER",
        "MIXED",
        "OTHER_FORMS",
        "_U",
        "_T",
    } == codes.codes("exploitation")
    assert codes.codes("citizenship") == {"NAT", "FOR", "_U", "_T"}
    assert codes.codes("obs_status") == set("APEBLMQ")
    assert codes.codes("conf_status") == {"C", "D"}
    assert codes.codes("definition") == {"IDENTIFIED", "PRESUMED", "REGISTERED"}
    assert codes.codes("indicator") == {
        "VICTIMS_DETECTED",
        "PERSONS_SUSPECTED",
        "PERSONS_PROSECUTED",
        "PERSONS_CONVICTED",
        "OFFENCES_RECORDED",
    }


def test_other_forms_hierarchy():
    parents = codes.parents("exploitation")
    members = {c for c, p in parents.items() if p == "OTHER_FORMS"}
    assert members == {"ORGANS", "CRIMINAL", "BEGGING", "MARRIAGE", "OTHER", "MIXED"}


@pytest.mark.parametrize("lang", codes.LANGUAGES)
def test_every_code_has_a_label_in_each_language(lang):
    for dim in ("sex", "age", "exploitation", "citizenship", "definition", "obs_status"):
        for code in codes.ordered_codes(dim):
            assert codes.label(dim, code, lang) != code


@pytest.mark.parametrize(
    ("dim", "text", "code"),
    [
        ("sex", "Féminin", "F"),
        ("sex", "FEMENINO", "F"),
        ("sex", "women", "F"),
        ("age", "0 to 17 years", "Y_LT18"),
        ("age", "Niños (0-17)", "Y_LT18"),
        ("definition", "Présumées (victimes présumées ou possibles)", "PRESUMED"),
        ("definition", "Identificadas (víctimas formalmente identificadas)", "IDENTIFIED"),
        ("indicator", "Detected trafficking victims", "VICTIMS_DETECTED"),
        ("exploitation", "Other forms of exploitation", "OTHER_FORMS"),
    ],
)
def test_labels_map_to_codes(dim, text, code):
    assert codes.map_label(dim, text) == code


def test_unknown_label_is_none_not_a_guess():
    assert codes.map_label("sex", "Albanian Greek") is None


def test_countries():
    from nremstats.core.labels import country_code  # the one resolver of country labels

    assert country_code("nld") == "NLD"
    assert country_code("Netherlands") == "NLD"
    assert country_code("XKX") == "XKX"
    assert country_code("CAR") is None  # GLOTIP's region code, not CAF
    assert "CAF" in codes.country_codes()


def test_declarations_have_no_repeated_key():
    """YAML keeps the last of two equal keys silently: a second line for a country, a rule or
    a label would drop the first. Every declaration file is checked for that."""
    import yaml

    from tests.conftest import ROOT

    def repeated(node, path=()):
        if isinstance(node, yaml.MappingNode):
            keys = [key.value for key, _ in node.value]
            found = [(*path, k) for k in {k for k in keys if keys.count(k) > 1}]
            for key, value in node.value:
                found += repeated(value, (*path, key.value))
            return found
        if isinstance(node, yaml.SequenceNode):
            return [f for item in node.value for f in repeated(item, path)]
        return []

    files = sorted((ROOT / "schemas").rglob("*.yaml"))
    assert len(files) >= 10
    found = {
        str(path.relative_to(ROOT)): repeated(yaml.compose(path.read_text(encoding="utf-8")))
        for path in files
    }
    assert {name: keys for name, keys in found.items() if keys} == {}
