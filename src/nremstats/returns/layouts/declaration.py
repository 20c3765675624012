"""Foreign layouts as declarations: read and check a layout file, list them, detect them.

A layout file (``schemas/layouts/NAME.yaml``, or any file given to ``--layout``) says who
the provider is, how to find the table in a foreign file and how its labels map to codes;
see ``docs/layouts.md``. A mistake in it (unknown key, a mapping to a code not in the code
lists, a bad rule change, a name that is not a plain name, an ``extends`` that comes back to
itself) is a usage error naming the file and line; the file is read within the limits of
:mod:`nremstats.core.yamlfile` before anything walks it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.files import NAME_RULE, plain_name
from nremstats.core.model import CODED_FIELDS, DIMENSIONS
from nremstats.core.yamlfile import read_yaml
from nremstats.returns.layouts.vintage import parse_vintage
from nremstats.returns.rules import RuleSet, RulesFileError, check_rule

#: The dimensions a layout maps labels of, and the fields it may read from a column.
LABEL_DIMS = (*CODED_FIELDS, "definition", "country")
FIELDS = ("country", "year", "quarter", *CODED_FIELDS, "value", "definition", "note")
TOP_KEYS = {
    "layout": str, "title": str, "provider": str, "compilation": bool, "formats": list,
    "sheet": str, "shape": str, "header": dict, "columns": dict, "breakdown": dict,
    "ignore": list, "expect": dict, "labels": dict, "rules": dict, "fixed": dict, "keep": dict,
    "period_from_name": str, "delimiter": str, "packed": dict, "flags": dict, "extends": str,
    "cases": dict, "skip_rows": int, "fill_down": list, "across": dict, "combine": dict,
    "unit": dict, "vintage": dict, "complete": bool,
}  # fmt: skip
SHAPES = ("long", "packed", "wide", "cases")
#: What a breakdown category may become: a dimension, every breakdown total, or skipped.
AS_TOTAL = "total"


class LayoutFileError(OptionError):
    """A layout file is missing, unreadable, or says something nremstats cannot do."""


@dataclass
class Layout:
    """One foreign layout, checked."""

    name: str
    title: str
    provider: str
    path: Path
    compilation: bool = False
    formats: list[str] = field(default_factory=lambda: ["xlsx", "csv"])
    sheet: str = "*"
    shape: str = "long"
    header_find: list[str] = field(default_factory=list)
    header_within: int = 10
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    breakdown: dict[str, Any] | None = None
    ignore: list[str] = field(default_factory=list)
    expect: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    rule_changes: dict[str, Any] = field(default_factory=dict)
    #: {column: (texts read, why other rows are skipped)}
    keep: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    #: A regular expression with groups ``year`` (and ``quarter``) matched on the file name.
    period_from_name: str | None = None
    #: The field separator of a text file.
    delimiter: str = ","
    #: For shape ``packed``: ``{"marker": text}``, the header cell holding the packed key.
    packed: dict[str, str] = field(default_factory=dict)
    #: Flag letters after a value (``123 d``, ``: z``): {letter: {"note": text} or
    #: {"status": code}} (p, e, b, c are read as the observation format says).
    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    #: For shape ``cases``: one row per person, counted (see docs/layouts.md).
    cases: dict[str, Any] = field(default_factory=dict)
    #: Rows between the header and the data.
    skip_rows: int = 0
    #: Texts of a row of labels that may follow the header (skipped when it is there).
    labels_row: list[str] = field(default_factory=list)
    #: Header rows joined into one name (``Adult - Positive``).
    header_rows: int = 1
    #: Columns whose blank cells take the label above (hierarchical row labels).
    fill_down: list[str] = field(default_factory=list)
    #: For shape ``wide``: {"field": dimension, "columns": [column names]}.
    across: dict[str, Any] = field(default_factory=dict)
    #: Fields or columns whose several rows mapping to one key are parts added up
    #: (``combine: {sum: [...]}``); any other many-to-one is refused.
    sum_over: list[str] = field(default_factory=list)
    #: Fields or columns whose several rows mapping to one key repeat one figure (stored
    #: once when their values agree; ``combine: {same: [...]}``).
    same_over: list[str] = field(default_factory=list)
    #: ``(column, texts that mean counts)``: rows with another unit are refused.
    unit: tuple[str, list[str]] | None = None
    #: Where a compilation carries its extraction date (:mod:`.vintage`).
    vintage: dict[str, str] | None = None
    #: A compilation that holds every country-year of its provider: those a newer complete
    #: vintage no longer holds are withdrawn.
    complete: bool = False

    def resolve(self, header: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """The column each field is read from in this header, and the required columns
        missing (a field may name alternatives; an optional field may be absent)."""
        present = set(header)
        found: dict[str, str] = {}
        missing: list[str] = []
        for name, spec in self.columns.items():
            column = next((c for c in spec["column"] if c in present), None)
            if column is not None:
                found[name] = column
            elif not spec.get("optional"):
                missing.append(" or ".join(spec["column"]))
        return found, missing

    def ruleset(self, base: RuleSet | None = None) -> RuleSet:
        """The rules for this layout's files: ``base`` with the layout's changes on top."""
        base = base or RuleSet.default()
        return base.merged(self.rule_changes, str(self.path)) if self.rule_changes else base

    def header_row(self, rows: list[list[str]]) -> int | None:
        """The 0-based index of the header row among the first rows, else None."""
        wanted = {name.strip() for name in self.header_find}
        marker = self.packed.get("marker")
        for index, row in enumerate(rows[: self.header_within]):
            cells = {str(cell).strip() for cell in row}
            if marker is not None:
                if any(marker in cell for cell in cells):
                    return index
            elif wanted <= cells:
                return index
        return None


def load_layout(name_or_path: str | Path) -> Layout:
    """Read and check a layout: a shipped layout's name or a layout file's path.

    Raises:
        LayoutFileError: no such layout, or the file breaks a rule of docs/layouts.md (the
            message names the file and line).
    """
    text = str(name_or_path)
    path = Path(text)
    if not path.suffix and not path.exists():
        path = codes.layouts_dir() / f"{text}.yaml"
        if not plain_name(text) or not path.is_file():
            known = ", ".join(codes.layout_names())
            raise LayoutFileError(
                f"--layout {text}: no such layout. Known layouts: {known}; "
                "or give the path of a layout file."
            )
    stat = path.stat() if path.is_file() else None
    if stat is None:
        return _parse(path)  # says it cannot be read
    return copy.deepcopy(_parse_cached(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _parse_cached(path: str, mtime_ns: int, size: int) -> Layout:
    """A layout file parsed once per version of the file (callers get a copy)."""
    return _parse(Path(path))


def _parse(path: Path) -> Layout:
    document = read_yaml(path, LayoutFileError)  # within limits, checked before any walk
    data = document.data
    lines = _lines(path, document.root)
    fail = _failure(path, lines)
    if isinstance(data, dict) and "extends" in data:
        data = _extend(path, data, fail)

    _check_top(data, fail)
    header = data.get("header") or {}
    layout = Layout(
        name=str(data["layout"]),
        title=str(data.get("title", data["layout"])),
        provider=str(data["provider"]).upper(),
        cases=dict(data.get("cases") or {}),
        skip_rows=int(data.get("skip_rows", 0)),
        labels_row=[str(t) for t in (data.get("header") or {}).get("labels_row", [])],
        header_rows=int((data.get("header") or {}).get("rows", 1)),
        fill_down=[str(c) for c in data.get("fill_down", [])],
        across=_across(data.get("across"), data.get("shape", "long"), fail),
        path=path,
        compilation=bool(data.get("compilation", False)),
        formats=[str(f) for f in data.get("formats", ["xlsx", "csv"])],
        sheet=str(data.get("sheet", "*")),
        shape=data.get("shape", "long"),
        header_find=[str(c) for c in header.get("find", [])],
        header_within=int(header.get("within", 10)),
        columns=_columns(data["columns"], fail),
        ignore=[str(c) for c in data.get("ignore", [])],
        expect={str(k): str(v) for k, v in (data.get("expect") or {}).items()},
        labels=_labels(data.get("labels") or {}, fail),
        fixed={str(k): str(v) for k, v in (data.get("fixed") or {}).items()},
        keep=_keep(data.get("keep") or {}, fail),
        period_from_name=data.get("period_from_name"),
        delimiter=str(data.get("delimiter", ",")),
        packed={str(k): str(v) for k, v in (data.get("packed") or {}).items()},
        flags=_flags(data.get("flags") or {}, fail),
        sum_over=_combine(data.get("combine"), fail).get("sum", []),
        same_over=_combine(data.get("combine"), fail).get("same", []),
        unit=_unit(data.get("unit"), fail),
        vintage=parse_vintage(data.get("vintage"), fail),
        complete=bool(data.get("complete", False)),
    )
    if layout.complete and not (layout.compilation and layout.vintage):
        raise fail(("complete",), "a complete file must be a compilation with a vintage.")
    if layout.across:
        layout.columns[layout.across["field"]] = {
            "column": ["(column)"],
            "codes": None,
            "optional": False,
        }
        layout.columns["value"] = {"column": ["(value)"], "codes": None, "optional": False}
    _check_fields(layout, fail)
    if "breakdown" in data:
        layout.breakdown = _breakdown(data["breakdown"], fail)
    for name, code in layout.fixed.items():
        if name not in FIELDS:
            raise fail(("fixed", name), f"'{name}' is not a field ({', '.join(FIELDS)}).")
        _check_code(name, code, fail, ("fixed", name))
    if "rules" in data:
        layout.rule_changes = _rules(path, data["rules"], lines)
    return layout


def _failure(path: Path, lines: dict[tuple[Any, ...], int]) -> Any:
    """The error of a layout file at a key path (the line of its nearest key written)."""

    def fail(keys: tuple[Any, ...], message: str) -> LayoutFileError:
        line = next((lines[keys[:n]] for n in range(len(keys), 0, -1) if keys[:n] in lines), 1)
        return LayoutFileError(f"{path}, line {line}: {message}")

    return fail


def _check_fields(layout: Layout, fail: Any) -> None:
    """Where each field comes from: columns (a value column), cases, fixed, the file name."""
    if not layout.header_find:
        layout.header_find = [
            spec["column"][0]
            for spec in layout.columns.values()
            if not spec.get("optional") and spec["column"][0] not in ("(column)", "(value)")
        ]
    if layout.shape != "cases" and "value" not in layout.columns:
        raise fail(("columns",), "columns.value is required.")
    if layout.shape == "cases":
        for key in ("year", "sex"):
            if key not in layout.cases:
                raise fail(("cases",), f"cases.{key} is required (the column it is read from).")
    _check_period(layout, fail)
    if layout.unit and layout.shape == "cases":
        raise fail(("unit",), "unit is for tables of figures; case records count persons.")
    value_columns = set(layout.columns.get("value", {}).get("column", []))
    for name in [*layout.sum_over, *layout.same_over]:
        if name in value_columns:
            raise fail(("combine",), f"'{name}' is the value column: rows differ there anyway.")


def _extend(
    path: Path, data: dict[str, Any], fail: Any, chain: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """A layout that ``extends`` another: the other's settings, with these on top (mappings
    such as ``fixed``, ``labels`` and ``combine`` merged one level down).

    The other is a layout name (``NAME.yaml`` beside this file, else a shipped layout) or a
    file name beside this file (``base.yaml``), never a path; a chain of extends that comes
    back to a file already in it is refused (``fail`` places a message on this file's
    ``extends`` line)."""
    name = data["extends"]
    if not plain_name(name):
        raise fail(("extends",), f"extends {name!r}: not a layout name ({NAME_RULE}).")
    chain = chain or (path.resolve(),)
    beside = path.parent / (name if re.search(r"\.ya?ml$", name) else f"{name}.yaml")
    base_path = beside if beside.is_file() else codes.layouts_dir() / f"{name}.yaml"
    if not base_path.is_file():
        raise fail(("extends",), f"extends '{name}', which is not a known layout.")
    if base_path.resolve() in chain:
        files = " -> ".join(p.name for p in (*chain, base_path.resolve()))
        raise fail(("extends",), f"extends '{name}', which comes back to itself ({files}).")
    document = read_yaml(base_path, LayoutFileError)
    base = document.data
    if not isinstance(base, dict):
        raise LayoutFileError(f"{base_path}, line 1: expected a mapping of layout settings.")
    if "extends" in base:
        on_base = _failure(base_path, _lines(base_path, document.root))
        base = _extend(base_path, base, on_base, (*chain, base_path.resolve()))
    merged = {**base, **{k: v for k, v in data.items() if k != "extends"}}
    for key in ("fixed", "labels", "columns", "cases", "rules", "combine"):
        if isinstance(base.get(key), dict) and isinstance(data.get(key), dict):
            merged[key] = {**base[key], **data[key]}
    if _mapping_of(base.get("combine"), list) and _mapping_of(data.get("combine"), list):
        merged["combine"] = {  # the lists add up: an extension only ever declares more
            key: list(dict.fromkeys([*base["combine"].get(key, []), *data["combine"].get(key, [])]))
            for key in {*base["combine"], *data["combine"]}
        }
    if _mapping_of(base.get("labels"), dict) and _mapping_of(data.get("labels"), dict):
        merged["labels"] = {
            dim: {**base["labels"].get(dim, {}), **data["labels"].get(dim, {})}
            for dim in {*base["labels"], *data["labels"]}
        }
    return merged  # anything else as the extension wrote it: checked, with its line, later


def _mapping_of(value: Any, kind: type) -> bool:
    """Whether ``value`` is a mapping of ``kind`` values (of texts, for lists)."""
    return isinstance(value, dict) and all(
        isinstance(item, kind) and (kind is not list or all(isinstance(t, str) for t in item))
        for item in value.values()
    )


def _check_period(layout: Layout, fail: Any) -> None:
    """Country and year come from a column, a fixed value, or (year) the file name."""
    for name in ("country", "year"):
        if name in layout.columns or name in layout.fixed or layout.shape == "cases":
            continue  # case records: year from cases.year, country given by an extension
        if name == "year" and layout.period_from_name:
            continue
        raise fail(("columns",), f"columns.{name} is required (or fixed: {{{name}: ...}}).")
    if layout.period_from_name:
        try:
            groups = re.compile(layout.period_from_name).groupindex
        except re.error as exc:
            raise fail(("period_from_name",), f"not a regular expression ({exc}).") from exc
        if "year" not in groups:
            raise fail(("period_from_name",), "the expression needs a group (?P<year>...).")


def _check_top(data: Any, fail: Any) -> None:
    if not isinstance(data, dict):
        raise fail((), "expected a mapping of layout settings (see docs/layouts.md).")
    for key, value in data.items():
        if key not in TOP_KEYS:
            allowed = ", ".join(TOP_KEYS)
            raise fail((key,), f"unknown key '{key}'. Layout keys: {allowed}.")
        if not isinstance(value, TOP_KEYS[key]):
            raise fail((key,), f"'{key}' must be a {TOP_KEYS[key].__name__}.")
    for key in ("layout", "provider", "columns"):
        if key not in data:
            raise fail((), f"the key '{key}' is required.")
    if not plain_name(data["layout"]):  # it names the store's data files of a compilation
        raise fail(("layout",), f"layout {data['layout']!r} is not a plain name: {NAME_RULE}.")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,19}", data["provider"]):  # or 'national'
        raise fail(("provider",), "provider must be an upper-case code such as UNODC.")
    shape = data.get("shape", "long")
    if shape not in SHAPES:
        raise fail(("shape",), f"shape '{shape}' is not one of {', '.join(SHAPES)}.")


def _rules(path: Path, changes: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> Any:
    """Check a layout's rule changes as a rules file's (same messages, same lines)."""
    rule_lines: dict[Any, int] = {}
    for keys, line in lines.items():
        if keys[0] == "rules" and len(keys) in (2, 3):
            rule_lines[keys[1] if len(keys) == 2 else keys[1:]] = line
    try:
        return {code: check_rule(path, rule_lines, code, rule) for code, rule in changes.items()}
    except RulesFileError as exc:
        raise LayoutFileError(str(exc)) from exc


def _columns(raw: dict[str, Any], fail: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for name, spec in raw.items():
        if name not in FIELDS:
            raise fail(("columns", name), f"'{name}' is not a field ({', '.join(FIELDS)}).")
        spec = {"column": spec} if isinstance(spec, str | list) else spec
        if not isinstance(spec, dict) or "column" not in spec:
            raise fail(("columns", name), f"columns.{name} needs a column name.")
        unknown = set(spec) - {"column", "codes", "optional"}
        if unknown:
            first = sorted(unknown)[0]
            message = f"columns.{name} takes column, codes and optional, not {first}."
            raise fail(("columns", name, first), message)
        if spec.get("codes") not in (None, "iso3", "iso2"):
            raise fail(("columns", name, "codes"), "codes must be iso3 or iso2.")
        names = spec["column"] if isinstance(spec["column"], list) else [spec["column"]]
        out[name] = {
            "column": [str(c) for c in names],
            "codes": spec.get("codes"),
            "optional": bool(spec.get("optional", False)),
        }
    return out


def _across(raw: Any, shape: str, fail: Any) -> dict[str, Any]:
    """``across: {field: sex, columns: [Female, Male, Total]}`` for a wide table: the column
    names become the field's labels, the cells its values (read as ``columns.field: (column)``
    and ``columns.value: (value)``)."""
    if shape != "wide":
        if raw:
            raise fail(("across",), "across is for shape: wide.")
        return {}
    if not isinstance(raw, dict) or set(raw) != {"field", "columns"}:
        raise fail(("across",), "shape: wide needs across: {field: ..., columns: [...]}.")
    if raw["field"] not in FIELDS:
        raise fail(("across", "field"), f"'{raw['field']}' is not a field ({', '.join(FIELDS)}).")
    return {"field": str(raw["field"]), "columns": [str(c) for c in raw["columns"]]}


def _flags(raw: dict[str, Any], fail: Any) -> dict[str, dict[str, str]]:
    out = {}
    for letter, spec in raw.items():
        if not isinstance(spec, dict) or not set(spec) <= {"note", "status"} or not spec:
            raise fail(("flags", letter), f"flags.{letter} takes note: text or status: code.")
        if "status" in spec and spec["status"] not in codes.codes("obs_status"):
            raise fail(("flags", letter, "status"), f"'{spec['status']}' is not an obs_status.")
        out[str(letter)] = {str(k): str(v) for k, v in spec.items()}
    return out


def _combine(raw: dict[str, Any] | None, fail: Any) -> dict[str, list[str]]:
    """``combine: {sum: [age, Agency], same: [Dimension]}``: fields (their columns) or column
    names in which rows mapped to one key may differ: parts added up (sum), or the same
    figure given again (same)."""
    if raw is None:
        return {}
    if not raw or not set(raw) <= {"sum", "same"}:
        raise fail(
            ("combine",),
            "combine takes sum: [fields or columns] (rows that differ only there are parts "
            "of one figure, added up) and same: [...] (rows that differ only there repeat "
            "one figure, stored once when their values agree).",
        )
    for key, names in raw.items():
        if not isinstance(names, list) or not names:
            raise fail(("combine", key), f"combine.{key} takes a list of fields or columns.")
        if "value" in names:
            raise fail(("combine", key), "the value is what is combined, not where rows differ.")
    both = set(raw.get("sum", [])) & set(raw.get("same", []))
    if both:
        raise fail(("combine",), f"{sorted(both)[0]} is in both sum and same: choose one.")
    return {key: [str(name) for name in names] for key, names in raw.items()}


def _unit(raw: dict[str, Any] | None, fail: Any) -> tuple[str, list[str]] | None:
    """``unit: {column: Unit of measurement, counts: [Counts]}``."""
    if raw is None:
        return None
    if set(raw) != {"column", "counts"} or not isinstance(raw["counts"], list) or not raw["counts"]:
        raise fail(
            ("unit",),
            "unit takes column: (the column naming the unit) and counts: [the texts there "
            "that mean counts of persons or cases]; nremstats stores counts only.",
        )
    return str(raw["column"]), [str(text) for text in raw["counts"]]


def _keep(raw: dict[str, Any], fail: Any) -> dict[str, tuple[list[str], str]]:
    out = {}
    for column, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) != {"values", "reason"}:
            raise fail(("keep", column), f"keep.{column} takes values: [...] and reason: ...")
        out[str(column)] = ([str(v) for v in spec["values"]], str(spec["reason"]))
    return out


def _breakdown(raw: dict[str, Any], fail: Any) -> dict[str, Any]:
    for key in ("dimension", "category", "by"):
        if key not in raw:
            raise fail(("breakdown",), f"breakdown.{key} is required.")
    unknown = set(raw) - {"dimension", "category", "by"}
    if unknown:
        raise fail(("breakdown", sorted(unknown)[0]), f"unknown key {sorted(unknown)[0]!r}.")
    by: dict[str, Any] = {}
    for text, target in (raw["by"] or {}).items():
        if isinstance(target, dict) and set(target) == {"skip"}:
            by[str(text)] = {"skip": str(target["skip"])}
        elif target == AS_TOTAL or target in DIMENSIONS:
            by[str(text)] = target
        else:
            raise fail(
                ("breakdown", "by", text),
                f"'{text}' must map to total, a dimension "
                "(sex, age, exploitation, citizenship) or {skip: reason}.",
            )
    return {"dimension": str(raw["dimension"]), "category": str(raw["category"]), "by": by}


def _labels(raw: dict[str, Any], fail: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for dim, mapping in raw.items():
        if dim not in LABEL_DIMS:
            raise fail(("labels", dim), f"labels.{dim}: not a dimension ({', '.join(LABEL_DIMS)}).")
        if not isinstance(mapping, dict):
            raise fail(("labels", dim), f"labels.{dim} must map labels to codes.")
        for text, code in mapping.items():
            _check_code(dim, str(code), fail, ("labels", dim, text))
        out[dim] = {str(text): str(code) for text, code in mapping.items()}
    return out


def _check_code(dim: str, code: str, fail: Any, keys: tuple[Any, ...]) -> None:
    if dim == "citizenship":
        known = codes.codes("citizenship") | codes.country_codes()
    elif dim in ("country",):
        known = codes.country_codes()
    elif dim in LABEL_DIMS:
        known = codes.codes(dim)
    else:
        return
    if code not in known:
        near = ", ".join(sorted(known)[:12]) if dim != "citizenship" else "NAT, FOR, _U, _T or ISO3"
        raise fail(keys, f"'{code}' is not a {dim} code ({near}).")


def _lines(path: Path, root: Any) -> dict[tuple[Any, ...], int]:
    """Map each key path (tuple of keys) of a YAML document to its 1-based line (a document
    checked by :func:`~nremstats.core.yamlfile.read_yaml`: its aliases expand to little)."""
    import yaml

    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: Any, prefix: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                keys = (*prefix, key.value)
                if keys in lines:  # YAML would keep the last silently
                    raise LayoutFileError(
                        f"{path}, line {key.start_mark.line + 1}: '{key.value}' is written "
                        f"twice (first on line {lines[keys]}); write it once."
                    )
                lines[keys] = key.start_mark.line + 1
                walk(value, keys)

    walk(root, ())
    return lines
