"""Harmonise free-text labels to codes, and say what to add when a label is unknown.

Countries are found by ISO3 code, by their ISO 3166 names (pycountry), their CLDR names in the
six UN languages (Babel) and the curated names and demonyms of
``schemas/labels/countries.yaml`` (:func:`country_code`, the one resolver of every path);
dimension labels by the code lists' labels in English, French and Spanish and their synonyms;
a layout adds its own labels on top. Matching folds case, accents, apostrophes and spaces,
and repairs UTF-8 text decoded as Latin-1 (``TÃ¼rkiye``). Nothing is guessed: an unknown label
stays unknown, and :func:`closest` offers the nearest known labels for the message.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping

from nremstats.core import codes

#: Characters that betray UTF-8 bytes read as Latin-1 / cp1252.
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text decoded as Latin-1 or cp1252 (``CÃ´te`` -> ``Côte``); else unchanged."""
    if not _MOJIBAKE.search(text):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


@functools.lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """The form labels are compared in: repaired, accent- and case-folded, one space."""
    folded = codes.normalise_label(repair_mojibake(text))
    return re.sub(r"\s*([(),.&/-])\s*", r"\1", folded)


#: The languages whose CLDR country names are read: the six UN languages.
CLDR_LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru")
#: How a demonym ends when its plural is the demonym and an ``s`` (Nigerian -> Nigerians,
#: Cypriot -> Cypriots, Pakistani -> Pakistanis); other endings take no such plural.
_PLURAL_OF = ("an", "i", "ino", "ina", "er", "ot", "ard", "ite")


@functools.cache
def country_names() -> dict[str, set[str]]:
    """Country name as the standard lists write it -> its ISO3 codes: ISO 3166 names
    (pycountry) and CLDR's names in the six UN languages (Babel)."""
    import pycountry
    from babel import Locale

    found: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                found.setdefault(str(name), set()).add(country.alpha_3)
    alpha3 = _alpha2()
    for language in CLDR_LANGUAGES:
        for territory, name in Locale(language).territories.items():
            if territory in alpha3:
                found.setdefault(str(name), set()).add(alpha3[territory])
    return found


@functools.cache
def country_labels() -> dict[str, str]:
    """Country label as written -> ISO3: the standard names (:func:`country_names`), then the
    curated names and demonyms of ``schemas/labels/countries.yaml``, which win. A name the
    standard lists give to two countries is dropped, never guessed."""
    out = {name: next(iter(found)) for name, found in country_names().items() if len(found) == 1}
    curated = codes.load_declaration("labels/countries.yaml")["countries"]
    for code, names in curated.items():
        for name in names:
            out[str(name)] = str(code)
    return out


@functools.cache
def country_index() -> dict[str, str]:
    """Folded country label -> ISO3 (see :func:`country_labels`); a folded form two labels
    give to different countries is dropped."""
    index: dict[str, str] = {}
    clashes: set[str] = set()
    for name, code in country_labels().items():
        key = fold(name)
        if index.setdefault(key, code) != code:
            clashes.add(key)
    for key in clashes:
        del index[key]
    return index


def country_code(text: object) -> str | None:
    """The ISO3 code a label names, else None: the one resolver of country and citizenship
    labels for templates, canonical CSVs and layouts. Reads ISO3 codes (``ROU``), names in the
    six UN languages (``Romania``, ``Roumanie``), curated names and demonyms (``Romanian``)
    and the plural of a demonym (``Romanians``)."""
    raw = str(text).strip()
    if len(raw) == 3 and raw.upper() in codes.country_codes():
        return raw.upper()
    index = country_index()
    folded = fold(raw)
    code = index.get(folded)
    if code is None and folded.endswith("s") and folded[:-1] not in _standard_folded():
        singular = folded[:-1]  # the plural of a demonym, not of a country's name ("Nigers")
        code = index.get(singular) if singular.endswith(_PLURAL_OF) else None
    return code


@functools.cache
def _standard_folded() -> frozenset[str]:
    return frozenset(fold(name) for name in country_names())


@functools.cache
def _alpha2() -> dict[str, str]:
    import pycountry

    table = {country.alpha_2: country.alpha_3 for country in pycountry.countries}
    table["XK"] = "XKX"
    return table


def iso2_code(text: str) -> str | None:
    """The ISO3 code of an ISO 3166-1 alpha-2 code (``RO`` -> ``ROU``), else None."""
    return _alpha2().get(str(text).strip().upper())


