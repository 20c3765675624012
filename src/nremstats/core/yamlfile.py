"""A YAML file a user gives (a layout, a rules file) read within limits, and checked before
anything walks it.

PyYAML's safe loader never runs code, but it still builds whatever a file describes: a
1 kB file of nested aliases (a "billion laughs") describes 9^9 strings, which any walk of
the loaded data expands, and a tag such as ``!!python/object/apply:os.system`` ends in a
traceback. So a user's YAML is read in three steps:

1. at most :data:`MAX_BYTES` bytes are read (a larger file, or a device that never ends, is
   refused at the line where it passes the limit) and decoded as UTF-8;
2. the parser's events are checked in one pass whose cost is the file's length, before any
   node graph is built: a tag other than YAML's own, more than :data:`MAX_ALIASES` aliases,
   aliases that would add more than :data:`MAX_EXPANSION` nodes to the document once
   expanded, an alias inside its own anchor (a loop), nesting deeper than :data:`MAX_DEPTH`;
3. only then is the node graph composed (an alias shares its node, it is not copied) and
   the data constructed by the safe loader.

Every refusal is the caller's usage error (exit 2) naming the file and the line. A file
without aliases is limited by its size alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nremstats.core.errors import UsageError, YamlFileError

#: A layout or rules file is a few kB; the largest real one, a layout mapping hundreds of
#: labels, is far below this.
MAX_BYTES = 1_000_000
#: Aliases (``*name``) in one file.
MAX_ALIASES = 100
#: Nodes that aliases may add to the document once expanded (an alias counts the nodes of
#: what it names, aliases within included).
MAX_EXPANSION = 10_000
#: Collections nested in one another (a layout needs 4 or 5).
MAX_DEPTH = 32
#: The tags a file may write explicitly (``!!str 1``): YAML's own types, nothing that builds
#: an object; ``!`` is the non-specific tag (a string).
TAGS = frozenset(
    {"!"}
    | {
        f"tag:yaml.org,2002:{name}"
        for name in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp")
    }
)


@dataclass
class YamlDocument:
    """A user's YAML file, checked: its node graph (for the line of each key) and its data."""

    path: Path
    root: Any
    data: Any


def read_yaml(path: Path, error: type[UsageError] = YamlFileError) -> YamlDocument:
    """Read a user's YAML file within the limits of this module.

    Args:
        path: the file.
        error: the usage error to raise (a layout's, a rules file's), a subclass of
            :class:`~nremstats.core.errors.UsageError`.

    Raises:
        error: the file cannot be read, is over :data:`MAX_BYTES`, is not UTF-8 or not YAML,
            or breaks a limit; the message names the file and the line.
    """
    import yaml

    from nremstats.core.codes import yaml_loader

    text = _text(path, error)
    loader_class = yaml_loader()
    try:
        _check_events(path, yaml.parse(text, Loader=loader_class), error)
        loader = loader_class(text)
        try:
            root = loader.get_single_node()
            try:
                data = loader.construct_document(root) if root is not None else None
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
                line = _failing_line(loader_class, root)
                raise error(
                    f"{path}, line {line}: a value cannot be read as its type says ({exc})."
                ) from exc
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise error(f"{path}, line {_line_of(exc)}: not valid YAML ({_problem(exc)}).") from exc
    return YamlDocument(path, root, data)


def _failing_line(loader_class: Any, root: Any) -> int | str:
    """The line of the first scalar that cannot be built (a date 2023-02-30, !!int abc)."""
    import yaml

    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader_class("").construct_object(node, deep=True)
            except Exception:
                return node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    return "?"


def _text(path: Path, error: type[UsageError]) -> str:
    """The file's text: at most :data:`MAX_BYTES` bytes read, decoded as UTF-8."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    if len(raw) > MAX_BYTES:
        line = raw[:MAX_BYTES].count(b"\n") + 1
        raise error(
            f"{path}, line {line}: the file passes {MAX_BYTES:,} bytes here, the limit for a "
            "layout or rules file (a real one is a few kB); nothing of it was read."
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"{path}, line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8."
        ) from exc


def _check_events(path: Path, events: Any, error: type[UsageError]) -> None:
    """Check tags, aliases and depth on the parser's events (see the module docstring)."""
    import yaml

    budget = _Budget()
    for event in events:
        problem = (
            budget.alias(event.anchor)
            if isinstance(event, yaml.AliasEvent)
            else _tag_problem(getattr(event, "tag", None)) or budget.node(event)
        )
        if problem:
            raise error(f"{path}, line {event.start_mark.line + 1}: {problem}")


class _Budget:
    """What the aliases of a document add up to, counted on its events.

    Each open collection counts its nodes as expanded (an alias adds the count of what it
    names); an anchor's count is known when its collection closes, so the nodes all aliases
    add are counted exactly, without expanding any.
    """

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}  # anchor -> nodes it stands for, expanded
        self.open: list[tuple[str | None, int]] = []  # open collections: (anchor, nodes)
        self.aliases = 0
        self.expansion = 0

    def add(self, count: int) -> None:
        if self.open:
            anchor, nodes = self.open[-1]
            self.open[-1] = (anchor, nodes + count)

    def alias(self, anchor: str) -> str | None:
        """The problem with an alias ``*anchor`` here, if any."""
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            return f"more than {MAX_ALIASES} aliases (*name); write the values instead."
        if any(name == anchor for name, _ in self.open):
            return f"the alias *{anchor} is inside its own anchor (a loop)."
        if anchor not in self.sizes:
            return f"the alias *{anchor} names no anchor above it."
        self.expansion += self.sizes[anchor]
        if self.expansion > MAX_EXPANSION:
            return (
                f"aliases expand the document here by more than {MAX_EXPANSION:,} nodes (an "
                "alias bomb?); write the values instead of aliases."
            )
        self.add(self.sizes[anchor])
        return None

    def node(self, event: Any) -> str | None:
        """Count a scalar or a collection's start or end; the problem of a depth too deep."""
        import yaml

        if isinstance(event, yaml.CollectionStartEvent):
            self.open.append((event.anchor, 1))
            if len(self.open) > MAX_DEPTH:
                return f"lists and mappings nested more than {MAX_DEPTH} deep."
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes = self.open.pop()
            if anchor is not None:
                self.sizes[anchor] = nodes
            self.add(nodes)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                self.sizes[event.anchor] = 1
            self.add(1)
        return None


def _tag_problem(tag: str | None) -> str | None:
    """The problem with a tag written in the file (``!!python/object/...``), if any."""
    if tag is None or tag in TAGS:
        return None
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"the tag {shown} is not read: nremstats reads plain YAML (texts, numbers, lists, "
        "mappings), never objects."
    )


def _line_of(exc: Any) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else 1


def _problem(exc: Any) -> str:
    """The parser's words without its ``in "<unicode string>", line ...`` (the message says
    the file and line)."""
    words = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    return "; ".join(str(w) for w in words if w) or str(exc).splitlines()[0]
