"""The package's shape: layers imported one way, no import cycle, no private name used across
modules, small modules, one declaration of what must be declared once.

Every import counts: at the top of a module, inside a function, under ``TYPE_CHECKING``.
The layer order is read from the package docstring, where it is stated (once).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import nremstats
from tests.conftest import ROOT

PACKAGE = Path(nremstats.__file__).resolve().parent
MAX_LINES = 600
MAX_TOP_LEVEL = 12
DIMENSIONS = {"sex", "age", "exploitation", "citizenship"}


def module_name(path: Path) -> str:
    parts = ["nremstats", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found[module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return found


def imported(name: str, tree: ast.Module) -> list[tuple[int, str, list[str]]]:
    """(line, module imported, names taken from it) for every import of a nremstats module."""
    known = modules()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{name}:{node.lineno}: a relative import (write it absolute)")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nremstats"):
                    out.append((node.lineno, alias.name, []))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nremstats"):
            base = node.module or ""
            names = [alias.name for alias in node.names]
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
            out.append((node.lineno, base, [n for n in names if f"{base}.{n}" not in known]))
            out += [(node.lineno, sub, []) for sub in submodules]
    return out


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in modules()}
    for name, (_, tree) in modules().items():
        for _, target, _ in imported(name, tree):
            if target in modules() and target != name:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layers() -> list[set[str]]:
    """The layer order of the package docstring: ``core -> template -> ... -> cli``."""
    line = next(text for text in (nremstats.__doc__ or "").splitlines() if " -> " in text)
    return [{name.strip() for name in part.split(",")} for part in line.split("->")]


def layer_of(name: str) -> int | None:
    parts = name.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return None  # the package's facade and the entry point stand outside the layers
    return next(i for i, members in enumerate(layers()) if parts[1] in members)


def test_the_test_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_layers_are_stated_and_cover_every_subpackage():
    named = set().union(*layers())
    assert len(layers()) >= 5, layers()
    top = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    top -= {"__init__", "__main__", "__pycache__"}
    assert top == named, f"stated {sorted(named)}, found {sorted(top)}"


def test_each_layer_imports_only_itself_and_the_layers_before_it():
    wrong = [place for name, (_, tree) in modules().items() for place in upward(name, tree)]
    assert wrong == []


def test_the_test_sees_an_import_against_the_layers():
    tree = ast.parse(
        "from nremstats.core.model import DIMENSIONS\n"
        "from nremstats import __version__\n"
        "def f():\n"
        "    from nremstats.store.store import open_store\n"
        "    from nremstats import open_store as facade\n"
    )
    assert upward("nremstats.returns.example", tree) == [
        "nremstats.returns.example:4 imports nremstats.store.store",
        "nremstats.returns.example:5 imports nremstats.open_store (through the facade)",
    ]


def upward(name: str, tree: ast.Module) -> list[str]:
    """The imports of a module against the layers: of a later layer, or of anything but the
    version through the package's facade (which would hide the layer it comes from)."""
    mine = layer_of(name)
    wrong = []
    for line, target, names in imported(name, tree):
        if target == "nremstats":
            wrong += [
                f"{name}:{line} imports nremstats.{n} (through the facade)"
                for n in names
                if n != "__version__"
            ]
            continue
        theirs = layer_of(target)
        if mine is not None and theirs is not None and theirs > mine:
            wrong.append(f"{name}:{line} imports {target}")
    return wrong


def test_no_private_name_used_across_modules():
    wrong = [place for name, (_, tree) in modules().items() for place in private_uses(name, tree)]
    assert wrong == []


def test_the_test_sees_a_private_name_used_across_modules():
    tree = ast.parse(
        "from nremstats.store.store import _parse\n"
        "import nremstats.core.codes as codes\n"
        "class A:\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def f(self, other):\n"
        "        return self._mine, other._mine, codes._hidden, other._theirs\n"
    )
    found = private_uses("nremstats.example", tree)
    assert found == [
        "nremstats.example:1 imports nremstats.store.store._parse",
        "nremstats.example:7 uses ._hidden",
        "nremstats.example:7 uses ._theirs",
    ]


