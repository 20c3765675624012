"""The declarations of ``schemas/``: code lists, indicators, labels, rules, hierarchies, layouts.

These files are the single source for the pandera schema, the template and the label mapping.
A label is matched after normalisation (case, accents, spacing and apostrophes ignored), in
any of the three languages, or through a declared synonym.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from nremstats.core.errors import SchemaFileError

LANGUAGES = ("en", "fr", "es")


def schemas_dir() -> Path:
    """Return the folder of declaration files: inside the installed package, else the repo's."""
    here = Path(__file__).resolve().parent.parent  # the nremstats package
    for candidate in (here / "schemas", here.parent.parent / "schemas"):
        if (candidate / "codelists.yaml").is_file():
            return candidate
    raise SchemaFileError(
        f"The declaration files (schemas/) are not found next to {here}. "
        "Reinstall nremstats with 'pip install .' from its source folder."
    )


def yaml_loader() -> Any:
    """PyYAML's safe loader, the C one (libyaml) when installed: about 10x faster."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_declaration(name: str) -> dict[str, Any]:
    """Read one YAML declaration file from ``schemas/`` (cached)."""
    import yaml

    path = schemas_dir() / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaFileError(f"{path}: cannot be read ({exc}). Reinstall nremstats.") from exc
    if not isinstance(data, dict):
        raise SchemaFileError(f"{path}: expected a mapping at the top. Reinstall nremstats.")
    return data


def normalise_label(text: str) -> str:
    """Fold a label for matching: lower case, no accents, one space, plain apostrophes."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'").casefold()
    return re.sub(r"\s+", " ", text).strip()


def codelist(dim: str) -> list[dict[str, Any]]:
    """Return the entries (code, labels, synonyms, parent) of one code list."""
    lists = load_declaration("codelists.yaml")["codelists"]
    if dim not in lists:
        raise SchemaFileError(f"schemas/codelists.yaml has no code list '{dim}'.")
    return list(lists[dim])


@cache
def codes(dim: str) -> frozenset[str]:
    """Return the set of codes of one code list (or of the indicators for ``indicator``)."""
    if dim == "indicator":
        return frozenset(ind["code"] for ind in indicators())
    return frozenset(entry["code"] for entry in codelist(dim))


def ordered_codes(dim: str) -> list[str]:
    """Return the codes of one code list in declaration order."""
    if dim == "indicator":
        return [ind["code"] for ind in indicators()]
    return [entry["code"] for entry in codelist(dim)]


@cache
def parents(dim: str) -> dict[str, str]:
    """Return ``{code: parent_code}`` for the hierarchy of one dimension."""
    return {e["code"]: e["parent"] for e in codelist(dim) if e.get("parent")}


def indicators() -> list[dict[str, Any]]:
    """Return the indicator declarations in order."""
    return list(load_declaration("indicators.yaml")["indicators"])


def label(dim: str, code: str, lang: str = "en") -> str:
    """Return the label of a code in a language (the code itself when none is declared)."""
    entries = indicators() if dim == "indicator" else codelist(dim)
    for entry in entries:
        if entry["code"] == code:
            return str(entry.get("labels", {}).get(lang, code))
    if dim == "citizenship":
        return country_name(code) or code
    return code


@cache
def label_map(dim: str) -> dict[str, str]:
    """Return ``{normalised label: code}`` built from codes, labels and synonyms."""
    entries = indicators() if dim == "indicator" else codelist(dim)
    mapping: dict[str, str] = {}
    for entry in entries:
        code = entry["code"]
        names = [code, *entry.get("labels", {}).values(), *entry.get("synonyms", [])]
        if "glotip" in entry:
            names.append(entry["glotip"])
        for name in names:
            mapping.setdefault(normalise_label(name), code)
    return mapping


def map_label(dim: str, text: str) -> str | None:
    """Return the code a label stands for in a dimension, or ``None`` when unknown."""
    return label_map(dim).get(normalise_label(text))


@cache
def country_codes() -> frozenset[str]:
    """Return every accepted ISO 3166-1 alpha-3 code (plus declared extras such as XKX)."""
    import pycountry

    extra = load_declaration("codelists.yaml").get("extra_countries", [])
    return frozenset(c.alpha_3 for c in pycountry.countries) | {e["code"] for e in extra}


@cache
def _country_names() -> dict[str, str]:
    import pycountry

    names = {c.alpha_3: c.name for c in pycountry.countries}
    for extra in load_declaration("codelists.yaml").get("extra_countries", []):
        names[extra["code"]] = extra["name"]
    return names


def country_name(code: str) -> str | None:
    """Return the English short name of an ISO3 country code, or ``None``."""
    return _country_names().get(code)


def rules() -> dict[str, dict[str, Any]]:
    """Return the rule catalogue ``{code: {severity, description}}``."""
    return dict(load_declaration("rules.yaml")["rules"])


def severity(rule: str) -> str:
    """Return the declared severity of a rule code."""
    try:
        return str(rules()[rule]["severity"])
    except KeyError as exc:
        raise SchemaFileError(f"Rule {rule} is not declared in schemas/rules.yaml.") from exc


@cache
def content_rules() -> frozenset[str]:
    """The rules that judge figures already read (``kind: content`` in ``schemas/rules.yaml``):
    balances, plausibility, definitions, completeness."""
    return frozenset(code for code, rule in rules().items() if rule.get("kind") == "content")


@cache
def populations() -> dict[str, dict[int, int]]:
    """Each country's total population by year (``schemas/reference/population.csv``: the
    World Bank's SP.POP.TOTL, see ``schemas/reference/README.md``)."""
    import csv

    path = schemas_dir() / "reference" / "population.csv"
    out: dict[str, dict[int, int]] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for country, year, people in itertools.islice(csv.reader(handle), 1, None):
                out.setdefault(country, {})[int(year)] = int(people)
    except (OSError, ValueError) as exc:
        raise SchemaFileError(f"{path}: cannot be read ({exc}). Reinstall nremstats.") from exc
    return out


def population(country: str, year: int) -> int | None:
    """The country's population in ``year`` (the nearest year the table has), else None."""
    by_year = populations().get(country)
    if not by_year:
        return None
    return by_year.get(year) or by_year[min(by_year, key=lambda known: abs(known - year))]


def hierarchies() -> dict[str, dict[str, Any]]:
    """Return the breakdown hierarchies (a total and its parts) of ``schemas/rules.yaml``."""
    return dict(load_declaration("rules.yaml")["hierarchies"])


def template_spec() -> dict[str, Any]:
    """Return the template declaration (grids, sheets, metadata fields, texts)."""
    return load_declaration("template.yaml")


def layouts_dir() -> Path:
    """The folder of the shipped foreign layouts (``schemas/layouts/``)."""
    return schemas_dir() / "layouts"


def layout_names() -> list[str]:
    """The names of the shipped foreign layouts."""
    return sorted(path.stem for path in layouts_dir().glob("*.yaml"))