def dimension_index(dim: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Folded label -> code for one dimension: its codes, labels and synonyms, then ``extra``."""
    index: dict[str, str] = {}
    for entry in codes.indicators() if dim == "indicator" else codes.codelist(dim):
        code = str(entry["code"])
        index[fold(code)] = code
        names = [*entry.get("labels", {}).values(), *(entry.get("synonyms") or [])]
        for text in names + ([entry["glotip"]] if "glotip" in entry else []):
            index.setdefault(fold(str(text)), code)
    for text, code in (extra or {}).items():
        index[fold(str(text))] = code
    return index


#: Age bands as written: "0-17", "9--17", "18 to 24", "48+", "18 or over", "under 18".
#: (Compared after :func:`fold`: no accents, so "años" is "anos" and "más" is "mas".)
_RANGE = re.compile(r"^(\d{1,3})\s*(?:-+|–|to|a)\s*(\d{1,3})(?:\s*(?:years?|ans|anos))?$")
_OVER = re.compile(
    r"^(\d{1,3})\s*(?:\+|(?:(?:years?|ans|anos)\s*)?(?:or|and|y|et)\s*(?:over|older|more|plus|mas))"
)
_UNDER = re.compile(r"^(?:under|less than|below|moins de|menos de)\s*(\d{1,3})$")
_UPTO = re.compile(r"^(\d{1,3})\s*(?:years?\s*)?(?:or|and)\s*(?:under|younger|less)$")
ADULT = 18


def age_band(text: str) -> tuple[int, int | None] | None:
    """The ages a band covers, ``(low, high)`` with ``high`` None when open; None if the
    text is not a band. Labels around the band (``Child (17 or under)``) are looked into."""
    folded = fold(text)
    inner = re.search(r"\(([^)]*)\)", folded)
    for candidate in ([inner.group(1)] if inner else []) + [folded]:
        candidate = candidate.strip()
        if match := _RANGE.match(candidate):
            return int(match.group(1)), int(match.group(2))
        if match := _OVER.match(candidate):
            return int(match.group(1)), None
        if match := _UNDER.match(candidate):
            return 0, int(match.group(1)) - 1
        if match := _UPTO.match(candidate):
            return 0, int(match.group(1))
    return None


def age_code(text: str) -> str | None:
    """``Y_LT18`` or ``Y_GE18`` for a band nesting inside one of them, else None (a band
    straddling 18, or no band): see :func:`age_band`."""
    band = age_band(text)
    if band is None:
        return None
    low, high = band
    if high is not None and high < ADULT and low <= high:
        return "Y_LT18"
    if low >= ADULT:
        return "Y_GE18"
    return None


def closest(text: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known labels nearest to ``text`` (by folded spelling), best first.

    Only the labels sharing the most three-letter runs with ``text`` are compared (a label
    similar enough to be offered shares several), which keeps this fast over every country
    name in six languages.
    """
    folded, grams = _gram_index(tuple(known))
    wanted = fold(str(text))
    if len(wanted) >= 3:
        shared: dict[str, int] = {}
        for gram in _grams(wanted):
            for key in grams.get(gram, ()):
                shared[key] = shared.get(key, 0) + 1
        candidates = sorted(shared, key=lambda k: (-shared[k], k))[:_POOL]
    else:
        candidates = list(folded)
    matches = difflib.get_close_matches(wanted, candidates, n=n, cutoff=0.6)
    return [folded[m] for m in matches]


#: How many labels, those sharing the most three-letter runs, are compared by spelling.
_POOL = 40


def _grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


@functools.lru_cache(maxsize=32)
def _gram_index(known: tuple[str, ...]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Folded label -> label as written, and three-letter run -> folded labels holding it."""
    folded: dict[str, str] = {}
    for label in known:
        folded.setdefault(fold(str(label)), label)
    grams: dict[str, set[str]] = {}
    for key in folded:
        for gram in _grams(key):
            grams.setdefault(gram, set()).add(key)
    return folded, grams


def mapping_line(text: str, code: str = "CODE") -> str:
    """The YAML line that maps ``text`` to ``code`` in a layout's ``labels`` section."""
    import json

    return f"{json.dumps(text, ensure_ascii=False)}: {code}"


def unknown_message(dim: str, text: str, known: Iterable[str], layout: str, own: str | None) -> str:
    """The message for an unknown label: the closest known labels, and how to map it: in the
    user's own layout file ``own``, or (for a shipped layout, which is not to be edited) in a
    layout file of theirs that extends ``layout``."""
    near = closest(text, known)
    hint = f"Closest known: {', '.join(repr(k) for k in near)}. " if near else ""
    line = mapping_line(text)
    if own is not None:
        how = f"add the line '{line}' under labels: {dim}: in {own}"
    else:
        how = (
            f"write a layout file of your own with 'extends: {layout}' and the line '{line}' "
            f"under labels: {dim}:, and pass it with --layout FILE"
        )
    return (
        f"The {dim} label '{text}' is not known. {hint}If it names one code, {how}; if not, "
        "the rows stay rejected."
    )