def private_uses(name: str, tree: ast.Module) -> list[str]:
    """``from x import _name``, and ``obj._name`` where the module itself defines no name,
    method or attribute ``_name`` (so it belongs to another module)."""
    own = private_names(tree)
    wrong = []
    for line, target, names in imported(name, tree):
        wrong += [f"{name}:{line} imports {target}.{n}" for n in names if is_private(n)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in own:
            wrong.append(f"{name}:{node.lineno} uses .{node.attr}")
    return sorted(wrong, key=lambda text: int(text.split(":")[1].split()[0]))


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, assignments, attributes."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return {n for n in found if is_private(n)}


def test_modules_are_small_and_the_top_level_is_short():
    long = {
        name: n
        for name, (path, _) in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
    entries = [p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)


def literals(tree: ast.Module) -> list[tuple[int, set[object], ast.AST]]:
    """Every collection literal with its constant items (a dict: its keys)."""
    out = []
    for node in ast.walk(tree):
        items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict) and items:
            values = {item.value for item in items if isinstance(item, ast.Constant)}
            out.append((node.lineno, values, node))
    return out


def test_the_dimensions_are_declared_once():
    places = [
        f"{name}:{line}"
        for name, (_, tree) in modules().items()
        for line, values, _ in literals(tree)
        if DIMENSIONS <= values
    ]
    assert places == ["nremstats.core.model:" + str(declaration_line())]


def declaration_line() -> int:
    path = PACKAGE / "core" / "model.py"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"DIMENSIONS\b.*=", line):
            return number
    raise AssertionError("core/model.py declares no DIMENSIONS")


def test_findings_are_made_by_one_factory_and_ranked_in_one_place():
    made, ranked = [], []
    for name, (_, tree) in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = node.func
                called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if called == "Finding":
                    made.append(f"{name}:{node.lineno}")
        for line, values, node in literals(tree):
            numbers = isinstance(node, ast.Dict) and all(
                isinstance(v, ast.Constant) and isinstance(v.value, int) for v in node.values
            )
            if {"error", "warning", "info"} <= values and numbers:
                ranked.append(f"{name}:{line}")
    assert {m.rsplit(":", 1)[0] for m in made} == {"nremstats.core.findings"}
    assert ranked == []  # the ranking is derived from SEVERITIES, in core.findings
    listed = [
        f"{name}:{line}"
        for name, (_, tree) in modules().items()
        for line, values, node in literals(tree)
        if not isinstance(node, ast.Dict) and values == {"error", "warning", "info"}
    ]
    assert {place.rsplit(":", 1)[0] for place in listed} == {"nremstats.core.findings"}


def test_fmt_skip_only_on_tables_of_data():
    """``# fmt: skip`` is for a literal table (a collection of constants) that reads better
    laid out by hand; any other statement is left to the formatter."""
    wrong = []
    for path in sorted([*PACKAGE.rglob("*.py"), *ROOT.glob("tests/**/*.py")]):
        text = path.read_text(encoding="utf-8")
        ends = {
            node.end_lineno: node
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.List | ast.Tuple | ast.Dict | ast.Set)
        }
        for number, line in enumerate(text.splitlines(), start=1):
            if line.rstrip().endswith("# fmt: skip") and not is_table(ends.get(number)):
                wrong.append(f"{path.relative_to(ROOT)}:{number}")
    assert wrong == []


def is_table(node: ast.AST | None) -> bool:
    if node is None:
        return False
    items = [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts
    simple = (ast.Constant, ast.Name, ast.Attribute, ast.Starred)
    return len(items) >= 6 and all(isinstance(item, simple) for item in items)


def test_subpackage_inits_import_nothing():
    """``--help`` stays fast when importing a subpackage costs nothing."""
    for name, (path, tree) in modules().items():
        if path.name == "__init__.py" and name != "nremstats":
            assert ast.get_docstring(tree), f"{name} says nothing of its stage"
            assert len(tree.body) == 1, f"{name} does more than hold a docstring"


def test_the_readme_draws_the_layers_in_the_stated_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    design = readme.split("## Design", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    drawn = [
        {name.strip() for name in re.split(r"\s{2,}", line)[0].split(",")}
        for line in design.splitlines()
        if line.strip() and not line[0].isspace()
    ]
    assert drawn == layers()


def test_benchmarks_and_scripts_import_what_the_package_has():
    """bench/ and scripts/ are run by hand, not by the tests: their imports are checked here."""
    import importlib

    missing = []
    for path in sorted([*ROOT.glob("bench/*.py"), *ROOT.glob("scripts/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, target, names in imported(path.stem, tree):
            module = importlib.import_module(target)
            missing += [f"{path.name}:{line} {target}.{n}" for n in names if not hasattr(module, n)]
    assert missing == []
